"""Validation rules shared by every store, checked before anything is written.

Limits (MLflow's, so data moves freely between the two):

=========================  =====================================================
what                       rule
=========================  =====================================================
metric/param/tag key       non-empty, at most 250 characters; letters, digits,
                           underscores ``_``, dashes ``-``, periods ``.``,
                           spaces and slashes ``/``; no ``..`` path segment,
                           no leading ``/``, no ``.`` segment, ``//`` or
                           trailing ``/`` (a key must be a normalised path)
param value                at most 6,000 characters (non-strings are stored
                           as ``str(value)``, as MLflow does)
run tag value              a string of at most 8,000 characters
experiment tag value       a string of at most 8,000 characters
metric value               a number (int, float, bool, numpy scalar...);
                           NaN and +-inf are allowed and stored faithfully
metric timestamp, step     integers from -2^63 to 2^63-1 (timestamp in epoch
                           milliseconds)
any text (names, keys,     no NUL character (``\\x00``) and no lone surrogate
values, filters)           (``'\\ud800'``): no backend can store them alike
experiment name            non-empty, at most 256 characters
run name                   at most 250 characters
run id                     a string of at most 32 characters (uuid4 hex)
=========================  =====================================================

Every failure raises :class:`~mltrail.exceptions.InvalidParameterError` whose
message names the offending value and the rule it broke::

    >>> validate_key("a/../b", "param")
    Traceback (most recent call last):
    ...
    mltrail.exceptions.InvalidParameterError: Invalid param key 'a/../b': a key must not contain a '..' path segment
"""

from __future__ import annotations

import math
import numbers
import posixpath
import re
from typing import Any, Optional

from ..exceptions import InvalidParameterError

MAX_KEY_LENGTH = 250
MAX_PARAM_VALUE_LENGTH = 6000
MAX_TAG_VALUE_LENGTH = 8000
MAX_EXPERIMENT_TAG_VALUE_LENGTH = 8000
MAX_EXPERIMENT_NAME_LENGTH = 256
MAX_RUN_NAME_LENGTH = 250
MAX_RUN_ID_LENGTH = 32
MAX_USER_ID_LENGTH = 256

_KEY_RE = re.compile(r"[\w\-. /]+")  # always used with fullmatch: "a\n" is refused
#: The range of the 64-bit integer columns (steps, timestamps, offsets).
MIN_INT64 = -(2**63)
MAX_INT64 = 2**63 - 1
_KEY_RULE = (
    "keys may contain only letters, digits, underscores (_), dashes (-), periods (.), "
    "spaces ( ) and slashes (/)"
)


def _shorten(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 5] + "...'" + f" ({len(str(value))} chars)"


# Keys already found valid (keys repeat a lot: a batch of 1,000 metrics has a handful).
_VALID_KEYS: set[str] = set()
_VALID_KEYS_MAX = 10_000


def validate_key(key: Any, kind: str) -> str:
    """Check a metric/param/tag key (``kind`` names it in the message) and return it.

    >>> validate_key("train/rmse", "metric")
    'train/rmse'
    """
    if type(key) is str and key in _VALID_KEYS:  # type first: an unhashable key is refused below
        return key
    _check_key(key, kind)
    if len(_VALID_KEYS) >= _VALID_KEYS_MAX:
        _VALID_KEYS.clear()
    _VALID_KEYS.add(key)
    return key


def _check_key(key: Any, kind: str) -> None:
    if not isinstance(key, str):
        raise InvalidParameterError(f"Invalid {kind} key {key!r}: a key must be a string")
    if not key:
        raise InvalidParameterError(f"Invalid {kind} key '': a key must not be empty")
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidParameterError(
            f"Invalid {kind} key {_shorten(key)}: a key must be at most {MAX_KEY_LENGTH} characters "
            f"(it has {len(key)})"
        )
    if not _KEY_RE.fullmatch(key):
        bad = sorted({c for c in key if not _KEY_RE.fullmatch(c)})
        raise InvalidParameterError(
            f"Invalid {kind} key {key!r}: {_KEY_RULE} (found {', '.join(map(repr, bad))})"
        )
    if key.startswith("/"):
        raise InvalidParameterError(f"Invalid {kind} key {key!r}: a key must not start with '/'")
    if ".." in key.split("/"):
        raise InvalidParameterError(f"Invalid {kind} key {key!r}: a key must not contain a '..' path segment")
    if posixpath.normpath(key) != key:
        raise InvalidParameterError(
            f"Invalid {kind} key {key!r}: a key must be a normalised path "
            f"(no '.' segments, no '//' and no trailing '/')"
        )


def check_text(text: str, what: str) -> str:
    """Refuse a NUL character or a lone surrogate in ``text`` (``what`` names it); return ``text``.

    PostgreSQL cannot store NUL in text and no backend can encode a lone
    surrogate as UTF-8, so every backend refuses both the same way.

    >>> check_text("ok", "param value")
    'ok'
    """
    if text.isascii():
        if "\x00" in text:
            raise InvalidParameterError(
                f"Invalid {what} {_shorten(text)}: text must not contain the NUL character '\\x00'"
            )
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidParameterError(
            f"Invalid {what} {_shorten(text)}: text must be valid Unicode, but it holds the lone "
            f"surrogate {text[exc.start]!r} at position {exc.start}"
        ) from None
    if "\x00" in text:
        raise InvalidParameterError(f"Invalid {what} {_shorten(text)}: text must not contain the NUL character '\\x00'")
    return text


def check_int64(value: int, what: str) -> int:
    """Refuse an integer outside the 64-bit range of the database columns; return it.

    >>> check_int64(2**63, "metric step")
    Traceback (most recent call last):
    ...
    mltrail.exceptions.InvalidParameterError: Invalid metric step 9223372036854775808: must be between -2^63 and 2^63-1 (a 64-bit integer)
    """
    if not MIN_INT64 <= value <= MAX_INT64:
        raise InvalidParameterError(f"Invalid {what} {value!r}: must be between -2^63 and 2^63-1 (a 64-bit integer)")
    return value


def _validate_string_value(value: Any, key: str, kind: str, limit: int) -> str:
    text = value if isinstance(value, str) else str(value)  # as MLflow: log_param("a", None) stores "None"
    check_text(text, f"{kind} value for key {key!r}:")
    if len(text) > limit:
        raise InvalidParameterError(
            f"Invalid {kind} value {_shorten(text)} for key {key!r}: a {kind} value must be at most "
            f"{limit} characters (it has {len(text)})"
        )
    return text


def validate_param(key: Any, value: Any) -> tuple[str, str]:
    """Check a param; return ``(key, value as string)``.

    >>> validate_param("alpha", 0.01)
    ('alpha', '0.01')
    """
    key = validate_key(key, "param")
    return key, _validate_string_value(value, key, "param", MAX_PARAM_VALUE_LENGTH)


def validate_tag(key: Any, value: Any) -> tuple[str, str]:
    """Check a run tag; return ``(key, value as string)``.

    >>> validate_tag("developer", "ana")
    ('developer', 'ana')
    """
    key = validate_key(key, "tag")
    return key, _validate_string_value(value, key, "tag", MAX_TAG_VALUE_LENGTH)


def validate_experiment_tag(key: Any, value: Any) -> tuple[str, str]:
    """Check an experiment tag; return ``(key, value as string)``.

    >>> validate_experiment_tag("team", "forecasting")
    ('team', 'forecasting')
    """
    key = validate_key(key, "experiment tag")
    return key, _validate_string_value(value, key, "experiment tag", MAX_EXPERIMENT_TAG_VALUE_LENGTH)


def validate_metric(key: Any, value: Any, timestamp: Any, step: Any) -> tuple[str, float, int, int]:
    """Check a metric; return ``(key, float value, int timestamp, int step)``.

    Any real number is accepted (``bool`` too, as MLflow does); strings and
    other objects are refused. NaN and +-inf pass through unchanged.

    >>> validate_metric("rmse", 6.9, 1700000000000, 0)
    ('rmse', 6.9, 1700000000000, 0)
    """
    key = validate_key(key, "metric")
    if (
        type(value) is float
        and type(timestamp) is int
        and type(step) is int
        and timestamp.bit_length() < 64  # within the 64-bit range (-2^63 itself takes the slow path)
        and step.bit_length() < 64
    ):  # the common case
        return key, value, timestamp, step
    if isinstance(value, float):
        number = value
    elif isinstance(value, numbers.Real):
        try:
            number = float(value)
        except OverflowError:
            raise InvalidParameterError(
                f"Invalid metric value {_shorten(value)} for key {key!r}: a metric value must be a number "
                f"representable as a 64-bit float"
            ) from None
    else:
        raise InvalidParameterError(
            f"Invalid metric value {_shorten(value)} ({type(value).__name__}) for key {key!r}: "
            f"a metric value must be a number (int or float), not {type(value).__name__}"
        )
    return key, number, _validate_int(timestamp, key, "timestamp"), _validate_int(step, key, "step")


def _is_whole_number(value: Any) -> bool:
    """An integer (not a bool), or a finite float without a fractional part (``3.0``)."""
    if isinstance(value, numbers.Integral):
        return not isinstance(value, bool)
    return isinstance(value, float) and math.isfinite(value) and value.is_integer()


def _validate_int(value: Any, key: str, what: str) -> int:
    if not _is_whole_number(value):
        raise InvalidParameterError(f"Invalid metric {what} {value!r} for key {key!r}: the {what} must be an integer")
    return check_int64(int(value), f"metric {what} for key {key!r}:")


def validate_experiment_name(name: Any) -> str:
    """Check an experiment name and return it.

    >>> validate_experiment_name("nyc-taxi-experiment")
    'nyc-taxi-experiment'
    """
    if not isinstance(name, str):
        raise InvalidParameterError(f"Invalid experiment name {name!r}: the name must be a string")
    if not name.strip():
        raise InvalidParameterError(f"Invalid experiment name {name!r}: the name must not be empty")
    if len(name) > MAX_EXPERIMENT_NAME_LENGTH:
        raise InvalidParameterError(
            f"Invalid experiment name {_shorten(name)}: the name must be at most "
            f"{MAX_EXPERIMENT_NAME_LENGTH} characters (it has {len(name)})"
        )
    return check_text(name, "experiment name")


def validate_run_name(name: Any) -> str:
    """Check a run name and return it.

    >>> validate_run_name("baseline")
    'baseline'
    """
    if not isinstance(name, str):
        raise InvalidParameterError(f"Invalid run name {name!r}: the name must be a string")
    if len(name) > MAX_RUN_NAME_LENGTH:
        raise InvalidParameterError(
            f"Invalid run name {_shorten(name)}: the name must be at most {MAX_RUN_NAME_LENGTH} "
            f"characters (it has {len(name)})"
        )
    return check_text(name, "run name")


def validate_user_id(user_id: Any) -> str:
    """Check a user id (``None`` becomes ``''``) and return it.

    >>> validate_user_id(None)
    ''
    """
    if user_id is None:
        return ""
    user_id = str(user_id)
    if len(user_id) > MAX_USER_ID_LENGTH:
        raise InvalidParameterError(
            f"Invalid user id {_shorten(user_id)}: a user id must be at most {MAX_USER_ID_LENGTH} characters"
        )
    return check_text(user_id, "user id")


def validate_run_id(run_id: Any) -> str:
    """Check the shape of a run id (existence is the store's business) and return it.

    >>> validate_run_id("0123456789abcdef0123456789abcdef")
    '0123456789abcdef0123456789abcdef'
    """
    if not isinstance(run_id, str) or not run_id or len(run_id) > MAX_RUN_ID_LENGTH:
        raise InvalidParameterError(
            f"Invalid run id {run_id!r}: a run id is a string of 1 to {MAX_RUN_ID_LENGTH} characters"
        )
    return run_id


def validate_hex_id(value: Any, what: str) -> Optional[str]:
    """Check an id made of 32 lowercase hex characters (a uuid's hex) or None, and return it.

    >>> validate_hex_id("0123456789abcdef0123456789abcdef", "run owner id")
    '0123456789abcdef0123456789abcdef'
    """
    if value is None:
        return None
    if not isinstance(value, str) or len(value) != 32 or value.strip("0123456789abcdef"):
        raise InvalidParameterError(f"Invalid {what} {str(value)[:80]!r}: must be 32 lowercase hexadecimal characters")
    return value


def validate_owner_id(owner_id: Any) -> Optional[str]:
    """Check a run owner's id (see :func:`validate_hex_id`) or None, and return it.

    >>> validate_owner_id("0123456789abcdef0123456789abcdef")
    '0123456789abcdef0123456789abcdef'
    """
    return validate_hex_id(owner_id, "run owner id")


def validate_timestamp(value: Any, what: str) -> int | None:
    """Check an optional epoch-milliseconds timestamp (``what`` names it).

    >>> validate_timestamp(1700000000000, "run start_time")
    1700000000000
    """
    if value is None:
        return None
    if not _is_whole_number(value):
        raise InvalidParameterError(f"Invalid {what} {value!r}: must be an integer (epoch milliseconds)")
    return check_int64(int(value), what)


__all__ = [
    "MAX_KEY_LENGTH",
    "MAX_PARAM_VALUE_LENGTH",
    "MAX_TAG_VALUE_LENGTH",
    "MAX_EXPERIMENT_TAG_VALUE_LENGTH",
    "MAX_EXPERIMENT_NAME_LENGTH",
    "MAX_RUN_NAME_LENGTH",
    "MIN_INT64",
    "MAX_INT64",
    "check_text",
    "check_int64",
    "validate_key",
    "validate_param",
    "validate_tag",
    "validate_experiment_tag",
    "validate_metric",
    "validate_experiment_name",
    "validate_run_name",
    "validate_user_id",
    "validate_run_id",
    "validate_timestamp",
]
