"""Fluent ``register_model``: register a logged model as the next version of a named model.

    import mltrail as mlflow
    mv = mlflow.register_model(model_uri=f"runs:/{run_id}/models", name="nyc-taxi-regressor")
    mv.version   # 1, then 2, ...
"""

from __future__ import annotations

from typing import Any, Callable, Optional, Sequence, Union

from ..client import Client
from ..client.registry_storage import register_version
from ..entities import ModelVersion, PagedList, RegisteredModel


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
    (1, 'READY')
    """
    return register_version(Client(), name, model_uri, tags=tags, create_model=True)


def _all_pages(search: Callable[..., PagedList], max_results: Optional[int], **kwargs: Any) -> list:
    """Follow page tokens until ``max_results`` items (every item when None)."""
    found: list = []
    token = None
    while max_results is None or len(found) < max_results:
        page_size = 1000 if max_results is None else min(1000, max_results - len(found))
        page = search(max_results=page_size, page_token=token, **kwargs)
        found.extend(page)
        token = page.token
        if not token:
            break
    return found


def search_registered_models(
    max_results: Optional[int] = None,
    filter_string: Optional[str] = None,
    order_by: Optional[Sequence[str]] = None,
) -> list[RegisteredModel]:
    """Every registered model matching the filter (MLflow's fluent function; no paging to do).

    >>> [m.name for m in search_registered_models(filter_string="name LIKE 'nyc-%'")]
    ['nyc-taxi-regressor']
    """
    return _all_pages(
        Client().search_registered_models, max_results, filter_string=filter_string, order_by=order_by
    )


def search_model_versions(
    max_results: Optional[int] = None,
    filter_string: Optional[str] = None,
    order_by: Optional[Sequence[str]] = None,
) -> list[ModelVersion]:
    """Every model version matching the filter (MLflow's fluent function; no paging to do).

    >>> [v.version for v in search_model_versions(filter_string="name = 'nyc-taxi-regressor'")]
    [2, 1]
    """
    return _all_pages(Client().search_model_versions, max_results, filter_string=filter_string, order_by=order_by)


def set_model_version_tag(
    name: str, version: Optional[Union[int, str]] = None, key: Optional[str] = None, value: Any = None
) -> None:
    """Set a tag on a registered model version (MLflow's fluent function).

    >>> mlflow.set_model_version_tag("nyc-taxi-regressor", 1, "validated", "true")
    """
    Client().set_model_version_tag(name, version, key, value)


__all__ = ["register_model", "search_model_versions", "search_registered_models", "set_model_version_tag"]
