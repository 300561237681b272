"""``finish_run``: a last batch and the end of the run in one transaction, on every backend.

Also the single-statement run updates it rests on (``update_run_info``) and ``get_run_info``.
"""

from __future__ import annotations

import math

import pytest

from mltrail import Client
from mltrail.entities import LifecycleStage, Metric, Param, RunTag
from mltrail.exceptions import InvalidParameterError, InvalidStateError, ResourceNotFoundError
from mltrail.store.base import TrackingStore

TS = 1_700_000_000_000
END = 1_700_000_009_000


def _new_run(store, **kwargs) -> str:
    return store.create_run("0", "ana", TS, **kwargs).info.run_id


def _assert_untouched(store, run_id: str, params: dict, tags: dict) -> None:
    """The run is as it was before a refused finish_run: RUNNING, no end time, nothing new logged."""
    run = store.get_run(run_id)
    assert (run.info.status, run.info.end_time) == ("RUNNING", None)
    assert run.data.params == params
    assert run.data.tags == tags
    assert run.data.metrics == {}
    assert store.get_metric_history(run_id, "rmse") == []


def test_finish_run_logs_the_batch_and_ends_the_run(store):
    run_id = _new_run(store)
    info = store.finish_run(
        run_id,
        "FINISHED",
        END,
        metrics=[Metric("rmse", 7.2, TS, 0), Metric("rmse", 6.9, TS + 1, 1), Metric("nan", math.nan, TS, 0)],
        params=[Param("alpha", "0.01")],
        tags=[RunTag("developer", "ana")],
    )
    assert (info.run_id, info.status, info.end_time, info.start_time) == (run_id, "FINISHED", END, TS)
    run = store.get_run(run_id)
    assert (run.info.status, run.info.end_time) == ("FINISHED", END)
    assert run.data.params == {"alpha": "0.01"}
    assert run.data.tags["developer"] == "ana"
    assert run.data.metrics["rmse"] == 6.9 and math.isnan(run.data.metrics["nan"])
    assert [m.value for m in store.get_metric_history(run_id, "rmse")] == [7.2, 6.9]


def test_finish_run_with_an_empty_batch_only_ends_the_run(store):
    run_id = _new_run(store, run_name="plain")
    info = store.finish_run(run_id, "FAILED", END)
    assert (info.status, info.end_time, info.run_name) == ("FAILED", END, "plain")
    assert store.get_run(run_id).data.params == {}


def test_a_bad_metric_in_the_batch_leaves_the_run_running_and_nothing_logged(store):
    run_id = _new_run(store)
    tags_before = store.get_run(run_id).data.tags
    with pytest.raises(InvalidParameterError, match="'bad/../key'"):
        store.finish_run(
            run_id,
            "FINISHED",
            END,
            metrics=[Metric("rmse", 6.9, TS, 0), Metric("bad/../key", 1.0, TS, 0)],
            params=[Param("alpha", "0.01")],
            tags=[RunTag("developer", "ana")],
        )
    _assert_untouched(store, run_id, {}, tags_before)


def test_a_param_conflict_found_inside_the_transaction_rolls_the_end_back(store):
    # The conflict is only seen after the run row was updated: the whole transaction must roll back.
    run_id = _new_run(store)
    store.log_batch(run_id, params=[Param("alpha", "0.01")])
    tags_before = store.get_run(run_id).data.tags
    with pytest.raises(InvalidParameterError, match="'alpha'.*'0.01'.*'0.5'"):
        store.finish_run(
            run_id,
            "FINISHED",
            END,
            metrics=[Metric("rmse", 6.9, TS, 0)],
            params=[Param("alpha", "0.5"), Param("beta", "2")],
            tags=[RunTag("developer", "ana"), RunTag("mlflow.runName", "renamed")],
        )
    _assert_untouched(store, run_id, {"alpha": "0.01"}, tags_before)
    assert store.get_run(run_id).info.run_name == tags_before["mlflow.runName"]


def test_a_bad_status_or_end_time_changes_nothing(store):
    run_id = _new_run(store)
    tags_before = store.get_run(run_id).data.tags
    with pytest.raises(InvalidParameterError, match="'DONE'"):
        store.finish_run(run_id, "DONE", END, metrics=[Metric("rmse", 6.9, TS, 0)])
    with pytest.raises(InvalidParameterError, match="end_time 'tomorrow'"):
        store.finish_run(run_id, "FINISHED", "tomorrow", params=[Param("alpha", "1")])  # type: ignore[arg-type]
    _assert_untouched(store, run_id, {}, tags_before)


def test_finish_run_on_a_deleted_or_unknown_run_is_refused(store):
    run_id = _new_run(store)
    store.delete_run(run_id)
    with pytest.raises(InvalidStateError, match=f"{run_id}.*deleted"):
        store.finish_run(run_id, "FINISHED", END, metrics=[Metric("rmse", 6.9, TS, 0)])
    run = store.get_run(run_id)
    assert (run.info.status, run.info.lifecycle_stage, run.data.metrics) == ("RUNNING", LifecycleStage.DELETED, {})
    with pytest.raises(ResourceNotFoundError, match="'0123456789abcdef0123456789abcdef'"):
        store.finish_run("0123456789abcdef0123456789abcdef", "FINISHED", END)


def test_a_run_name_tag_in_the_batch_renames_the_run(store):
    run_id = _new_run(store, run_name="first")
    info = store.finish_run(run_id, "FINISHED", END, tags=[RunTag("mlflow.runName", "second")])
    assert info.run_name == "second"
    run = store.get_run(run_id)
    assert (run.info.run_name, run.data.tags["mlflow.runName"]) == ("second", "second")


def test_a_finished_run_can_be_finished_again_with_late_metrics(store):
    run_id = _new_run(store)
    store.finish_run(run_id, "FINISHED", END)
    info = store.finish_run(run_id, "FINISHED", END, metrics=[Metric("val_rmse", 7.0, TS, 0)])
    assert (info.status, info.end_time) == ("FINISHED", END)  # same values again: still found, not "missing"
    assert store.get_run(run_id).data.metrics == {"val_rmse": 7.0}


def test_update_run_info_with_unchanged_values_returns_the_run(store):
    run_id = _new_run(store, run_name="same")
    first = store.update_run_info(run_id, "FINISHED", END)
    again = store.update_run_info(run_id, "FINISHED", END, run_name="same")
    nothing = store.update_run_info(run_id)
    assert first == again == nothing
    assert (nothing.status, nothing.end_time, nothing.run_name) == ("FINISHED", END, "same")


def test_update_run_info_with_no_change_still_refuses_a_deleted_run(store):
    run_id = _new_run(store)
    store.delete_run(run_id)
    with pytest.raises(InvalidStateError, match="deleted"):
        store.update_run_info(run_id)


def test_get_run_info_reads_the_info_alone(store):
    run_id = _new_run(store, run_name="info")
    store.log_batch(run_id, params=[Param("alpha", "1")])
    info = store.get_run_info(run_id)
    assert info == store.get_run(run_id).info
    assert (info.run_name, info.status, info.lifecycle_stage) == ("info", "RUNNING", LifecycleStage.ACTIVE)
    store.delete_run(run_id)
    assert store.get_run_info(run_id).lifecycle_stage == LifecycleStage.DELETED
    with pytest.raises(ResourceNotFoundError, match="'nope'"):
        store.get_run_info("nope")


def test_the_interface_default_logs_then_ends(store):
    """TrackingStore.finish_run's default (for stores without a one-transaction version) on a real store."""
    run_id = _new_run(store)
    info = TrackingStore.finish_run(store, run_id, "KILLED", END, metrics=[Metric("rmse", 6.9, TS, 0)])
    assert (info.status, info.end_time) == ("KILLED", END)
    assert store.get_run(run_id).data.metrics == {"rmse": 6.9}
    assert TrackingStore.get_run_info(store, run_id) == info


def test_client_finish_run_defaults_to_finished_now(sqlite_uri):
    client = Client(sqlite_uri)
    run_id = client.create_run("0").info.run_id
    info = client.finish_run(run_id, metrics=[Metric("rmse", 6.9, TS, 0)], params=[Param("alpha", "0.01")])
    assert info.status == "FINISHED" and info.end_time >= info.start_time
    run = client.get_run(run_id)
    assert (run.data.metrics, run.data.params) == ({"rmse": 6.9}, {"alpha": "0.01"})
    other = client.create_run("0").info.run_id
    with pytest.raises(InvalidParameterError, match="'rmse'"):
        client.finish_run(other, "FAILED", metrics=[Metric("rmse", "not a number", TS, 0)])  # type: ignore[arg-type]
    assert client.get_run(other).info.status == "RUNNING"
