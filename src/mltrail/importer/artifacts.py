"""Where an experiment's artifacts are in the source and go in the target; copying them; model integrity.

:class:`LocationMap` maps one experiment's recorded artifact location (often
an absolute path on another machine, or ``mlflow-artifacts:/...``) to a local
source folder (the recorded path when it exists, else ``<--artifacts>/<experiment
id>``) and to the target location (``<target artifact root>/<experiment id>``,
or the recorded one with ``--keep-artifact-location``). Every run, logged model
and model-version location under it maps by the same prefix.

A model folder copied from MLflow has no ``files:`` record in its MLmodel:
:func:`record_model_integrity` appends one (the sha256 and size of every other
file) after MLflow's text, which stays byte for byte, so mltrail verifies the
folder on load like one it saved.

>>> loc = LocationMap("/old/mlruns/1", 1, "/data/mlruns", "/srv/mltrail-artifacts/1")
>>> loc.source("/old/mlruns/1/5f0c/artifacts"), loc.target("/old/mlruns/1/5f0c/artifacts")
('/data/mlruns/1/5f0c/artifacts', '/srv/mltrail-artifacts/1/5f0c/artifacts')
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from typing import Callable, Optional
from urllib.parse import unquote, urlparse

import yaml

from ..models.integrity import MLMODEL_FILE_NAME, hash_folder

#: First line of the integrity record appended to an imported MLmodel.
INTEGRITY_MARKER = "# files: sha256 and size of every file, recorded by mltrail import-mlflow\n"


def local_path(uri: str) -> Optional[str]:
    """The local path of a ``file:`` URI or plain path; None for other schemes.

    >>> local_path("file:///data/mlruns/1"), local_path("s3://b/1")
    ('/data/mlruns/1', None)
    """
    if uri.startswith("file:"):
        return unquote(urlparse(uri).path)
    if "://" in uri or uri.startswith("mlflow-artifacts:"):
        return None
    return os.path.abspath(uri) if uri else None


@dataclass
class TreeSize:
    """Files and bytes under a folder (an imported MLmodel's integrity record not counted)."""

    files: int = 0
    bytes: int = 0

    def add(self, other: "TreeSize") -> None:
        self.files += other.files
        self.bytes += other.bytes


def tree_size(folder: Optional[str]) -> TreeSize:
    """Count the files and bytes under ``folder`` (nothing when it is missing).

    >>> tree_size("/srv/mltrail-artifacts/1/5f0c/artifacts").files
    7
    """
    size = TreeSize()
    if not folder or not os.path.isdir(folder):
        return size
    for dirpath, _dirs, files in os.walk(folder):
        for name in files:
            path = os.path.join(dirpath, name)
            size.files += 1
            size.bytes += os.path.getsize(path) - (_record_length(path) if name == MLMODEL_FILE_NAME else 0)
    return size


def _record_length(path: str) -> int:
    """Bytes of the integrity record appended to an MLmodel (0 when there is none)."""
    with open(path, "rb") as f:
        data = f.read()
    at = data.find(INTEGRITY_MARKER.encode())
    return len(data) - at if at >= 0 else 0


def copy_tree(source: str, target: str, on_bytes: Callable[[int], None]) -> None:
    """Copy the folder ``source`` to ``target`` (created; files there are replaced), then record the
    integrity of every model folder in the copy.

    >>> copy_tree("/data/mlruns/1/5f0c/artifacts", "/srv/mltrail-artifacts/1/5f0c/artifacts", print)
    """
    for dirpath, _dirs, files in os.walk(source):
        rel = os.path.relpath(dirpath, source)
        out_dir = target if rel == "." else os.path.join(target, rel)
        os.makedirs(out_dir, exist_ok=True)
        for name in files:
            shutil.copyfile(os.path.join(dirpath, name), os.path.join(out_dir, name))
            on_bytes(os.path.getsize(os.path.join(out_dir, name)))
    for dirpath, _dirs, files in os.walk(target):
        if MLMODEL_FILE_NAME in files:
            record_model_integrity(dirpath)


def record_model_integrity(folder: str) -> None:
    """Append ``files:`` (sha256 and size of every file but MLmodel) to a model folder's MLmodel that has none.

    >>> record_model_integrity("/srv/mltrail-artifacts/1/models/m-6c0f.../artifacts")
    """
    path = os.path.join(folder, MLMODEL_FILE_NAME)
    with open(path, encoding="utf-8") as f:
        text = f.read()
    try:
        parsed = yaml.safe_load(text)
    except yaml.YAMLError:
        return  # not an MLmodel we can read: left as it is (it loads as it did in MLflow, unverified)
    if not isinstance(parsed, dict) or "files" in parsed or INTEGRITY_MARKER in text:
        return
    record = yaml.safe_dump({"files": hash_folder(folder)}, default_flow_style=False, sort_keys=True)
    with open(path, "a", encoding="utf-8") as f:
        f.write(("" if text.endswith("\n") or not text else "\n") + INTEGRITY_MARKER + record)


class LocationMap:
    """Source and target locations of one experiment's artifacts (see the module docstring)."""

    def __init__(
        self,
        recorded: str,
        experiment_id: int,
        artifact_root: Optional[str],
        target_location: Optional[str],
    ) -> None:
        self.recorded = recorded.rstrip("/")
        self.experiment_id = experiment_id
        found = local_path(recorded) if recorded else None
        if recorded.startswith("mlflow-artifacts:") and artifact_root:
            rest = urlparse(recorded).path.strip("/")
            found = os.path.join(artifact_root, *rest.split("/")) if rest else artifact_root
        elif (found is None or not os.path.isdir(found)) and artifact_root and "://" not in artifact_root:
            found = os.path.join(artifact_root, str(experiment_id))
        self.source_root = found
        #: None: artifacts are referenced where they are (``--keep-artifact-location``).
        self.target_root = target_location.rstrip("/") if target_location else None

    @property
    def target_location(self) -> str:
        """The experiment's artifact location in the target."""
        return self.target_root or self.recorded

    def _rest(self, uri: str) -> Optional[str]:
        uri = uri.rstrip("/")
        if uri == self.recorded:
            return ""
        if uri.startswith(self.recorded + "/"):
            return uri[len(self.recorded) :]
        path, base = local_path(uri), local_path(self.recorded)
        if path and base and path.startswith(base.rstrip("/") + "/"):
            return path[len(base.rstrip("/")) :]
        return None

    def covers(self, uri: str) -> bool:
        """True when ``uri`` is under this experiment's recorded location."""
        return bool(uri) and self._rest(uri) is not None

    def source(self, uri: str) -> Optional[str]:
        """The local source folder of ``uri`` (under the recorded location), or its own local path."""
        rest = self._rest(uri)
        if rest is None or self.source_root is None:
            return local_path(uri)
        return self.source_root + rest

    def target(self, uri: str) -> str:
        """Where ``uri`` is in the target store."""
        rest = self._rest(uri)
        if self.target_root is None or rest is None:
            return uri
        return self.target_root + rest


__all__ = ["INTEGRITY_MARKER", "LocationMap", "TreeSize", "copy_tree", "local_path", "record_model_integrity", "tree_size"]
