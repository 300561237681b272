"""Picking the artifact repository for a URI by its scheme (re-exported by :mod:`mltrail.artifacts`).

>>> type(get_artifact_repository("/tmp/mltrail-artifacts/0/abc/artifacts")).__name__
'LocalArtifactRepository'
"""

from __future__ import annotations

import importlib

from ..exceptions import InvalidParameterError
from .base import ArtifactRepository
from .local import LocalArtifactRepository

# scheme -> "module:Class". Implementations load on first use.
REPOSITORY_CLASSES: dict[str, str] = {
    "file": "mltrail.artifacts.local:LocalArtifactRepository",
    "s3": "mltrail.artifacts.s3:S3ArtifactRepository",
    "mlflow-artifacts": "mltrail.artifacts.proxied:repository_for",
    "mltrail-artifacts": "mltrail.artifacts.proxied:repository_for",
    "http": "mltrail.artifacts.proxied:repository_for",
    "https": "mltrail.artifacts.proxied:repository_for",
}


def artifact_uri_scheme(uri: str) -> str:
    """The scheme of an artifact URI; ``"file"`` for a plain path.

    >>> artifact_uri_scheme("/data/artifacts"), artifact_uri_scheme("s3://bucket/x")
    ('file', 's3')
    """
    if uri.startswith(("mlflow-artifacts:", "mltrail-artifacts:")):
        return uri.split(":", 1)[0].lower()  # served by a tracking server: ``mlflow-artifacts:/0/abc``
    if "://" not in uri:
        return "file"
    return uri.split("://", 1)[0].lower()


def get_artifact_repository(uri: str) -> ArtifactRepository:
    """Return the repository serving the artifact folder ``uri``.

    >>> repo = get_artifact_repository("/tmp/mltrail-artifacts/0/abc/artifacts")
    >>> type(repo).__name__
    'LocalArtifactRepository'
    """
    if not isinstance(uri, str) or not uri:
        raise InvalidParameterError(f"Invalid artifact URI {uri!r}: must be a non-empty path or URI")
    scheme = artifact_uri_scheme(uri)
    if scheme == "file":
        return LocalArtifactRepository(uri)
    target = REPOSITORY_CLASSES.get(scheme)
    if target is None:
        raise InvalidParameterError(
            f"Unsupported artifact URI {uri!r}: scheme {scheme!r} is not one of "
            f"{', '.join(sorted(REPOSITORY_CLASSES))} (or a plain absolute path)"
        )
    module_name, class_name = target.split(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        raise InvalidParameterError(
            f"Artifact URI {uri!r}: {scheme}:// artifact storage is not available in this "
            f"version of mltrail (only local paths and file:// are)"
        ) from None
    return getattr(module, class_name)(uri)


__all__ = ["REPOSITORY_CLASSES", "artifact_uri_scheme", "get_artifact_repository"]
