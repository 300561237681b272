"""The UI's writes: POST ``/ajax-api/ui/...`` with a JSON body, each one store or client call.

Only ``application/json`` bodies are accepted, so a cross-site HTML form
cannot trigger a write (browsers preflight cross-origin JSON requests).
Answers are ``{"ok": true, ...}`` or an error body with its status.

>>> # POST /ajax-api/ui/models/transition {"name": "m", "version": "1", "stage": "Production", "archive_existing": true}
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..._system_tags import current_user
from ...artifacts.base import normalize_artifact_path
from ...entities import RunTag
from ...exceptions import InvalidParameterError, ResourceAlreadyExistsError
from .pages import get_run, registry_store, tracking_store
from .rendering import ajax_handler, json_body, required


def _client(request: Request) -> Any:
    """A Client over the server's own stores (registration copies files through it)."""
    from ...client import Client

    store = tracking_store(request)
    client = Client(tracking_uri=getattr(store, "db_uri", None) or "sqlite:///mltrail.db")
    client.__dict__["_tracking_store"] = store  # the cached properties, pinned to the server's stores
    client.__dict__["_registry_store"] = registry_store(request)
    return client


async def _body(request: Request) -> dict[str, Any]:
    if not request.headers.get("content-type", "").startswith("application/json"):
        raise InvalidParameterError("UI writes take a JSON body (Content-Type: application/json)")
    return await json_body(request)


def _ok(**extra: Any) -> Response:
    return JSONResponse({"ok": True, **extra})


@ajax_handler
async def create_experiment(request: Request) -> Response:
    """``{"name"}`` -> ``{"experiment_id"}``."""
    body = await _body(request)
    return _ok(experiment_id=tracking_store(request).create_experiment(required(body, "name")))


@ajax_handler
async def rename_experiment(request: Request) -> Response:
    """``{"experiment_id", "new_name"}``."""
    body = await _body(request)
    tracking_store(request).rename_experiment(required(body, "experiment_id"), required(body, "new_name"))
    return _ok()


@ajax_handler
async def delete_experiment(request: Request) -> Response:
    """``{"experiment_id"}``: soft delete (restorable)."""
    body = await _body(request)
    tracking_store(request).delete_experiment(required(body, "experiment_id"))
    return _ok()


@ajax_handler
async def restore_experiment(request: Request) -> Response:
    """``{"experiment_id"}``."""
    body = await _body(request)
    tracking_store(request).restore_experiment(required(body, "experiment_id"))
    return _ok()


@ajax_handler
async def set_run_tag(request: Request) -> Response:
    """``{"run_id", "key", "value"}`` (validated by the store like any tag)."""
    body = await _body(request)
    run = get_run(request, required(body, "run_id"))
    value = body.get("value", "")
    if not isinstance(value, str):
        raise InvalidParameterError(f"Invalid tag value {value!r}: must be a string")
    tracking_store(request).set_tag(run.info.run_id, RunTag(required(body, "key"), value))
    return _ok()


@ajax_handler
async def delete_run_tag(request: Request) -> Response:
    """``{"run_id", "key"}``."""
    body = await _body(request)
    run = get_run(request, required(body, "run_id"))
    tracking_store(request).delete_tag(run.info.run_id, required(body, "key"))
    return _ok()


@ajax_handler
async def register_model(request: Request) -> Response:
    """``{"run_id", "path", "name"}``: register the run's model folder as the next version of ``name``
    (the model is created when new)."""
    body = await _body(request)
    run = get_run(request, required(body, "run_id"))
    path = normalize_artifact_path(required(body, "path"))
    name = required(body, "name")
    client = _client(request)
    try:  # as mltrail.register_model: the model is created with its first version
        client.create_registered_model(name)
    except ResourceAlreadyExistsError:
        pass
    mv = client.create_model_version(name, f"runs:/{run.info.run_id}/{path}", run_id=run.info.run_id)
    return _ok(name=mv.name, version=mv.version)


@ajax_handler
async def transition_stage(request: Request) -> Response:
    """``{"name", "version", "stage", "archive_existing"}``."""
    body = await _body(request)
    archive = body.get("archive_existing", False)
    if not isinstance(archive, bool):
        raise InvalidParameterError(f"Invalid archive_existing {archive!r}: must be true or false")
    mv = registry_store(request).transition_model_version_stage(
        required(body, "name"), required(body, "version"), required(body, "stage"), archive, current_user()
    )
    return _ok(stage=mv.current_stage)


@ajax_handler
async def set_alias(request: Request) -> Response:
    """``{"name", "alias", "version"}``."""
    body = await _body(request)
    registry_store(request).set_registered_model_alias(
        required(body, "name"), required(body, "alias"), required(body, "version")
    )
    return _ok()


@ajax_handler
async def delete_alias(request: Request) -> Response:
    """``{"name", "alias"}``."""
    body = await _body(request)
    registry_store(request).delete_registered_model_alias(required(body, "name"), required(body, "alias"))
    return _ok()


@ajax_handler
async def update_description(request: Request) -> Response:
    """``{"name", "description"}`` for a model, plus ``"version"`` for a version."""
    body = await _body(request)
    description = body.get("description", "")
    if not isinstance(description, str):
        raise InvalidParameterError(f"Invalid description {description!r}: must be a string")
    store = registry_store(request)
    if body.get("version"):
        store.update_model_version(required(body, "name"), required(body, "version"), description)
    else:
        store.update_registered_model(required(body, "name"), description)
    return _ok()


def _tag_value(body: dict[str, Any]) -> str:
    value = body.get("value", "")
    if not isinstance(value, str):
        raise InvalidParameterError(f"Invalid tag value {value!r}: must be a string")
    return value


@ajax_handler
async def set_experiment_tag(request: Request) -> Response:
    """``{"experiment_id", "key", "value"}`` (validated by the store like any experiment tag)."""
    body = await _body(request)
    store = tracking_store(request)
    experiment_id = str(required(body, "experiment_id"))
    store.get_experiment(experiment_id)  # a missing experiment is a 404 naming it
    store.set_experiment_tag(experiment_id, required(body, "key"), _tag_value(body))
    return _ok()


@ajax_handler
async def set_model_tag(request: Request) -> Response:
    """``{"name", "key", "value"}`` for a registered model, plus ``"version"`` for one of its versions."""
    body = await _body(request)
    store = registry_store(request)
    if body.get("version"):
        store.set_model_version_tag(required(body, "name"), required(body, "version"), required(body, "key"),
                                    _tag_value(body))
    else:
        store.set_registered_model_tag(required(body, "name"), required(body, "key"), _tag_value(body))
    return _ok()


@ajax_handler
async def delete_model_tag(request: Request) -> Response:
    """``{"name", "key"}`` for a registered model, plus ``"version"`` for one of its versions."""
    body = await _body(request)
    store = registry_store(request)
    if body.get("version"):
        store.delete_model_version_tag(required(body, "name"), required(body, "version"), required(body, "key"))
    else:
        store.delete_registered_model_tag(required(body, "name"), required(body, "key"))
    return _ok()
