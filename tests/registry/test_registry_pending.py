"""What a crash leaves behind: a register_model killed mid-copy, temporary save folders.

A real process is SIGKILLed while it copies a model into the registry (its
copy is made to stop half-way by wrapping the artifact repository's copy in
that process only). Its version must not stay PENDING_REGISTRATION forever:
once older than the timeout, the next registration or ``mltrail gc`` marks it
FAILED_REGISTRATION and removes the partial copy.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

import mltrail
from mltrail.artifacts.local import local_path_from_uri
from mltrail.cli import main
from mltrail.exceptions import InvalidParameterError, MltrailError


@pytest.fixture(autouse=True)
def _direct_stores_only(request):
    """These tests read and kill what happens on the local disk; over HTTP the server does the copy."""
    if "[http-" in request.node.name:
        pytest.skip("the registered copy is made by the server: local files and a killed client say nothing")

_KILLED_MID_COPY = r"""
import os, sys, time
import mltrail
from mltrail.artifacts.local import LocalArtifactRepository

flag = sys.argv[2]

def half_a_copy(self, local_dir, artifact_path=None):
    self.log_artifact(os.path.join(local_dir, "MLmodel"))  # the first file lands...
    with open(flag + ".tmp", "w") as f:
        f.write(self.root)
    os.replace(flag + ".tmp", flag)
    time.sleep(3600)  # ...and the process is killed before the rest

LocalArtifactRepository.log_artifacts = half_a_copy
mltrail.register_model(sys.argv[1], "m")
"""


def _register_and_kill(tracking_uri: str, model_uri: str, tmp_path) -> str:
    """Run register_model in a subprocess, SIGKILL it mid-copy; return the version's partial copy folder."""
    flag = str(tmp_path / f"copying-{time.monotonic_ns()}")
    proc = subprocess.Popen(
        [sys.executable, "-c", _KILLED_MID_COPY, model_uri, flag],
        env=dict(os.environ, MLTRAIL_TRACKING_URI=tracking_uri),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 120
        while not os.path.exists(flag):
            assert proc.poll() is None, proc.stdout.read().decode()
            assert time.monotonic() < deadline, "the registration never started copying"
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(60)
        proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL
    copy = open(flag).read()
    assert sorted(os.listdir(copy)) == ["MLmodel"]  # a partial copy
    return copy


def test_a_killed_registration_is_failed_and_cleaned_by_the_next_registration(
    client, log_plain_model, intercept_of, tmp_path, monkeypatch
):
    source = log_plain_model(intercept=1.0)
    copy = _register_and_kill(client._tracking_uri, source, tmp_path)
    stuck = client.get_model_version("m", 1)
    assert stuck.status == "PENDING_REGISTRATION"

    # Younger than the default timeout (10 minutes): left alone (its copy may still be running).
    assert mltrail.register_model(log_plain_model(intercept=2.0), "m").version == 2
    assert client.get_model_version("m", 1).status == "PENDING_REGISTRATION" and os.path.isdir(copy)

    monkeypatch.setenv("MLTRAIL_PENDING_REGISTRATION_TIMEOUT", "0")
    third = mltrail.register_model(log_plain_model(intercept=3.0), "m")
    assert (third.version, third.status) == (3, "READY")
    failed = client.get_model_version("m", 1)
    assert failed.status == "FAILED_REGISTRATION"
    assert "did not finish within 0 s" in failed.status_message and "partial copy is removed" in failed.status_message
    assert not os.path.exists(copy)
    assert (intercept_of("models:/m/2"), intercept_of("models:/m/3")) == (2.0, 3.0)
    versions = sorted(client.search_model_versions("name = 'm'"), key=lambda v: v.version)
    assert [v.status for v in versions] == ["FAILED_REGISTRATION", "READY", "READY"]


def test_mltrail_gc_fails_stuck_versions_and_removes_temporary_save_folders(client, log_plain_model, tmp_path):
    source = log_plain_model(intercept=1.0)
    copy = _register_and_kill(client._tracking_uri, source, tmp_path)
    run_id = source.split("/")[1]
    run_root = local_path_from_uri(client.get_run(run_id).info.artifact_uri)
    leftover = os.path.join(run_root, "model", ".mltrail-save-k2j4")
    os.makedirs(os.path.join(leftover, "inner"))
    open(os.path.join(leftover, "inner", "model.pkl"), "wb").write(b"half a pickle")
    assert [f.path for f in client.list_artifacts(run_id, "model")] == sorted(
        f"model/{n}" for n in os.listdir(os.path.join(run_root, "model")) if not n.startswith(".mltrail-save-")
    )
    uri = client._tracking_uri

    young = CliRunner().invoke(main, ["gc", "--tracking-uri", uri])
    assert young.exit_code == 0 and young.output == "Nothing to clean up.\n"
    assert client.get_model_version("m", 1).status == "PENDING_REGISTRATION" and os.path.isdir(leftover)

    result = CliRunner().invoke(main, ["gc", "--tracking-uri", uri, "--older-than", "0"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"Expired registration: m version 1, partial copy removed: {client.get_model_version_download_uri('m', 1)}",
        f"Removed temporary save folder: {os.path.realpath(leftover)}",
    ]
    assert client.get_model_version("m", 1).status == "FAILED_REGISTRATION"
    assert not os.path.exists(copy) and not os.path.exists(leftover)
    assert os.path.isfile(os.path.join(run_root, "model", "MLmodel"))  # the model itself is untouched
    again = CliRunner().invoke(main, ["gc", "--tracking-uri", uri, "--older-than", "0"])
    assert again.output == "Nothing to clean up.\n"


def test_a_copy_that_outlives_the_timeout_is_not_marked_ready(sqlite_client, log_plain_model, monkeypatch):
    """A registration slower than the timeout, expired by a gc meanwhile, fails instead of going READY."""
    from mltrail.artifacts.local import LocalArtifactRepository
    from mltrail.cli.gc import collect

    client = sqlite_client
    source = log_plain_model(intercept=1.0)
    copy_all = LocalArtifactRepository.log_artifacts
    copies = []

    def copy_then_a_gc_runs(self, local_dir, artifact_path=None):
        copy_all(self, local_dir, artifact_path)
        copies.append(self.root)
        assert collect(client, older_than_seconds=0)[0].startswith("Expired registration: m version 1")

    monkeypatch.setattr(LocalArtifactRepository, "log_artifacts", copy_then_a_gc_runs)
    with pytest.raises(MltrailError, match="it is FAILED_REGISTRATION, not PENDING_REGISTRATION.*MLTRAIL_PENDING_REGISTRATION_TIMEOUT"):
        mltrail.register_model(source, "m")
    assert client.get_model_version("m", 1).status == "FAILED_REGISTRATION"
    assert not os.path.exists(copies[0])


def test_the_timeout_setting_is_checked(sqlite_client, log_plain_model, monkeypatch):
    for bad in ("-1", "soon", "nan", "inf"):
        monkeypatch.setenv("MLTRAIL_PENDING_REGISTRATION_TIMEOUT", bad)
        with pytest.raises(InvalidParameterError, match=f"MLTRAIL_PENDING_REGISTRATION_TIMEOUT.*{bad}.*is invalid"):
            mltrail.register_model(log_plain_model(), "m")
    bad_option = CliRunner().invoke(main, ["gc", "--tracking-uri", sqlite_client._tracking_uri, "--older-than", "-5"])
    assert bad_option.exit_code == 2 and "-5" in bad_option.output


def test_list_artifacts_never_shows_a_temporary_save_folder(sqlite_client):
    with mltrail.start_run() as run:
        mltrail.log_text("x", "notes/a.txt")
    root = local_path_from_uri(run.info.artifact_uri)
    os.makedirs(os.path.join(root, ".mltrail-save-abc"))
    os.makedirs(os.path.join(root, "notes", ".mltrail-save-def"))
    os.makedirs(os.path.join(root, ".hidden"))
    assert [f.path for f in sqlite_client.list_artifacts(run.info.run_id)] == [".hidden", "notes"]
    assert [f.path for f in sqlite_client.list_artifacts(run.info.run_id, "notes")] == ["notes/a.txt"]


def test_gc_removes_the_copy_of_a_version_expired_without_cleanup(client, log_plain_model):
    """A process that expired a version but died before removing its copy: gc removes the copy later."""
    from mltrail.client.registry_storage import storage_root

    store = client._registry_store
    client.create_registered_model("m")
    pending = store.create_model_version("m", log_plain_model(), storage_root=storage_root(store))
    fresh = store.create_model_version("m", log_plain_model(), storage_root=storage_root(store))
    location = store.get_model_version_download_uri("m", pending.version)
    os.makedirs(local_path_from_uri(location))
    open(os.path.join(local_path_from_uri(location), "MLmodel"), "w").write("partial")
    assert store.expire_pending_model_versions(3_600_000) == []  # younger than an hour: kept
    expired = store.expire_pending_model_versions(0)
    assert [(mv.version, mv.status) for mv in expired] == [(1, "FAILED_REGISTRATION"), (2, "FAILED_REGISTRATION")]
    assert fresh.version == 2 and os.path.isdir(local_path_from_uri(location))
    result = CliRunner().invoke(main, ["gc", "--tracking-uri", client._tracking_uri])
    assert result.output == f"Removed copy of failed registration: m version 1: {location}\n"
    assert not os.path.exists(local_path_from_uri(location))
