"""Where the artifact proxy reads and writes: request paths checked against the destination,
the destination's repository, and bodies streamed to files.

    path = safe_path("0/abc/artifacts/model.pkl")      # '..', '%2e%2e', absolute paths refused
    await write_stream(request, local_file(repo, path))  # never the whole body in memory
"""

from __future__ import annotations

import hashlib
import os
import uuid
from urllib.parse import unquote

from starlette.requests import Request

from ..artifacts import get_artifact_repository
from ..artifacts.local import LocalArtifactRepository
from ..exceptions import InvalidParameterError, ResourceNotFoundError

#: The server's folder for staged multipart uploads, inside a local destination.
STAGING = ".mltrail-uploads"


def safe_path(raw: str) -> str:
    """The artifact path of a request, refused (InvalidParameterError) if it could leave the destination.

    The path is decoded until stable, so ``%2e%2e`` and ``%252e%252e`` count as ``..``.

    >>> safe_path("0/abc/artifacts/model.pkl")
    '0/abc/artifacts/model.pkl'
    """
    decoded = raw
    for _ in range(3):
        again = unquote(decoded)
        if again == decoded:
            break
        decoded = again
    rule = "it must be a relative path inside the artifact destination (no '..', no leading '/', no '\\')"
    if "\\" in decoded or "\x00" in decoded or decoded.startswith("/") or (len(decoded) > 1 and decoded[1] == ":"):
        raise InvalidParameterError(f"Invalid artifact path {raw!r}: {rule}")
    parts = [p for p in decoded.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise InvalidParameterError(f"Invalid artifact path {raw!r}: {rule}")
    return "/".join(parts)


def destination_repo(request: Request):
    """The artifact repository of the server's destination (404 when the server serves no artifacts)."""
    destination = request.app.state.context.artifacts_destination
    if not destination:
        raise ResourceNotFoundError(
            "This server does not serve artifacts (started with --no-serve-artifacts or without a destination)",
            "ENDPOINT_NOT_FOUND",
        )
    return get_artifact_repository(destination)


def local_file(repo: LocalArtifactRepository, path: str) -> str:
    """The file behind ``path``, refused if a symlink leads it (or, for a new file, its folder)
    out of the destination."""
    return inside(repo.root, path)


def inside(root: str, path: str) -> str:
    """``root/path``, refused (InvalidParameterError) when it resolves outside ``root`` (a symlink).

    >>> inside("/srv/artifacts", "0/abc/artifacts/model.pkl")
    '/srv/artifacts/0/abc/artifacts/model.pkl'
    """
    local = os.path.join(root, *path.split("/"))
    real_root = os.path.realpath(root)
    if not os.path.realpath(local).startswith(real_root + os.sep):
        raise InvalidParameterError(f"Invalid artifact path {path!r}: it resolves outside the artifact destination")
    return local


async def write_stream(request: Request, final: str) -> str:
    """Stream the request body into ``final`` (written beside it, then renamed: never half a file);
    the body's md5 hex digest."""
    os.makedirs(os.path.dirname(final), exist_ok=True)
    partial = f"{final}.{uuid.uuid4().hex}.partial"
    digest = hashlib.md5(usedforsecurity=False)
    try:
        with open(partial, "wb") as fh:
            async for chunk in request.stream():
                fh.write(chunk)
                digest.update(chunk)
        os.replace(partial, final)
    except BaseException:
        if os.path.exists(partial):
            os.remove(partial)
        raise
    return digest.hexdigest()
