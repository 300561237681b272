"""Deleting tags and runs touches exactly what was named, on every backend, and a refusal names it."""

from __future__ import annotations

import pytest

from mltrail.entities import RunTag
from mltrail.exceptions import InvalidParameterError, InvalidStateError, ResourceNotFoundError


@pytest.fixture
def two_runs(store):
    exp_id = store.create_experiment("edits")
    ids = [store.create_run(exp_id, "u", 1, run_name=f"r{i}").info.run_id for i in range(2)]
    for run_id in ids:
        store.log_batch(run_id, tags=[RunTag("team", "a"), RunTag("stage", "dev")])
    return ids


def _user_tags(store, run_id):
    return {k: v for k, v in store.get_run(run_id).data.tags.items() if not k.startswith("mlflow.")}


def test_delete_tag_removes_that_key_of_that_run_only(store, two_runs):
    first, second = two_runs
    store.delete_tag(first, "team")
    assert _user_tags(store, first) == {"stage": "dev"}
    assert _user_tags(store, second) == {"team": "a", "stage": "dev"}


def test_delete_tag_refuses_a_bad_key_and_names_it(store, two_runs):
    with pytest.raises(InvalidParameterError) as err:
        store.delete_tag(two_runs[0], "")
    assert err.value.message == "Invalid tag key '': a key must not be empty"
    with pytest.raises(ResourceNotFoundError) as err:
        store.delete_tag(two_runs[0], "nope")
    assert err.value.message == f"No tag with key 'nope' in run {two_runs[0]!r}"


def test_deleting_restoring_or_reading_history_of_an_unknown_run_names_it(store):
    for call in (store.delete_run, store.restore_run, lambda run_id: store.get_metric_history(run_id, "m")):
        with pytest.raises(ResourceNotFoundError) as err:
            call("f" * 32)
        assert err.value.message == f"Run with id {'f' * 32!r} not found"


def test_updating_a_run_changes_that_run_only(store, two_runs):
    first, second = two_runs
    before = store.get_run_info(second)
    info = store.update_run_info(first, "FINISHED", end_time=5_000, run_name="renamed")
    assert (info.run_id, info.status, info.end_time, info.run_name) == (first, "FINISHED", 5_000, "renamed")
    assert store.get_run_info(second) == before
    assert store.get_run(first).data.tags["mlflow.runName"] == "renamed"
    assert store.update_run_info(first) == info  # nothing to change: the run as it is


def test_a_name_tag_renames_that_run_only(store, two_runs):
    first, second = two_runs
    store.log_batch(first, tags=[RunTag("mlflow.runName", "by-batch")])
    assert (store.get_run_info(first).run_name, store.get_run_info(second).run_name) == ("by-batch", "r1")
    store.set_tag(second, RunTag("mlflow.runName", "by-tag"))
    assert (store.get_run_info(first).run_name, store.get_run_info(second).run_name) == ("by-batch", "by-tag")


def test_a_deleted_run_is_not_updated(store, two_runs):
    first, _ = two_runs
    store.delete_run(first)
    with pytest.raises(InvalidStateError) as err:
        store.update_run_info(first, "FINISHED", end_time=5_000)
    assert first in err.value.message and "deleted" in err.value.message
    store.restore_run(first)
    info = store.get_run_info(first)
    assert (info.status, info.end_time) == ("RUNNING", None)
