"""The tracking and registry stores over HTTP: a ``mltrail server`` (or any MLflow-compatible
server) reached by an ``http://`` / ``https://`` tracking URI.

    store = get_tracking_store("http://127.0.0.1:5000")   # -> RestTrackingStore
"""

from __future__ import annotations

from typing import Any

__all__ = ["RestRegistryStore", "RestTrackingStore"]


def __getattr__(name: str) -> Any:
    if name == "RestTrackingStore":
        from .tracking import RestTrackingStore

        return RestTrackingStore
    if name == "RestRegistryStore":
        from .registry import RestRegistryStore

        return RestRegistryStore
    raise AttributeError(name)
