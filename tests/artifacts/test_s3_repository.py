"""``s3://`` artifact folders against moto's standalone S3 server on 127.0.0.1 (fixtures ``s3_endpoint``,
``s3_bucket`` in tests/conftest.py): round trips, multipart, prefix boundaries, hostile keys, and a
dead, stalled or wrong storage."""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys

import boto3
import pytest

from mltrail.artifacts import get_artifact_repository
from mltrail.artifacts.s3 import S3ArtifactRepository
from mltrail.exceptions import InvalidParameterError, ResourceNotFoundError, StoreUnavailableError


def _s3():
    return boto3.session.Session().client("s3", endpoint_url=os.environ["MLFLOW_S3_ENDPOINT_URL"])


def _tree(root) -> dict[str, bytes]:
    return {os.path.relpath(os.path.join(d, f), root).replace(os.sep, "/"): open(os.path.join(d, f), "rb").read()
            for d, _, files in os.walk(root) for f in files}


@pytest.mark.parametrize("variable", ["MLFLOW_S3_ENDPOINT_URL", "AWS_ENDPOINT_URL"])
def test_files_and_folders_round_trip(s3_bucket, s3_endpoint, tmp_path, monkeypatch, variable) -> None:
    monkeypatch.delenv("MLFLOW_S3_ENDPOINT_URL")
    monkeypatch.setenv(variable, s3_endpoint)  # MLflow's name, or the AWS SDKs' own
    repo = get_artifact_repository(f"s3://{s3_bucket}/root/1/abc/artifacts")
    assert isinstance(repo, S3ArtifactRepository)
    src = tmp_path / "src"
    (src / "sub" / "deeper").mkdir(parents=True)
    (src / "a.txt").write_text("a")
    (src / "sub" / "b.json").write_text('{"b": 1}')
    (src / "sub" / "deeper" / "c.bin").write_bytes(b"\x00" * 3)
    repo.log_artifacts(str(src), "out")
    repo.log_artifact(str(src / "a.txt"))
    repo.log_bytes(b"hello", "notes/hello.txt")

    assert [(f.path, f.is_dir, f.file_size) for f in repo.list_artifacts()] == [
        ("a.txt", False, 1), ("notes", True, None), ("out", True, None)]
    assert [f.path for f in repo.list_artifacts("out/sub")] == ["out/sub/b.json", "out/sub/deeper"]
    assert repo.list_artifacts("out/a.txt") == [] and repo.list_artifacts("missing") == []

    folder = repo.download_artifacts("out", str(tmp_path / "dl"))
    assert folder == str(tmp_path / "dl" / "out")
    assert _tree(folder) == {"a.txt": b"a", "sub/b.json": b'{"b": 1}', "sub/deeper/c.bin": b"\x00" * 3}
    one = repo.download_artifacts("notes/hello.txt", str(tmp_path / "dl2"))
    assert open(one, "rb").read() == b"hello"
    with pytest.raises(ResourceNotFoundError, match="nothing-here"):
        repo.download_artifacts("nothing-here", str(tmp_path / "dl3"))

    repo.delete_artifacts("out/sub")
    assert [f.path for f in repo.list_artifacts("out")] == ["out/a.txt"]
    repo.delete_artifacts()
    assert repo.list_artifacts() == []


def test_a_large_file_goes_up_in_parts_and_comes_back_whole(s3_bucket, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("MLTRAIL_S3_MULTIPART_CHUNK_SIZE", str(5 * 1024 * 1024))
    data = os.urandom(11 * 1024 * 1024 + 123)
    (tmp_path / "weights.bin").write_bytes(data)
    repo = get_artifact_repository(f"s3://{s3_bucket}/big")
    repo.log_artifact(str(tmp_path / "weights.bin"), "models")
    etag = _s3().head_object(Bucket=s3_bucket, Key="big/models/weights.bin")["ETag"]
    assert etag.strip('"').endswith("-3")  # S3 marks an object made of 3 parts so
    back = repo.download_artifacts("models/weights.bin", str(tmp_path / "dl"))
    assert hashlib.sha256(open(back, "rb").read()).digest() == hashlib.sha256(data).digest()


def test_a_folder_is_never_confused_with_a_sibling_sharing_its_prefix(s3_bucket, tmp_path) -> None:
    (tmp_path / "f.txt").write_text("x")
    run1 = get_artifact_repository(f"s3://{s3_bucket}/exp/run1")
    run10 = get_artifact_repository(f"s3://{s3_bucket}/exp/run10")
    run1.log_artifact(str(tmp_path / "f.txt"))
    run10.log_artifact(str(tmp_path / "f.txt"), "mine")
    assert [f.path for f in run1.list_artifacts()] == ["f.txt"]
    run1.delete_artifacts()
    assert [f.path for f in run10.list_artifacts()] == ["mine"]


@pytest.mark.parametrize("path", ["../escape", "a/../../escape", "/abs", "a\x00b"])
def test_artifact_paths_that_leave_the_folder_are_refused(s3_bucket, tmp_path, path) -> None:
    (tmp_path / "f.txt").write_text("x")
    repo = get_artifact_repository(f"s3://{s3_bucket}/guarded/run")
    with pytest.raises(InvalidParameterError, match="Invalid artifact path"):
        repo.log_artifact(str(tmp_path / "f.txt"), path)
    with pytest.raises(InvalidParameterError, match="Invalid artifact path"):
        repo.download_artifacts(path, str(tmp_path / "dl"))
    assert _s3().list_objects_v2(Bucket=s3_bucket).get("KeyCount", 0) == 0


def test_a_hostile_key_in_the_bucket_is_refused_not_written_outside_the_download(s3_bucket, tmp_path) -> None:
    _s3().put_object(Bucket=s3_bucket, Key="hostile/run/ok.txt", Body=b"fine")
    _s3().put_object(Bucket=s3_bucket, Key="hostile/run/sub/../../../escaped.txt", Body=b"evil")
    repo = get_artifact_repository(f"s3://{s3_bucket}/hostile/run")
    target = tmp_path / "a" / "b" / "dl"
    with pytest.raises(InvalidParameterError, match=r"Refusing S3 object key .*escaped\.txt"):
        repo.download_artifacts("", str(target))
    with pytest.raises(InvalidParameterError, match="Refusing S3 object key"):
        repo.list_artifacts("sub")
    assert not [p for p in tmp_path.rglob("escaped.txt")]


def test_an_s3_uri_whose_prefix_climbs_is_refused(s3_bucket) -> None:
    with pytest.raises(InvalidParameterError, match="Invalid S3 URI"):
        get_artifact_repository(f"s3://{s3_bucket}/a/../b")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.timeout(60)
@pytest.mark.parametrize("variable", ["MLFLOW_S3_ENDPOINT_URL", "AWS_ENDPOINT_URL"])
def test_a_dead_endpoint_is_a_clear_error_naming_it(s3_bucket, tmp_path, monkeypatch, variable) -> None:
    dead = f"http://127.0.0.1:{_free_port()}"
    monkeypatch.delenv("MLFLOW_S3_ENDPOINT_URL")
    monkeypatch.setenv(variable, dead)
    (tmp_path / "f.txt").write_text("x")
    repo = get_artifact_repository(f"s3://{s3_bucket}/run")
    with pytest.raises(StoreUnavailableError, match=f"S3 endpoint {dead} is unreachable") as caught:
        repo.log_artifact(str(tmp_path / "f.txt"))
    assert caught.value.error_code == "TEMPORARILY_UNAVAILABLE"
    with pytest.raises(StoreUnavailableError, match=dead):
        repo.list_artifacts()


@pytest.mark.timeout(60)  # without the read timeout and bounded retries this waits 3 x 60 s
def test_a_stalled_endpoint_fails_within_the_read_timeout(s3_bucket, s3_endpoint, tmp_path, monkeypatch) -> None:
    from tests.store.tcp_proxy import TcpProxy

    host, port = s3_endpoint.rsplit("//", 1)[1].split(":")
    with TcpProxy(host, int(port)) as proxy:
        stalled = f"http://127.0.0.1:{proxy.port}"
        monkeypatch.setenv("MLFLOW_S3_ENDPOINT_URL", stalled)
        monkeypatch.setenv("MLTRAIL_S3_READ_TIMEOUT", "1")
        repo = get_artifact_repository(f"s3://{s3_bucket}/run")
        assert repo.list_artifacts() == []  # forwarding: works
        proxy.stall()
        with pytest.raises(StoreUnavailableError, match=f"S3 endpoint {stalled} is unreachable"):
            repo.list_artifacts()


def test_a_missing_bucket_is_a_clear_error_naming_it(s3_bucket, tmp_path) -> None:
    (tmp_path / "f.txt").write_text("x")
    repo = get_artifact_repository("s3://no-such-bucket-mltrail/run")
    for action in (lambda: repo.log_artifact(str(tmp_path / "f.txt")), repo.list_artifacts,
                   lambda: repo.download_artifacts("f.txt", str(tmp_path / "dl"))):
        with pytest.raises(ResourceNotFoundError, match="S3 bucket 'no-such-bucket-mltrail' does not exist"):
            action()


def test_bad_settings_are_refused_naming_the_variable(s3_bucket, monkeypatch) -> None:
    monkeypatch.setenv("MLTRAIL_S3_READ_TIMEOUT", "soon")
    with pytest.raises(InvalidParameterError, match="MLTRAIL_S3_READ_TIMEOUT='soon'"):
        get_artifact_repository(f"s3://{s3_bucket}/x")
    monkeypatch.delenv("MLTRAIL_S3_READ_TIMEOUT")
    monkeypatch.setenv("MLTRAIL_S3_MULTIPART_CHUNK_SIZE", "1024")
    with pytest.raises(InvalidParameterError, match="MLTRAIL_S3_MULTIPART_CHUNK_SIZE='1024'"):
        get_artifact_repository(f"s3://{s3_bucket}/x").log_bytes(b"x", "x.txt")


def test_import_mltrail_does_not_import_boto3() -> None:
    code = ("import sys, mltrail, mltrail.artifacts, mltrail.artifacts.s3; "
            "print(sorted(m for m in ('boto3', 'botocore') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_without_boto3_an_s3_uri_says_which_extra_to_install() -> None:
    code = ("import sys; sys.modules['boto3'] = None\n"  # as if boto3 were not installed
            "from mltrail.artifacts import get_artifact_repository\n"
            "try:\n    get_artifact_repository('s3://bucket/x')\n"
            "except Exception as e:\n    print(type(e).__name__, e)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.startswith("InvalidParameterError") and "pip install 'mltrail[s3]'" in out
