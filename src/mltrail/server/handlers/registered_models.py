"""Registered-model endpoints: ``registered-models/create``, ``get``, ``update``, ``rename``, ``delete``,
``search``, ``get-latest-versions``, ``set-tag``, ``delete-tag`` and ``alias`` (set, delete, get)."""

from __future__ import annotations

from typing import Any

from ...store.registry_base import SEARCH_REGISTERED_MODEL_MAX_RESULTS_DEFAULT
from ...store.rest.wire import model_version_to_json, registered_model_to_json
from ._common import paged, tag_dict

Req = dict[str, Any]


def _model(rm) -> Req:
    return {"registered_model": registered_model_to_json(rm)}


def create(ctx, r: Req) -> Req:
    tags = tag_dict(r.get("tags"))
    return _model(ctx.registry_store.create_registered_model(r["name"], tags or None, r.get("description")))


def get(ctx, r: Req) -> Req:
    return _model(ctx.registry_store.get_registered_model(r["name"]))


def update(ctx, r: Req) -> Req:
    return _model(ctx.registry_store.update_registered_model(r["name"], r.get("description")))


def rename(ctx, r: Req) -> Req:
    model = _model(ctx.registry_store.rename_registered_model(r["name"], r["new_name"]))
    if getattr(ctx, "auth", None) is not None:  # permissions follow the model to its new name
        ctx.auth.store.rename_registered_model(r["name"], r["new_name"])
        ctx.auth.forget("registered_model", r["name"])
    return model


def delete(ctx, r: Req) -> Req:
    ctx.client.delete_registered_model(r["name"])  # the client removes the registered copies too
    if getattr(ctx, "auth", None) is not None:  # a new model of that name starts with no grants
        ctx.auth.store.delete_resource("registered_model", r["name"])
        ctx.auth.forget("registered_model", r["name"])
    return {}


def search(ctx, r: Req) -> Req:
    page = ctx.registry_store.search_registered_models(
        r.get("filter") or None,
        r.get("max_results", SEARCH_REGISTERED_MODEL_MAX_RESULTS_DEFAULT),
        r.get("order_by") or None,
        r.get("page_token") or None,
    )
    return paged("registered_models", [registered_model_to_json(m) for m in page], page.token)


def get_latest_versions(ctx, r: Req) -> Req:
    versions = ctx.registry_store.get_latest_versions(r["name"], r.get("stages") or None)
    return {"model_versions": [model_version_to_json(v) for v in versions]}


def set_tag(ctx, r: Req) -> Req:
    ctx.registry_store.set_registered_model_tag(r["name"], r["key"], r.get("value", ""))
    return {}


def delete_tag(ctx, r: Req) -> Req:
    ctx.registry_store.delete_registered_model_tag(r["name"], r["key"])
    return {}


def set_alias(ctx, r: Req) -> Req:
    ctx.registry_store.set_registered_model_alias(r["name"], r["alias"], r["version"])
    return {}


def delete_alias(ctx, r: Req) -> Req:
    ctx.registry_store.delete_registered_model_alias(r["name"], r["alias"])
    return {}


def get_by_alias(ctx, r: Req) -> Req:
    return {"model_version": model_version_to_json(ctx.registry_store.get_model_version_by_alias(r["name"], r["alias"]))}
