"""mltrail's hyperopt integration: automatic sweep tracking (no model flavor).

    import mltrail
    mltrail.hyperopt.autolog()
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "integration": "._autolog",
    "autolog": "._autolog",
    "sweep_summary": "._summary",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


__all__ = list(_LAZY)
