"""Artifact calls look a run up cheaply (its info only, the artifact URI remembered) and stay correct.

The remembered artifact URI must not let a run deleted since slip through:
logging to it is refused; reading its artifacts still works.
"""

from __future__ import annotations

import pytest

from mltrail import Client
from mltrail.entities import Param
from mltrail.exceptions import InvalidStateError, ResourceNotFoundError


def test_logging_is_refused_once_the_run_is_deleted_even_after_earlier_artifacts(sqlite_uri):
    client = Client(sqlite_uri)
    run_id = client.create_run("0").info.run_id
    client.log_text(run_id, "first", "notes/a.txt")  # the run's artifact URI is now remembered
    client.delete_run(run_id)
    with pytest.raises(InvalidStateError, match=f"{run_id}.*deleted"):
        client.log_text(run_id, "second", "notes/b.txt")
    with pytest.raises(InvalidStateError, match=f"{run_id}.*deleted"):
        Client(sqlite_uri).log_dict(run_id, {"a": 1}, "c.json")  # another client of the same store
    assert [f.path for f in client.list_artifacts(run_id, "notes")] == ["notes/a.txt"]  # reading still works
    client.restore_run(run_id)
    client.log_text(run_id, "second", "notes/b.txt")
    assert [f.path for f in client.list_artifacts(run_id, "notes")] == ["notes/a.txt", "notes/b.txt"]


def test_artifact_uri_comes_from_the_run_and_unknown_runs_are_reported(sqlite_uri):
    client = Client(sqlite_uri)
    run = client.create_run("0")
    client.log_batch(run.info.run_id, params=[Param("alpha", "1")])
    assert client.get_artifact_uri(run.info.run_id) == run.info.artifact_uri
    assert client.get_artifact_uri(run.info.run_id, "model") == run.info.artifact_uri + "/model"
    for call in (
        lambda: client.log_text("0123456789abcdef0123456789abcdef", "x", "x.txt"),
        lambda: client.list_artifacts("0123456789abcdef0123456789abcdef"),
        lambda: client.get_artifact_uri("0123456789abcdef0123456789abcdef"),
    ):
        with pytest.raises(ResourceNotFoundError, match="'0123456789abcdef0123456789abcdef'"):
            call()


def test_the_same_run_id_in_two_stores_keeps_each_stores_artifact_uri(sqlite_uri, tmp_path):
    """URIs are remembered per tracking URI: a second database with its own artifact root is not confused."""
    first = Client(sqlite_uri)
    run_id = first.create_run("0").info.run_id
    first.log_text(run_id, "x", "x.txt")
    other = Client("sqlite:///" + str(tmp_path / "other.db"))
    with pytest.raises(ResourceNotFoundError, match=run_id):
        other.list_artifacts(run_id)
