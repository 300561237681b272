"""Names a package exports without importing the modules that define them (PEP 562).

A package lists each name with the module holding it and makes its
``__getattr__`` from the table; the first access imports that module and keeps
the value in the package, so later accesses cost nothing::

    # integrations/mltrail_xgboost/__init__.py
    _LAZY = {"log_model": "._flavor", "autolog": "._autolog"}
    __getattr__ = lazy_getattr(__name__, _LAZY)
    __all__ = list(_LAZY)

``import mltrail_xgboost`` then imports neither xgboost nor the flavor module.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any, Callable, Mapping


def lazy_getattr(package: str, names: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package`` that imports ``names[name]`` (a module, relative to
    ``package`` when it starts with a dot) on first access; an unknown name raises AttributeError.

    >>> __getattr__ = lazy_getattr(__name__, {"Model": ".model"})
    """

    def __getattr__(name: str) -> Any:
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module, package), name)
        setattr(sys.modules[package], name, value)
        return value

    return __getattr__


__all__ = ["lazy_getattr"]
