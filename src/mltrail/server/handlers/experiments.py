"""Experiment endpoints: ``experiments/create``, ``get``, ``get-by-name``, ``search``, ``update``,
``delete``, ``restore``, ``set-experiment-tag``."""

from __future__ import annotations

from typing import Any

from ...exceptions import ResourceNotFoundError
from ...store.base import SEARCH_MAX_RESULTS_DEFAULT
from ...store.rest.wire import experiment_to_json
from ._common import paged, tag_dict, view_type

Req = dict[str, Any]


def create(ctx, r: Req) -> Req:
    tags = tag_dict(r.get("tags"))
    return {"experiment_id": ctx.tracking_store.create_experiment(r["name"], r.get("artifact_location") or None, tags or None)}


def get(ctx, r: Req) -> Req:
    return {"experiment": experiment_to_json(ctx.tracking_store.get_experiment(r["experiment_id"]))}


def get_by_name(ctx, r: Req) -> Req:
    experiment = ctx.tracking_store.get_experiment_by_name(r["experiment_name"])
    if experiment is None:
        raise ResourceNotFoundError(f"Could not find experiment with name {r['experiment_name']!r}")
    return {"experiment": experiment_to_json(experiment)}


def search(ctx, r: Req) -> Req:
    page = ctx.tracking_store.search_experiments(
        view_type(r.get("view_type")),
        r.get("max_results", SEARCH_MAX_RESULTS_DEFAULT),
        r.get("filter") or None,
        r.get("order_by") or None,
        r.get("page_token") or None,
    )
    return paged("experiments", [experiment_to_json(e) for e in page], page.token)


def update(ctx, r: Req) -> Req:
    if r.get("new_name"):
        ctx.tracking_store.rename_experiment(r["experiment_id"], r["new_name"])
    return {}


def delete(ctx, r: Req) -> Req:
    ctx.tracking_store.delete_experiment(r["experiment_id"])
    return {}


def restore(ctx, r: Req) -> Req:
    ctx.tracking_store.restore_experiment(r["experiment_id"])
    return {}


def set_tag(ctx, r: Req) -> Req:
    ctx.tracking_store.set_experiment_tag(r["experiment_id"], r["key"], r.get("value", ""))
    return {}


def delete_tag(ctx, r: Req) -> Req:
    ctx.tracking_store.delete_experiment_tag(r["experiment_id"], r["key"])
    return {}
