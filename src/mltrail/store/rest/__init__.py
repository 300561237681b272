"""The tracking and registry stores over HTTP: a ``mltrail server`` (or any MLflow-compatible
server) reached by an ``http://`` / ``https://`` tracking URI.

    store = get_tracking_store("http://127.0.0.1:5000")   # -> RestTrackingStore
"""

from __future__ import annotations

from ...lazy_names import lazy_getattr

__all__ = ["RestRegistryStore", "RestTrackingStore"]
__getattr__ = lazy_getattr(__name__, {"RestTrackingStore": ".tracking", "RestRegistryStore": ".registry"})
