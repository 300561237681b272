"""Metric history endpoints: ``metrics/get-history`` (paged) and ``metrics/get-history-bulk-interval``
(several runs' values of one metric over a step range, sampled down to ``max_results`` steps)."""

from __future__ import annotations

from typing import Any

from ...exceptions import InvalidParameterError
from ...store.rest.wire import metric_to_json
from ._common import paged

Req = dict[str, Any]

#: MLflow's caps for the bulk-interval endpoint.
MAX_RUNS_PER_BULK_REQUEST = 100
MAX_RESULTS_PER_RUN = 2500
DEFAULT_RESULTS_PER_RUN = 320


def _offset(token: Any) -> int:
    try:
        offset = int(token)
    except (TypeError, ValueError):
        raise InvalidParameterError(f"Invalid page_token {token!r}: pass the next_page_token of the previous page") from None
    if offset < 0:
        raise InvalidParameterError(f"Invalid page_token {token!r}: pass the next_page_token of the previous page")
    return offset


def get_history(ctx, r: Req) -> Req:
    history = ctx.tracking_store.get_metric_history(r["run_id"], r["metric_key"])
    max_results = r.get("max_results")
    if max_results is None and not r.get("page_token"):
        return {"metrics": [metric_to_json(m) for m in history]}
    if max_results is not None and max_results < 1:
        raise InvalidParameterError(f"Invalid max_results {max_results}: must be a positive integer")
    start = _offset(r["page_token"]) if r.get("page_token") else 0
    end = len(history) if max_results is None else start + max_results
    token = str(end) if end < len(history) else None
    return paged("metrics", [metric_to_json(m) for m in history[start:end]], token)


def _sample_steps(steps: list[int], max_results: int) -> set[int]:
    """At most ``max_results`` of the sorted ``steps``, evenly spread, first and last kept."""
    if len(steps) <= max_results:
        return set(steps)
    if max_results == 1:
        return {steps[0]}
    span = len(steps) - 1
    return {steps[round(i * span / (max_results - 1))] for i in range(max_results)}


def get_history_bulk_interval(ctx, r: Req) -> Req:
    run_ids = r["run_ids"]
    if len(run_ids) > MAX_RUNS_PER_BULK_REQUEST:
        raise InvalidParameterError(
            f"Too many run_ids ({len(run_ids)}): at most {MAX_RUNS_PER_BULK_REQUEST} per request"
        )
    max_results = r.get("max_results", DEFAULT_RESULTS_PER_RUN)
    if not 1 <= max_results <= MAX_RESULTS_PER_RUN:
        raise InvalidParameterError(f"Invalid max_results {max_results}: must be between 1 and {MAX_RESULTS_PER_RUN}")
    start, end = r.get("start_step"), r.get("end_step")
    if start is not None and end is not None and start > end:
        raise InvalidParameterError(f"Invalid step range: start_step {start} is greater than end_step {end}")
    histories = {}
    for run_id in dict.fromkeys(run_ids):
        histories[run_id] = [
            m for m in ctx.tracking_store.get_metric_history(run_id, r["metric_key"])
            if (start is None or m.step >= start) and (end is None or m.step <= end)
        ]
    steps = sorted({m.step for history in histories.values() for m in history})
    chosen = _sample_steps(steps, max_results)
    out = []
    for run_id, history in histories.items():
        for m in history:
            if m.step in chosen:
                out.append({**metric_to_json(m), "run_id": run_id})
    return {"metrics": out}
