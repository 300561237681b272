"""Artifacts through the tracking server's proxy (``mlflow-artifacts:`` URIs), so clients need no
storage credentials.

``mlflow-artifacts:/0/<run_id>/artifacts`` names a folder under the server's
artifact destination; the client reaches it at
``<tracking URI>/api/2.0/mlflow-artifacts/artifacts/0/<run_id>/artifacts``
(``mlflow-artifacts://host:port/...`` and plain ``http(s)://host/api/2.0/mlflow-artifacts/artifacts/...``
name the server explicitly)::

    repo = get_artifact_repository("mlflow-artifacts:/0/abc/artifacts")   # with an http:// tracking URI
    repo.log_artifact("model.pkl", "models")        # PUT .../0/abc/artifacts/models/model.pkl

Inside a server's request (:func:`serve_locally`) the same URIs resolve
straight to the destination's repository; clients in the same process are not affected.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import posixpath
from typing import Iterator, Optional
from urllib.parse import quote, urlsplit

from ..entities import FileInfo
from ..exceptions import InvalidParameterError, ResourceNotFoundError
from .base import ArtifactRepository, join_artifact_path, normalize_artifact_path

PROXY_PREFIX = "/api/2.0/mlflow-artifacts/artifacts"
MPU_PREFIX = "/api/2.0/mlflow-artifacts/mpu"
SCHEME = "mlflow-artifacts"

_server_destination: contextvars.ContextVar[Optional[str]] = contextvars.ContextVar(
    "mltrail_server_artifact_destination", default=None
)


@contextlib.contextmanager
def serve_locally(destination: Optional[str]) -> Iterator[None]:
    """Within the block, ``mlflow-artifacts:`` URIs resolve to ``destination`` in the current context
    (a server's request: worker threads started from it inherit it); the previous value comes back after.

    >>> with serve_locally("/srv/mltrail-artifacts"):
    ...     repository_for("mlflow-artifacts:/1/models")   # the local folder, not the HTTP proxy
    """
    token = _server_destination.set(destination.rstrip("/") if destination else None)
    try:
        yield
    finally:
        _server_destination.reset(token)


def _split(uri: str) -> tuple[str, str]:
    """``(server base URL, path under the proxy)`` of a proxied artifact URI."""
    if uri.startswith(SCHEME + ":"):
        parts = urlsplit(uri)
        path = parts.path.strip("/")
        if parts.netloc:
            return f"http://{parts.netloc}", path
        from ..config import get_tracking_uri

        tracking = get_tracking_uri()
        if not tracking.startswith(("http://", "https://")):
            raise InvalidParameterError(
                f"Artifact URI {uri!r} is served by a tracking server, but the tracking URI is {tracking!r}: "
                "set it to the server's http(s):// address"
            )
        return tracking.rstrip("/"), path
    parts = urlsplit(uri)
    if PROXY_PREFIX not in parts.path:
        raise InvalidParameterError(
            f"Artifact URI {uri!r}: an http(s) artifact URI must point at a server's {PROXY_PREFIX}/ route"
        )
    before, _, after = parts.path.partition(PROXY_PREFIX)
    return f"{parts.scheme}://{parts.netloc}{before}".rstrip("/"), after.strip("/")


def repository_for(uri: str) -> ArtifactRepository:
    """The repository of a proxied URI: over HTTP, or the destination itself inside the server."""
    destination = _server_destination.get()
    if destination is not None and uri.startswith(SCHEME + ":"):  # a server serves its own proxied URIs
        from .repositories import get_artifact_repository

        path = urlsplit(uri).path.strip("/")
        return get_artifact_repository(f"{destination}/{path}" if path else destination)
    return ProxiedArtifactRepository(uri)


class _ForeignPartUrls(Exception):
    """mpu/create answered part URLs on another host (an MLflow server's presigned S3 URLs)."""


class ProxiedArtifactRepository(ArtifactRepository):
    """An artifact folder reached through a server's ``mlflow-artifacts`` proxy."""

    def __init__(self, artifact_uri: str) -> None:
        super().__init__(artifact_uri)
        from .._http import get_http_client

        base, self._root = _split(artifact_uri)
        self._http = get_http_client(base)

    def _url(self, path: str) -> str:
        full = join_artifact_path(self._root, path)
        return f"{PROXY_PREFIX}/{quote(full)}"

    def _check(self, response, what: str) -> None:
        if response.status_code >= 400:
            from .._http import error_from_body

            try:
                body = response.json()
            except ValueError:
                body = response.text
            raise error_from_body(response.status_code, body, f"{self.artifact_uri} ({what})")

    def log_artifact(self, local_file: str, artifact_path: Optional[str] = None) -> None:
        """Upload one file: one streamed PUT, or from ``MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE`` bytes
        (500 MiB) up, parts of ``MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE`` (10 MiB) on MLflow's multipart
        routes, each retried on its own (one PUT when the server offers no part URLs of its own).

        >>> repo.log_artifact("weights.bin", "models")
        """
        if not os.path.isfile(local_file):
            raise InvalidParameterError(f"Cannot log artifact {local_file!r}: no such file")
        target = join_artifact_path(normalize_artifact_path(artifact_path), os.path.basename(local_file))
        from .._http import _setting

        if os.path.getsize(local_file) >= _setting("MULTIPART_UPLOAD_MINIMUM_FILE_SIZE", 500 * 2**20):
            if self._upload_in_parts(local_file, target, int(_setting("MULTIPART_UPLOAD_CHUNK_SIZE", 10 * 2**20))):
                return
        response = self._http.request("PUT", self._url(target), content_factory=lambda: open(local_file, "rb"))
        self._check(response, f"upload of {target!r}")

    def _upload_in_parts(self, local_file: str, target: str, chunk: int) -> bool:
        """MLflow's ``mpu/create``, a PUT per part, ``mpu/complete`` (``mpu/abort`` on failure); False,
        having sent nothing, when the server has no such routes or hands out URLs elsewhere (presigned)."""
        folder, name = posixpath.split(join_artifact_path(self._root, target))
        size = os.path.getsize(local_file)
        created = self._http.request("POST", f"{MPU_PREFIX}/create/{quote(folder)}",
                                     json={"path": name, "num_parts": max(1, -(-size // max(chunk, 1)))})
        if created.status_code in (404, 405, 501):
            return False
        self._check(created, f"multipart upload of {target!r}")
        answer = created.json()
        base = self._http.base_url + "/"
        ids = {"path": name, "upload_id": answer.get("upload_id")}
        try:
            if not all(str(c.get("url", "")).startswith(base) for c in answer.get("credentials", [])):
                raise _ForeignPartUrls()
            parts = []
            for index, credential in enumerate(answer["credentials"]):
                def part(offset: int = index * chunk) -> bytes:
                    with open(local_file, "rb") as fh:
                        fh.seek(offset)
                        return fh.read(chunk)

                sent = self._http.request("PUT", credential["url"][len(base) - 1:], content_factory=part,
                                          headers=credential.get("headers") or {})
                self._check(sent, f"part {credential['part_number']} of {target!r}")
                parts.append({"part_number": credential["part_number"], "etag": sent.headers.get("ETag", "")})
            done = self._http.request("POST", f"{MPU_PREFIX}/complete/{quote(folder)}", json={**ids, "parts": parts})
            self._check(done, f"multipart upload of {target!r}")
        except BaseException as exc:
            try:
                self._http.request("POST", f"{MPU_PREFIX}/abort/{quote(folder)}", json=ids)
            except Exception:  # noqa: BLE001 - the upload's own error is the one to report
                pass
            if isinstance(exc, _ForeignPartUrls):
                return False
            raise
        return True

    def log_artifacts(self, local_dir: str, artifact_path: Optional[str] = None) -> None:
        if not os.path.isdir(local_dir):
            raise InvalidParameterError(f"Cannot log artifacts from {local_dir!r}: no such folder")
        base = normalize_artifact_path(artifact_path)
        for folder, _, files in os.walk(local_dir):
            rel = os.path.relpath(folder, local_dir)
            sub = "" if rel == "." else rel.replace(os.sep, "/")
            for name in sorted(files):
                self.log_artifact(os.path.join(folder, name), join_artifact_path(base, sub) or None)

    def list_artifacts(self, path: Optional[str] = None) -> list[FileInfo]:
        path = normalize_artifact_path(path)
        full = join_artifact_path(self._root, path)
        response = self._http.request("GET", PROXY_PREFIX, params={"path": full})
        self._check(response, f"listing of {path!r}")
        files = response.json().get("files", [])
        infos = [
            FileInfo(join_artifact_path(path, posixpath.basename(f["path"])), bool(f.get("is_dir", False)),
                     None if f.get("is_dir") else int(f.get("file_size", 0)))
            for f in files
        ]
        return sorted(infos, key=lambda f: f.path)

    def _download_file(self, remote_file_path: str, local_path: str) -> None:
        response = self._http.request("GET", self._url(remote_file_path), stream=True)
        try:
            if response.status_code == 404:
                raise ResourceNotFoundError(f"Artifact {remote_file_path!r} does not exist under {self.artifact_uri}")
            if response.status_code >= 400:
                response.read()
                self._check(response, f"download of {remote_file_path!r}")
            tmp = local_path + ".part"
            with open(tmp, "wb") as fh:
                for chunk in response.iter_bytes(1 << 20):
                    fh.write(chunk)
            os.replace(tmp, local_path)
        finally:
            response.close()

    def delete_artifacts(self, artifact_path: Optional[str] = None) -> None:
        path = normalize_artifact_path(artifact_path)
        response = self._http.request("DELETE", self._url(path) if path else f"{PROXY_PREFIX}/{quote(self._root)}")
        self._check(response, f"delete of {path!r}")


__all__ = ["ProxiedArtifactRepository", "repository_for", "serve_locally"]
