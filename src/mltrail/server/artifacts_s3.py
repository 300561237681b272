"""The artifact proxy over an ``s3://`` destination: bodies streamed to S3, files streamed back.

- ``PUT`` of a file: the body goes to S3 as it arrives, in parts of
  ``MLTRAIL_S3_MULTIPART_CHUNK_SIZE`` (8 MiB; a smaller file is one PUT), so the
  server holds about two parts, whatever the file's size.
- ``GET`` of a file: S3's answer is relayed in 1 MiB chunks.
- MLflow's multipart routes: ``mpu/create`` starts an S3 multipart upload and
  answers one URL per part on this server (``mpu/upload/<token>/<n>?path=...``;
  MLflow hands out presigned S3 URLs, which clients can only use when they can
  reach the storage themselves); each part is spooled to a temporary file and
  sent to S3 as that part; ``mpu/complete`` / ``mpu/abort`` complete or abort
  the S3 upload. Nothing is kept by the server between requests, so any worker
  or instance can take any of them::

    await upload(request, repo, "0/<run_id>/artifacts/model.pkl")
"""

from __future__ import annotations

import base64
import posixpath
import tempfile
from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from ..artifacts.s3 import S3ArtifactRepository, multipart_chunk_size
from ..artifacts.s3_client import s3_errors
from ..exceptions import InvalidParameterError
from .protocol import ProtoJSONResponse

#: A part body up to this size is spooled in memory, larger ones on disk.
_SPOOL_BYTES = 1 << 20


async def upload(request: Request, repo: S3ArtifactRepository, path: str) -> Response:
    """Store the request body as ``path``, streamed to S3 part by part."""
    writer = repo.multipart_writer(path)
    chunk = multipart_chunk_size()
    buffer = bytearray()
    try:
        async for piece in request.stream():
            buffer += piece
            while len(buffer) >= chunk:  # parts of exactly one chunk, but the last
                part = memoryview(buffer)[:chunk].tobytes()  # one copy
                del buffer[:chunk]
                await run_in_threadpool(writer.write_part, part)
                del part
        if buffer:
            await run_in_threadpool(writer.write_part, bytes(buffer))
        del buffer
        await run_in_threadpool(writer.complete)
    except BaseException:
        await run_in_threadpool(writer.abort)
        raise
    return ProtoJSONResponse({})


async def download(repo: S3ArtifactRepository, path: str) -> Response:
    """The file at ``path``, relayed from S3 in chunks."""
    size, chunks = await run_in_threadpool(repo.open_stream, path)
    name = posixpath.basename(path)
    return StreamingResponse(chunks, media_type="application/octet-stream", headers={
        "Content-Length": str(size),
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
    })


def _token(upload_id: str) -> str:
    return base64.urlsafe_b64encode(upload_id.encode()).decode().rstrip("=")


def _upload_id(token: str) -> str:
    try:
        return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except ValueError:
        raise InvalidParameterError(f"Invalid upload token {token!r}: use the part URL mpu/create answered") from None


async def create(repo: S3ArtifactRepository, target: str, num_parts: int, part_url: str) -> Response:
    """``mpu/create``: an S3 multipart upload for ``target`` and one part URL per part on this server
    (``<part_url>/<token>/<n>?path=<target>``)."""
    key = repo.key(target)

    def start() -> str:
        with s3_errors(f"multipart upload of {target!r}", repo.bucket, key):
            return repo._client.create_multipart_upload(Bucket=repo.bucket, Key=key)["UploadId"]

    upload_id = await run_in_threadpool(start)
    url = f"{part_url}/{_token(upload_id)}"
    return ProtoJSONResponse({"upload_id": upload_id, "credentials": [
        {"url": f"{url}/{n}?path={quote(target)}", "part_number": n, "headers": {}} for n in range(1, num_parts + 1)
    ]})


async def upload_part(request: Request, repo: S3ArtifactRepository, target: str, number: int) -> Response:
    """``PUT mpu/upload/<token>/<n>?path=<target>``: the body, spooled, becomes part ``n``; S3's ETag answered."""
    upload_id = _upload_id(request.path_params["upload_id"])
    key = repo.key(target)
    with tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES) as spool:
        async for piece in request.stream():
            spool.write(piece)
        size = spool.tell()
        spool.seek(0)

        def send() -> Any:
            with s3_errors(f"part {number} of {target!r}", repo.bucket, key):
                return repo._client.upload_part(Bucket=repo.bucket, Key=key, UploadId=upload_id, PartNumber=number,
                                                Body=spool, ContentLength=size)

        answer = await run_in_threadpool(send)
    return Response(headers={"ETag": answer["ETag"]})


async def complete(repo: S3ArtifactRepository, target: str, upload_id: str, parts: list[tuple[int, str]]) -> Response:
    """``mpu/complete``: S3 joins the parts (it checks each ETag)."""
    key = repo.key(target)

    def finish() -> None:
        with s3_errors(f"multipart upload of {target!r}", repo.bucket, key):
            repo._client.complete_multipart_upload(
                Bucket=repo.bucket, Key=key, UploadId=upload_id,
                MultipartUpload={"Parts": [{"PartNumber": n, "ETag": e} for n, e in parts]})

    await run_in_threadpool(finish)
    return ProtoJSONResponse({})


async def abort(repo: S3ArtifactRepository, target: str, upload_id: str) -> Response:
    """``mpu/abort``: S3 drops the parts."""
    key = repo.key(target)

    def drop() -> None:
        with s3_errors(f"abort of the multipart upload of {target!r}", repo.bucket, key):
            repo._client.abort_multipart_upload(Bucket=repo.bucket, Key=key, UploadId=upload_id)

    await run_in_threadpool(drop)
    return ProtoJSONResponse({})


__all__ = ["abort", "complete", "create", "download", "upload", "upload_part"]
