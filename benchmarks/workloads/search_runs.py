"""`MlflowClient.search_runs` with a filter and order_by, top 100 of 10,000 / 100,000 runs.

Setup (its own process): one experiment filled with N finished runs, each with
5 params, 5 metrics and 2 tags, from a seeded generator, so both backends hold
the same data. The setup also computes the right answers and saves them.

Measured process: a fresh interpreter opens the database, then times

- filtered:   ``metrics.rmse < 7 and params.model = 'xgb'``, order_by ``metrics.rmse ASC``, top 100
- unfiltered: order_by ``metrics.rmse ASC``, top 100

(median of several calls; the first, cold call is reported separately) and the
growth of resident memory from just before the first search to the peak after
the last. Both answers are checked against the expected run names in order.

How the database is filled: mltrail always through its public client
(create_run, log_batch, set_terminated). MLflow through its client too up to
``api_limit`` runs; above that (~15 ms per MLflow call would take hours at
100,000 runs) rows go straight into MLflow's own tables, through its SQLAlchemy
models and its store's engine, shaped as its create_run/log_batch write them.
"""

from __future__ import annotations

import importlib
import json
import os
import random
import time
from typing import Any, Iterator

from ..measure import current_rss_mb, median, peak_rss_mb, timings_ms
from ..spec import Context, Derived, Measurement, Target, Workload

EXPERIMENT = "bench-search"
FILTER = "metrics.rmse < 7 and params.model = 'xgb'"
ORDER_BY = ["metrics.rmse ASC"]
TOP = 100
_MODELS = ("ridge", "lasso", "xgb", "random_forest")
_TEAMS = ("forecasting", "pricing", "risk")
_EXPECTED_FILE = "expected.json"


def generate_runs(n: int, seed: int = 20261122) -> Iterator[dict[str, Any]]:
    """The runs every backend stores: name, start/end time, params, metrics, tags."""
    rng = random.Random(seed)
    base = 1_760_000_000_000
    for i in range(n):
        rmse = rng.uniform(3.0, 10.0)
        yield {
            "name": f"run-{i:06d}",
            "start_time": base + i * 1000,
            "end_time": base + i * 1000 + 500,
            "params": {
                "model": rng.choice(_MODELS),
                "alpha": f"{rng.uniform(0.0001, 1.0):.4f}",
                "max_depth": str(rng.randint(2, 12)),
                "n_estimators": str(rng.choice((50, 100, 200, 400))),
                "seed": str(i),
            },
            "metrics": {
                "rmse": rmse,
                "mse": rmse * rmse,
                "mae": rmse * rng.uniform(0.6, 0.8),
                "r2": rng.uniform(0.2, 0.9),
                "training_score": rng.uniform(0.5, 1.0),
            },
            "tags": {"team": rng.choice(_TEAMS)},
        }


def _expected(n: int) -> dict[str, list[str]]:
    filtered, unfiltered = [], []
    for run in generate_runs(n):
        key = (run["metrics"]["rmse"], run["name"])
        unfiltered.append(key)
        if run["metrics"]["rmse"] < 7 and run["params"]["model"] == "xgb":
            filtered.append(key)
    return {
        "filtered": [name for _, name in sorted(filtered)[:TOP]],
        "filtered_matches": len(filtered),
        "unfiltered": [name for _, name in sorted(unfiltered)[:TOP]],
    }


def _populate_with_client(api, client, experiment_id: str, n: int) -> None:
    entities = importlib.import_module(f"{api.__name__}.entities")
    Metric, Param = entities.Metric, entities.Param
    for run in generate_runs(n):
        run_id = client.create_run(
            experiment_id, start_time=run["start_time"], tags=run["tags"], run_name=run["name"]
        ).info.run_id
        client.log_batch(
            run_id,
            metrics=[Metric(k, v, run["start_time"], 0) for k, v in run["metrics"].items()],
            params=[Param(k, v) for k, v in run["params"].items()],
        )
        client.set_terminated(run_id, "FINISHED", end_time=run["end_time"])


def _populate_mlflow_tables(client, tracking_uri: str, experiment_id: str, n: int, chunk: int = 5000) -> None:
    """Insert runs through MLflow's SQLAlchemy models, as its create_run + log_batch would."""
    import uuid

    from mlflow.store.tracking.dbmodels.models import SqlLatestMetric, SqlMetric, SqlParam, SqlRun, SqlTag
    from mlflow.tracking._tracking_service.utils import _get_store

    store = _get_store(tracking_uri)
    artifact_root = client.get_experiment(experiment_id).artifact_location.rstrip("/")

    def flush(rows: dict[str, list[dict]]) -> None:
        with store.engine.begin() as conn:
            for model in (SqlRun, SqlTag, SqlParam, SqlMetric, SqlLatestMetric):
                if rows[model.__tablename__]:
                    conn.execute(model.__table__.insert(), rows[model.__tablename__])

    rows: dict[str, list[dict]] = {m.__tablename__: [] for m in (SqlRun, SqlTag, SqlParam, SqlMetric, SqlLatestMetric)}
    for i, run in enumerate(generate_runs(n)):
        run_id = uuid.uuid4().hex
        rows["runs"].append(
            dict(run_uuid=run_id, name=run["name"], source_type="UNKNOWN", source_name="", entry_point_name="",
                 user_id="unknown", status="FINISHED", start_time=run["start_time"], end_time=run["end_time"],
                 deleted_time=None, source_version="", lifecycle_stage="active",
                 artifact_uri=f"{artifact_root}/{run_id}/artifacts", experiment_id=int(experiment_id))
        )
        tags = {**run["tags"], "mlflow.runName": run["name"]}
        rows["tags"].extend(dict(key=k, value=v, run_uuid=run_id) for k, v in tags.items())
        rows["params"].extend(dict(key=k, value=v, run_uuid=run_id) for k, v in run["params"].items())
        metrics = [dict(key=k, value=v, timestamp=run["start_time"], step=0, is_nan=False, run_uuid=run_id)
                   for k, v in run["metrics"].items()]
        rows["metrics"].extend(metrics)
        rows["latest_metrics"].extend(dict(m) for m in metrics)
        if (i + 1) % chunk == 0:
            flush(rows)
            rows = {k: [] for k in rows}
    flush(rows)


def _setup(api, ctx: Context) -> None:
    n = ctx.params["runs"]
    api.set_tracking_uri(ctx.tracking_uri)
    client = api.MlflowClient(ctx.tracking_uri)
    experiment_id = client.create_experiment(EXPERIMENT)
    if ctx.backend == "mlflow" and n > ctx.params["api_limit"]:
        _populate_mlflow_tables(client, ctx.tracking_uri, experiment_id, n)
        how = "MLflow's tables via its SQLAlchemy models"
    else:
        _populate_with_client(api, client, experiment_id, n)
        how = "client API"
    expected = _expected(n)
    expected.update(experiment_id=experiment_id, populated_with=how)
    with open(os.path.join(ctx.workdir, _EXPECTED_FILE), "w") as fh:
        json.dump(expected, fh)


def _search(api, ctx: Context) -> Measurement:
    with open(os.path.join(ctx.workdir, _EXPECTED_FILE)) as fh:
        expected = json.load(fh)
    experiment_id = expected["experiment_id"]
    api.set_tracking_uri(ctx.tracking_uri)
    client = api.MlflowClient(ctx.tracking_uri)
    client.get_experiment(experiment_id)  # open the database before measuring

    def filtered(_: int = 0):
        return client.search_runs([experiment_id], filter_string=FILTER, order_by=ORDER_BY, max_results=TOP)

    def unfiltered(_: int = 0):
        return client.search_runs([experiment_id], order_by=ORDER_BY, max_results=TOP)

    def timed(search) -> tuple[float, list]:
        t0 = time.perf_counter()
        runs = search()
        return (time.perf_counter() - t0) * 1000.0, runs

    rss_before = current_rss_mb()
    cold_ms, first = timed(filtered)
    first_unfiltered_ms, first_unfiltered = timed(unfiltered)
    for label, runs in (("filtered", first), ("unfiltered", first_unfiltered)):
        names = [r.info.run_name for r in runs]
        if names != expected[label]:
            raise AssertionError(
                f"{label} search returned {len(names)} runs starting {names[:3]}, expected "
                f"{len(expected[label])} starting {expected[label][:3]}"
            )
    repeats, budget = ctx.params["repeats"], ctx.params["budget_s"]
    if (cold_ms + first_unfiltered_ms) * 3 > budget * 1000.0:
        # Too slow to repeat within the budget: the first calls are the samples.
        warm, warm_unfiltered = [cold_ms], [first_unfiltered_ms]
    else:
        warm = timings_ms(filtered, repeats, budget_s=budget)
        warm_unfiltered = timings_ms(unfiltered, repeats, budget_s=budget)
    peak = peak_rss_mb()
    return Measurement(
        median(warm),
        {
            "runs": ctx.params["runs"],
            "matching": expected["filtered_matches"],
            "samples": len(warm),
            "cold_ms": cold_ms,
            "unfiltered_ms": median(warm_unfiltered),
            "rss_before_mb": rss_before,
            "search_rss_growth_mb": peak - rss_before,
            "populated_with": expected["populated_with"],
        },
    )


def _workload(name: str, runs: int, quick_runs: int, target: Target | None, **extra: Any) -> Workload:
    return Workload(
        name=name,
        setup=_setup,
        run=_search,
        unit="ms",
        description=f"search_runs filter + order_by, top {TOP} of {runs:,} runs (median; memory growth in details)",
        target=target,
        params={"runs": runs, "api_limit": 2000, "repeats": 7, "budget_s": 30.0},
        quick_params={"runs": quick_runs, "api_limit": 2000, "repeats": 2, "budget_s": 5.0},
        timeout=3600,
        order=50,
        **extra,
    )


WORKLOADS = [
    _workload("search_runs_10k", 10_000, 300, None),
    _workload(
        "search_runs_100k", 100_000, 1_000, Target.at_most(150, "ms"),
        slow_backends=("mlflow",),
        slow_note="MLflow's filtered search over 100,000 runs takes minutes per call here",
    ),
]

#: Allowed extra memory for 10x the runs (allocator and cache noise, not data).
MEMORY_SLACK_MB = 16.0


def derive(results: dict[str, Any]) -> list[Derived]:
    """Memory growth of the search process from 10k to 100k runs (target: it does not grow)."""
    small, big = results.get("search_runs_10k"), results.get("search_runs_100k")
    if small is None or big is None:
        return []

    def extra(backend: str) -> float | None:
        a, b = small.backends.get(backend), big.backends.get(backend)
        if a is None or b is None or not (a.ok and b.ok):
            return None
        return b.details["search_rss_growth_mb"] - a.details["search_rss_growth_mb"]

    ours, theirs = extra("mltrail"), extra("mlflow")
    return [
        Derived(
            name="search_runs memory 10k->100k",
            unit="+MB",
            mltrail=ours,
            mlflow=theirs,
            target=f"<= {MEMORY_SLACK_MB:g} MB more",
            passed=None if ours is None else ours <= MEMORY_SLACK_MB,
            note="search RSS growth",
        )
    ]
