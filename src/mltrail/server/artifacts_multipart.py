"""Multipart uploads through the artifact proxy, on MLflow's routes.

- ``POST /api/2.0/mlflow-artifacts/mpu/create/<artifact_path>`` ``{"path": <file>, "num_parts": n}``
  -> ``{"upload_id": ..., "credentials": [{"url": ..., "part_number": i, "headers": {}}]}``
- ``PUT <credential url>`` (``.../mpu/upload/<upload_id>/<part_number>``, mltrail's part route; on S3
  MLflow hands out presigned URLs instead) stores one part, answering its ``ETag``
- ``POST .../mpu/complete/<artifact_path>`` ``{"path", "upload_id", "parts": [{"part_number", "etag"}]}``
  joins the parts in order into ``<artifact_path>/<basename of path>`` (atomically)
- ``POST .../mpu/abort/<artifact_path>`` ``{"path", "upload_id"}`` drops the parts

On a local destination, parts are staged in ``<destination>/.mltrail-uploads/<upload_id>/`` so
that every worker or instance sharing the destination can take any request of an upload; on an
``s3://`` destination each part goes to S3 as a part of an S3 multipart upload
(:mod:`.artifacts_s3`). Bodies are streamed, never held whole in memory. Other destinations
answer MLflow's 501 NOT_IMPLEMENTED, on which the stock client falls back to one PUT::

    MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD=true python train.py   # the stock client uses these routes
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import re
import shutil
import uuid
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..artifacts.local import LocalArtifactRepository
from ..artifacts.s3 import S3ArtifactRepository
from ..exceptions import InvalidParameterError, MltrailError, ResourceNotFoundError
from . import artifacts_s3
from .artifact_paths import STAGING, destination_repo, inside, safe_path, write_stream
from .auth.access import ANY_USER, on_artifact
from .auth.routes_guard import guarded
from .errors import answering_errors
from .protocol import ProtoJSONResponse

MPU_PREFIX = "/api/2.0/mlflow-artifacts/mpu"
#: MLflow's message for a repository without multipart uploads (the stock client checks its start).
UNSUPPORTED = "Multipart upload is not supported for the current artifact repository"
MAX_PARTS = 10_000
_UPLOAD_ID = re.compile(r"[0-9a-f]{32}")


def _repo(request: Request) -> LocalArtifactRepository | S3ArtifactRepository:
    repo = destination_repo(request)
    if not isinstance(repo, (LocalArtifactRepository, S3ArtifactRepository)):
        raise MltrailError(UNSUPPORTED, "NOT_IMPLEMENTED")
    return repo


def _upload_id(data: dict[str, Any]) -> str:
    upload_id = data.get("upload_id")
    if not isinstance(upload_id, str) or not upload_id:
        raise InvalidParameterError(f"Invalid upload_id {upload_id!r}: must be the id mpu/create answered")
    return upload_id


def _staging(root: str, upload_id: Any) -> str:
    if not isinstance(upload_id, str) or not _UPLOAD_ID.fullmatch(upload_id):
        raise InvalidParameterError(f"Invalid upload_id {upload_id!r}: must be the id mpu/create answered")
    folder = os.path.join(root, STAGING, upload_id)
    if not os.path.isdir(folder):
        raise ResourceNotFoundError(f"No multipart upload {upload_id!r} (completed, aborted or never created)")
    return folder


async def _body(request: Request) -> dict[str, Any]:
    try:
        data = json.loads(await request.body() or b"{}")
    except ValueError as exc:
        raise InvalidParameterError(f"Malformed JSON request body: {exc}", "MALFORMED_REQUEST") from None
    if not isinstance(data, dict):
        raise InvalidParameterError("Malformed request body: must be a JSON object", "MALFORMED_REQUEST")
    if not isinstance(data.get("path"), str) or not data["path"]:
        raise InvalidParameterError(f"Missing value for required parameter 'path' (got {data.get('path')!r})")
    return data


def _target(request: Request, data: dict[str, Any]) -> str:
    """``<artifact_path>/<basename of path>``, checked (the stock client sends its local file path)."""
    folder = safe_path(request.path_params.get("artifact_path", ""))
    name = posixpath.basename(data["path"].replace("\\", "/"))
    return safe_path(posixpath.join(folder, name) if folder else name)


async def create(request: Request) -> Response:
    """``mpu/create``: a new upload id and one part URL per part."""
    data = await _body(request)
    repo = _repo(request)
    target = _target(request, data)
    num_parts = data.get("num_parts", 1)
    if isinstance(num_parts, str) and num_parts.isdigit():
        num_parts = int(num_parts)
    if not isinstance(num_parts, int) or isinstance(num_parts, bool) or not 1 <= num_parts <= MAX_PARTS:
        raise InvalidParameterError(f"Invalid num_parts {data.get('num_parts')!r}: must be an integer from 1 to {MAX_PARTS}")
    base = str(request.base_url).rstrip("/")
    if isinstance(repo, S3ArtifactRepository):
        return await artifacts_s3.create(repo, target, num_parts, f"{base}{MPU_PREFIX}/upload")
    inside(repo.root, target)  # a symlink out of the destination is refused before any part is sent
    upload_id = uuid.uuid4().hex
    folder = os.path.join(repo.root, STAGING, upload_id)
    os.makedirs(folder)
    with open(os.path.join(folder, "target"), "w") as fh:
        fh.write(target)
    return ProtoJSONResponse({"upload_id": upload_id, "credentials": [
        {"url": f"{base}{MPU_PREFIX}/upload/{upload_id}/{n}", "part_number": n, "headers": {}}
        for n in range(1, num_parts + 1)
    ]})


async def upload_part(request: Request) -> Response:
    """``PUT mpu/upload/<upload_id>/<part_number>``: one part, streamed to the staging folder (or to S3)."""
    repo = _repo(request)
    number = request.path_params["part_number"]
    if not number.isdigit() or not 1 <= int(number) <= MAX_PARTS:
        raise InvalidParameterError(f"Invalid part number {number!r}: must be an integer from 1 to {MAX_PARTS}")
    if isinstance(repo, S3ArtifactRepository):
        target = safe_path(request.query_params.get("path", ""))
        if not target:
            raise InvalidParameterError("Missing value for required parameter 'path': use the part URL mpu/create answered")
        return await artifacts_s3.upload_part(request, repo, target, int(number))
    folder = _staging(repo.root, request.path_params["upload_id"])
    etag = await write_stream(request, os.path.join(folder, f"part-{int(number):05d}"))
    return Response(headers={"ETag": f'"{etag}"'})


def _md5(path: str) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _join(folder: str, final: str, parts: list[tuple[int, str]]) -> None:
    os.makedirs(os.path.dirname(final), exist_ok=True)
    partial = f"{final}.{uuid.uuid4().hex}.partial"
    try:
        with open(partial, "wb") as out:
            for number, _ in parts:
                with open(os.path.join(folder, f"part-{number:05d}"), "rb") as part:
                    shutil.copyfileobj(part, out, 1 << 20)
        os.replace(partial, final)
    except BaseException:
        if os.path.exists(partial):
            os.remove(partial)
        raise
    shutil.rmtree(folder, ignore_errors=True)


async def complete(request: Request) -> Response:
    """``mpu/complete``: the parts listed, in part-number order, become the file (etags checked)."""
    data = await _body(request)
    repo = _repo(request)
    raw = data.get("parts")
    if not isinstance(raw, list) or not raw:
        raise InvalidParameterError(f"Invalid parts {raw!r}: must be a non-empty list of {{part_number, etag}}")
    if isinstance(repo, S3ArtifactRepository):
        parts_s3 = []
        for p in raw:
            number = p.get("part_number") if isinstance(p, dict) else None
            if not isinstance(number, int) or isinstance(number, bool) or not 1 <= number <= MAX_PARTS:
                raise InvalidParameterError(f"Invalid part {p!r}: part_number must be an integer from 1 to {MAX_PARTS}")
            parts_s3.append((number, str(p.get("etag") or "")))
        return await artifacts_s3.complete(repo, _target(request, data), _upload_id(data), sorted(parts_s3))
    root = repo.root
    folder = _staging(root, data.get("upload_id"))
    with open(os.path.join(folder, "target")) as fh:
        target = fh.read()
    if target != _target(request, data):
        raise InvalidParameterError(f"Upload {data['upload_id']!r} was created for {target!r}, not {_target(request, data)!r}")
    parts = []
    for p in raw:
        number = p.get("part_number") if isinstance(p, dict) else None
        if not isinstance(number, int) or not os.path.isfile(os.path.join(folder, f"part-{number:05d}")):
            raise InvalidParameterError(f"Invalid part {p!r}: no such part was uploaded to {data['upload_id']!r}")
        parts.append((number, str(p.get("etag") or "").strip('"')))
    parts.sort()
    for number, etag in parts:
        if etag:
            if _md5(os.path.join(folder, f"part-{number:05d}")) != etag:
                raise InvalidParameterError(f"Part {number} of {data['upload_id']!r}: etag {etag!r} does not match the stored part")
    await run_in_threadpool(_join, folder, inside(root, target), parts)
    return ProtoJSONResponse({})


async def abort(request: Request) -> Response:
    """``mpu/abort``: the staged parts are deleted."""
    data = await _body(request)
    repo = _repo(request)
    if isinstance(repo, S3ArtifactRepository):
        return await artifacts_s3.abort(repo, _target(request, data), _upload_id(data))
    folder = _staging(repo.root, data.get("upload_id"))
    shutil.rmtree(folder, ignore_errors=True)
    return ProtoJSONResponse({})


def routes() -> list[Route]:
    """The multipart routes (mounted with the artifact proxy)."""
    return [
        Route(MPU_PREFIX + "/create/{artifact_path:path}", guarded(on_artifact(), answering_errors(create)),
              methods=["POST"]),
        Route(MPU_PREFIX + "/complete/{artifact_path:path}", guarded(on_artifact(), answering_errors(complete)),
              methods=["POST"]),
        Route(MPU_PREFIX + "/abort/{artifact_path:path}", guarded(on_artifact(), answering_errors(abort)),
              methods=["POST"]),
        # the upload id (128 random bits) is handed out only by a create that passed its EDIT check
        Route(MPU_PREFIX + "/upload/{upload_id}/{part_number}", guarded(ANY_USER, answering_errors(upload_part)),
              methods=["PUT"]),
    ]
