"""Opaque page tokens: base64 of a small JSON object holding the next offset.

>>> token = encode_page_token(100)
>>> decode_page_token(token)
100
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Optional

from ...exceptions import InvalidParameterError
from ..validation import MAX_INT64


def encode_page_token(offset: int) -> str:
    """The token of the page starting at ``offset``."""
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()


def decode_page_token(token: Optional[str]) -> int:
    """The offset a token points at (0 for no token); a malformed token raises InvalidParameterError."""
    if not token:
        return 0
    if not isinstance(token, str):
        raise InvalidParameterError(f"Invalid page_token {token!r}: a page token is a string")
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        offset = data["offset"]
    except (binascii.Error, ValueError, TypeError, KeyError, UnicodeError, AttributeError, RecursionError):
        raise InvalidParameterError(
            f"Invalid page_token {token!r}: not a token returned by a previous search"
        ) from None
    if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
        raise InvalidParameterError(f"Invalid page_token {token!r}: its offset {offset!r} is not a count")
    if offset > MAX_INT64:
        raise InvalidParameterError(
            f"Invalid page_token {token!r}: its offset {offset} is beyond the largest offset 2^63-1"
        )
    return offset
