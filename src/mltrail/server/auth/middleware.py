"""ASGI middleware of ``mltrail server --auth``: every request proves who it is, or is turned away.

- ``Authorization: Basic ...`` / ``Bearer ...`` (API clients), or the UI's signed session cookie;
- none, or a wrong one: API paths get 401 ``UNAUTHENTICATED`` with ``WWW-Authenticate``, UI pages a
  redirect to ``/login``;
- a write (POST, PUT, PATCH, DELETE) carried by the session cookie must send the session's CSRF
  token in ``X-CSRF-Token`` (403 ``PERMISSION_DENIED`` otherwise);
- the user is put in ``scope["state"]["user"]`` for :class:`~.guard.Guard` checks downstream.

``/health``, ``/version``, ``/login``, ``/logout`` and the UI's static files need no credential.
A cached credential costs one sha256 of the header; argon2 runs only on a miss, off the event loop.
"""

from __future__ import annotations

import hmac
import json
from typing import Any, Callable, Optional
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import cookie_parser

from ...exceptions import UnauthenticatedError
from .guard import Guard
from .session import CSRF_HEADER, SESSION_COOKIE, SessionSigner

OPEN_PATHS = ("/health", "/version", "/login", "/logout")
OPEN_PREFIXES = ("/static-ui/",)
API_PREFIXES = ("/api/", "/ajax-api/")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
CHALLENGE = b'Basic realm="mltrail", charset="UTF-8"'


async def _json(send: Callable, status: int, code: str, message: str, extra: tuple = ()) -> None:
    body = json.dumps({"error_code": code, "message": message}).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *extra]})
    await send({"type": "http.response.body", "body": body})


async def _to_login(scope: dict, send: Callable) -> None:
    query = scope.get("query_string", b"").decode("latin-1")
    target = scope["path"] + ("?" + query if query else "")
    location = "/login?next=" + quote(target, safe="")
    await send({"type": "http.response.start", "status": 303,
                "headers": [(b"location", location.encode("latin-1")), (b"content-length", b"0")]})
    await send({"type": "http.response.body", "body": b""})


class AuthMiddleware:
    """Authenticate every request (see the module docstring)."""

    def __init__(self, app: Any, guard: Guard, signer: SessionSigner) -> None:
        self.app = app
        self.guard = guard
        self.signer = signer

    async def _session(self, cookie: Optional[str]) -> tuple[Any, Optional[str]]:
        """(user, csrf token) of a valid session cookie, else (None, None)."""
        if not cookie:
            return None, None
        value = cookie_parser(cookie).get(SESSION_COOKIE)
        body = self.signer.verify(value) if value else None
        if body is None:
            return None, None
        issued = body.get("i")
        user = await run_in_threadpool(self.guard.session_user, body["u"], issued if isinstance(issued, int) else 0)
        return user, str(body.get("c", ""))

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path in OPEN_PATHS or path.startswith(OPEN_PREFIXES):
            await self.app(scope, receive, send)
            return
        authorization = cookie = csrf_sent = None
        for name, value in scope.get("headers", ()):
            if name == b"authorization":
                authorization = value.decode("latin-1")
            elif name == b"cookie":
                cookie = value.decode("latin-1")
            elif name == CSRF_HEADER.encode():
                csrf_sent = value.decode("latin-1")
        api = path.startswith(API_PREFIXES)
        if authorization is not None:
            user = self.guard.cached_user(authorization)
            if user is None:
                try:
                    user = await run_in_threadpool(self.guard.authenticate, authorization)
                except UnauthenticatedError as exc:
                    await _json(send, 401, exc.error_code, exc.message, ((b"www-authenticate", CHALLENGE),))
                    return
        else:
            user, csrf = await self._session(cookie)
            if user is None:
                if api or scope["method"] not in SAFE_METHODS:
                    await _json(send, 401, "UNAUTHENTICATED",
                                "Authentication required: send HTTP Basic credentials or 'Authorization: Bearer "
                                "<token>' (MLTRAIL_TRACKING_TOKEN, or MLTRAIL_TRACKING_USERNAME/PASSWORD)",
                                ((b"www-authenticate", CHALLENGE),))
                else:
                    await _to_login(scope, send)
                return
            if scope["method"] not in SAFE_METHODS and not (csrf and csrf_sent and hmac.compare_digest(csrf, csrf_sent)):
                await _json(send, 403, "PERMISSION_DENIED",
                            "Missing or wrong CSRF token: the UI sends it in the X-CSRF-Token header")
                return
        scope.setdefault("state", {})["user"] = user
        await self.app(scope, receive, send)
