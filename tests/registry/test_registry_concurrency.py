"""Several processes registering and promoting versions of one model at the same time,
on SQLite, PostgreSQL and MariaDB: numbers stay unique and gap-free, one version wins a stage."""

from __future__ import annotations

import multiprocessing

import pytest

from mltrail.client import Client

PROCESSES = 4
PER_PROCESS = 5


def _register_many(uri: str, source: str, barrier, count: int) -> list[str]:
    client = Client(uri)
    barrier.wait()
    return [client.create_model_version("shared", source).version for _ in range(count)]


def _promote(uri: str, version: int, barrier) -> str:
    client = Client(uri)
    barrier.wait()
    return client.transition_model_version_stage("shared", version, "Production", archive_existing_versions=True).current_stage


@pytest.mark.timeout(300)
def test_concurrent_registrations_get_unique_gap_free_numbers(client, store_uri, log_model):
    if client.tracking_uri.startswith("http"):
        pytest.skip("processes use the database directly; proxied artifacts need the server")
    source = log_model()
    client.create_registered_model("shared")
    ctx = multiprocessing.get_context("spawn")
    with ctx.Manager() as manager:
        barrier = manager.Barrier(PROCESSES)
        with ctx.Pool(PROCESSES) as pool:
            results = pool.starmap(_register_many, [(store_uri, source, barrier, PER_PROCESS)] * PROCESSES)

    handed_out = sorted(int(v) for batch in results for v in batch)
    total = PROCESSES * PER_PROCESS
    assert handed_out == list(range(1, total + 1))
    stored = client.search_model_versions("name = 'shared'")
    assert sorted(int(v.version) for v in stored) == list(range(1, total + 1))
    assert {v.status for v in stored} == {"READY"}
    locations = {client.get_model_version_download_uri("shared", v.version) for v in stored}
    assert len(locations) == total  # every version has its own copy
    assert client.create_model_version("shared", source).version == total + 1


@pytest.mark.timeout(300)
def test_concurrent_promotions_with_archive_existing_leave_one_production_version(client, store_uri, log_model):
    if client.tracking_uri.startswith("http"):
        pytest.skip("processes use the database directly; proxied artifacts need the server")
    source = log_model()
    client.create_registered_model("shared")
    for _ in range(PROCESSES):
        client.create_model_version("shared", source)
    ctx = multiprocessing.get_context("spawn")
    with ctx.Manager() as manager:
        barrier = manager.Barrier(PROCESSES)
        with ctx.Pool(PROCESSES) as pool:
            pool.starmap(_promote, [(store_uri, v, barrier) for v in range(1, PROCESSES + 1)])

    stages = [v.current_stage for v in client.search_model_versions("name = 'shared'")]
    assert stages.count("Production") == 1
    assert stages.count("Archived") == PROCESSES - 1
    # every move was recorded: each version went to Production once, all but the winner were archived
    moves = [t for v in range(1, PROCESSES + 1) for t in client.get_model_version_stage_history("shared", v)]
    assert sum(t.to_stage == "Production" for t in moves) == PROCESSES
    assert sum(t.to_stage == "Archived" for t in moves) == PROCESSES - 1
