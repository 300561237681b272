"""The UI's session cookie: signed, HttpOnly, SameSite=Lax, and its CSRF token.

The cookie holds ``base64(json {"u": user id, "i": signed-in time (ms), "e": expiry, "c": csrf
nonce}).<hmac-sha256>`` signed with the server-wide key kept in the database (so every worker and
instance accepts it). Signing out (or a new password) ends every session of that user signed in
until then, on every worker (the auth store's ``end_sessions``; a cookie kept by a thief stops
working too). The CSRF nonce is also sent in a readable cookie; the UI's scripts copy it into the
``X-CSRF-Token`` header of every write, which a cross-site page cannot do::

    >>> signer = SessionSigner("k" * 64)
    >>> value = signer.sign(7, lifetime_s=3600)
    >>> signer.verify(value)["u"]
    7
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from typing import Any, Optional

SESSION_COOKIE = "mltrail_session"
CSRF_COOKIE = "mltrail_csrf"
CSRF_HEADER = "x-csrf-token"
#: How long a UI sign-in lasts (seconds).
SESSION_LIFETIME_S = 12 * 3600


class SessionSigner:
    """Signs and checks session cookie values with ``key``."""

    def __init__(self, key: str) -> None:
        self._key = key.encode()

    def _mac(self, payload: bytes) -> str:
        return hmac.new(self._key, payload, hashlib.sha256).hexdigest()

    def sign(self, user_id: int, lifetime_s: float = SESSION_LIFETIME_S) -> str:
        """A new session value for ``user_id`` (with a fresh CSRF nonce)."""
        now = time.time()
        body = {"u": user_id, "i": int(now * 1000), "e": int(now + lifetime_s), "c": secrets.token_urlsafe(24)}
        payload = base64.urlsafe_b64encode(json.dumps(body, separators=(",", ":")).encode()).rstrip(b"=")
        return payload.decode() + "." + self._mac(payload)

    def verify(self, value: str) -> Optional[dict[str, Any]]:
        """The session's contents, or None when the value is forged, malformed or expired."""
        payload, _, mac = value.partition(".")
        if not payload or not hmac.compare_digest(self._mac(payload.encode()), mac):
            return None
        try:
            body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        except ValueError:
            return None
        if not isinstance(body, dict) or not isinstance(body.get("u"), int) or not isinstance(body.get("e"), int):
            return None
        return body if body["e"] > time.time() else None


def cookie_header(name: str, value: str, http_only: bool, secure: bool, max_age: int) -> str:
    """A ``Set-Cookie`` value (Path=/, SameSite=Lax)."""
    parts = [f"{name}={value}", "Path=/", "SameSite=Lax", f"Max-Age={max_age}"]
    if http_only:
        parts.append("HttpOnly")
    if secure:
        parts.append("Secure")
    return "; ".join(parts)
