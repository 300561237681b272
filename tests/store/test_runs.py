"""Runs in the SQL store: creation, names, parent runs, status updates, delete/restore."""

from __future__ import annotations

import re

import pytest

from mltrail.entities import LifecycleStage, Param, RunTag
from mltrail.exceptions import InvalidParameterError, InvalidStateError, ResourceNotFoundError


def test_create_run_fields(store, artifact_root):
    exp_id = store.create_experiment("exp")
    run = store.create_run(exp_id, "ana", 1_700_000_000_000, run_name="baseline")
    info = run.info
    assert re.fullmatch(r"[0-9a-f]{32}", info.run_id)
    assert (info.experiment_id, info.user_id, info.status) == (exp_id, "ana", "RUNNING")
    assert (info.start_time, info.end_time) == (1_700_000_000_000, None)
    assert info.artifact_uri == f"{artifact_root}/{exp_id}/{info.run_id}/artifacts"
    assert info.run_name == "baseline"
    fetched = store.get_run(info.run_id)
    assert fetched.info == info
    assert fetched.data.tags == {"mlflow.runName": "baseline"}


def test_created_run_carries_its_tags_and_its_artifact_folder_under_the_experiment(store):
    exp_id = store.create_experiment("exp", artifact_location="/data/runs/")  # a trailing slash
    run = store.create_run(exp_id, "ana", None, tags=[RunTag("team", "growth")], run_name="baseline")
    assert run.data.tags == {"team": "growth", "mlflow.runName": "baseline"} == store.get_run(run.info.run_id).data.tags
    assert run.info.artifact_uri == f"/data/runs/{run.info.run_id}/artifacts"


def test_a_chosen_run_id_that_is_taken_or_a_deleted_experiment_is_refused(store):
    from mltrail.exceptions import ResourceAlreadyExistsError

    chosen = "ab" * 16
    store.create_run("0", "u", None, run_id=chosen, run_name="first")
    with pytest.raises(ResourceAlreadyExistsError, match=f"A run with id '{chosen}' already exists"):
        store.create_run("0", "u", None, run_id=chosen, run_name="second")
    assert store.get_run(chosen).info.run_name == "first"
    exp_id = store.create_experiment("gone")
    store.delete_experiment(exp_id)
    with pytest.raises(InvalidStateError,
                       match=f"Cannot create a run in experiment '{exp_id}': it is deleted; restore it first"):
        store.create_run(exp_id, "u", None)


def test_generated_run_names_are_readable(store):
    names = {store.create_run("0", "u", None).info.run_name for _ in range(5)}
    for name in names:
        assert re.fullmatch(r"[a-z]+-[a-z]+-\d{1,3}", name), name
    assert len(names) > 1


def test_an_empty_run_name_is_no_name(store):
    # as in MLflow: the name tag's value, else a generated name
    unnamed = store.create_run("0", "u", None, run_name="").info.run_name
    assert re.fullmatch(r"[a-z]+-[a-z]+-\d{1,3}", unnamed), unnamed
    tagged = store.create_run("0", "u", None, run_name="", tags=[RunTag("mlflow.runName", "from-tag")])
    assert tagged.info.run_name == "from-tag" == store.get_run(tagged.info.run_id).data.tags["mlflow.runName"]


def test_run_name_from_tag_and_parent_run(store):
    parent = store.create_run("0", "u", None, run_name="parent").info.run_id
    child = store.create_run(
        "0", "u", None, tags=[RunTag("mlflow.runName", "from-tag"), RunTag("mlflow.parentRunId", parent)]
    )
    assert child.info.run_name == "from-tag"
    assert store.get_run(child.info.run_id).data.tags["mlflow.parentRunId"] == parent


def test_start_time_defaults_to_now(store):
    import time

    before = int(time.time() * 1000)
    run = store.create_run("0", "u", None)
    assert before <= run.info.start_time <= int(time.time() * 1000)


def test_update_run_info_status_end_time_and_rename(store):
    run_id = store.create_run("0", "u", None, run_name="first").info.run_id
    info = store.update_run_info(run_id, "FINISHED", end_time=1_800_000_000_000, run_name="second")
    assert (info.status, info.end_time, info.run_name) == ("FINISHED", 1_800_000_000_000, "second")
    run = store.get_run(run_id)
    assert run.info.status == "FINISHED"
    assert run.data.tags["mlflow.runName"] == "second"


def test_renaming_through_tag_updates_run_name(store):
    run_id = store.create_run("0", "u", None, run_name="first").info.run_id
    store.set_tag(run_id, RunTag("mlflow.runName", "via-tag"))
    assert store.get_run(run_id).info.run_name == "via-tag"


def test_invalid_status_changes_nothing(store):
    run_id = store.create_run("0", "u", None).info.run_id
    with pytest.raises(InvalidParameterError, match="'DONE'.*RUNNING"):
        store.update_run_info(run_id, "DONE")
    assert store.get_run(run_id).info.status == "RUNNING"


def test_create_run_in_unknown_experiment(store):
    with pytest.raises(ResourceNotFoundError, match="'99'"):
        store.create_run("99", "u", None)


def test_unknown_run_id(store):
    with pytest.raises(ResourceNotFoundError, match="'0123456789abcdef0123456789abcdef'"):
        store.get_run("0123456789abcdef0123456789abcdef")
    with pytest.raises(ResourceNotFoundError):
        store.update_run_info("nope", "FINISHED")
    with pytest.raises(ResourceNotFoundError):
        store.delete_run("nope")
    with pytest.raises(ResourceNotFoundError):
        store.get_metric_history("nope", "m")


def test_delete_and_restore_run(store):
    run_id = store.create_run("0", "u", None).info.run_id
    store.delete_run(run_id)
    assert store.get_run(run_id).info.lifecycle_stage == LifecycleStage.DELETED
    with pytest.raises(InvalidStateError, match="deleted"):
        store.update_run_info(run_id, "FINISHED")
    store.restore_run(run_id)
    assert store.get_run(run_id).info.lifecycle_stage == LifecycleStage.ACTIVE
    assert store.update_run_info(run_id, "FINISHED").status == "FINISHED"


def test_run_name_too_long(store):
    with pytest.raises(InvalidParameterError, match="at most 250 characters"):
        store.create_run("0", "u", None, run_name="n" * 251)


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"run_name": "n" * 251},
         "Invalid run name '" + "n" * 74 + "...' (251 chars): the name must be at most 250 characters (it has 251)"),
        ({"run_name": 5}, "Invalid run name 5: the name must be a string"),
        ({"run_name": "a\x00"}, "Invalid run name 'a\\x00': text must not contain the NUL character"),
        ({"user_id": "u" * 257}, "Invalid user id '" + "u" * 74 + "...' (257 chars): a user id must be at most 256 "
                                 "characters"),
        ({"user_id": "u\x00"}, "Invalid user id 'u\\x00': text must not contain the NUL character"),
        ({"start_time": 1.5}, "Invalid run start_time 1.5: must be an integer (epoch milliseconds)"),
        ({"start_time": True}, "Invalid run start_time True: must be an integer (epoch milliseconds)"),
        ({"start_time": float("inf")}, "Invalid run start_time inf: must be an integer (epoch milliseconds)"),
        ({"start_time": 2**63}, "Invalid run start_time 9223372036854775808: must be between -2^63 and 2^63-1"),
        ({"start_time": 2.0**63}, "Invalid run start_time 9223372036854775808: must be between -2^63 and 2^63-1"),
        ({"run_id": "A" * 32}, f"Invalid run id {'A' * 32!r}: must be 32 lowercase hexadecimal characters"),
        ({"run_id": "a" * 31}, f"Invalid run id {'a' * 31!r}: must be 32 lowercase hexadecimal characters"),
        ({"run_id": "a" * 33}, f"Invalid run id {'a' * 33!r}: must be 32 lowercase hexadecimal characters"),
        ({"run_id": "g" * 32}, f"Invalid run id {'g' * 32!r}: must be 32 lowercase hexadecimal characters"),
        ({"run_id": "0123456789ABCDEF" + "X" * 16}, "must be 32 lowercase hexadecimal characters"),
        ({"run_id": "0123456789abcdef" + "X" * 16}, "must be 32 lowercase hexadecimal characters"),
        ({"run_id": "0123456789abcdef-123456789abcde"}, "must be 32 lowercase hexadecimal characters"),
        ({"run_id": "g" * 100}, f"Invalid run id {'g' * 80!r}: must be 32 lowercase hexadecimal characters"),
        ({"run_id": 5}, "Invalid run id '5': must be 32 lowercase hexadecimal characters"),
        ({"owner_id": "0" * 31}, f"Invalid run owner id {'0' * 31!r}: must be 32 lowercase hexadecimal characters"),
    ],
)
def test_bad_run_fields_are_refused_naming_the_value_and_the_rule(store, fields, message):
    with pytest.raises(InvalidParameterError, match=re.escape(message)):
        store.create_run(**{"experiment_id": "0", "user_id": "u", "start_time": None, **fields})
    assert list(store.search_runs(["0"])) == []


def test_run_fields_at_their_limits_are_stored(store):
    chosen = "0123456789abcdef" * 2
    run = store.create_run("0", "u" * 256, 1.7e12, run_name="n" * 250, run_id=chosen, owner_id="f" * 32)
    info = store.get_run(chosen).info
    assert (info.run_id, info.user_id, info.start_time, info.run_name) == (
        chosen, "u" * 256, 1_700_000_000_000, "n" * 250
    )
    assert type(info.start_time) is int and run.info == info
    assert store.create_run("0", None, -(2**63)).info.user_id == ""
    assert store.create_run("0", 42, None).info.user_id == "42"


def test_end_time_and_new_name_are_checked_before_the_run_changes(store):
    run_id = store.create_run("0", "u", None, run_name="kept").info.run_id
    for fields, message in (
        ({"end_time": 1.5}, "Invalid run end_time 1.5: must be an integer (epoch milliseconds)"),
        ({"end_time": 2**63}, "Invalid run end_time 9223372036854775808: must be between -2^63 and 2^63-1"),
        ({"run_name": "n" * 251}, "the name must be at most 250 characters (it has 251)"),
    ):
        with pytest.raises(InvalidParameterError, match=re.escape(message)):
            store.update_run_info(run_id, "FINISHED", **fields)
    info = store.get_run(run_id).info
    assert (info.status, info.end_time, info.run_name) == ("RUNNING", None, "kept")
    assert store.update_run_info(run_id, "FINISHED", end_time=2.0e12).end_time == 2_000_000_000_000
    assert store.update_run_info(run_id, "FINISHED", end_time=2**63 - 1).end_time == 2**63 - 1


def test_resuming_a_run_hands_it_to_the_given_owner(store):
    import time
    import uuid

    owner = uuid.uuid4().hex
    assert store.heartbeat_owner(owner, timeout_ms=1) is True  # stale a moment later
    run_id = store.create_run("0", "u", None).info.run_id
    store.update_run_info(run_id, "FINISHED", end_time=5, owner_id=owner)  # not resumed: the owner is ignored
    with pytest.raises(InvalidParameterError, match=re.escape("Invalid run owner id 'x': must be 32 lowercase")):
        store.update_run_info(run_id, "RUNNING", owner_id="x")
    assert store.get_run_info(run_id).status == "FINISHED"  # get_run_info does not reap dead owners' runs
    store.update_run_info(run_id, "RUNNING", owner_id=owner)
    time.sleep(0.05)
    assert store.reap_dead_runs() == 1
    assert store.get_run(run_id).info.status == "KILLED"


def test_run_params_alone(store):
    run_id = store.create_run("0", "u", None).info.run_id
    other = store.create_run("0", "u", None).info.run_id
    assert store.get_run_params(run_id) == {}
    store.log_batch(run_id, params=[Param("alpha", "0.5"), Param("Alpha", "1")])
    store.log_batch(other, params=[Param("beta", "2")])
    assert store.get_run_params(run_id) == {"alpha": "0.5", "Alpha": "1"}
    assert store.get_run_params("f" * 32) == {}
