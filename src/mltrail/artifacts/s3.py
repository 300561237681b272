"""Artifacts in S3 or S3-compatible storage (MinIO, Ceph, moto): ``s3://bucket/prefix``.

A folder is a key prefix: ``s3://ml/runs/1/<run_id>/artifacts`` holds
``models/model.pkl`` as the object ``runs/1/<run_id>/artifacts/models/model.pkl``
of bucket ``ml``. The endpoint, credentials and timeouts come from the
environment (see :mod:`mltrail.artifacts.s3_client`)::

    repo = S3ArtifactRepository("s3://ml/runs/1/<run_id>/artifacts")
    repo.log_artifact("weights.bin", "models")   # multipart past 8 MiB (MLTRAIL_S3_MULTIPART_CHUNK_SIZE)
    repo.download_artifacts("models", "/tmp/out")   # streamed to disk, never whole in memory

Paths are artifact paths (``..``, absolute paths and NUL refused); keys that
come back from a listing are checked too, so an object named
``prefix/../../x`` put there by someone else is refused, never written
outside a download folder.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Iterator, Optional
from urllib.parse import urlsplit

from ..entities import FileInfo
from ..env_numbers import NumberRule, env_number
from ..exceptions import InvalidParameterError, ResourceNotFoundError
from .base import ArtifactRepository, file_to_log, join_artifact_path, normalize_artifact_path
from .s3_client import s3_client, s3_errors

CHUNK_ENV = "MLTRAIL_S3_MULTIPART_CHUNK_SIZE"
DEFAULT_CHUNK = 8 * 1024 * 1024
MIN_CHUNK = 5 * 1024 * 1024  # S3's smallest part (but the last)
#: Files uploaded or downloaded at once by log_artifacts / download_artifacts.
PARALLEL_FILES = 4


def multipart_chunk_size() -> int:
    """Bytes per multipart part (and the size from which uploads go multipart): 8 MiB, at least 5 MiB.

    >>> multipart_chunk_size()
    8388608
    """
    return int(env_number(CHUNK_ENV, DEFAULT_CHUNK, NumberRule("bytes", whole=True, minimum=MIN_CHUNK), strict=True))


def parse_s3_uri(uri: str) -> tuple[str, str]:
    """``(bucket, key prefix without slashes at its ends)`` of ``s3://bucket/prefix``.

    >>> parse_s3_uri("s3://ml/runs/1/")
    ('ml', 'runs/1')
    """
    parts = urlsplit(uri)
    if parts.scheme.lower() != "s3" or not parts.netloc:
        raise InvalidParameterError(f"Invalid S3 URI {uri!r}: expected s3://<bucket>/<prefix>")
    prefix = parts.path.strip("/")
    try:
        plain = normalize_artifact_path(prefix) == prefix
    except InvalidParameterError:
        plain = False
    if not plain:
        raise InvalidParameterError(
            f"Invalid S3 URI {uri!r}: its prefix must be a plain key path (no '..', '.', '//' or '\\')"
        )
    return parts.netloc, prefix


class S3ArtifactRepository(ArtifactRepository):
    """An artifact folder in S3 (see the module docstring).

    >>> S3ArtifactRepository("s3://ml/runs/1/abc/artifacts").bucket
    'ml'
    """

    def __init__(self, artifact_uri: str) -> None:
        super().__init__(artifact_uri)
        self.bucket, self.prefix = parse_s3_uri(artifact_uri)
        self._client = s3_client()

    # -- keys ------------------------------------------------------------------
    def key(self, path: Optional[str]) -> str:
        """The object key of an artifact path (checked: no '..', no absolute path).

        >>> S3ArtifactRepository("s3://ml/runs/1").key("models/m.pkl")
        'runs/1/models/m.pkl'
        """
        return join_artifact_path(self.prefix, normalize_artifact_path(path))

    def _folder_prefix(self, rel: str) -> str:
        key = join_artifact_path(self.prefix, rel)
        return f"{key}/" if key else ""

    def _relative(self, key: str) -> str:
        """The artifact path of a listed key, refused when it is not a plain path inside the folder."""
        base = self._folder_prefix("")
        rel = key[len(base):] if key.startswith(base) else ""
        try:
            plain = bool(rel) and normalize_artifact_path(rel.rstrip("/")) == rel.rstrip("/")
        except InvalidParameterError:
            plain = False
        if not plain:
            raise InvalidParameterError(
                f"Refusing S3 object key {key!r} in bucket {self.bucket!r}: it is not a plain path inside "
                f"{self.artifact_uri} ('..', '.', '//' or '\\' in a key could lead a download outside its folder)"
            )
        return rel

    # -- writing ---------------------------------------------------------------
    def log_artifact(self, local_file: str, artifact_path: Optional[str] = None) -> None:
        """Upload one file into ``artifact_path`` (multipart past the chunk size, parts in parallel).

        >>> repo.log_artifact("weights.bin", "models")
        """
        local_file = file_to_log(local_file)
        key = self.key(join_artifact_path(normalize_artifact_path(artifact_path), os.path.basename(local_file)))
        self._upload(local_file, key)

    @staticmethod
    def _transfer_config() -> Any:
        """Parts of one chunk, 4 at a time, from one chunk up (boto3's transfers, both ways)."""
        from boto3.s3.transfer import TransferConfig

        chunk = multipart_chunk_size()
        return TransferConfig(multipart_threshold=chunk, multipart_chunksize=chunk, max_concurrency=4)

    def _upload(self, local_file: str, key: str) -> None:
        config = self._transfer_config()
        with s3_errors(f"upload of {key!r}", self.bucket, key):
            self._client.upload_file(local_file, self.bucket, key, Config=config)

    def log_artifacts(self, local_dir: str, artifact_path: Optional[str] = None) -> None:
        """Upload the files of ``local_dir`` (recursively) into ``artifact_path``, a few at a time.

        >>> repo.log_artifacts("outputs/", "outputs")
        """
        local_dir = os.fspath(local_dir)
        if not os.path.isdir(local_dir):
            raise InvalidParameterError(f"Cannot log artifacts from {local_dir!r}: not a folder")
        base = normalize_artifact_path(artifact_path)
        jobs = []
        for folder, _, files in os.walk(local_dir):
            rel = os.path.relpath(folder, local_dir)
            sub = "" if rel == "." else rel.replace(os.sep, "/")
            for name in sorted(files):
                jobs.append((os.path.join(folder, name), self.key(join_artifact_path(base, sub, name))))
        self._run_parallel(self._upload, jobs)

    @staticmethod
    def _run_parallel(work: Any, jobs: list[tuple[str, str]]) -> None:
        if len(jobs) <= 1:
            for job in jobs:
                work(*job)
            return
        with ThreadPoolExecutor(min(PARALLEL_FILES, len(jobs)), thread_name_prefix="mltrail-s3") as pool:
            for future in [pool.submit(work, *job) for job in jobs]:
                future.result()  # the first failure is raised

    def delete_artifacts(self, artifact_path: Optional[str] = None) -> None:
        """Delete a file or a folder (the whole repository folder when None).

        >>> repo.delete_artifacts("tmp")
        """
        rel = normalize_artifact_path(artifact_path)
        keys = [self.key(rel)] if rel else []
        keys += [obj["Key"] for obj in self._objects(self._folder_prefix(rel))]
        for start in range(0, len(keys), 1000):
            batch = [{"Key": k} for k in keys[start:start + 1000]]
            with s3_errors(f"delete of {rel or self.artifact_uri!r}", self.bucket):
                self._client.delete_objects(Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True})

    def abort_stale_uploads(self, older_than_seconds: float) -> list[str]:
        """Abort the unfinished multipart uploads under this folder started over ``older_than_seconds``
        ago (a killed upload's parts cost storage until aborted); their ``s3://`` URIs.

        >>> repo.abort_stale_uploads(600)
        ['s3://ml/runs/1/abc/artifacts/weights.bin']
        """
        import datetime

        cutoff = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=older_than_seconds)
        aborted = []
        with s3_errors("listing of unfinished uploads", self.bucket):
            pages = self._client.get_paginator("list_multipart_uploads").paginate(
                Bucket=self.bucket, Prefix=self._folder_prefix(""))
            for page in pages:
                for upload in page.get("Uploads", []):
                    if upload["Initiated"] <= cutoff:
                        self._client.abort_multipart_upload(Bucket=self.bucket, Key=upload["Key"],
                                                            UploadId=upload["UploadId"])
                        aborted.append(f"s3://{self.bucket}/{upload['Key']}")
        return sorted(aborted)

    # -- reading ---------------------------------------------------------------
    def _pages(self, prefix: str, delimiter: Optional[str]) -> Iterator[dict]:
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Prefix": prefix}
        if delimiter:
            kwargs["Delimiter"] = delimiter
        with s3_errors(f"listing of {prefix!r}", self.bucket):
            yield from self._client.get_paginator("list_objects_v2").paginate(**kwargs)

    def _objects(self, prefix: str) -> Iterator[dict]:
        for page in self._pages(prefix, None):
            yield from page.get("Contents", [])

    def list_artifacts(self, path: Optional[str] = None) -> list[FileInfo]:
        """Entries directly under ``path``, sorted; [] for a file or a missing path.

        >>> [f.path for f in repo.list_artifacts("models")]
        ['models/model.pkl']
        """
        rel = normalize_artifact_path(path)
        infos = []
        for page in self._pages(self._folder_prefix(rel), "/"):
            for common in page.get("CommonPrefixes", []):
                infos.append(FileInfo(self._relative(common["Prefix"]).rstrip("/"), True, None))
            for obj in page.get("Contents", []):
                if obj["Key"].endswith("/"):
                    continue  # a "folder marker" some tools write
                infos.append(FileInfo(self._relative(obj["Key"]), False, int(obj.get("Size", 0))))
        return sorted(infos, key=lambda f: f.path)

    def _is_dir(self, path: str) -> bool:
        first_page = next(iter(self._pages(self._folder_prefix(path), "/")), {})
        if first_page.get("KeyCount", 0):
            return True
        key = self.key(path)
        with s3_errors(f"lookup of {path!r}", self.bucket, key):
            try:
                self._client.head_object(Bucket=self.bucket, Key=key)
            except Exception as exc:  # noqa: BLE001 - a 404 is "missing"; others are translated
                if getattr(exc, "response", {}).get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                    raise ResourceNotFoundError(f"Artifact {path!r} does not exist under {self.artifact_uri}") from None
                raise
        return False

    def _download_file(self, remote_file_path: str, local_path: str) -> None:
        key = self.key(remote_file_path)
        config = self._transfer_config()
        with s3_errors(f"download of {remote_file_path!r}", self.bucket, key):  # ranged, to a temp file, renamed
            self._client.download_file(self.bucket, key, local_path, Config=config)

    def _download_tree(self, path: str, entries: list[FileInfo], dst_root: str) -> None:
        """One flat listing of the folder, then its files a few at a time."""
        os.makedirs(os.path.join(dst_root, *path.split("/")) if path else dst_root, exist_ok=True)
        jobs = []
        for obj in self._objects(self._folder_prefix(path)):
            if obj["Key"].endswith("/"):
                continue
            rel = self._relative(obj["Key"])
            local = os.path.join(dst_root, *rel.split("/"))
            os.makedirs(os.path.dirname(local), exist_ok=True)
            jobs.append((rel, local))
        self._run_parallel(self._download_file, jobs)

    def open_stream(self, path: str) -> tuple[int, Iterator[bytes]]:
        """``(size in bytes, chunks)`` of one file, read from S3 as the chunks are consumed (1 MiB each).

        >>> size, chunks = repo.open_stream("models/weights.bin")
        """
        if not normalize_artifact_path(path):
            raise ResourceNotFoundError(f"Artifact {path!r} names a folder, not a file")
        key = self.key(path)
        with s3_errors(f"download of {path!r}", self.bucket, key):
            answer = self._client.get_object(Bucket=self.bucket, Key=key)
        body = answer["Body"]

        def chunks() -> Iterator[bytes]:
            try:
                with s3_errors(f"download of {path!r}", self.bucket, key):
                    yield from body.iter_chunks(1 << 20)
            finally:
                body.close()

        return int(answer.get("ContentLength", 0)), chunks()

    def multipart_writer(self, path: str) -> "MultipartWriter":
        """A writer that stores ``path`` from parts given in order (see :class:`MultipartWriter`).

        >>> writer = repo.multipart_writer("models/weights.bin")
        """
        if not normalize_artifact_path(path):
            raise InvalidParameterError(f"Invalid artifact file {path!r}: must name a file")
        return MultipartWriter(self, self.key(path))


class MultipartWriter:
    """Store one object from consecutive parts without holding more than one part in memory.

    Parts (each at least 5 MiB, but the last) go to S3 as they come, but the first, held
    until a second comes: a file of one part is a single PUT. ``abort`` drops what was sent::

        writer = repo.multipart_writer("models/weights.bin")
        for part in parts: writer.write_part(part)
        writer.complete()
    """

    def __init__(self, repo: S3ArtifactRepository, key: str) -> None:
        self.repo, self.key = repo, key
        self.upload_id: Optional[str] = None
        self._parts: list[dict[str, Any]] = []
        self._pending: Optional[bytes] = None  # held back: it may be the only part

    def write_part(self, data: bytes) -> None:
        """Send ``data`` as the next part (the first is held back until a second comes: it may be the only one)."""
        if self.upload_id is None and self._pending is None:
            self._pending = data
            return
        if self._pending is not None:
            pending, self._pending = self._pending, None
            self._send(pending)
            del pending
        self._send(data)

    def _send(self, data: bytes) -> None:
        client, bucket = self.repo._client, self.repo.bucket
        with s3_errors(f"multipart upload of {self.key!r}", bucket, self.key):
            if self.upload_id is None:
                self.upload_id = client.create_multipart_upload(Bucket=bucket, Key=self.key)["UploadId"]
            number = len(self._parts) + 1
            answer = client.upload_part(Bucket=bucket, Key=self.key, UploadId=self.upload_id, PartNumber=number, Body=data)
        self._parts.append({"PartNumber": number, "ETag": answer["ETag"]})

    def complete(self) -> None:
        """Make the object: one PUT when a single part came, else send the last part and join them."""
        data, self._pending = self._pending or b"", None
        client, bucket = self.repo._client, self.repo.bucket
        if self.upload_id is None:
            with s3_errors(f"upload of {self.key!r}", bucket, self.key):
                client.put_object(Bucket=bucket, Key=self.key, Body=data)
            return
        if data:
            self._send(data)
        with s3_errors(f"multipart upload of {self.key!r}", bucket, self.key):
            client.complete_multipart_upload(Bucket=bucket, Key=self.key, UploadId=self.upload_id,
                                             MultipartUpload={"Parts": self._parts})

    def abort(self) -> None:
        """Drop the parts sent (a no-op before the first); never raises."""
        self._pending = None
        if self.upload_id is not None:
            try:
                self.repo._client.abort_multipart_upload(Bucket=self.repo.bucket, Key=self.key, UploadId=self.upload_id)
            except Exception:  # noqa: BLE001 - the upload's own error is the one to report
                pass


__all__ = ["MultipartWriter", "S3ArtifactRepository", "multipart_chunk_size", "parse_s3_uri"]
