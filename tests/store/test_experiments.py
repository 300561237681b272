"""Experiments in the SQL store: create, get, rename, delete/restore, tags, bad input."""

from __future__ import annotations

import re

import pytest

from mltrail.entities import LifecycleStage
from mltrail.exceptions import (
    InvalidParameterError,
    InvalidStateError,
    ResourceAlreadyExistsError,
    ResourceNotFoundError,
)


def test_default_experiment_exists_with_id_0(store, artifact_root):
    default = store.get_experiment("0")
    assert default.name == "Default"
    assert default.lifecycle_stage == LifecycleStage.ACTIVE
    assert default.artifact_location == f"{artifact_root}/0"
    assert store.get_experiment_by_name("Default").experiment_id == "0"


def test_create_experiment_ids_artifact_location_and_tags(store, artifact_root):
    first = store.create_experiment("nyc-taxi-experiment", tags={"team": "forecasting"})
    second = store.create_experiment("nyc-new-brand-experiment_first")
    assert (first, second) == ("1", "2")
    exp = store.get_experiment(first)
    assert exp.name == "nyc-taxi-experiment"
    assert exp.artifact_location == f"{artifact_root}/1"
    assert exp.tags == {"team": "forecasting"}
    assert exp.creation_time is not None and exp.creation_time == exp.last_update_time


def test_explicit_artifact_location_is_kept(store, tmp_path):
    exp_id = store.create_experiment("custom", artifact_location="s3://bucket/prefix")
    assert store.get_experiment(exp_id).artifact_location == "s3://bucket/prefix"
    local = store.create_experiment("local", artifact_location=str(tmp_path / "arts"))
    assert store.get_experiment(local).artifact_location == str(tmp_path / "arts")


def test_duplicate_name_is_refused_and_nothing_changes(store):
    exp_id = store.create_experiment("dup", tags={"a": "1"})
    with pytest.raises(ResourceAlreadyExistsError, match="'dup' already exists"):
        store.create_experiment("dup", tags={"a": "2"})
    assert store.get_experiment(exp_id).tags == {"a": "1"}
    assert [e.name for e in _all(store)] == ["Default", "dup"]


def test_names_are_case_sensitive(store):
    a = store.create_experiment("Taxi")
    b = store.create_experiment("taxi")
    assert a != b
    assert store.get_experiment_by_name("taxi").experiment_id == b
    assert store.get_experiment_by_name("TAXI") is None


def test_unknown_experiment_id(store):
    for bad in ("42", "abc", "", "-1"):
        with pytest.raises(ResourceNotFoundError, match="No experiment with id"):
            store.get_experiment(bad)
    assert store.get_experiment_by_name("missing") is None


@pytest.mark.parametrize("bad", ["", "   ", "x" * 257])
def test_bad_experiment_names(store, bad):
    with pytest.raises(InvalidParameterError, match="Invalid experiment name"):
        store.create_experiment(bad)
    assert [e.name for e in _all(store)] == ["Default"]


def test_rename(store):
    exp_id = store.create_experiment("old")
    other = store.create_experiment("other")
    store.rename_experiment(exp_id, "new")
    assert store.get_experiment(exp_id).name == "new"
    assert store.get_experiment_by_name("old") is None
    with pytest.raises(ResourceAlreadyExistsError, match="'other'"):
        store.rename_experiment(exp_id, "other")
    assert store.get_experiment(exp_id).name == "new"
    assert store.get_experiment(other).name == "other"


def test_delete_and_restore_experiment_with_runs(store):
    exp_id = store.create_experiment("to-delete")
    kept = store.create_run(exp_id, "u", None).info.run_id
    deleted_before = store.create_run(exp_id, "u", None).info.run_id
    store.delete_run(deleted_before)
    store.delete_experiment(exp_id)
    exp = store.get_experiment(exp_id)
    assert exp.lifecycle_stage == LifecycleStage.DELETED
    # get by name still finds deleted experiments, with their stage
    assert store.get_experiment_by_name("to-delete").lifecycle_stage == LifecycleStage.DELETED
    assert store.get_run(kept).info.lifecycle_stage == LifecycleStage.DELETED
    with pytest.raises(InvalidStateError, match="deleted"):
        store.create_run(exp_id, "u", None)
    with pytest.raises(InvalidStateError, match="deleted"):
        store.rename_experiment(exp_id, "renamed")
    with pytest.raises(InvalidStateError, match="deleted"):
        store.set_experiment_tag(exp_id, "k", "v")
    with pytest.raises(ResourceAlreadyExistsError):
        store.create_experiment("to-delete")
    store.restore_experiment(exp_id)
    assert store.get_experiment(exp_id).lifecycle_stage == LifecycleStage.ACTIVE
    assert store.get_run(kept).info.lifecycle_stage == LifecycleStage.ACTIVE
    # a run deleted on its own before the experiment stays deleted
    assert store.get_run(deleted_before).info.lifecycle_stage == LifecycleStage.DELETED


def test_delete_unknown_experiment(store):
    with pytest.raises(ResourceNotFoundError, match="'77'"):
        store.delete_experiment("77")


def test_experiment_tags_set_and_overwrite(store):
    exp_id = store.create_experiment("tagged")
    store.set_experiment_tag(exp_id, "stage", "dev")
    store.set_experiment_tag(exp_id, "stage", "prod")
    store.set_experiment_tag(exp_id, "Stage", "other-case")
    assert store.get_experiment(exp_id).tags == {"stage": "prod", "Stage": "other-case"}


def test_bad_experiment_tag_changes_nothing(store):
    exp_id = store.create_experiment("tagged", tags={"ok": "1"})
    with pytest.raises(InvalidParameterError, match=r"Invalid experiment tag key 'a/\.\./b'.*'\.\.'"):
        store.set_experiment_tag(exp_id, "a/../b", "v")
    with pytest.raises(InvalidParameterError, match="at most 8000 characters"):
        store.set_experiment_tag(exp_id, "long", "x" * 8001)
    assert store.get_experiment(exp_id).tags == {"ok": "1"}


def _all(store):
    """Every experiment, found by id (independent of search)."""
    found = []
    for i in range(10):
        try:
            found.append(store.get_experiment(str(i)))
        except ResourceNotFoundError:
            pass
    return found


@pytest.mark.parametrize(
    "name, message",
    [
        (5, "Invalid experiment name 5: the name must be a string"),
        (" \t", "Invalid experiment name ' \\t': the name must not be empty"),
        ("x" * 257, "Invalid experiment name '" + "x" * 74 + "...' (257 chars): the name must be at most 256 "
                    "characters (it has 257)"),
        ("a\x00", "Invalid experiment name 'a\\x00': text must not contain the NUL character"),
    ],
)
def test_bad_experiment_names_name_the_value_and_the_rule(store, name, message):
    with pytest.raises(InvalidParameterError, match=re.escape(message)):
        store.create_experiment(name)
    assert [e.name for e in _all(store)] == ["Default"]


def test_experiment_names_and_tags_at_their_limits_are_stored(store):
    exp_id = store.create_experiment("x" * 256, tags={"k" * 250: "v" * 8000})
    store.set_experiment_tag(exp_id, "number", 7)
    experiment = store.get_experiment(exp_id)
    assert experiment.name == "x" * 256
    assert experiment.tags == {"k" * 250: "v" * 8000, "number": "7"}


def test_bad_experiment_tag_values_name_the_value_key_and_limit(store):
    exp_id = store.create_experiment("tagged")
    for value, message in (
        ("x" * 8001, "Invalid experiment tag value '" + "x" * 74 + "...' (8001 chars) for key 'long': a experiment "
                     "tag value must be at most 8000 characters (it has 8001)"),
        ("a\x00", "Invalid experiment tag value for key 'long': 'a\\x00': text must not contain the NUL character"),
    ):
        with pytest.raises(InvalidParameterError, match=re.escape(message)):
            store.set_experiment_tag(exp_id, "long", value)
        with pytest.raises(InvalidParameterError, match=re.escape(message)):
            store.create_experiment("other", tags={"long": value})
    assert store.get_experiment(exp_id).tags == {}
    assert [e.name for e in _all(store)] == ["Default", "tagged"]
