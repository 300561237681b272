"""Turn the point an objective received into run params.

hyperopt hands the objective the search space with every ``hp.*`` node
replaced by a value: a dict, a list, a nested mix, or a bare value.
:func:`point_params` flattens it into ``{name: value}`` with dotted paths for
nesting and list positions (param keys allow letters, digits and ``_-. /``;
other characters in dict keys become ``_``)::

    >>> point_params({"model": {"type": "svm", "C": 1.5}, "layers": [64, 32]})
    {'model.type': 'svm', 'model.C': 1.5, 'layers.0': 64, 'layers.1': 32}

A bare (non-container) point is named after its hyperparameter label when
there is exactly one, else ``value``.
"""

from __future__ import annotations

import re
from typing import Any, Mapping, Optional

_MAX_DEPTH = 20
_NOT_IN_KEYS = re.compile(r"[^A-Za-z0-9_\-. /]")


def _key(name: Any) -> str:
    return _NOT_IN_KEYS.sub("_", str(name)) or "_"


def point_params(point: Any, labels: Optional[Mapping[str, Any]] = None) -> dict[str, Any]:
    """Flatten ``point`` (what the objective received) into param name -> value."""
    if isinstance(point, Mapping) or isinstance(point, (list, tuple)):
        out: dict[str, Any] = {}
        _flatten(point, "", out, 0)
        return out
    if labels and len(labels) == 1:
        return {_key(next(iter(labels))): point}
    return {"value": point}


def _flatten(value: Any, prefix: str, out: dict[str, Any], depth: int) -> None:
    if depth < _MAX_DEPTH and isinstance(value, Mapping):
        if not value and prefix:
            out[prefix] = value
        for key, child in value.items():
            _flatten(child, f"{prefix}.{_key(key)}" if prefix else _key(key), out, depth + 1)
    elif depth < _MAX_DEPTH and isinstance(value, (list, tuple)):
        if not value and prefix:
            out[prefix] = value
        for index, child in enumerate(value):
            _flatten(child, f"{prefix}.{index}" if prefix else str(index), out, depth + 1)
    else:
        out[prefix or "value"] = value
