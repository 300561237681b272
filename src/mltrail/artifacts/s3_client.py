"""The boto3 client behind ``s3://`` artifacts: endpoint, timeouts, retries, and errors in mltrail's terms.

Settings (MLflow's names where MLflow has one):

- endpoint: ``MLFLOW_S3_ENDPOINT_URL``, else ``AWS_ENDPOINT_URL_S3`` / ``AWS_ENDPOINT_URL``, else AWS;
- credentials and region: boto3's usual chain (``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``,
  ``AWS_SESSION_TOKEN``, ``AWS_DEFAULT_REGION``, ``~/.aws``, instance roles...);
- ``MLFLOW_S3_IGNORE_TLS=true`` skips certificate checks, ``MLFLOW_BOTO_CLIENT_ADDRESSING_STYLE``
  (``path`` / ``virtual`` / ``auto``);
- bounds: ``MLTRAIL_S3_CONNECT_TIMEOUT`` (5 s), ``MLTRAIL_S3_READ_TIMEOUT`` (60 s),
  ``MLTRAIL_S3_MAX_ATTEMPTS`` (3, retries with backoff included), so a dead endpoint costs
  seconds, never a hang.

boto3 is imported only when the first ``s3://`` repository is used (``pip install 'mltrail[s3]'``)::

    client = s3_client()                      # cached per settings; thread-safe
    with s3_errors("upload of 'model.pkl'", bucket="ml", key="runs/1/model.pkl"):
        client.put_object(Bucket="ml", Key="runs/1/model.pkl", Body=b"...")
"""

from __future__ import annotations

import contextlib
import os
import threading
from typing import Any, Iterator, Optional

from ..env_numbers import NumberRule, env_number
from ..exceptions import InvalidParameterError, MltrailError, ResourceNotFoundError, StoreUnavailableError

ENDPOINT_ENVS = ("MLFLOW_S3_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL")
_CREDENTIAL_ENVS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_DEFAULT_REGION",
                    "AWS_REGION", "AWS_PROFILE", "MLFLOW_S3_IGNORE_TLS", "MLFLOW_BOTO_CLIENT_ADDRESSING_STYLE",
                    "MLTRAIL_S3_CONNECT_TIMEOUT", "MLTRAIL_S3_READ_TIMEOUT", "MLTRAIL_S3_MAX_ATTEMPTS")
_lock = threading.Lock()
_clients: dict[tuple, Any] = {}


def endpoint_url() -> Optional[str]:
    """The S3 endpoint in force (None: AWS itself).

    >>> os.environ["MLFLOW_S3_ENDPOINT_URL"] = "http://127.0.0.1:9000"; endpoint_url()
    'http://127.0.0.1:9000'
    """
    for name in ENDPOINT_ENVS:
        value = os.environ.get(name, "").strip()
        if value:
            return value
    return None


def _number(name: str, default: float, integer: bool = False) -> float:
    return env_number(name, default, NumberRule(whole=integer, positive=True), strict=True)


def _boto3() -> Any:
    try:
        import boto3
    except ImportError:
        raise InvalidParameterError(
            "s3:// artifact storage needs boto3, which is not installed: pip install 'mltrail[s3]'"
        ) from None
    return boto3


def s3_client() -> Any:
    """A boto3 S3 client for the current settings (created once per settings, shared by threads).

    >>> s3_client().list_objects_v2(Bucket="ml", Prefix="runs/", MaxKeys=1)
    """
    key = (endpoint_url(), *(os.environ.get(n) for n in _CREDENTIAL_ENVS))
    client = _clients.get(key)
    if client is not None:
        return client
    boto3 = _boto3()
    from botocore.config import Config

    config = Config(
        connect_timeout=_number("MLTRAIL_S3_CONNECT_TIMEOUT", 5.0),
        read_timeout=_number("MLTRAIL_S3_READ_TIMEOUT", 60.0),
        retries={"max_attempts": int(_number("MLTRAIL_S3_MAX_ATTEMPTS", 3, integer=True)), "mode": "standard"},
        s3={"addressing_style": os.environ.get("MLFLOW_BOTO_CLIENT_ADDRESSING_STYLE", "auto") or "auto"},
        max_pool_connections=16,
    )
    verify = False if os.environ.get("MLFLOW_S3_IGNORE_TLS", "").strip().lower() in ("1", "true", "yes") else None
    with _lock:  # boto3's default session is not thread-safe; a session per client is
        client = _clients.get(key)
        if client is None:
            client = boto3.session.Session().client("s3", endpoint_url=key[0], config=config, verify=verify)
            _clients[key] = client
    return client


def _where() -> str:
    endpoint = endpoint_url()
    return f"S3 endpoint {endpoint}" if endpoint else "AWS S3 (no MLFLOW_S3_ENDPOINT_URL / AWS_ENDPOINT_URL set)"


@contextlib.contextmanager
def s3_errors(what: str, bucket: str, key: Optional[str] = None) -> Iterator[None]:
    """Turn botocore's errors raised inside the block into MltrailErrors naming the endpoint, bucket or key.

    - endpoint unreachable or timing out -> :class:`StoreUnavailableError` (TEMPORARILY_UNAVAILABLE)
    - no such bucket -> :class:`ResourceNotFoundError` naming the bucket; no such key -> naming the key
    - refused credentials -> PERMISSION_DENIED; anything else -> INTERNAL_ERROR with S3's message

    >>> with s3_errors("listing of 'models'", bucket="ml"): client.list_objects_v2(Bucket="ml")
    """
    try:
        yield
    except Exception as exc:  # noqa: BLE001 - botocore's (possibly wrapped by boto3's transfers) are translated
        translated = _translate(exc, what, bucket, key)
        if translated is None:
            raise
        raise translated from None


def _botocore_cause(exc: BaseException) -> Optional[BaseException]:
    """``exc`` or the botocore error it wraps (boto3's S3UploadFailedError keeps it as its context)."""
    import botocore.exceptions as bx

    seen = 0
    while exc is not None and seen < 5:
        if isinstance(exc, (bx.BotoCoreError, bx.ClientError)):
            return exc
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
        seen += 1
    return None


def _translate(exc: BaseException, what: str, bucket: str, key: Optional[str]) -> Optional[MltrailError]:
    import botocore.exceptions as bx

    cause = _botocore_cause(exc)
    if cause is None:
        return None
    if isinstance(cause, (bx.EndpointConnectionError, bx.ConnectTimeoutError, bx.ReadTimeoutError,
                          bx.ConnectionClosedError, bx.ProxyConnectionError)):
        return StoreUnavailableError(
            f"{_where()} is unreachable ({what} in bucket {bucket!r}): {cause}; check the endpoint "
            f"(MLFLOW_S3_ENDPOINT_URL / AWS_ENDPOINT_URL) and that the storage is up"
        )
    if isinstance(cause, bx.NoCredentialsError):
        return MltrailError(
            f"No AWS credentials for {_where()} ({what} in bucket {bucket!r}): set AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY (or a profile / role)", "PERMISSION_DENIED"
        )
    if isinstance(cause, bx.ClientError):
        error = cause.response.get("Error", {})
        code = str(error.get("Code", ""))
        message = error.get("Message") or str(cause)
        if code == "NoSuchBucket":
            return ResourceNotFoundError(f"S3 bucket {bucket!r} does not exist at {_where()} ({what})")
        if code in ("NoSuchKey", "404", "NotFound"):
            return ResourceNotFoundError(f"s3://{bucket}/{key or ''} does not exist ({what})")
        if code == "NoSuchUpload":
            return ResourceNotFoundError(f"No multipart upload for s3://{bucket}/{key or ''} ({what}): "
                                         "completed, aborted or never created")
        if code in ("AccessDenied", "403", "InvalidAccessKeyId", "SignatureDoesNotMatch", "Forbidden"):
            return MltrailError(f"{_where()} refused {what} in bucket {bucket!r}: {code} ({message})",
                                "PERMISSION_DENIED")
        if code in ("InvalidPart", "InvalidPartOrder", "EntityTooSmall", "InvalidArgument"):
            return InvalidParameterError(f"{_where()} refused {what}: {code} ({message})")
        return MltrailError(f"{_where()} failed {what} in bucket {bucket!r}: {code} ({message})")
    return MltrailError(f"{_where()}: {what} in bucket {bucket!r} failed: {cause}")

__all__ = ["ENDPOINT_ENVS", "endpoint_url", "s3_client", "s3_errors"]
