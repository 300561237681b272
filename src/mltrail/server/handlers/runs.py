"""Run endpoints: ``runs/create``, ``get``, ``update``, ``delete``, ``restore``, ``search``,
``log-metric``, ``log-parameter``, ``set-tag``, ``delete-tag``, ``log-batch``, ``log-inputs``,
and mltrail's extensions ``runs/log-batch-inputs`` (a batch with dataset inputs),
``runs/finish`` (a last batch and the run's end), each one store transaction, and
``runs/heartbeat-owner`` / ``runs/release-owner`` (crashed-run detection).

Writes a client may retry are idempotent: an exact repeated metric row is kept
once by the store, a repeated param with the same value is accepted, tags are
overwritten, a repeated dataset input changes nothing.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from ...entities import DatasetInput, Metric, Param, RunStatus, RunTag
from ...exceptions import InvalidParameterError, ResourceAlreadyExistsError
from ...store.base import SEARCH_MAX_RESULTS_DEFAULT
from ...store.clock import now_ms
from ...store.rest.wire import REQUEST_ID_TAG, dataset_input_from_json, run_info_to_json, run_to_json
from ._common import paged, view_type

Req = dict[str, Any]

#: MLflow's log-batch limits (``mlflow.utils.validation``).
MAX_METRICS_PER_BATCH = 1000
MAX_PARAMS_TAGS_PER_BATCH = 100
MAX_ENTITIES_PER_BATCH = 1000


#: What a request token may look like (anything else is kept as a plain tag, not deduplicated).
_TOKEN = re.compile(r"[0-9A-Za-z-]{8,64}")
#: Namespace of the run ids derived from request tokens.
_TOKEN_IDS = uuid.UUID("6d6c7472-6169-6c00-8000-72756e696473")


def create(ctx, r: Req) -> Req:
    """``runs/create``; idempotent when the client sent a request token (tag ``mltrail.requestId``):
    a retry of a create whose answer was lost returns the run the first attempt made.

    The run's id is derived from the experiment, the token and the start time, so attempts
    reaching different workers or server instances at once still make one run (the database's
    primary key decides); the token itself is not stored.
    """
    tags = [RunTag(t["key"], t.get("value", "")) for t in r.get("tags", ())]
    experiment_id = r.get("experiment_id") or "0"
    token = next((t.value for t in tags if t.key == REQUEST_ID_TAG), None)
    run_id = None
    if token is not None and _TOKEN.fullmatch(token):
        tags = [t for t in tags if t.key != REQUEST_ID_TAG]
        run_id = uuid.uuid5(_TOKEN_IDS, f"{experiment_id}/{token}/{r.get('start_time')}").hex
    try:
        run = ctx.tracking_store.create_run(
            experiment_id, r.get("user_id", ""), r.get("start_time"), tags, r.get("run_name") or None,
            owner_id=r.get("mltrail_owner_id"), run_id=run_id,
        )
    except ResourceAlreadyExistsError:
        if run_id is None:
            raise
        run = ctx.tracking_store.get_run(run_id)  # an earlier attempt of this very create made it
    return {"run": run_to_json(run)}


def get(ctx, r: Req) -> Req:
    return {"run": run_to_json(ctx.tracking_store.get_run(r["run_id"]))}


def update(ctx, r: Req) -> Req:
    info = ctx.tracking_store.update_run_info(
        r["run_id"], r.get("status"), r.get("end_time"), r.get("run_name") or None, owner_id=r.get("mltrail_owner_id")
    )
    return {"run_info": run_info_to_json(info)}


def heartbeat_owner(ctx, r: Req) -> Req:
    """mltrail extension ``runs/heartbeat-owner``: the client's process is alive (see ``store.liveness``)."""
    ctx.tracking_store.heartbeat_owner(r["owner_id"], r["timeout_ms"], r.get("host", ""), r.get("pid", 0))
    return {}


def release_owner(ctx, r: Req) -> Req:
    """mltrail extension ``runs/release-owner``: the client's process ended cleanly."""
    ctx.tracking_store.release_owner(r["owner_id"])
    return {}


def delete(ctx, r: Req) -> Req:
    ctx.tracking_store.delete_run(r["run_id"])
    return {}


def restore(ctx, r: Req) -> Req:
    ctx.tracking_store.restore_run(r["run_id"])
    return {}


def search(ctx, r: Req) -> Req:
    page = ctx.tracking_store.search_runs(
        r.get("experiment_ids") or [],
        r.get("filter") or None,
        view_type(r.get("run_view_type")),
        r.get("max_results", SEARCH_MAX_RESULTS_DEFAULT),
        r.get("order_by") or None,
        r.get("page_token") or None,
    )
    return paged("runs", [run_to_json(run) for run in page], page.token)


def log_metric(ctx, r: Req) -> Req:
    ctx.tracking_store.log_metric(r["run_id"], Metric(r["key"], r["value"], r["timestamp"], r.get("step", 0)))
    return {}


def log_param(ctx, r: Req) -> Req:
    ctx.tracking_store.log_param(r["run_id"], Param(r["key"], r.get("value", "")))
    return {}


def set_tag(ctx, r: Req) -> Req:
    ctx.tracking_store.set_tag(r["run_id"], RunTag(r["key"], r.get("value", "")))
    return {}


def delete_tag(ctx, r: Req) -> Req:
    ctx.tracking_store.delete_tag(r["run_id"], r["key"])
    return {}


def _check_batch_limits(metrics: list, params: list, tags: list) -> None:
    if len(metrics) > MAX_METRICS_PER_BATCH:
        raise InvalidParameterError(
            f"A batch logging request can contain at most {MAX_METRICS_PER_BATCH} metrics. Got "
            f"{len(metrics)} metrics. Please split up metrics across multiple requests and try again."
        )
    if len(params) > MAX_PARAMS_TAGS_PER_BATCH or len(tags) > MAX_PARAMS_TAGS_PER_BATCH:
        raise InvalidParameterError(
            f"A batch logging request can contain at most {MAX_PARAMS_TAGS_PER_BATCH} params and "
            f"{MAX_PARAMS_TAGS_PER_BATCH} tags. Got {len(params)} params and {len(tags)} tags. "
            "Please split up params and tags across multiple requests and try again."
        )
    total = len(metrics) + len(params) + len(tags)
    if total > MAX_ENTITIES_PER_BATCH:
        raise InvalidParameterError(
            f"A batch logging request can contain at most {MAX_ENTITIES_PER_BATCH} metrics, params and "
            f"tags in total. Got {total}. Please split up the batch across multiple requests and try again."
        )


def _batch(r: Req) -> tuple[list[Metric], list[Param], list[RunTag], list[DatasetInput]]:
    metrics, params, tags = r.get("metrics", []), r.get("params", []), r.get("tags", [])
    _check_batch_limits(metrics, params, tags)
    return (
        [Metric(m["key"], m["value"], m["timestamp"], m.get("step", 0)) for m in metrics],
        [Param(p["key"], p.get("value", "")) for p in params],
        [RunTag(t["key"], t.get("value", "")) for t in tags],
        [dataset_input_from_json(d) for d in r.get("datasets", ())],
    )


def log_batch(ctx, r: Req) -> Req:
    """``runs/log-batch``, and the extension ``runs/log-batch-inputs`` (the same with ``datasets``)."""
    metrics, params, tags, datasets = _batch(r)
    ctx.tracking_store.log_batch(r["run_id"], metrics, params, tags, datasets)
    return {}


def finish(ctx, r: Req) -> Req:
    """mltrail extension ``runs/finish``: ``store.finish_run`` (batch, inputs and end, one transaction)."""
    metrics, params, tags, datasets = _batch(r)
    status = RunStatus.to_string(r["status"])
    info = ctx.tracking_store.finish_run(
        r["run_id"], status, r["end_time"] if "end_time" in r else now_ms(), metrics, params, tags, datasets
    )
    return {"run_info": run_info_to_json(info)}


def log_inputs(ctx, r: Req) -> Req:
    datasets = [dataset_input_from_json(d) for d in r.get("datasets", ())]
    if datasets:
        ctx.tracking_store.log_inputs(r["run_id"], datasets)
    return {}
