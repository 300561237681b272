"""Fluent ``register_model``: register a logged model as the next version of a named model.

    import mltrail as mlflow
    mv = mlflow.register_model(model_uri=f"runs:/{run_id}/models", name="nyc-taxi-regressor")
    mv.version   # '1', then '2', ...
"""

from __future__ import annotations

from typing import Any, Optional

from ..client import Client
from ..entities import ModelVersion
from ..exceptions import ResourceAlreadyExistsError


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
    registry's storage, so it stays as registered. ``tags`` go on the new
    version. ``await_registration_for`` is accepted for MLflow compatibility.

    >>> mv = register_model(f"runs:/{run_id}/model", "nyc-taxi-regressor", tags={"stage": "candidate"})
    >>> mv.version, mv.status
    ('1', 'READY')
    """
    client = Client()
    try:
        client.create_registered_model(name)
    except ResourceAlreadyExistsError:
        pass
    return client.create_model_version(name, model_uri, tags=tags, await_registration_for=await_registration_for)


__all__ = ["register_model"]
