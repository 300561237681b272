"""The UI's JSON reads under ``/ajax-api/ui/``: table pages, groups, histories, compare and sweep data.

Each is a few lines over :mod:`.queries`, :mod:`.history`, :mod:`.sweep` or
the store API; errors come back as ``{"error_code", "message", "position"}``
with the matching HTTP status.

>>> # GET /ajax-api/ui/runs?experiments=1&filter=metrics.rmse<7&cols=metrics.rmse:min&sort=metrics.rmse:min&dir=asc
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ...exceptions import InvalidParameterError
from . import artifact_views
from .columns import parse_column, parse_columns
from .diagnostics import load_diagnostic
from .history import metric_histories, stepped_metrics
from .pages import get_run, tracking_store
from .queries import change_marker, column_keys, group_runs, json_number, runs_page
from .rendering import ajax_handler, int_arg, list_arg
from .sweep import child_runs, sweep_data

DEFAULT_METRIC_COLUMNS = 5
DEFAULT_PARAM_COLUMNS = 5
MAX_COMPARED_RUNS = 1000


def _experiments(request: Request) -> list[str]:
    ids = list_arg(request, "experiments")
    if not ids:
        raise InvalidParameterError("Missing experiments=<id>[,<id>...]")
    return ids


def _default_columns(keys: dict[str, list[str]]) -> str:
    metrics = keys.get("metrics", [])[:DEFAULT_METRIC_COLUMNS]
    params = keys.get("params", [])[:DEFAULT_PARAM_COLUMNS]
    return ",".join([f"metrics.{k}" for k in metrics] + [f"params.{k}" for k in params])


@ajax_handler
async def runs_data(request: Request) -> Response:
    """A page of the runs table (see :func:`.queries.runs_page` for the parameters' meaning)."""
    q = request.query_params
    store = tracking_store(request)
    experiments = _experiments(request)
    cols_text = q.get("cols")
    if cols_text is None:  # first visit: the experiments' first metrics and params
        cols_text = _default_columns(column_keys(store, experiments, limit=DEFAULT_METRIC_COLUMNS + 1))
    columns = parse_columns(cols_text)
    sort = parse_column(q["sort"]) if q.get("sort") else None
    direction = q.get("dir", "desc").lower()
    if direction not in ("asc", "desc"):
        raise InvalidParameterError(f"Invalid dir={direction!r}: must be asc or desc")
    ids = list_arg(request, "ids")
    page = runs_page(
        store, experiments, q.get("filter") or None, columns, sort=sort, ascending=direction == "asc",
        view=q.get("view", "ACTIVE_ONLY"), nested=q.get("nested", "1") != "0", parent_id=q.get("parent") or None,
        limit=int_arg(request, "limit", 100), offset=int_arg(request, "offset", 0), run_ids=ids or None,
    )
    page["columns"] = [c.name for c in columns]
    page["marker"] = change_marker(store, experiments)  # live polling compares it with /changes
    return JSONResponse(page)


@ajax_handler
async def keys_data(request: Request) -> Response:
    """The param, metric and tag keys of the experiments (the column chooser's choices)."""
    return JSONResponse(column_keys(tracking_store(request), _experiments(request)))


@ajax_handler
async def groups_data(request: Request) -> Response:
    """Matching runs grouped by ``group`` (a param or tag) with mean/min/max of ``metric``."""
    q = request.query_params
    if not q.get("group"):
        raise InvalidParameterError("Missing group=params.<key> or tags.<key>")
    metric = parse_column(q["metric"]) if q.get("metric") else None
    groups = group_runs(tracking_store(request), _experiments(request), q.get("filter") or None,
                        parse_column(q["group"]), metric, view=q.get("view", "ACTIVE_ONLY"))
    return JSONResponse({"groups": groups})


@ajax_handler
async def changes_data(request: Request) -> Response:
    """A fingerprint of the experiments' runs; the table reloads when it changes."""
    return JSONResponse({"marker": change_marker(tracking_store(request), _experiments(request))})


@ajax_handler
async def history_data(request: Request) -> Response:
    """Downsampled histories of metric ``key`` for ``runs`` (optionally a step range)."""
    q = request.query_params
    key = q.get("key")
    if not key:
        raise InvalidParameterError("Missing key=<metric key>")
    min_step = int_arg(request, "min_step", 0) if q.get("min_step") else None
    max_step = int_arg(request, "max_step", 0) if q.get("max_step") else None
    # (off the event loop: reading a 100,000-step history must not hold up the page's other requests)
    series = await run_in_threadpool(metric_histories, tracking_store(request), list_arg(request, "runs"), key,
                                     int_arg(request, "max_points", 2000), min_step, max_step)
    return JSONResponse({"key": key, "series": series})


def _compare_row(run: Any) -> dict[str, Any]:
    return {
        "run_id": run.info.run_id,
        "run_name": run.info.run_name,
        "status": run.info.status,
        "params": dict(run.data.params),
        "metrics": {k: json_number(v) for k, v in run.data.metrics.items()},
    }


@ajax_handler
async def compare_data(request: Request) -> Response:
    """Params and last metric values of the chosen runs, or of a parent run's children, and the metrics
    among them that have a history (``stepped``)."""
    store = tracking_store(request)
    parent_id = request.query_params.get("parent")
    if parent_id:
        runs = child_runs(store, get_run(request, parent_id))
    else:
        ids = list_arg(request, "runs")
        if len(ids) > MAX_COMPARED_RUNS:
            raise InvalidParameterError(f"Too many runs to compare ({len(ids)}): at most {MAX_COMPARED_RUNS}")
        runs = [get_run(request, run_id) for run_id in ids]
    runs = runs[:MAX_COMPARED_RUNS]
    stepped = await run_in_threadpool(stepped_metrics, store, [r.info.run_id for r in runs])
    return JSONResponse({"runs": [_compare_row(r) for r in runs], "stepped": stepped})


@ajax_handler
async def sweep_json(request: Request) -> Response:
    """A sweep's trials, best-so-far curve, best trial and parameter importance."""
    run = get_run(request, request.path_params["run_id"])
    return JSONResponse(await run_in_threadpool(sweep_data, tracking_store(request), run))


@ajax_handler
async def artifacts_data(request: Request) -> Response:
    """The entries of a run's artifact folder (``path`` relative to its root)."""
    run = get_run(request, request.query_params.get("run_id", ""))
    models = artifact_views.run_models(tracking_store(request), run)
    files = await run_in_threadpool(artifact_views.list_entries, run, request.query_params.get("path"), models)
    return JSONResponse({"files": files})  # off the event loop: remote storage (S3) may be slow


@ajax_handler
async def preview_data(request: Request) -> Response:
    """A file's preview (text, table rows, or just its kind for images/HTML/binaries)."""
    run = get_run(request, request.query_params.get("run_id", ""))
    models = artifact_views.run_models(tracking_store(request), run)
    return JSONResponse(await run_in_threadpool(artifact_views.preview, run, request.query_params.get("path", ""), models))


@ajax_handler
async def diagnostic_data(request: Request) -> Response:
    """One autologged diagnostic's data, checked (``run_id``, ``path`` of its JSON artifact)."""
    run = get_run(request, request.query_params.get("run_id", ""))
    return JSONResponse(await run_in_threadpool(load_diagnostic, run, request.query_params.get("path", "")))
