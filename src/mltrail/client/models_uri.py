"""``models:/`` URIs parsed: which registered version, stage, alias or logged model one names.

Used by the registry client (``copy_model_version``) and by model loading
(:mod:`mltrail.models.uri`, which re-exports both names).

>>> parse_models_uri("models:/churn@champion")
ModelsUri(name='churn', version=None, stage=None, alias='champion', model_id=None)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from ..exceptions import InvalidParameterError

@dataclass(frozen=True)
class ModelsUri:
    """A parsed ``models:/`` URI: at most one of version, stage and alias is set (none = latest).

    >>> ModelsUri("churn", stage="Production")
    """

    name: str
    version: Optional[str] = None
    stage: Optional[str] = None
    alias: Optional[str] = None
    #: ``models:/m-<32 hex>``: a logged model (``name`` is empty then).
    model_id: Optional[str] = None


#: A logged model id: ``m-`` and 32 hex digits.
MODEL_ID_PATTERN = re.compile(r"m-[0-9a-f]{32}")


def parse_models_uri(uri: str) -> ModelsUri:
    """Parse ``models:/<name>/<version|stage|latest>`` or ``models:/<name>@<alias>``.

    >>> parse_models_uri("models:/churn/3")
    ModelsUri(name='churn', version='3', stage=None, alias=None, model_id=None)
    """
    rest = uri[len("models:"):].lstrip("/")
    if MODEL_ID_PATTERN.fullmatch(rest.rstrip("/")):
        return ModelsUri(name="", model_id=rest.rstrip("/"))
    rule = "expected models:/<model_id>, models:/<name>/<version>, models:/<name>/<stage>, models:/<name>/latest or models:/<name>@<alias>"
    if "@" in rest and "/" not in rest.split("@", 1)[1]:
        name, alias = rest.rsplit("@", 1)
        if not name or not alias:
            raise InvalidParameterError(f"Model URI {uri!r} is malformed: {rule}")
        return ModelsUri(name=name, alias=alias)
    name, sep, suffix = rest.rpartition("/")
    if not sep or not name or not suffix:
        raise InvalidParameterError(f"Model URI {uri!r} is malformed: {rule}")
    if suffix.isdigit():
        return ModelsUri(name=name, version=suffix)
    if suffix.lower() == "latest":
        return ModelsUri(name=name)
    return ModelsUri(name=name, stage=suffix)


__all__ = ["MODEL_ID_PATTERN", "ModelsUri", "parse_models_uri"]
