"""Artifact repositories: where a run's files live, picked by the URI's scheme.

A run's artifact URI (``run.info.artifact_uri``) names a folder; the
repository for it logs files into it, lists and downloads them::

    from mltrail.artifacts import get_artifact_repository
    repo = get_artifact_repository(run.info.artifact_uri)
    repo.log_artifact("model.pkl", artifact_path="models")
    [f.path for f in repo.list_artifacts("models")]   # ['models/model.pkl']

Plain absolute paths and ``file://`` URIs are stored on the local disk
(:class:`LocalArtifactRepository`). Other schemes are looked up in
``REPOSITORY_CLASSES`` ("scheme" -> "module:Class"); a scheme whose
implementation is not installed raises a clear error naming it.

MLflow's user functions (``download_artifacts``, ``list_artifacts``,
``load_text``, ``load_dict``, ``load_image``) are here too, as in
``mlflow.artifacts`` (see :mod:`mltrail.artifacts.user_functions`).
"""

from __future__ import annotations

from .base import ArtifactRepository
from .local import LocalArtifactRepository
from .repositories import REPOSITORY_CLASSES, artifact_uri_scheme, get_artifact_repository
from .user_functions import download_artifacts, list_artifacts, load_dict, load_image, load_text

__all__ = [
    "ArtifactRepository",
    "LocalArtifactRepository",
    "REPOSITORY_CLASSES",
    "artifact_uri_scheme",
    "download_artifacts",
    "get_artifact_repository",
    "list_artifacts",
    "load_dict",
    "load_image",
    "load_text",
]
