"""Stores, picked by the tracking URI's scheme.

>>> store = get_tracking_store("sqlite:///mlflow.db")
"""

from __future__ import annotations

import threading

from ..exceptions import InvalidParameterError
from .base import TrackingStore
from .registry_base import RegistryStore

_lock = threading.Lock()
_tracking_stores: dict[tuple[str, str | None], TrackingStore] = {}

_SQL_SCHEMES = ("sqlite", "postgresql", "postgres", "mysql", "mariadb", "mssql")


def get_tracking_store(uri: str, artifact_root: str | None = None) -> TrackingStore:
    """Return the (process-wide, cached) tracking store for ``uri``.

    Engines and schema checks are costly, so one store object serves every
    client in the process that names the same URI.
    """
    key = (uri, artifact_root)
    store = _tracking_stores.get(key)
    if store is not None:
        return store
    with _lock:
        store = _tracking_stores.get(key)
        if store is None:
            store = _make_tracking_store(uri, artifact_root)
            _tracking_stores[key] = store
        return store


def _make_tracking_store(uri: str, artifact_root: str | None) -> TrackingStore:
    scheme = uri.split(":", 1)[0].split("+", 1)[0].lower()
    if scheme in _SQL_SCHEMES:
        from .sql import SqlTrackingStore

        return SqlTrackingStore(uri, artifact_root)
    if scheme in ("http", "https"):
        try:
            from .rest import RestTrackingStore  # type: ignore[attr-defined]
        except ImportError:
            raise InvalidParameterError(
                f"Tracking URI {uri!r}: the REST store (mltrail server) is not available in this version"
            ) from None
        return RestTrackingStore(uri)
    raise InvalidParameterError(
        f"Unsupported tracking URI {uri!r}: the scheme must be one of "
        f"sqlite, postgresql, mysql (or a folder path)"
    )


def get_registry_store(uri: str, artifact_root: str | None = None) -> "RegistryStore":
    """Return the model-registry store for ``uri`` (it shares the tracking store's engine).

    >>> store = get_registry_store("sqlite:///mlflow.db")
    """
    scheme = uri.split(":", 1)[0].split("+", 1)[0].lower()
    if scheme in ("http", "https"):
        try:
            from .rest import RestRegistryStore  # type: ignore[attr-defined]
        except ImportError:
            raise InvalidParameterError(
                f"Registry URI {uri!r}: the REST store (mltrail server) is not available in this version"
            ) from None
        return RestRegistryStore(uri)
    from .sql.registry_store import SqlRegistryStore

    tracking = get_tracking_store(uri, artifact_root)
    return SqlRegistryStore(tracking.engine, tracking.default_artifact_root)  # type: ignore[attr-defined]


def _clear_store_cache() -> None:
    """Forget cached stores (tests use it after deleting database files)."""
    with _lock:
        for store in _tracking_stores.values():
            close = getattr(store, "close", None)
            if close:
                close()
        _tracking_stores.clear()


__all__ = ["RegistryStore", "TrackingStore", "get_registry_store", "get_tracking_store"]
