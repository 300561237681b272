"""Make integration plugins reachable as ``mltrail.<name>``.

Integrations register under the ``mltrail.integrations`` entry-point group
(``sklearn = "mltrail_sklearn"``). This module installs a meta-path finder so
that ``import mltrail.sklearn`` and ``mltrail.sklearn`` both give the plugin's
module, for third-party plugins exactly as for ours. Entry points are read
lazily, the first time an unknown ``mltrail.<name>`` is asked for.

    >>> import mltrail.sklearn            # the mltrail_sklearn module
"""

from __future__ import annotations

import importlib
import importlib.machinery
import sys
import threading
from typing import Optional

ENTRY_POINT_GROUP = "mltrail.integrations"

_lock = threading.Lock()
_entry_points: Optional[dict[str, str]] = None


def integration_modules() -> dict[str, str]:
    """Map of integration name -> module name, from installed entry points (cached)."""
    global _entry_points
    if _entry_points is None:
        with _lock:
            if _entry_points is None:
                from importlib.metadata import entry_points

                found: dict[str, str] = {}
                for ep in entry_points(group=ENTRY_POINT_GROUP):
                    found.setdefault(ep.name, ep.value.split(":", 1)[0])
                _entry_points = found
    return _entry_points


def refresh() -> None:
    """Forget the cached entry points (after installing a plugin at run time)."""
    global _entry_points
    with _lock:
        _entry_points = None


def load_plugin(name: str):
    """Import and return the integration module registered as ``name``.

    The module is also bound as ``sys.modules["mltrail.<name>"]``.
    """
    module_name = integration_modules().get(name)
    if module_name is None:
        raise ImportError(f"No mltrail integration named {name!r} is installed")
    module = importlib.import_module(module_name)
    sys.modules.setdefault(f"mltrail.{name}", module)
    return module


# Plain classes following the finder/loader protocols: importing importlib.abc
# would pull in importlib.resources, tempfile and friends (~7 ms at import).
class _AliasLoader:
    def __init__(self, target: str) -> None:
        self._target = target

    def create_module(self, spec):
        module = importlib.import_module(self._target)
        self._original_spec = module.__spec__
        return module

    def exec_module(self, module) -> None:
        # Already executed by import_module; the import system stamped the
        # alias spec on it, so put the module's own spec back.
        module.__spec__ = self._original_spec


class PluginFinder:
    """Resolve ``mltrail.<name>`` to the module registered for ``<name>``."""

    def find_spec(self, fullname, path=None, target=None):
        if not fullname.startswith("mltrail.") or fullname.count(".") != 1:
            return None
        name = fullname.split(".", 1)[1]
        target_module = integration_modules().get(name)
        if target_module is None:
            return None
        return importlib.machinery.ModuleSpec(fullname, _AliasLoader(target_module))


_finder = PluginFinder()


def install_finder() -> None:
    """Append the finder to ``sys.meta_path`` once (after the normal finders)."""
    if _finder not in sys.meta_path:
        sys.meta_path.append(_finder)
