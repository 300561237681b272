"""mltrail's hyperopt integration: automatic sweep tracking (no model flavor).

    import mltrail
    mltrail.hyperopt.autolog()
"""

from __future__ import annotations

from mltrail.lazy_names import lazy_getattr

_LAZY = {
    "integration": "._autolog",
    "autolog": "._autolog",
    "sweep_summary": "._summary",
}


__getattr__ = lazy_getattr(__name__, _LAZY)


__all__ = list(_LAZY)
