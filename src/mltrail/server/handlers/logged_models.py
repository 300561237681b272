"""MLflow 3 logged-model endpoints (``logged-models``, ``logged-models/{model_id}``..., ``runs/outputs``).

The 3.x client calls them on every ``log_model`` (create, then finalize) and
on every ``runs:/`` download (search by source run and name). Each handler is
a few lines over the tracking store's logged-model methods.
"""

from __future__ import annotations

from typing import Any

from ...entities import LoggedModelOutput
from ...exceptions import InvalidParameterError
from ...store.rest.logged_model_wire import logged_model_to_json, status_from_json
from ._common import tag_dict

Req = dict[str, Any]


def _model(m) -> Req:
    return {"model": logged_model_to_json(m)}


def create(ctx, r: Req) -> Req:
    return _model(ctx.tracking_store.create_logged_model(
        r["experiment_id"], name=r.get("name") or None, source_run_id=r.get("source_run_id") or None,
        tags=tag_dict(r.get("tags")) or None, params=tag_dict(r.get("params")) or None,
        model_type=r.get("model_type") or None,
    ))


def get(ctx, r: Req) -> Req:
    return _model(ctx.tracking_store.get_logged_model(r["model_id"]))


def finalize(ctx, r: Req) -> Req:
    if r.get("status") is None:
        raise InvalidParameterError("Missing value for required parameter 'status'")
    return _model(ctx.tracking_store.finalize_logged_model(
        r["model_id"], status_from_json(r["status"]), mlmodel_sha256=r.get("mltrail_mlmodel_sha256") or None,
    ))


def delete(ctx, r: Req) -> Req:
    ctx.tracking_store.delete_logged_model(r["model_id"])
    return {}


def set_tags(ctx, r: Req) -> Req:
    ctx.tracking_store.set_logged_model_tags(r["model_id"], tag_dict(r.get("tags")))
    return {}


def delete_tag(ctx, r: Req) -> Req:
    ctx.tracking_store.delete_logged_model_tag(r["model_id"], r["tag_key"])
    return {}


def log_params(ctx, r: Req) -> Req:
    ctx.tracking_store.log_logged_model_params(r["model_id"], tag_dict(r.get("params")))
    return {}


def search(ctx, r: Req) -> Req:
    order_by = [
        {k: v for k, v in o.items() if v is not None} for o in r.get("order_by") or ()
    ]
    page = ctx.tracking_store.search_logged_models(
        r.get("experiment_ids") or [], filter_string=r.get("filter") or None,
        datasets=[{k: v for k, v in d.items() if v is not None} for d in r.get("datasets") or ()] or None,
        max_results=r.get("max_results"), order_by=order_by or None, page_token=r.get("page_token") or None,
    )
    body: Req = {"models": [logged_model_to_json(m) for m in page]}
    if page.token:
        body["next_page_token"] = page.token
    return body


def log_outputs(ctx, r: Req) -> Req:
    outputs = [LoggedModelOutput(m["model_id"], int(m.get("step") or 0)) for m in r.get("models") or ()]
    ctx.tracking_store.log_outputs(r["run_id"], outputs)
    return {}
