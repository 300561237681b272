"""Concurrency: many processes writing to one store, racing registrations, racing schema creation.

- ``writers``: 8 processes × 50 runs × 2,000 metric values × 20 params (quick: 8 × 5 × 200 × 20)
  into one SQLite file, one PostgreSQL database, one MariaDB database, and one ``mltrail
  server`` (2 workers, over PostgreSQL); every run, param and metric value acknowledged must be
  stored, and no call may fail.
- ``register``: 8 processes registering versions of one model at once (directly, and through
  a server with 2 workers): the versions must be 1..N, each once.
- ``schema``: 8 processes opening one fresh database at once: one schema, one Default experiment.

The helpers (:func:`run_writers`, :func:`stored_counts`, :func:`register_at_once`,
:func:`open_at_once`) take URIs, so the test suite runs them on its own databases.

>>> from benchmarks.reliability.concurrency import SCENARIOS
>>> [scenario(quick=True) for scenario in SCENARIOS]
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass, field
from typing import Callable

from .databases import fresh_database, served
from .result import ScenarioResult

PROCESSES = 8
#: (runs per process, metric values per run, params per run)
FULL_SIZE = (50, 2000, 20)
QUICK_SIZE = (5, 200, 20)

_WRITER = textwrap.dedent(
    """
    import json, sys, time, traceback
    from mltrail import MlflowClient
    from mltrail.entities import Metric, Param
    uri, worker, runs, values, params, start_at = sys.argv[1:7]
    runs, values, params = int(runs), int(values), int(params)
    client = MlflowClient(tracking_uri=uri)
    time.sleep(max(0.0, float(start_at) - time.time()))  # every process starts together
    done = {"runs": {}, "errors": 0}
    for r in range(runs):
        try:
            run_id = client.create_run("0", run_name=f"w{worker}-{r}").info.run_id
            client.log_batch(run_id, params=[Param(f"p{i}", f"{worker}.{r}.{i}") for i in range(params)])
            acked = params
            for start in range(0, values, 1000):
                steps = range(start, min(values, start + 1000))
                client.log_batch(run_id, metrics=[Metric("loss", 1.0 / (s + 1), 1700000000000 + s, s) for s in steps])
                acked += len(steps)
            client.set_terminated(run_id)
            done["runs"][run_id] = acked
        except Exception:
            traceback.print_exc()
            done["errors"] += 1
    print(json.dumps(done), flush=True)
    """
)


@dataclass
class WritersOutcome:
    """What the writer processes reported: ``acked[run_id]`` = values acknowledged (params + metrics)."""

    acked: dict[str, int] = field(default_factory=dict)
    errors: int = 0
    seconds: float = 0.0


def _start_together(code: str, args_per_process: list[list[str]], delay_s: float = 3.0) -> list[tuple[int, str, str]]:
    """Run ``python -c code <args> <start time>`` once per args list, all released at the same instant."""
    start_at = str(time.time() + delay_s)
    procs = [
        subprocess.Popen([sys.executable, "-c", code, *args, start_at], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
        for args in args_per_process
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=3600)
        results.append((proc.returncode, out, err))
    return results


def run_writers(uri: str, processes: int, runs: int, values: int, params: int) -> WritersOutcome:
    """``processes`` processes each logging ``runs`` runs of ``values`` metric values and ``params`` params."""
    started = time.monotonic()
    results = _start_together(_WRITER, [[uri, str(w), str(runs), str(values), str(params)] for w in range(processes)])
    outcome = WritersOutcome(seconds=time.monotonic() - started)
    for code, out, err in results:
        if code != 0 or not out.strip():
            outcome.errors += runs
            sys.stderr.write(err)
            continue
        report = json.loads(out.strip().splitlines()[-1])
        outcome.acked.update(report["runs"])
        outcome.errors += report["errors"]
        if report["errors"]:
            sys.stderr.write(err)
    return outcome


def stored_counts(db_uri: str) -> dict[str, tuple[str, int]]:
    """run id -> (status, params + metric values stored), read straight from the database."""
    import sqlalchemy as sa

    from mltrail.store.sql.engine import create_sql_engine

    engine = create_sql_engine(db_uri)
    try:
        with engine.connect() as conn:
            found = {run_id: (status, 0) for run_id, status in conn.execute(sa.text("SELECT run_uuid, status FROM runs"))}
            for table in ("params", "metrics"):
                for run_id, count in conn.execute(sa.text(f"SELECT run_uuid, COUNT(*) FROM {table} GROUP BY run_uuid")):
                    status, before = found[run_id]
                    found[run_id] = (status, before + count)
    finally:
        engine.dispose()
    return found


def _writers(kind: str, over_http: bool, quick: bool) -> ScenarioResult:
    runs, values, params = QUICK_SIZE if quick else FULL_SIZE
    with fresh_database(kind) as db_uri:
        with (served(db_uri, workers=2) if over_http else contextlib.nullcontext(db_uri)) as uri:
            outcome = run_writers(uri, PROCESSES, runs, values, params)
        stored = stored_counts(db_uri)
    found = sum(min(stored.get(r, ("", 0))[1], n) for r, n in outcome.acked.items() if stored.get(r, ("",))[0] == "FINISHED")
    extra = len(stored) - len(outcome.acked)
    where = f"{kind} via server (2 workers)" if over_http else kind
    note = f"{PROCESSES}x{runs} runs x {values} metrics x {params} params in {outcome.seconds:.1f} s"
    if extra:
        note += f"; {extra} run(s) nobody acknowledged"
    return ScenarioResult(f"{PROCESSES} writer processes, {where}", attempted=PROCESSES * runs * (values + params),
                          acknowledged=sum(outcome.acked.values()), found=found, errors=outcome.errors + max(extra, 0),
                          note=note)


_REGISTER = textwrap.dedent(
    """
    import json, sys, time
    from mltrail import MlflowClient
    uri, source, count, start_at = sys.argv[1:5]
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    time.sleep(max(0.0, float(start_at) - time.time()))
    versions, errors = [], 0
    for _ in range(int(count)):
        try:
            versions.append(int(client.create_model_version("shared", source).version))
        except Exception as exc:
            print(repr(exc), file=sys.stderr)
            errors += 1
    print(json.dumps({"versions": versions, "errors": errors}), flush=True)
    """
)


def log_tiny_model(uri: str) -> str:
    """Log a small python-function model to a new run of ``uri``; its ``runs:/`` URI."""
    import mltrail

    client = mltrail.MlflowClient(tracking_uri=uri)
    run_id = client.create_run("0").info.run_id
    mltrail.set_tracking_uri(uri)
    try:
        with mltrail.start_run(run_id=run_id):
            mltrail.pyfunc.log_model(name="model", python_model=_double)
    finally:
        mltrail.set_tracking_uri(None)  # type: ignore[arg-type]
    return f"runs:/{run_id}/model"


def _double(model_input: list[float]) -> list[float]:
    return [2 * x for x in model_input]


def register_at_once(uri: str, processes: int, per_process: int) -> tuple[list[int], int]:
    """``processes`` processes registering ``per_process`` versions of model "shared" at once:
    (every version number handed out, errors)."""
    from mltrail import MlflowClient

    source = log_tiny_model(uri)
    MlflowClient(tracking_uri=uri, registry_uri=uri).create_registered_model("shared")
    versions: list[int] = []
    errors = 0
    for code, out, err in _start_together(_REGISTER, [[uri, source, str(per_process)]] * processes):
        if code != 0 or not out.strip():
            errors += per_process
            sys.stderr.write(err)
            continue
        report = json.loads(out.strip().splitlines()[-1])
        versions += report["versions"]
        errors += report["errors"]
    return sorted(versions), errors


def _register(kind: str, over_http: bool, quick: bool) -> ScenarioResult:
    from mltrail import MlflowClient

    per_process = 3 if quick else 20
    with fresh_database(kind) as db_uri:
        with (served(db_uri, workers=2) if over_http else contextlib.nullcontext(db_uri)) as uri:
            handed, errors = register_at_once(uri, PROCESSES, per_process)
            stored = sorted(int(v.version) for v in MlflowClient(registry_uri=uri, tracking_uri=uri)
                            .search_model_versions("name = 'shared'"))
    expected = list(range(1, len(handed) + 1))
    consecutive = handed == expected == stored
    where = f"{kind} via server (2 workers)" if over_http else kind
    return ScenarioResult(f"{PROCESSES} processes registering one model, {where}", PROCESSES * per_process,
                          len(handed), len(set(handed) & set(stored)), errors + int(not consecutive),
                          "versions 1..N, each once" if consecutive else f"versions {handed} stored {stored}")


_OPEN = textwrap.dedent(
    """
    import sys, time
    from mltrail.store.sql import SqlTrackingStore
    uri, start_at = sys.argv[1:3]
    time.sleep(max(0.0, float(start_at) - time.time()))
    store = SqlTrackingStore(uri)
    print(store.create_run("0", "u", None).info.run_id, flush=True)
    """
)


def open_at_once(uri: str, processes: int) -> tuple[list[str], int]:
    """``processes`` processes opening a fresh database at the same instant, each creating a run:
    (run ids created, errors)."""
    run_ids, errors = [], 0
    for code, out, err in _start_together(_OPEN, [[uri]] * processes):
        if code != 0:
            errors += 1
            sys.stderr.write(err)
        else:
            run_ids.append(out.strip())
    return run_ids, errors


def _schema(kind: str, quick: bool) -> ScenarioResult:
    import sqlalchemy as sa

    with fresh_database(kind) as uri:
        run_ids, errors = open_at_once(uri, PROCESSES)
        engine = sa.create_engine(uri)
        with engine.connect() as conn:
            versions = conn.execute(sa.text("SELECT COUNT(*) FROM alembic_version")).scalar()
            experiments = conn.execute(sa.text("SELECT COUNT(*) FROM experiments")).scalar()
            stored = {r for (r,) in conn.execute(sa.text("SELECT run_uuid FROM runs"))}
        engine.dispose()
    sound = versions == 1 and experiments == 1
    return ScenarioResult(f"{PROCESSES} processes creating the schema at once, {kind}", PROCESSES, len(run_ids),
                          len(stored & set(run_ids)), errors + int(not sound),
                          "one schema, one Default experiment" if sound else f"{versions} versions, {experiments} experiments")


def _named(function: Callable[..., ScenarioResult], name: str, *args: object) -> Callable[[bool], ScenarioResult]:
    def scenario(quick: bool) -> ScenarioResult:
        return function(*args, quick)

    scenario.__name__ = name
    return scenario


SCENARIOS: list[Callable[[bool], ScenarioResult]] = [
    *(_named(_writers, f"writers_{kind}", kind, False) for kind in ("sqlite", "postgresql", "mysql")),
    _named(_writers, "writers_server", "postgresql", True),
    *(_named(_register, f"register_{kind}", kind, False) for kind in ("sqlite", "postgresql", "mysql")),
    _named(_register, "register_server", "postgresql", True),
    *(_named(_schema, f"schema_{kind}", kind) for kind in ("sqlite", "postgresql", "mysql")),
]
