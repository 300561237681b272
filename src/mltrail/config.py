"""Where mltrail stores things: the tracking URI and the default artifact root.

Resolution order for the tracking URI: ``set_tracking_uri()`` in this process,
then the ``MLTRAIL_TRACKING_URI`` environment variable (``MLFLOW_TRACKING_URI``
is honoured too, so existing setups keep working), then the embedded default
``sqlite:///mltrail.db`` in the working directory. Artifacts default to
``./mltrail-artifacts`` beside it (``MLTRAIL_ARTIFACT_ROOT`` overrides)::

    import mltrail
    mltrail.set_tracking_uri("sqlite:///mlflow.db")
    mltrail.get_tracking_uri()   # 'sqlite:///mlflow.db'
"""

from __future__ import annotations

import os
import threading

DEFAULT_TRACKING_URI = "sqlite:///mltrail.db"
DEFAULT_ARTIFACT_DIR = "mltrail-artifacts"
TRACKING_URI_ENV = "MLTRAIL_TRACKING_URI"
REGISTRY_URI_ENV = "MLTRAIL_REGISTRY_URI"
ARTIFACT_ROOT_ENV = "MLTRAIL_ARTIFACT_ROOT"

_lock = threading.Lock()
_tracking_uri: str | None = None
_registry_uri: str | None = None


def set_tracking_uri(uri: "str | os.PathLike[str]") -> None:
    """Set the tracking URI for this process (``sqlite:///...``, ``postgresql://...``, a folder path).

    >>> set_tracking_uri("sqlite:///mlflow.db")
    """
    global _tracking_uri
    with _lock:
        _tracking_uri = None if uri is None else normalise_uri(os.fspath(uri))


def get_tracking_uri() -> str:
    """Return the tracking URI in force (see the module docstring for the order).

    >>> get_tracking_uri()
    'sqlite:///mltrail.db'
    """
    if _tracking_uri is not None:
        return _tracking_uri
    env = os.environ.get(TRACKING_URI_ENV) or os.environ.get("MLFLOW_TRACKING_URI")
    return normalise_uri(env) if env else DEFAULT_TRACKING_URI


def is_tracking_uri_set() -> bool:
    """True when a tracking URI was set by ``set_tracking_uri`` or the environment (MLflow's function).

    >>> set_tracking_uri("sqlite:///mlflow.db"); is_tracking_uri_set()
    True
    """
    return _tracking_uri is not None or bool(os.environ.get(TRACKING_URI_ENV) or os.environ.get("MLFLOW_TRACKING_URI"))


def set_registry_uri(uri: "str | None") -> None:
    """Set the model-registry URI for this process (defaults to the tracking URI)."""
    global _registry_uri
    with _lock:
        _registry_uri = None if uri is None else normalise_uri(os.fspath(uri))


def get_registry_uri() -> str:
    """Return the registry URI in force: set_registry_uri, MLTRAIL_REGISTRY_URI, else the tracking URI."""
    if _registry_uri is not None:
        return _registry_uri
    env = os.environ.get(REGISTRY_URI_ENV) or os.environ.get("MLFLOW_REGISTRY_URI")
    return normalise_uri(env) if env else get_tracking_uri()


def default_artifact_root(tracking_uri: str) -> str:
    """The artifact root used when an experiment names none.

    ``MLTRAIL_ARTIFACT_ROOT`` wins; for a SQLite file it is
    ``mltrail-artifacts`` beside the database file; otherwise
    ``./mltrail-artifacts`` in the working directory. Always an absolute path.
    """
    env = os.environ.get(ARTIFACT_ROOT_ENV)
    if env:
        return env if "://" in env else os.path.abspath(env)
    if tracking_uri.startswith("sqlite:///") and tracking_uri != "sqlite:///:memory:":
        db_path = tracking_uri[len("sqlite:///"):].split("?", 1)[0]
        return os.path.join(os.path.dirname(os.path.abspath(db_path)), DEFAULT_ARTIFACT_DIR)
    return os.path.abspath(DEFAULT_ARTIFACT_DIR)


def normalise_uri(uri: str) -> str:
    """A bare path or ``file:`` URI becomes a SQLite file URI; other URIs pass through.

    The rule ``set_tracking_uri`` applies, for anything else that takes a store URI
    (``mltrail server --backend-store-uri``).

    >>> normalise_uri("postgresql://db/mlflow")
    'postgresql://db/mlflow'
    >>> normalise_uri("/data/mlflow.db")
    'sqlite:////data/mlflow.db'
    """
    if "://" in uri:
        if uri.startswith("file://"):
            path = uri[len("file://"):]
            return _path_to_sqlite(path)
        return uri
    return _path_to_sqlite(uri)


def _path_to_sqlite(path: str) -> str:
    path = os.path.abspath(os.path.expanduser(path))
    if os.path.isdir(path):
        path = os.path.join(path, "mltrail.db")
    return "sqlite:///" + path
