"""System tags mltrail sets on runs, and the per-process context they come from.

System tags carry MLflow's names (``mlflow.runName``, ``mlflow.user``...), so
MLflow scripts that read or filter them keep working and either client reads
the other's runs; facts only mltrail records live under ``mltrail.``::

    from mltrail._system_tags import run_context_tags, PARENT_RUN_ID
    run_context_tags()
    # {'mlflow.user': 'alice', 'mlflow.source.name': '/home/alice/train.py',
    #  'mlflow.source.type': 'LOCAL', 'mlflow.source.git.commit': '3f2a...',
    #  'mltrail.python.version': '3.11.7'}

Stores written by mltrail 0.1 used ``mltrail.<name>`` for the same tags:
revision ``0004_mlflow_system_tags`` renames them, and :func:`get_tag` and the
search filters still accept the old names (:data:`LEGACY_NAMES`).

The context is computed once per process (no subprocess: the git commit is
read from ``.git`` directly, worktrees included).
"""

from __future__ import annotations

import functools
import getpass
import os
import platform
import sys
from typing import Optional

USER = "mlflow.user"
SOURCE_NAME = "mlflow.source.name"
SOURCE_TYPE = "mlflow.source.type"
SOURCE_GIT_COMMIT = "mlflow.source.git.commit"
SOURCE_GIT_BRANCH = "mlflow.source.git.branch"
RUN_NAME = "mlflow.runName"
PARENT_RUN_ID = "mlflow.parentRunId"
NOTE_CONTENT = "mlflow.note.content"
AUTOLOGGING = "mlflow.autologging"
LOGGED_IMAGES = "mlflow.loggedImages"
#: JSON list of ``{"path": ..., "type": "table"}`` for tables logged with log_table (MLflow's tag).
LOGGED_ARTIFACTS = "mlflow.loggedArtifacts"
DATASET_CONTEXT = "mlflow.data.context"
#: mltrail-only fact: MLflow records no Python version on runs.
PYTHON_VERSION = "mltrail.python.version"

#: The name mltrail 0.1 wrote for each system tag -> MLflow's name, written since.
LEGACY_NAMES = {
    "mltrail.user": USER,
    "mltrail.source.name": SOURCE_NAME,
    "mltrail.source.type": SOURCE_TYPE,
    "mltrail.source.git.commit": SOURCE_GIT_COMMIT,
    "mltrail.source.git.branch": SOURCE_GIT_BRANCH,
    "mltrail.runName": RUN_NAME,
    "mltrail.parentRunId": PARENT_RUN_ID,
    "mltrail.note.content": NOTE_CONTENT,
    "mltrail.autologging": AUTOLOGGING,
    "mltrail.data.context": DATASET_CONTEXT,
}
_CURRENT_TO_LEGACY = {new: old for old, new in LEGACY_NAMES.items()}


def get_tag(tags: dict[str, str], key: str) -> Optional[str]:
    """Read a system tag by its name, falling back to the name mltrail 0.1 wrote.

    >>> get_tag({"mltrail.runName": "clean-fox-3"}, RUN_NAME)
    'clean-fox-3'
    """
    value = tags.get(key)
    if value is None and key in _CURRENT_TO_LEGACY:
        value = tags.get(_CURRENT_TO_LEGACY[key])
    return value


@functools.lru_cache(maxsize=1)
def current_user() -> str:
    """The login name of the process owner ("unknown" when none can be found).

    >>> current_user()
    'alice'
    """
    try:
        return getpass.getuser()
    except Exception:
        return "unknown"


def _notebook_name() -> Optional[str]:
    ipython_module = sys.modules.get("IPython")
    if ipython_module is None or "ipykernel" not in sys.modules:
        return None
    try:
        shell = ipython_module.get_ipython()
    except Exception:
        return None
    if shell is None or not hasattr(shell, "kernel"):
        return None
    name = os.environ.get("JPY_SESSION_NAME") or shell.user_ns.get("__vsc_ipynb_file__")
    return str(name) if name else "Jupyter notebook"


def _source() -> tuple[str, str, Optional[str]]:
    """(source name, source type, folder to look for git from)."""
    notebook = _notebook_name()
    if notebook is not None:
        folder = os.path.dirname(notebook) if os.path.isabs(notebook) else os.getcwd()
        return notebook, "NOTEBOOK", folder
    argv0 = sys.argv[0] if sys.argv and sys.argv[0] else ""
    if argv0 and os.path.isfile(argv0):
        path = os.path.abspath(argv0)
        return path, "LOCAL", os.path.dirname(path)
    return (argv0 or "<interactive>"), "LOCAL", os.getcwd()


def _find_git_dir(start: str) -> Optional[str]:
    folder = os.path.abspath(start)
    while True:
        candidate = os.path.join(folder, ".git")
        if os.path.isdir(candidate):
            return candidate
        if os.path.isfile(candidate):  # worktree or submodule: "gitdir: <path>"
            try:
                with open(candidate, encoding="utf-8") as fh:
                    line = fh.readline().strip()
            except OSError:
                return None
            if line.startswith("gitdir:"):
                target = line[len("gitdir:"):].strip()
                return os.path.normpath(os.path.join(folder, target))
            return None
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def _read_ref(common_dir: str, git_dir: str, ref: str) -> Optional[str]:
    for base in (git_dir, common_dir):
        try:
            with open(os.path.join(base, *ref.split("/")), encoding="utf-8") as fh:
                value = fh.read().strip()
            if value:
                return value
        except OSError:
            pass
    try:
        with open(os.path.join(common_dir, "packed-refs"), encoding="utf-8") as fh:
            for line in fh:
                parts = line.strip().split(" ", 1)
                if len(parts) == 2 and parts[1] == ref and not line.startswith(("#", "^")):
                    return parts[0]
    except OSError:
        pass
    return None


def git_head(start: str) -> tuple[Optional[str], Optional[str]]:
    """(commit sha, branch name) of the git checkout containing ``start``, or (None, None).

    Reads ``.git/HEAD``, loose refs and ``packed-refs`` directly; a ``.git``
    file (worktree, submodule) is followed to its git dir.

    >>> git_head("/home/alice/project")
    ('3f2a9c...', 'main')
    """
    git_dir = _find_git_dir(start)
    if git_dir is None:
        return None, None
    common_dir = git_dir
    try:
        with open(os.path.join(git_dir, "commondir"), encoding="utf-8") as fh:
            common_dir = os.path.normpath(os.path.join(git_dir, fh.read().strip()))
    except OSError:
        pass
    try:
        with open(os.path.join(git_dir, "HEAD"), encoding="utf-8") as fh:
            head = fh.read().strip()
    except OSError:
        return None, None
    if head.startswith("ref:"):
        ref = head[len("ref:"):].strip()
        branch = ref[len("refs/heads/"):] if ref.startswith("refs/heads/") else None
        return _read_ref(common_dir, git_dir, ref), branch
    return (head or None), None


@functools.lru_cache(maxsize=1)
def _process_context() -> tuple[tuple[str, str], ...]:
    name, source_type, folder = _source()
    tags = {
        USER: current_user(),
        SOURCE_NAME: name,
        SOURCE_TYPE: source_type,
        PYTHON_VERSION: platform.python_version(),
    }
    if folder:
        commit, branch = git_head(folder)
        if commit:
            tags[SOURCE_GIT_COMMIT] = commit
        if branch:
            tags[SOURCE_GIT_BRANCH] = branch
    return tuple(tags.items())


def run_context_tags() -> dict[str, str]:
    """The system tags of this process (user, source, git commit, Python version); cached.

    >>> run_context_tags()["mlflow.source.type"]
    'LOCAL'
    """
    return dict(_process_context())
