"""Artifacts on the local disk (plain absolute paths and ``file://`` URIs).

Every path is checked against the repository's folder after resolving
symlinks, so neither ``..`` nor a symlink pointing elsewhere can make a
read or a write leave it::

    repo = LocalArtifactRepository("/data/mltrail-artifacts/1/<run_id>/artifacts")
    repo.log_artifact("vectorizer.pkl", artifact_path="extra_artifacts")
    repo.list_artifacts("extra_artifacts")[0].path    # 'extra_artifacts/vectorizer.pkl'
"""

from __future__ import annotations

import os
import shutil
from typing import Optional
from urllib.parse import unquote, urlparse

from ..entities import FileInfo
from ..exceptions import InvalidParameterError, ResourceNotFoundError
from .base import ArtifactRepository, file_to_log, normalize_artifact_path

#: Folders ``log_model`` writes a model into before moving it in place: never listed.
TEMPORARY_SAVE_PREFIX = ".mltrail-save-"


def local_path_from_uri(uri: str) -> str:
    """The absolute local path named by a plain path or a ``file://`` URI.

    >>> local_path_from_uri("file:///data/artifacts")
    '/data/artifacts'
    """
    if uri.startswith("file:"):
        parsed = urlparse(uri)
        if parsed.netloc not in ("", "localhost"):
            raise InvalidParameterError(
                f"Invalid artifact URI {uri!r}: file:// URIs must name a local path (no host)"
            )
        return os.path.abspath(unquote(parsed.path))
    return os.path.abspath(os.path.expanduser(uri))


class LocalArtifactRepository(ArtifactRepository):
    """Artifacts in a folder on this machine (see the module docstring).

    >>> repo = LocalArtifactRepository("file:///data/mltrail-artifacts/1/<run_id>/artifacts")
    >>> repo.root
    '/data/mltrail-artifacts/1/<run_id>/artifacts'
    """

    def __init__(self, artifact_uri: str) -> None:
        super().__init__(artifact_uri)
        self.root = local_path_from_uri(artifact_uri)
        self._real_root: Optional[str] = None

    # -- path safety -----------------------------------------------------------
    def _local(self, path: Optional[str]) -> tuple[str, str]:
        """(canonical relative path, absolute local path) after the escape checks."""
        rel = normalize_artifact_path(path)
        local = os.path.join(self.root, *rel.split("/")) if rel else self.root
        self._check_inside(rel if path is None else path, local)
        return rel, local

    def _check_inside(self, shown: str, local: str) -> None:
        if self._real_root is None or not os.path.isdir(self._real_root):
            self._real_root = os.path.realpath(self.root)
        real = os.path.realpath(local)
        if real != self._real_root and not real.startswith(self._real_root + os.sep):
            raise InvalidParameterError(
                f"Invalid artifact path {shown!r}: resolves to {real!r}, outside the run's artifact "
                f"folder {self._real_root!r} (symlinks may not point outside it)"
            )

    # -- writing ---------------------------------------------------------------
    def log_artifact(self, local_file: str, artifact_path: Optional[str] = None) -> None:
        """Copy ``local_file`` into the folder ``artifact_path``.

        >>> repo.log_artifact("model.pkl", "models")
        """
        local_file = file_to_log(local_file)
        rel, dest_dir = self._local(artifact_path)
        dest = os.path.join(dest_dir, os.path.basename(local_file))
        self._check_inside(artifact_path or os.path.basename(local_file), dest)
        os.makedirs(dest_dir, exist_ok=True)
        shutil.copyfile(local_file, dest)

    def log_artifacts(self, local_dir: str, artifact_path: Optional[str] = None) -> None:
        """Copy the contents of ``local_dir`` into the folder ``artifact_path``.

        >>> repo.log_artifacts("outputs/", "outputs")
        """
        local_dir = os.fspath(local_dir)
        if not os.path.isdir(local_dir):
            raise InvalidParameterError(f"Cannot log artifacts from {local_dir!r}: not a folder")
        rel, dest_dir = self._local(artifact_path)
        os.makedirs(dest_dir, exist_ok=True)

        def checked_copy(src: str, dst: str) -> None:
            self._check_inside(os.path.relpath(dst, self.root), dst)
            shutil.copyfile(src, dst)

        shutil.copytree(local_dir, dest_dir, copy_function=checked_copy, dirs_exist_ok=True)

    def log_bytes(self, data: bytes, artifact_file: str) -> None:
        """Write ``data`` to the artifact file ``artifact_file`` directly (no temporary copy).

        >>> repo.log_bytes(b"hello", "notes/hello.txt")
        """
        rel, local = self._local(artifact_file)
        if not rel:
            raise InvalidParameterError(f"Invalid artifact file {artifact_file!r}: must name a file")
        if os.path.isdir(local):
            raise InvalidParameterError(f"Invalid artifact file {artifact_file!r}: a folder of that name exists")
        os.makedirs(os.path.dirname(local), exist_ok=True)
        with open(local, "wb") as fh:
            fh.write(data)

    def delete_artifacts(self, artifact_path: Optional[str] = None) -> None:
        """Delete a file or folder (the whole run folder when None).

        >>> repo.delete_artifacts("tmp")
        """
        rel, local = self._local(artifact_path)
        if os.path.isdir(local) and not os.path.islink(local):
            shutil.rmtree(local)
        elif os.path.lexists(local):
            os.remove(local)

    # -- reading ---------------------------------------------------------------
    def list_artifacts(self, path: Optional[str] = None) -> list[FileInfo]:
        """Entries directly under ``path``, sorted by path; [] for a file or a missing path.

        Temporary model-save folders (``.mltrail-save-*``) are not listed.

        >>> [f.path for f in repo.list_artifacts()]
        ['extra_artifacts', 'model']
        """
        rel, local = self._local(path)
        if not os.path.isdir(local):
            return []
        infos = []
        with os.scandir(local) as it:
            for entry in it:
                if entry.name.startswith(TEMPORARY_SAVE_PREFIX):
                    continue  # a model save in progress (or one a crash left for `mltrail gc`)
                child = f"{rel}/{entry.name}" if rel else entry.name
                if entry.is_dir():
                    infos.append(FileInfo(child, True, None))
                else:
                    infos.append(FileInfo(child, False, entry.stat().st_size))
        infos.sort(key=lambda f: f.path)
        return infos

    def _is_dir(self, path: str) -> bool:
        rel, local = self._local(path)
        if not os.path.exists(local):
            raise ResourceNotFoundError(f"Artifact {path!r} does not exist under {self.artifact_uri}")
        return os.path.isdir(local)

    def _download_file(self, remote_file_path: str, local_path: str) -> None:
        rel, local = self._local(remote_file_path)
        shutil.copyfile(local, local_path)

    def download_artifacts(self, artifact_path: str, dst_path: Optional[str] = None) -> str:
        """Local path of a file or folder.

        Without ``dst_path`` the artifact already is on this disk, so its own
        path is returned (as MLflow does); with ``dst_path`` it is copied there.

        >>> repo.download_artifacts("extra_artifacts/vectorizer.pkl")
        '/data/mltrail-artifacts/1/<run_id>/artifacts/extra_artifacts/vectorizer.pkl'
        """
        rel, local = self._local(artifact_path)
        if not os.path.exists(local):
            raise ResourceNotFoundError(f"Artifact {artifact_path!r} does not exist under {self.artifact_uri}")
        if dst_path is not None:
            return super().download_artifacts(rel, dst_path)
        if os.path.isdir(local):
            for folder, dirs, files in os.walk(local):
                for name in dirs + files:
                    full = os.path.join(folder, name)
                    if os.path.islink(full):
                        self._check_inside(os.path.relpath(full, self.root), full)
        return local
