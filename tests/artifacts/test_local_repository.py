"""The local artifact repository: logging, listing, downloading, and refusing paths that escape."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mltrail.artifacts import LocalArtifactRepository, get_artifact_repository
from mltrail.exceptions import InvalidParameterError, ResourceNotFoundError


@pytest.fixture
def repo(tmp_path: Path) -> LocalArtifactRepository:
    return get_artifact_repository(str(tmp_path / "root" / "1" / "runid" / "artifacts"))


@pytest.fixture
def model_file(tmp_path: Path) -> Path:
    path = tmp_path / "vectorizer.pkl"
    path.write_bytes(b"\x80\x04pickled")
    return path


def test_log_list_and_download_a_file(repo, model_file, tmp_path):
    repo.log_artifact(str(model_file), artifact_path="extra_artifacts")
    root = repo.list_artifacts()
    assert [(f.path, f.is_dir) for f in root] == [("extra_artifacts", True)]
    inner = repo.list_artifacts("extra_artifacts")
    assert [(f.path, f.is_dir, f.file_size) for f in inner] == [("extra_artifacts/vectorizer.pkl", False, 9)]
    copied = repo.download_artifacts("extra_artifacts/vectorizer.pkl", str(tmp_path / "out"))
    assert Path(copied) == tmp_path / "out" / "extra_artifacts" / "vectorizer.pkl"
    assert Path(copied).read_bytes() == model_file.read_bytes()
    in_place = repo.download_artifacts("extra_artifacts/vectorizer.pkl")
    assert Path(in_place).read_bytes() == model_file.read_bytes()
    assert Path(in_place).is_relative_to(Path(repo.root))


def test_log_and_download_a_folder_tree(repo, tmp_path):
    src = tmp_path / "outputs"
    (src / "plots").mkdir(parents=True)
    (src / "metrics.csv").write_text("a,b\n1,2\n")
    (src / "plots" / "loss.txt").write_text("0.5")
    repo.log_artifacts(str(src), "outputs")
    repo.log_artifacts(str(src))  # at the root too
    assert [f.path for f in repo.list_artifacts()] == ["metrics.csv", "outputs", "plots"]
    assert [f.path for f in repo.list_artifacts("outputs/plots")] == ["outputs/plots/loss.txt"]
    dst = repo.download_artifacts("outputs", str(tmp_path / "dl"))
    assert (Path(dst) / "plots" / "loss.txt").read_text() == "0.5"
    assert (Path(dst) / "metrics.csv").read_text() == "a,b\n1,2\n"
    everything = repo.download_artifacts("", str(tmp_path / "all"))
    assert sorted(os.listdir(everything)) == ["metrics.csv", "outputs", "plots"]


def test_log_bytes_writes_the_file_and_lists_its_size(repo):
    repo.log_bytes(b"hello", "notes/hello.txt")
    assert [(f.path, f.file_size) for f in repo.list_artifacts("notes")] == [("notes/hello.txt", 5)]


def test_listing_a_file_or_missing_path_is_empty_and_downloading_missing_raises(repo, model_file):
    repo.log_artifact(str(model_file))
    assert repo.list_artifacts("vectorizer.pkl") == []
    assert repo.list_artifacts("nothing/here") == []
    with pytest.raises(ResourceNotFoundError, match="nothing.txt"):
        repo.download_artifacts("nothing.txt")


def test_logging_a_missing_local_file_names_it(repo, tmp_path):
    with pytest.raises(InvalidParameterError, match="no-such.pkl"):
        repo.log_artifact(str(tmp_path / "no-such.pkl"))
    with pytest.raises(InvalidParameterError, match="it is a folder.*log_artifacts"):
        repo.log_artifact(str(tmp_path))
    with pytest.raises(InvalidParameterError, match="not a folder"):
        repo.log_artifacts(str(tmp_path / "no-such-dir"))


@pytest.mark.parametrize("bad", ["../escape", "a/../../escape", "/etc", "..", "C:\\Windows"])
def test_paths_escaping_the_run_folder_are_refused_and_nothing_is_written(repo, model_file, tmp_path, bad):
    before = sorted(p for p in tmp_path.rglob("*"))
    with pytest.raises(InvalidParameterError) as err:
        repo.log_artifact(str(model_file), bad)
    assert repr(bad) in str(err.value) and "relative to the run's artifact folder" in str(err.value)
    with pytest.raises(InvalidParameterError):
        repo.log_bytes(b"x", f"{bad}/x.txt")
    with pytest.raises(InvalidParameterError):
        repo.list_artifacts(bad)
    with pytest.raises(InvalidParameterError):
        repo.download_artifacts(bad, str(tmp_path / "dl"))
    assert sorted(p for p in tmp_path.rglob("*")) == before


def test_symlinks_pointing_outside_are_refused(repo, model_file, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("s3cr3t")
    repo.log_artifact(str(model_file))
    os.symlink(outside, Path(repo.root) / "link_dir")
    os.symlink(outside / "secret.txt", Path(repo.root) / "link_file")

    with pytest.raises(InvalidParameterError, match="'link_dir'.*outside the run's artifact folder"):
        repo.list_artifacts("link_dir")
    with pytest.raises(InvalidParameterError, match="link_file"):
        repo.download_artifacts("link_file", str(tmp_path / "dl"))
    with pytest.raises(InvalidParameterError, match="link_file"):
        repo.download_artifacts("link_file")
    with pytest.raises(InvalidParameterError, match="link_dir"):
        repo.log_artifact(str(model_file), "link_dir")
    with pytest.raises(InvalidParameterError, match="link_dir"):
        repo.log_bytes(b"overwrite", "link_dir/secret.txt")
    # downloading the whole run must not follow them either
    with pytest.raises(InvalidParameterError, match="link_"):
        repo.download_artifacts("", str(tmp_path / "all"))
    assert (outside / "secret.txt").read_text() == "s3cr3t"
    assert sorted(os.listdir(outside)) == ["secret.txt"]


def test_symlink_inside_the_run_folder_is_fine(repo, model_file, tmp_path):
    repo.log_artifact(str(model_file), "real")
    os.symlink(Path(repo.root) / "real", Path(repo.root) / "alias")
    assert [f.path for f in repo.list_artifacts("alias")] == ["alias/vectorizer.pkl"]


def test_file_uri_and_plain_path_name_the_same_folder(tmp_path, model_file):
    folder = tmp_path / "arts"
    get_artifact_repository(folder.as_uri()).log_artifact(str(model_file))
    assert [f.path for f in get_artifact_repository(str(folder)).list_artifacts()] == ["vectorizer.pkl"]


def test_unsupported_schemes_raise_errors_naming_the_scheme():
    with pytest.raises(InvalidParameterError, match=r"scheme 'gs'"):
        get_artifact_repository("gs://bucket/x")
    with pytest.raises(InvalidParameterError, match="file:// URIs must name a local path"):
        get_artifact_repository("file://otherhost/data")
