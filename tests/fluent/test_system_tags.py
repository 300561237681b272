"""System tags on runs started with the fluent API, and reading git state without a subprocess."""

from __future__ import annotations

import getpass
import platform
import shutil
import subprocess
from pathlib import Path

import pytest

import mltrail as mlflow
from mltrail._system_tags import get_tag, git_head

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git executable not installed")


def _git(cwd: Path, *args: str) -> str:
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@e", "PATH": "/usr/bin:/bin:/usr/local/bin", "HOME": str(cwd)}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True,
                          text=True).stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "src").mkdir(parents=True)
    _git(root, "init", "-q", "-b", "main")
    (root / "train.py").write_text("print('hi')\n")
    _git(root, "add", "train.py")
    _git(root, "commit", "-q", "-m", "first")
    return root


def test_run_gets_user_source_and_python_tags(tracking_uri, client):
    with mlflow.start_run() as run:
        pass
    tags = client.get_run(run.info.run_id).data.tags
    assert tags["mlflow.user"] == getpass.getuser()
    assert tags["mlflow.source.type"] == "LOCAL"
    assert tags["mlflow.source.name"]
    assert tags["mltrail.python.version"] == platform.python_version()
    assert tags["mlflow.runName"] == run.info.run_name  # a generated readable name
    assert client.get_run(run.info.run_id).info.user_id == getpass.getuser()


def test_user_tags_override_system_tags(tracking_uri, client):
    with mlflow.start_run(tags={"mlflow.source.name": "pipeline.yaml"}) as run:
        pass
    assert client.get_run(run.info.run_id).data.tags["mlflow.source.name"] == "pipeline.yaml"


@needs_git
def test_git_head_reads_loose_and_packed_refs_from_subfolders(repo):
    expected = _git(repo, "rev-parse", "HEAD")
    assert git_head(str(repo / "src")) == (expected, "main")
    _git(repo, "pack-refs", "--all")
    assert not (repo / ".git" / "refs" / "heads" / "main").exists()
    assert git_head(str(repo)) == (expected, "main")


@needs_git
def test_git_head_detached_and_worktree(repo, tmp_path):
    first = _git(repo, "rev-parse", "HEAD")
    (repo / "more.py").write_text("x = 1\n")
    _git(repo, "add", "more.py")
    _git(repo, "commit", "-q", "-m", "second")
    second = _git(repo, "rev-parse", "HEAD")
    _git(repo, "worktree", "add", "-q", "-b", "feature", str(tmp_path / "wt"), first)
    assert (tmp_path / "wt" / ".git").is_file()
    assert git_head(str(tmp_path / "wt")) == (first, "feature")
    assert git_head(str(repo)) == (second, "main")
    _git(repo, "checkout", "-q", "--detach", first)
    assert git_head(str(repo)) == (first, None)


def test_no_git_repository_means_no_commit(tmp_path):
    assert git_head(str(tmp_path)) == (None, None)


@needs_git
def test_script_in_a_git_checkout_records_the_commit(repo, tracking_uri, client):
    import sys

    (repo / "train.py").write_text(
        "import mltrail as mlflow\n"
        f"mlflow.set_tracking_uri({tracking_uri!r})\n"
        "with mlflow.start_run() as run:\n"
        "    print(run.info.run_id)\n"
    )
    out = subprocess.run([sys.executable, "train.py"], cwd=repo, capture_output=True, text=True, check=True)
    tags = client.get_run(out.stdout.strip()).data.tags
    assert tags["mlflow.source.git.commit"] == _git(repo, "rev-parse", "HEAD")
    assert tags["mlflow.source.git.branch"] == "main"
    assert tags["mlflow.source.name"] == str(repo / "train.py")


def test_get_tag_falls_back_to_the_names_mltrail_0_1_wrote():
    assert get_tag({"mltrail.user": "ana"}, "mlflow.user") == "ana"
    assert get_tag({"mltrail.user": "bo", "mlflow.user": "ana"}, "mlflow.user") == "ana"
    assert get_tag({}, "mlflow.user") is None
