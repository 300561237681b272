"""Paging of every search: the ``max_results`` rule and opaque page tokens (base64 of a small JSON object holding the next offset).

>>> token = encode_page_token(100)
>>> decode_page_token(token)
100
"""

from __future__ import annotations

import base64
import binascii
import json
import numbers
from typing import Any, Optional

from ...exceptions import InvalidParameterError
from ..validation import MAX_INT64


def check_max_results(max_results: Any, threshold: int) -> int:
    """``max_results`` as an int, or InvalidParameterError: MLflow's rule and message for every search.

    A positive integer (Python's or numpy's; not a bool, not a float) of at
    most ``threshold``; runs, experiments, logged models, registered models
    and model versions all check it here.

    >>> check_max_results(5, 1000)
    5
    >>> check_max_results(0, 1000)
    Traceback (most recent call last):
    ...
    mltrail.exceptions.InvalidParameterError: Invalid value 0 for parameter 'max_results' supplied. It must be a positive integer
    """
    if isinstance(max_results, bool) or not isinstance(max_results, numbers.Integral) or max_results < 1:
        raise InvalidParameterError(
            f"Invalid value {max_results} for parameter 'max_results' supplied. It must be a positive integer"
        )
    if max_results > threshold:
        raise InvalidParameterError(
            f"Invalid value {max_results} for parameter 'max_results' supplied. It must be at most {threshold}"
        )
    return int(max_results)


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
