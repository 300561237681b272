"""A whole small run through the fluent API: start_run, log_params(5), log_metrics(5), end.

What a training script does per run. One warm-up run (database creation,
first-use caches) is excluded; the result is the median per run.
"""

from __future__ import annotations

from ..measure import median, timings_ms
from ..spec import Context, Measurement, Target, Workload

_PARAMS = {"alpha": 0.01, "l1_ratio": 0.5, "max_iter": 1000, "solver": "saga", "seed": 42}


def _one_run(api, i: int) -> None:
    with api.start_run():
        api.log_params(_PARAMS)
        api.log_metrics({"rmse": 6.9 + i % 7, "mae": 4.1, "r2": 0.61, "mse": 47.6, "training_score": 0.63})


def _create_run(api, ctx: Context) -> Measurement:
    api.set_tracking_uri(ctx.tracking_uri)
    experiment_id = api.set_experiment("bench-create-run").experiment_id
    _one_run(api, -1)
    times = timings_ms(lambda i: _one_run(api, i), ctx.params["runs"], budget_s=ctx.params["budget_s"])
    found = api.MlflowClient(ctx.tracking_uri).search_runs([experiment_id], max_results=50_000)
    if len(found) != len(times) + 1:
        raise AssertionError(f"created {len(times) + 1} runs but search finds {len(found)}")
    return Measurement(median(times), {"runs": len(times), "min_ms": min(times), "runs_per_s": 1000.0 * len(times) / sum(times)})


WORKLOADS = [
    Workload(
        name="create_run",
        run=_create_run,
        unit="ms/run",
        description="start_run + log_params(5) + log_metrics(5) + end_run, median per run",
        target=Target.at_most(2, "ms/run"),
        params={"runs": 1000, "budget_s": 10.0},
        quick_params={"runs": 10, "budget_s": 2.0},
        order=40,
    )
]
