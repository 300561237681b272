"""Issue 13's concurrency checks at test size: 8 processes × 5 runs × 200 metric values × 20 params
into one database of each kind and through one ``mltrail server`` with 2 workers; concurrent
registrations through that server. Counts are checked in the database afterwards; no call may fail.
The full size (8 × 50 × 2,000 × 20) is ``benchmarks/reliability/concurrency.py``."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from benchmarks.reliability.concurrency import register_at_once, run_writers, stored_counts
from benchmarks.reliability.databases import served
from mltrail import MlflowClient

PROCESSES, RUNS, VALUES, PARAMS = 8, 5, 200, 20


def _check_writers(uri: str, db_uri: str) -> None:
    outcome = run_writers(uri, PROCESSES, RUNS, VALUES, PARAMS)
    assert outcome.errors == 0
    assert len(outcome.acked) == PROCESSES * RUNS
    assert set(outcome.acked.values()) == {VALUES + PARAMS}
    stored = stored_counts(db_uri)
    assert stored == {run_id: ("FINISHED", VALUES + PARAMS) for run_id in outcome.acked}
    engine = sa.create_engine(db_uri)
    with engine.connect() as conn:  # every process registered as its runs' owner, all at once
        owners = conn.execute(sa.text("SELECT COUNT(DISTINCT owner_id), COUNT(owner_id) FROM runs")).one()
    engine.dispose()
    assert tuple(owners) == (PROCESSES, PROCESSES * RUNS)


@pytest.mark.timeout(900)
def test_eight_writer_processes_into_one_database(store_uri):
    _check_writers(store_uri, store_uri)


@pytest.mark.timeout(900)
def test_eight_writer_processes_through_one_server_with_two_workers(postgres_uri):
    with served(postgres_uri, workers=2) as uri:
        _check_writers(uri, postgres_uri)


@pytest.mark.timeout(900)
def test_concurrent_registrations_through_a_server_get_consecutive_versions(postgres_uri):
    with served(postgres_uri, workers=2) as uri:
        handed, errors = register_at_once(uri, 4, 3)
        stored = MlflowClient(tracking_uri=uri, registry_uri=uri).search_model_versions("name = 'shared'")
    assert errors == 0
    assert handed == list(range(1, 13))
    assert sorted(int(v.version) for v in stored) == handed
