"""The artifact proxy: ``/api/2.0/mlflow-artifacts/artifacts/<path>`` over the server's artifact destination.

``PUT`` stores the request body as a file, ``GET`` streams a file back (both streamed, also on an
``s3://`` destination: :mod:`.artifacts_s3`),
``DELETE`` removes a file or folder, and ``GET .../artifacts?path=<folder>``
lists a folder; MLflow's multipart routes are in :mod:`.artifacts_multipart` (``{"files": [{"path": <basename>, "is_dir": ..., "file_size": ...}]}``,
as MLflow). Paths that would leave the destination (``..``, ``%2e%2e``,
absolute paths, backslashes or NUL) are refused with 400::

    curl -T model.pkl http://127.0.0.1:5000/api/2.0/mlflow-artifacts/artifacts/0/<run_id>/artifacts/model.pkl
"""

from __future__ import annotations

import os
import posixpath
import shutil
import tempfile

from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from ..artifacts.local import LocalArtifactRepository
from ..artifacts.s3 import S3ArtifactRepository
from ..exceptions import InvalidParameterError, MltrailError, ResourceNotFoundError
from ..store.rest.wire import file_info_to_json
from . import artifacts_multipart, artifacts_s3
from .auth.access import on_artifact
from .auth.routes_guard import guarded
from .artifact_paths import STAGING, destination_repo, local_file, safe_path, write_stream
from .errors import answering_errors, error_response
from .protocol import ProtoJSONResponse

PREFIX = "/api/2.0/mlflow-artifacts/artifacts"


async def _upload(request: Request, path: str) -> Response:
    """The body streamed: into the destination directly when it is a local folder (written beside
    the target, then renamed), to S3 part by part, else through a temp file and the repository."""
    if not path or path.endswith("/"):
        raise InvalidParameterError(f"Invalid artifact path {path!r}: an upload must name a file")
    repo = destination_repo(request)
    if isinstance(repo, S3ArtifactRepository):
        return await artifacts_s3.upload(request, repo, path)
    if isinstance(repo, LocalArtifactRepository):
        if path.split("/", 1)[0] == STAGING:
            raise InvalidParameterError(f"Invalid artifact path {path!r}: {STAGING!r} is the server's own folder")
        await write_stream(request, local_file(repo, path))
        return ProtoJSONResponse({})
    directory, name = posixpath.split(path)
    tmp = tempfile.mkdtemp(prefix="mltrail-upload-")
    try:
        local = os.path.join(tmp, name)
        await write_stream(request, local)
        await run_in_threadpool(repo.log_artifact, local, directory or None)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return ProtoJSONResponse({})


async def _download(request: Request, path: str) -> Response:
    repo = destination_repo(request)
    if isinstance(repo, LocalArtifactRepository):
        local = local_file(repo, path)
        if not os.path.isfile(local):
            raise ResourceNotFoundError(f"Artifact {path!r} does not exist (or is a folder)")
        return FileResponse(local, filename=posixpath.basename(path), content_disposition_type="attachment")
    if isinstance(repo, S3ArtifactRepository):
        return await artifacts_s3.download(repo, path)
    tmp = tempfile.mkdtemp(prefix="mltrail-download-")
    try:
        local = await run_in_threadpool(repo.download_artifacts, path, tmp)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if not os.path.isfile(local):
        shutil.rmtree(tmp, ignore_errors=True)
        raise ResourceNotFoundError(f"Artifact {path!r} is a folder, not a file")
    return FileResponse(local, filename=posixpath.basename(path),
                        background=BackgroundTask(shutil.rmtree, tmp, ignore_errors=True))


async def _delete(request: Request, path: str) -> Response:
    repo = destination_repo(request)
    await run_in_threadpool(repo.delete_artifacts, path or None)
    return ProtoJSONResponse({})


async def artifact(request: Request) -> Response:
    """``PUT`` / ``GET`` / ``DELETE`` of one artifact path."""
    raw = request.scope.get("raw_path", b"").decode("latin-1").split("?", 1)[0]
    raw_rel = raw[len(PREFIX):].lstrip("/") if raw.startswith(PREFIX) else request.path_params["artifact_path"]
    path = safe_path(raw_rel)
    safe_path(request.path_params["artifact_path"])
    if request.method == "PUT":
        return await _upload(request, path)
    if request.method == "GET":
        return await _download(request, path)
    return await _delete(request, path)


async def listing(request: Request) -> Response:
    """``GET .../artifacts?path=<folder>``: the folder's entries by basename."""
    try:
        path = safe_path(request.query_params.get("path", ""))
        repo = destination_repo(request)
        infos = await run_in_threadpool(repo.list_artifacts, path or None)
    except MltrailError as exc:
        return error_response(exc.error_code, exc.message)
    return ProtoJSONResponse({"files": [
        file_info_to_json(type(i)(posixpath.basename(i.path), i.is_dir, i.file_size)) for i in infos
        if path or i.path != STAGING
    ]})


def routes() -> list[Route]:
    """The proxy's routes (mounted by ``create_app`` when the server serves artifacts)."""
    return [
        Route(PREFIX, guarded(on_artifact("path"), listing), methods=["GET"]),
        Route(PREFIX + "/{artifact_path:path}", guarded(on_artifact(), answering_errors(artifact)), methods=["GET", "PUT", "DELETE"]),
        *artifacts_multipart.routes(),
    ]
