"""Passwords and API tokens as stored: argon2id hashes, and sha256 digests of random tokens.

Passwords go through argon2id (``argon2-cffi``, tens of milliseconds by design); an API token
is 32 random bytes, so a plain sha256 of it is as safe to store as a KDF output and cheap
to look up::

    >>> digest = hash_password("correct horse battery")
    >>> check_password(digest, "correct horse battery"), check_password(digest, "wrong")
    (True, False)
    >>> token = new_token(); token.startswith(TOKEN_PREFIX), len(token_digest(token))
    (True, 64)
"""

from __future__ import annotations

import hashlib
import secrets

#: Every API token starts with this, so a leaked one is recognisable (and scanners can find it).
TOKEN_PREFIX = "mlt_"


def _hasher():
    from argon2 import PasswordHasher

    return PasswordHasher()


def hash_password(password: str) -> str:
    """The argon2id hash of ``password`` (salted; the string holds the parameters)."""
    return _hasher().hash(password)


def check_password(stored_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``stored_hash`` (False for a malformed hash too)."""
    from argon2.exceptions import Argon2Error, InvalidHashError

    try:
        return _hasher().verify(stored_hash, password)
    except (Argon2Error, InvalidHashError):
        return False


#: An argon2 hash of nothing anyone knows: checked against when the user does not exist, so a
#: wrong user name costs the same time as a wrong password.
_DUMMY_HASH: list[str] = []


def burn_password_check(password: str) -> None:
    """Spend one argon2 verification (for an unknown user name)."""
    if not _DUMMY_HASH:
        _DUMMY_HASH.append(hash_password(secrets.token_hex(16)))
    check_password(_DUMMY_HASH[0], password)


def new_token() -> str:
    """A new random API token (``mlt_`` + 43 URL-safe characters)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """The stored form of a token: its sha256, hex."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
