"""`MlflowClient.log_batch` with 1,000 metrics (100 keys x 10 steps) into one run.

The metric entities are built before the clock starts; each timed call writes
a fresh set of steps. The result is the median time per batch.
"""

from __future__ import annotations

import importlib
import time

from ..measure import median, timings_ms
from ..spec import Context, Measurement, Target, Workload


def _log_batch(api, ctx: Context) -> Measurement:
    Metric = importlib.import_module(f"{api.__name__}.entities").Metric
    api.set_tracking_uri(ctx.tracking_uri)
    client = api.MlflowClient(ctx.tracking_uri)
    experiment_id = client.create_experiment("bench-log-batch")
    run_id = client.create_run(experiment_id).info.run_id
    keys, steps = ctx.params["keys"], ctx.params["steps"]
    repeats = ctx.params["repeats"] + 1  # the first batch warms up and is dropped
    now = int(time.time() * 1000)
    batches = [
        [Metric(f"m{k:03d}", float(k * steps + s) / 7.0, now, r * steps + s) for k in range(keys) for s in range(steps)]
        for r in range(repeats)
    ]
    times = timings_ms(lambda i: client.log_batch(run_id, metrics=batches[i]), repeats, budget_s=ctx.params["budget_s"])
    written = len(times) * keys * steps
    stored = len(client.get_metric_history(run_id, "m000")) * keys
    if stored != written:
        raise AssertionError(f"wrote {written} metric values but the store holds {stored}")
    timed = times[1:]
    return Measurement(
        median(timed), {"batches": len(timed), "batch_size": keys * steps, "min_ms": min(timed)}
    )


WORKLOADS = [
    Workload(
        name="log_batch",
        run=_log_batch,
        unit="ms",
        description="log_batch of 1,000 metrics (100 keys x 10 steps) into one run, median per batch",
        target=Target.at_most(10, "ms"),
        params={"keys": 100, "steps": 10, "repeats": 30, "budget_s": 10.0},
        quick_params={"keys": 100, "steps": 10, "repeats": 3, "budget_s": 2.0},
        order=30,
    )
]
