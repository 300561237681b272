"""Fluent `log_metric` called N times in one run; each call is committed before it returns.

The run is started (and the database created) before the clock starts; the
clock covers only the log_metric calls. A slow backend stops after a time
budget so it is measured over fewer calls rather than for minutes.
"""

from __future__ import annotations

from ..measure import rate
from ..spec import Context, Measurement, Target, Workload


def _log_metric(api, ctx: Context) -> Measurement:
    api.set_tracking_uri(ctx.tracking_uri)
    api.set_experiment("bench-log-metric")
    with api.start_run() as run:
        api.log_metric("warmup", 0.0)
        calls, seconds = rate(
            lambda i: api.log_metric("loss", 1.0 / (i + 1), step=i),
            calls=ctx.params["calls"],
            budget_s=ctx.params["budget_s"],
        )
        run_id = run.info.run_id
    history = api.MlflowClient(ctx.tracking_uri).get_metric_history(run_id, "loss")
    if len(history) != calls:
        raise AssertionError(f"logged {calls} values of 'loss' but the store holds {len(history)}")
    return Measurement(calls / seconds, {"calls": calls, "ms_per_call": seconds * 1000.0 / calls})


WORKLOADS = [
    Workload(
        name="log_metric",
        run=_log_metric,
        unit="calls/s",
        higher_is_better=True,
        description="log_metric x N in one run into SQLite, each call committed",
        target=Target.at_least(10_000, "calls/s"),
        params={"calls": 20_000, "budget_s": 10.0},
        quick_params={"calls": 200, "budget_s": 2.0},
        order=20,
    )
]
