"""MLflow's ``mlflow.artifacts`` functions: download, list and read artifacts by URI or by run.

Re-exported by :mod:`mltrail.artifacts`, so ``import mltrail as mlflow`` then
``mlflow.artifacts.load_dict(...)`` works as in MLflow::

    path = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path="plots", dst_path="/tmp/out")
    config = mlflow.artifacts.load_dict(f"runs:/{run_id}/config.json")
    [f.path for f in mlflow.artifacts.list_artifacts(run_id=run_id)]

An artifact URI is ``runs:/<run_id>/<path>``, ``models:/<name>/<version>``
(and the other registry forms), a local path, ``file://``, ``s3://`` or
``mltrail-artifacts:/``. The client is imported when a function runs (this
layer sits below it).
"""

from __future__ import annotations

import json
import os
import posixpath
import tempfile
from typing import Any, Optional

from ..entities import FileInfo
from ..exceptions import BAD_REQUEST, InvalidParameterError, MltrailError


def _check_target(artifact_uri: Optional[str], run_id: Optional[str], artifact_path: Optional[str]) -> None:
    if (artifact_uri is None) == (run_id is None):
        raise InvalidParameterError(
            f"Exactly one of `run_id` or `artifact_uri` must be specified (got run_id={run_id!r}, "
            f"artifact_uri={artifact_uri!r})"
        )
    if artifact_uri is not None and artifact_path is not None:
        raise InvalidParameterError(
            f"`artifact_path` cannot be specified if `artifact_uri` is specified (got {artifact_path!r})"
        )


def _split(uri: str, tracking_uri: Optional[str]) -> tuple[str, str]:
    """(root URI of an artifact repository, path inside it) for any artifact URI."""
    from ..client import Client
    from ..models.uri import resolve_model_uri

    uri = os.fspath(uri)
    if uri.startswith("models:"):
        uri = resolve_model_uri(uri)
    if uri.startswith("runs:"):
        rest = uri[len("runs:"):].lstrip("/")
        run_id, _, path = rest.partition("/")
        if not run_id:
            raise InvalidParameterError(f"Invalid artifact URI {uri!r}: expected runs:/<run_id>/<artifact path>")
        return Client(tracking_uri).get_run(run_id).info.artifact_uri, path.strip("/")
    trimmed = uri.rstrip("/")
    if uri.startswith("file:") or "://" not in uri:
        from ..models.uri import local_path_of

        local = local_path_of(trimmed) or trimmed
        return os.path.dirname(local), os.path.basename(local)
    parent, _, name = trimmed.rpartition("/")
    return parent, name


def _run_root(run_id: str, tracking_uri: Optional[str]) -> str:
    from ..client import Client

    return Client(tracking_uri).get_run(run_id).info.artifact_uri


def download_artifacts(
    artifact_uri: Optional[str] = None,
    run_id: Optional[str] = None,
    artifact_path: Optional[str] = None,
    dst_path: Optional[str] = None,
    tracking_uri: Optional[str] = None,
    registry_uri: Optional[str] = None,
) -> str:
    """Download an artifact file or folder; returns its local path (under ``dst_path`` when given).

    Give ``artifact_uri``, or ``run_id`` (and ``artifact_path``; the whole run's artifacts when None).

    >>> download_artifacts(run_id=run_id, artifact_path="plots", dst_path="/tmp/out")
    '/tmp/out/plots'
    >>> download_artifacts("runs:/<run_id>/config.json")
    '/tmp/mltrail-download-.../config.json'
    """
    from .repositories import get_artifact_repository

    _check_target(artifact_uri, run_id, artifact_path)
    if dst_path is not None:
        os.makedirs(dst_path, exist_ok=True)
    if artifact_uri is not None:
        root, path = _split(artifact_uri, tracking_uri)
    else:
        root, path = _run_root(run_id, tracking_uri), artifact_path or ""
    return get_artifact_repository(root).download_artifacts(path, dst_path)


def list_artifacts(
    artifact_uri: Optional[str] = None,
    run_id: Optional[str] = None,
    artifact_path: Optional[str] = None,
    tracking_uri: Optional[str] = None,
) -> list[FileInfo]:
    """The entries directly under an artifact folder (by URI, or by run and path).

    >>> [f.path for f in list_artifacts(run_id=run_id)]
    ['config.json', 'plots']
    >>> [f.path for f in list_artifacts(f"runs:/{run_id}/plots")]
    ['plots/loss.png']
    """
    from .repositories import get_artifact_repository

    _check_target(artifact_uri, run_id, artifact_path)
    if artifact_uri is not None:
        uri = os.fspath(artifact_uri)
        if uri.startswith(("runs:", "models:")):
            root, path = _split(uri, tracking_uri)
        else:  # a folder URI: list its own entries
            root, path = uri, ""
        return get_artifact_repository(root).list_artifacts(path or None)
    return get_artifact_repository(_run_root(run_id, tracking_uri)).list_artifacts(artifact_path)


def _read(artifact_uri: str, what: str) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        local = download_artifacts(artifact_uri, dst_path=tmp)
        try:
            with open(local, encoding="utf-8") as handle:
                return handle.read()
        except UnicodeDecodeError:
            raise MltrailError(
                f"Artifact {artifact_uri!r} is not valid UTF-8: download it with "
                f"mltrail.artifacts.download_artifacts and open it with its encoding to read {what}",
                error_code=BAD_REQUEST,
            ) from None
        except IsADirectoryError:
            raise MltrailError(f"Artifact {artifact_uri!r} is a folder, not a file", error_code=BAD_REQUEST) from None


def load_text(artifact_uri: str) -> str:
    """The content of a text artifact (UTF-8).

    >>> mlflow.log_text("hello", "notes.txt"); load_text(f"runs:/{run_id}/notes.txt")
    'hello'
    """
    return _read(artifact_uri, "text")


def load_dict(artifact_uri: str) -> dict[str, Any]:
    """A JSON artifact as a dict (a .yaml/.yml artifact is read as YAML, as log_dict writes it).

    >>> load_dict(f"runs:/{run_id}/config.json")
    {'alpha': 0.1}
    """
    text = _read(artifact_uri, "a dict")
    if posixpath.splitext(artifact_uri.rstrip("/"))[1].lower() in (".yaml", ".yml"):
        import yaml

        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise MltrailError(f"Unable to form a dict from the YAML of {artifact_uri!r}: {exc}", BAD_REQUEST) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise MltrailError(
            f"Unable to form a JSON object from the content of {artifact_uri!r}: {exc}", error_code=BAD_REQUEST
        ) from None


def load_image(artifact_uri: str) -> Any:
    """An image artifact as a ``PIL.Image.Image``.

    >>> load_image(f"runs:/{run_id}/images/black.png").size
    (32, 32)
    """
    from PIL import Image

    with tempfile.TemporaryDirectory() as tmp:
        local = download_artifacts(artifact_uri, dst_path=tmp)
        try:
            image = Image.open(local)
            image.load()
            return image
        except Exception as exc:  # noqa: BLE001 - any decoding failure means "not an image"
            raise MltrailError(
                f"Unable to form a PIL Image object from the content of {artifact_uri!r}: {exc}",
                error_code=BAD_REQUEST,
            ) from None


__all__ = ["download_artifacts", "list_artifacts", "load_dict", "load_image", "load_text"]
