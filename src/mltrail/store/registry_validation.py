"""Rules for registry inputs: model names, versions, stages, aliases, tags.

Every check raises :class:`~mltrail.exceptions.InvalidParameterError` whose
message names the value and the rule, before anything is written.

Limits:

- model name: 1-256 characters, no ``/``, ``\\``, ``@``, ``:`` or control
  characters, no leading/trailing spaces, not ``.`` or ``..`` (the name is
  part of ``models:/<name>/<version>`` URIs and of a storage folder);
- version: a whole number >= 1 (``3`` or ``"3"``);
- alias: 1-255 letters, digits, ``_`` or ``-``; not a number (``3``, ``v3``:
  those name versions) and not ``latest`` in any case (it names the newest version);
- tag key: 1-250 characters; tag value: at most 5000 characters;
- description: at most 5000 characters.

>>> validate_model_name("nyc-taxi-regressor")
'nyc-taxi-regressor'
>>> validate_version("3")
3
"""

from __future__ import annotations

import re
from typing import Optional, Union

from ..entities import ModelVersionStage
from ..exceptions import InvalidParameterError
from .validation import check_text

MAX_MODEL_NAME_LENGTH = 256
MAX_ALIAS_LENGTH = 255
MAX_TAG_KEY_LENGTH = 250
MAX_TAG_VALUE_LENGTH = 5000
MAX_DESCRIPTION_LENGTH = 5000

_FORBIDDEN_NAME_CHARS = re.compile(r"[/\\@:\x00-\x1f\x7f]")
_ALIAS_CHARS = re.compile(r"[A-Za-z0-9_-]+")  # used with fullmatch: "a\n" is refused
_NUMBER_LIKE = re.compile(r"[vV]?[+-]?\d+")
#: Versions are stored in a 32-bit integer column.
MAX_VERSION = 2**31 - 1


def validate_model_name(name: object, what: str = "Registered model name") -> str:
    """Return ``name`` if it is a usable registered-model name, else raise."""
    if not isinstance(name, str) or not name:
        raise InvalidParameterError(f"{what} {name!r} is invalid: it must be a non-empty string")
    if len(name) > MAX_MODEL_NAME_LENGTH:
        raise InvalidParameterError(
            f"{what} {name[:40]!r}... is invalid: it has {len(name)} characters, "
            f"at most {MAX_MODEL_NAME_LENGTH} are allowed"
        )
    bad = _FORBIDDEN_NAME_CHARS.search(name)
    if bad:
        raise InvalidParameterError(
            f"{what} {name!r} is invalid: it contains {bad.group()!r}; "
            "names may not contain '/', '\\', '@', ':' or control characters"
        )
    check_text(name, what.lower())
    if name != name.strip() or name in (".", ".."):
        raise InvalidParameterError(
            f"{what} {name!r} is invalid: it may not be '.' or '..' nor start or end with a space"
        )
    return name


def validate_version(version: object) -> int:
    """Return the version number as an int; accept ``3`` and ``"3"``."""
    if isinstance(version, bool):
        raise InvalidParameterError(f"Model version {version!r} is invalid: it must be a whole number >= 1")
    try:
        number = int(str(version).strip()) if not isinstance(version, int) else version
    except ValueError:
        raise InvalidParameterError(
            f"Model version {version!r} is invalid: it must be a whole number >= 1"
        ) from None
    if number < 1 or number > MAX_VERSION:
        raise InvalidParameterError(
            f"Model version {version!r} is invalid: it must be a whole number >= 1 and at most {MAX_VERSION}"
        )
    return number


def validate_stage(stage: object) -> str:
    """Return the canonical stage name (``"production"`` -> ``"Production"``)."""
    return ModelVersionStage.canonical(str(stage))


def validate_alias(alias: object) -> str:
    """Return ``alias`` if it may name a version, else raise."""
    if not isinstance(alias, str) or not alias:
        raise InvalidParameterError(f"Alias {alias!r} is invalid: it must be a non-empty string")
    if len(alias) > MAX_ALIAS_LENGTH:
        raise InvalidParameterError(
            f"Alias {alias[:40]!r}... is invalid: at most {MAX_ALIAS_LENGTH} characters are allowed"
        )
    if alias.lower() == "latest":
        raise InvalidParameterError(
            f"Alias {alias!r} is invalid: 'latest' is reserved for the newest version (models:/<name>/latest)"
        )
    if _NUMBER_LIKE.fullmatch(alias):
        raise InvalidParameterError(
            f"Alias {alias!r} is invalid: an alias may not be a number or 'v<number>', "
            "which would be mistaken for a version"
        )
    if not _ALIAS_CHARS.fullmatch(alias):
        raise InvalidParameterError(
            f"Alias {alias!r} is invalid: only letters, digits, '_' and '-' are allowed"
        )
    return alias


def validate_tag(key: object, value: object = "") -> tuple[str, str]:
    """Return ``(key, value)`` as strings if within the limits, else raise."""
    if not isinstance(key, str) or not key:
        raise InvalidParameterError(f"Tag key {key!r} is invalid: it must be a non-empty string")
    if len(key) > MAX_TAG_KEY_LENGTH:
        raise InvalidParameterError(
            f"Tag key {key[:40]!r}... is invalid: at most {MAX_TAG_KEY_LENGTH} characters are allowed"
        )
    text = "" if value is None else str(value)
    if len(text) > MAX_TAG_VALUE_LENGTH:
        raise InvalidParameterError(
            f"Tag value for key {key!r} is invalid: it has {len(text)} characters, "
            f"at most {MAX_TAG_VALUE_LENGTH} are allowed"
        )
    check_text(key, "tag key")
    return key, check_text(text, f"tag value for key {key!r}:")


def validate_description(description: Optional[object]) -> Optional[str]:
    """Return the description as a string (None stays None) if within the limit."""
    if description is None:
        return None
    text = str(description)
    if len(text) > MAX_DESCRIPTION_LENGTH:
        raise InvalidParameterError(
            f"Description is invalid: it has {len(text)} characters, "
            f"at most {MAX_DESCRIPTION_LENGTH} are allowed"
        )
    return check_text(text, "description")


def validate_tags(tags: Optional[Union[dict, list, tuple]]) -> dict[str, str]:
    """Accept a dict or a list of objects with ``key``/``value`` and return a checked dict."""
    if not tags:
        return {}
    items = tags.items() if isinstance(tags, dict) else ((t.key, t.value) for t in tags)
    out: dict[str, str] = {}
    for key, value in items:
        k, v = validate_tag(key, value)
        out[k] = v
    return out
