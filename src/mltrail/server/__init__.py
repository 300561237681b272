"""The tracking server: MLflow's REST API, the artifact proxy and the UI, as one ASGI app.

Nothing here is imported by ``import mltrail``; Starlette loads when a server starts::

    from mltrail.server import create_app
    app = create_app(backend_store_uri="sqlite:///mlflow.db")
"""

from __future__ import annotations

from typing import Any


def create_app(*args: Any, **kwargs: Any) -> Any:
    """See :func:`mltrail.server.app.create_app`.

    >>> app = create_app(backend_store_uri="sqlite:///mlflow.db")
    """
    from .app import create_app as _create_app

    return _create_app(*args, **kwargs)


__all__ = ["create_app"]
