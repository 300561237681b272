"""The workload registry: every module in this package that defines ``WORKLOADS``.

Adding a workload is adding a module here (see :mod:`benchmarks.spec`); a
module may also define ``derive(results) -> list[Derived]`` for rows computed
from several workloads (the harness calls it with every result it gathered).

>>> "log_metric" in workload_names()
True
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType
from typing import Callable

from ..spec import Workload

_MODULES: list[ModuleType] | None = None


def _modules() -> list[ModuleType]:
    global _MODULES
    if _MODULES is None:
        found = []
        for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
            if info.name.startswith("_"):
                continue
            found.append(importlib.import_module(f"{__name__}.{info.name}"))
        _MODULES = found
    return _MODULES


def all_workloads() -> list[Workload]:
    """Every workload, by ``order``, then module name, then list order."""
    out: list[Workload] = []
    seen: dict[str, str] = {}
    for module in _modules():
        for workload in getattr(module, "WORKLOADS", ()):
            if workload.name in seen:
                raise ValueError(
                    f"workload name {workload.name!r} is defined in both {seen[workload.name]} and {module.__name__}"
                )
            seen[workload.name] = module.__name__
            out.append(workload)
    out.sort(key=lambda w: w.order)  # stable: module order breaks ties
    return out


def workload_names() -> list[str]:
    return [w.name for w in all_workloads()]


def get_workload(name: str) -> Workload:
    for workload in all_workloads():
        if workload.name == name:
            return workload
    raise KeyError(f"no workload named {name!r}; known: {', '.join(workload_names())}")


def derivers() -> list[Callable]:
    """The ``derive`` functions of the workload modules that define one."""
    return [m.derive for m in _modules() if callable(getattr(m, "derive", None))]


def select(patterns: list[str]) -> list[Workload]:
    """Workloads named by ``patterns``: exact names, or prefixes ending in ``*``; none means all.

    A module name also selects all its workloads (``search_runs`` -> search_runs_10k, ...).
    """
    workloads = all_workloads()
    if not patterns:
        return workloads
    chosen: list[Workload] = []
    for pattern in patterns:
        if pattern.endswith("*"):
            hits = [w for w in workloads if w.name.startswith(pattern[:-1])]
        else:
            hits = [w for w in workloads if w.name == pattern]
            if not hits:
                hits = [w for w in workloads if w.run.__module__.rsplit(".", 1)[-1] == pattern]
        if not hits:
            raise KeyError(f"no workload matches {pattern!r}; known: {', '.join(w.name for w in workloads)}")
        chosen.extend(w for w in hits if w not in chosen)
    return chosen
