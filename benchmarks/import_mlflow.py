"""Benchmark ``mltrail import-mlflow``: 10,000 runs with 1,000,000 metric rows from an MLflow SQLite store.

Target (issue 14): <= 60 s, peak RSS <= 300 MB. The source store is MLflow's real schema (an empty copy
of the database MLflow 3.17 wrote for tests/importer/fixtures) filled with generated rows::

    python -m benchmarks.import_mlflow                # full size: 10 experiments x 1,000 runs x 100 metric rows
    python -m benchmarks.import_mlflow --runs 1000    # smaller
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
import time
import uuid

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "tests", "importer", "fixtures", "mlflow-3.17-sqlite.tar.gz")


def make_mlflow_store(folder, experiments: int, runs_per_experiment: int, metrics_per_run: int) -> str:
    """An MLflow 3.17 SQLite store under ``folder`` with generated experiments, runs, params, tags and
    metric rows (no artifacts); returns its URI."""
    folder = str(folder)
    os.makedirs(folder, exist_ok=True)
    with tarfile.open(FIXTURE) as tar:
        member = tar.getmember("store/mlflow.db")
        with tar.extractfile(member) as src, open(os.path.join(folder, "mlflow.db"), "wb") as dst:  # type: ignore[union-attr]
            shutil.copyfileobj(src, dst)
    db = sqlite3.connect(os.path.join(folder, "mlflow.db"))
    tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    db.execute("PRAGMA foreign_keys=OFF")
    for table in tables:
        if table not in ("alembic_version", "sqlite_sequence", "workspaces"):
            db.execute(f'DELETE FROM "{table}" WHERE 1=1' + (" AND experiment_id != 0" if table == "experiments" else ""))
    rng = random.Random(7)
    t0 = 1_700_000_000_000
    for e in range(1, experiments + 1):
        db.execute(
            "INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time)"
            " VALUES (?, ?, ?, 'active', ?, ?)",
            (e, f"exp-{e}", os.path.join(folder, "mlruns", str(e)), t0, t0),
        )
        for _ in range(runs_per_experiment):
            run = uuid.UUID(int=rng.getrandbits(128)).hex
            db.execute(
                "INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, user_id, status, start_time,"
                " end_time, source_version, lifecycle_stage, artifact_uri, experiment_id) VALUES"
                " (?, ?, 'LOCAL', '', '', 'bench', 'FINISHED', ?, ?, '', 'active', ?, ?)",
                (run, f"run-{run[:6]}", t0, t0 + 1000, os.path.join(folder, "mlruns", str(e), run, "artifacts"), e),
            )
            db.executemany("INSERT INTO params (key, value, run_uuid) VALUES (?, ?, ?)",
                           [(f"p{i}", str(rng.random()), run) for i in range(5)])
            db.executemany("INSERT INTO tags (key, value, run_uuid) VALUES (?, ?, ?)",
                           [("mlflow.runName", f"run-{run[:6]}", run), ("mlflow.user", "bench", run)])
            rows = [("loss" if i % 2 else "acc", rng.random(), t0 + i, i // 2, run, 0) for i in range(metrics_per_run)]
            db.executemany("INSERT INTO metrics (key, value, timestamp, step, run_uuid, is_nan) VALUES (?, ?, ?, ?, ?, ?)", rows)
            latest = {}
            for row in rows:
                latest[row[0]] = row
            db.executemany("INSERT INTO latest_metrics (key, value, timestamp, step, run_uuid, is_nan) VALUES (?, ?, ?, ?, ?, ?)",
                           list(latest.values()))
    db.commit()
    db.close()
    return f"sqlite:///{os.path.join(folder, 'mlflow.db')}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--metric-rows", type=int, default=1_000_000)
    parser.add_argument("--experiments", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        per_run = args.metric_rows // args.runs
        source = make_mlflow_store(os.path.join(tmp, "src"), args.experiments, args.runs // args.experiments, per_run)
        target = f"sqlite:///{os.path.join(tmp, 'mltrail.db')}"
        start = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "mltrail.cli.import_mlflow", "--from", source, "--to", target],
            cwd=tmp, capture_output=True, text=True,
        )
        seconds = time.perf_counter() - start
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        peak_mb, cpu = usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime
        print(proc.stdout[-400:], proc.stderr[-400:])
        print(f"import-mlflow: {args.runs:,} runs, {per_run * args.runs:,} metric rows in {seconds:.1f} s "
              f"(target <= 60 s; CPU {cpu:.1f} s, load average {os.getloadavg()[0]:.1f}), peak RSS {peak_mb:.0f} MB (target <= 300 MB), exit {proc.returncode}")


if __name__ == "__main__":
    main()
