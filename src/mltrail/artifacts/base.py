"""The abstract artifact repository and the rules every artifact path obeys.

An artifact path is relative to the run's artifact folder, uses ``/`` as the
separator, and may not leave that folder::

    normalize_artifact_path("plots//./loss.png")   # 'plots/loss.png'
    normalize_artifact_path("../secrets")          # InvalidParameterError
"""

from __future__ import annotations

import abc
import os
import posixpath
import tempfile
from typing import Optional

from ..entities import FileInfo
from ..exceptions import InvalidParameterError, ResourceNotFoundError

_PATH_RULE = "must be relative to the run's artifact folder (no leading '/', no drive, no '..')"


def normalize_artifact_path(path: Optional[str]) -> str:
    """Validate an artifact path and return it in canonical form ("" for the root).

    Raises :class:`InvalidParameterError` naming the path when it is absolute,
    contains a ``..`` component or is not a string.

    >>> normalize_artifact_path("a/./b/")
    'a/b'
    """
    if path is None:
        return ""
    if isinstance(path, os.PathLike):
        path = os.fspath(path)
    if not isinstance(path, str):
        raise InvalidParameterError(f"Invalid artifact path {path!r}: must be a string")
    if "\x00" in path:
        raise InvalidParameterError(f"Invalid artifact path {path!r}: must not contain NUL characters")
    unified = path.replace("\\", "/")
    if unified.startswith("/") or (len(unified) > 1 and unified[1] == ":" and unified[0].isalpha()):
        raise InvalidParameterError(f"Invalid artifact path {path!r}: {_PATH_RULE}")
    parts = [p for p in unified.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise InvalidParameterError(f"Invalid artifact path {path!r}: {_PATH_RULE}")
    return "/".join(parts)


def join_artifact_path(*parts: Optional[str]) -> str:
    """Join already-valid artifact path pieces, skipping empty ones.

    >>> join_artifact_path("plots", None, "loss.png")
    'plots/loss.png'
    """
    return posixpath.join(*[p for p in parts if p]) if any(parts) else ""


def file_to_log(local_file: "str | os.PathLike[str]") -> str:
    """``local_file`` as a path string, checked to be a file ``log_artifact`` can upload.

    >>> file_to_log("weights.bin")
    'weights.bin'
    """
    local_file = os.fspath(local_file)
    if os.path.isdir(local_file):
        raise InvalidParameterError(
            f"Cannot log artifact {local_file!r}: it is a folder; log_artifact takes a file "
            f"(use log_artifacts for a folder)"
        )
    if not os.path.isfile(local_file):
        raise InvalidParameterError(f"Cannot log artifact {local_file!r}: no such file")
    return local_file


class ArtifactRepository(abc.ABC):
    """Files of one run (or any artifact folder), addressed by relative paths.

    Implementations: :class:`mltrail.artifacts.LocalArtifactRepository`
    (paths and ``file://``); further schemes register in
    ``mltrail.artifacts.REPOSITORY_CLASSES``::

        repo = get_artifact_repository(artifact_uri)
        repo.log_artifact("confusion.png", "plots")
        local = repo.download_artifacts("plots")
    """

    def __init__(self, artifact_uri: str) -> None:
        self.artifact_uri = artifact_uri

    @abc.abstractmethod
    def log_artifact(self, local_file: str, artifact_path: Optional[str] = None) -> None:
        """Copy one local file into the folder ``artifact_path`` (root when None).

        >>> repo.log_artifact("model.pkl", "models")     # -> models/model.pkl
        """

    @abc.abstractmethod
    def log_artifacts(self, local_dir: str, artifact_path: Optional[str] = None) -> None:
        """Copy the contents of a local folder into ``artifact_path`` (root when None).

        >>> repo.log_artifacts("outputs/", "outputs")
        """

    @abc.abstractmethod
    def list_artifacts(self, path: Optional[str] = None) -> list[FileInfo]:
        """Entries directly under ``path`` (root when None), sorted; [] for a file or a missing path.

        >>> [f.path for f in repo.list_artifacts("models")]
        ['models/model.pkl']
        """

    @abc.abstractmethod
    def _download_file(self, remote_file_path: str, local_path: str) -> None:
        """Copy one artifact file (canonical relative path) to ``local_path``."""

    def log_bytes(self, data: bytes, artifact_file: str) -> None:
        """Store ``data`` as the artifact file ``artifact_file`` (e.g. ``"notes/summary.txt"``).

        >>> repo.log_bytes(b"hello", "notes/hello.txt")
        """
        artifact_file = normalize_artifact_path(artifact_file)
        if not artifact_file:
            raise InvalidParameterError(f"Invalid artifact file {artifact_file!r}: must name a file")
        directory, name = posixpath.split(artifact_file)
        with tempfile.TemporaryDirectory(prefix="mltrail-") as tmp:
            local = os.path.join(tmp, name)
            with open(local, "wb") as fh:
                fh.write(data)
            self.log_artifact(local, directory or None)

    def download_artifacts(self, artifact_path: str, dst_path: Optional[str] = None) -> str:
        """Download a file or folder and return the local path of the downloaded copy.

        >>> repo.download_artifacts("plots", "/tmp/out")
        '/tmp/out/plots'
        """
        path = normalize_artifact_path(artifact_path)
        dst_root = os.path.abspath(dst_path) if dst_path else tempfile.mkdtemp(prefix="mltrail-download-")
        os.makedirs(dst_root, exist_ok=True)
        if path and not self._is_dir(path):
            local = os.path.join(dst_root, *path.split("/"))
            os.makedirs(os.path.dirname(local), exist_ok=True)
            self._download_file(path, local)
            return local
        entries = self.list_artifacts(path)
        self._download_tree(path, entries, dst_root)
        return os.path.join(dst_root, *path.split("/")) if path else dst_root

    def _is_dir(self, path: str) -> bool:
        """Whether ``path`` is a folder; generic version asks the parent's listing."""
        parent = posixpath.dirname(path)
        for info in self.list_artifacts(parent):
            if info.path == path:
                return info.is_dir
        raise ResourceNotFoundError(f"Artifact {path!r} does not exist under {self.artifact_uri}")

    def _download_tree(self, path: str, entries: list[FileInfo], dst_root: str) -> None:
        os.makedirs(os.path.join(dst_root, *path.split("/")) if path else dst_root, exist_ok=True)
        for info in entries:
            if info.is_dir:
                self._download_tree(info.path, self.list_artifacts(info.path), dst_root)
            else:
                local = os.path.join(dst_root, *info.path.split("/"))
                os.makedirs(os.path.dirname(local), exist_ok=True)
                self._download_file(info.path, local)

    def delete_artifacts(self, artifact_path: Optional[str] = None) -> None:
        """Delete a file or folder (everything when None). Optional for implementations.

        >>> repo.delete_artifacts("tmp")
        """
        raise NotImplementedError(f"{type(self).__name__} does not support deleting artifacts")
