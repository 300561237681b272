"""UI workload: server time of the runs table's first page on a big store.

Builds (once, with bulk inserts) a SQLite store of N runs with 5 params and
5 metrics each, then times ``runs_page`` -- what ``/ajax-api/ui/runs``
does -- for the first 100 runs with 5 param and 5 metric columns (default
sort, nested and flat, and sorted by a metric).

    python benchmarks/ui_runs_table.py --runs 100000 --db /tmp/ui-bench.db
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import uuid


def build(uri: str, runs: int) -> str:
    import sqlalchemy as sa

    from mltrail.store.sql import SqlTrackingStore
    from mltrail.store.sql.models import latest_metrics, metrics, params, runs as runs_table, tags

    store = SqlTrackingStore(uri)
    eid = store.create_experiment(f"bench-{uuid.uuid4().hex[:6]}")
    now = int(time.time() * 1000)
    with store.engine.begin() as conn:
        for start in range(0, runs, 10_000):
            batch = [uuid.uuid4().hex for _ in range(min(10_000, runs - start))]
            conn.execute(sa.insert(runs_table), [
                {"run_uuid": r, "name": f"run-{start + i}", "user_id": "bench", "status": "FINISHED",
                 "start_time": now - (start + i) * 1000, "end_time": now - (start + i) * 1000 + 500,
                 "lifecycle_stage": "active", "artifact_uri": f"/tmp/x/{r}", "experiment_id": int(eid)}
                for i, r in enumerate(batch)])
            conn.execute(sa.insert(params), [{"run_uuid": r, "key": f"p{k}", "value": str((i * (k + 3)) % 97)}
                                             for i, r in enumerate(batch) for k in range(5)])
            conn.execute(sa.insert(tags), [{"run_uuid": r, "key": "mltrail.runName", "value": f"run-{start + i}"}
                                           for i, r in enumerate(batch)])
            rows = [{"run_uuid": r, "key": f"m{k}", "value": ((i * 7919 + k) % 1000) / 10, "timestamp": now,
                     "step": 0, "is_nan": False} for i, r in enumerate(batch) for k in range(5)]
            conn.execute(sa.insert(metrics), rows)
            conn.execute(sa.insert(latest_metrics), rows)
    store.close()
    return eid


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--db", default="/tmp/mltrail-ui-bench.db")
    args = parser.parse_args()
    from mltrail.server.ui.columns import parse_column, parse_columns
    from mltrail.server.ui.queries import runs_page
    from mltrail.store.sql import SqlTrackingStore

    uri = f"sqlite:///{args.db}"
    fresh = not os.path.exists(args.db)
    t0 = time.perf_counter()
    eid = build(uri, args.runs) if fresh else None
    store = SqlTrackingStore(uri)
    if eid is None:
        eid = max((e for e in store.search_experiments() if e.name.startswith("bench-")), key=lambda e: int(e.experiment_id)).experiment_id
    if fresh:
        print(f"built {args.runs:,} runs in {time.perf_counter() - t0:.1f} s")
    cols = parse_columns(",".join([f"params.p{k}" for k in range(5)] + [f"metrics.m{k}" for k in range(5)]))
    cases = {
        "first page, nested (default)": dict(),
        "first page, flat": dict(nested=False),
        "first page, sorted by metrics.m0": dict(nested=False, sort=parse_column("metrics.m0"), ascending=True),
        "first page, filter metrics.m1 < 10": dict(nested=False, filter_string="metrics.m1 < 10"),
    }
    for name, kwargs in cases.items():
        filter_string = kwargs.pop("filter_string", None)
        times = []
        for _ in range(7):
            t = time.perf_counter()
            page = runs_page(store, [eid], filter_string, cols, limit=100, **kwargs)
            times.append((time.perf_counter() - t) * 1000)
        print(f"{name:40s} median {statistics.median(times):7.1f} ms  (rows {len(page['rows'])}, total {page['total']:,})")


if __name__ == "__main__":
    main()
