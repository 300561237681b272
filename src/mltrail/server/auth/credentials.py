"""Reading a request's credential: the ``Authorization`` header (HTTP Basic or Bearer).

Nothing here ever puts the header, a password or a token into a message: errors say what was
wrong with the header's *shape* only::

    >>> parse_authorization("Bearer mlt_abc")
    ('bearer', 'mlt_abc')
    >>> parse_authorization("Basic YW5hOnB3")
    ('basic', ('ana', 'pw'))
"""

from __future__ import annotations

import base64
import binascii
from typing import Union

from ...exceptions import UnauthenticatedError

MAX_HEADER_LENGTH = 4096
MALFORMED = ("Malformed Authorization header: expected 'Basic <base64 of user:password>' or "
             "'Bearer <token>'")


def parse_authorization(value: str) -> tuple[str, Union[str, tuple[str, str]]]:
    """``("basic", (username, password))`` or ``("bearer", token)``; UnauthenticatedError otherwise."""
    if len(value) > MAX_HEADER_LENGTH:
        raise UnauthenticatedError(f"{MALFORMED} (longer than {MAX_HEADER_LENGTH} characters)")
    scheme, _, rest = value.strip().partition(" ")
    rest = rest.strip()
    scheme = scheme.lower()
    if scheme == "bearer" and rest and " " not in rest:
        return "bearer", rest
    if scheme == "basic" and rest:
        try:
            decoded = base64.b64decode(rest.encode("ascii"), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeError, ValueError):
            raise UnauthenticatedError(f"{MALFORMED} (the Basic credential is not base64 of UTF-8 text)") from None
        username, colon, password = decoded.partition(":")
        if colon and username:
            return "basic", (username, password)
        raise UnauthenticatedError(f"{MALFORMED} (the Basic credential has no 'user:' part)")
    raise UnauthenticatedError(MALFORMED)
