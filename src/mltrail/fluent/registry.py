"""Fluent ``register_model``: register a logged model as the next version of a named model.

    import mltrail as mlflow
    mv = mlflow.register_model(model_uri=f"runs:/{run_id}/models", name="nyc-taxi-regressor")
    mv.version   # '1', then '2', ...
"""

from __future__ import annotations

from typing import Any, Optional

from ..client import Client
from ..client.registry_storage import register_version
from ..entities import ModelVersion


def register_model(
    model_uri: str,
    name: str,
    await_registration_for: int = 300,
    *,
    tags: Optional[dict[str, Any]] = None,
) -> ModelVersion:
    """Register the model at ``model_uri`` under ``name`` (created if it does not exist yet).

    ``model_uri`` is ``runs:/<run_id>/<path>``, a local path or an artifact
    URI holding an MLmodel file. The version's files are copied into the
    registry's storage, so it stays as registered. A source that holds no
    MLmodel file is refused before anything (even the model) is created. ``tags`` go on the new
    version. ``await_registration_for`` is accepted for MLflow compatibility.

    >>> mv = register_model(f"runs:/{run_id}/model", "nyc-taxi-regressor", tags={"stage": "candidate"})
    >>> mv.version, mv.status
    ('1', 'READY')
    """
    return register_version(Client(), name, model_uri, tags=tags, create_model=True)


__all__ = ["register_model"]
