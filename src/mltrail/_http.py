"""The HTTP machinery shared by ``store.rest`` and the proxied artifact repository.

One pooled keep-alive ``httpx.Client`` per (server, process); every request has
a timeout and is retried with exponential backoff and jitter on connection
errors, 429 and 5xx answers (``Retry-After`` honoured). Errors come back as the
same :class:`~mltrail.exceptions.MltrailError` subclasses the embedded store
raises. Settings (MLflow's names, ``MLTRAIL_`` equivalents win):

- ``MLFLOW_HTTP_REQUEST_TIMEOUT`` - seconds per attempt (default 120)
- ``MLFLOW_HTTP_REQUEST_MAX_RETRIES`` - retries after the first attempt (default 5)
- ``MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR`` - first wait in seconds, doubled each retry (default 0.5)
- ``MLFLOW_HTTP_REQUEST_BACKOFF_JITTER`` - up to this many extra random seconds (default 0.5)

:func:`limit_retries` lowers the number of retries for the calls made inside it (autologging
retries its writes from memory instead of holding up the user's training).

Credentials for ``mltrail server --auth`` (or ``mlflow server --app-name basic-auth``):
``MLTRAIL_TRACKING_TOKEN`` (sent as ``Authorization: Bearer``) or ``MLTRAIL_TRACKING_USERNAME`` /
``MLTRAIL_TRACKING_PASSWORD`` (HTTP Basic), then MLflow's ``MLFLOW_TRACKING_TOKEN`` /
``MLFLOW_TRACKING_USERNAME`` / ``MLFLOW_TRACKING_PASSWORD``.

>>> http = get_http_client("http://127.0.0.1:5000")
>>> http.call("GET", "/api/2.0/mlflow/experiments/get", params={"experiment_id": "0"})["experiment"]["name"]
'Default'
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import random
import threading
import time
from typing import Any, Iterator, Optional

from .env_numbers import NumberRule, env_number
from .exceptions import (
    InvalidParameterError,
    InvalidStateError,
    MltrailError,
    PermissionDeniedError,
    ResourceAlreadyExistsError,
    ResourceNotFoundError,
    StoreUnavailableError,
    UnauthenticatedError,
)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_MAX_RETRY_AFTER = 60.0

_ERRORS: dict[str, type[MltrailError]] = {
    "RESOURCE_DOES_NOT_EXIST": ResourceNotFoundError,
    "ENDPOINT_NOT_FOUND": ResourceNotFoundError,
    "RESOURCE_ALREADY_EXISTS": ResourceAlreadyExistsError,
    "INVALID_PARAMETER_VALUE": InvalidParameterError,
    "BAD_REQUEST": InvalidParameterError,
    "MALFORMED_REQUEST": InvalidParameterError,
    "INVALID_STATE": InvalidStateError,
    "TEMPORARILY_UNAVAILABLE": StoreUnavailableError,
    "UNAUTHENTICATED": UnauthenticatedError,
    "PERMISSION_DENIED": PermissionDeniedError,
}


_retry_limit: contextvars.ContextVar[Optional[int]] = contextvars.ContextVar("mltrail_http_retry_limit", default=None)


@contextlib.contextmanager
def limit_retries(retries: int) -> Iterator[None]:
    """Requests made inside (in this context) retry at most ``retries`` times, whatever the settings say.

    >>> with limit_retries(0):
    ...     store.log_batch(run_id, metrics)   # one attempt: StoreUnavailableError at once when down
    """
    token = _retry_limit.set(retries)
    try:
        yield
    finally:
        _retry_limit.reset(token)


def authorization_header() -> Optional[str]:
    """The ``Authorization`` value the environment's credentials make (None without any).

    >>> os.environ["MLTRAIL_TRACKING_TOKEN"] = "mlt_..."; authorization_header()
    'Bearer mlt_...'
    """
    import base64

    for prefix in ("MLTRAIL_", "MLFLOW_"):
        token = os.environ.get(prefix + "TRACKING_TOKEN")
        if token:
            return f"Bearer {token}"
        username, password = os.environ.get(prefix + "TRACKING_USERNAME"), os.environ.get(prefix + "TRACKING_PASSWORD")
        if username and password is not None:
            return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
    return None


def _setting(name: str, default: float) -> float:
    """``MLTRAIL_<name>``, else ``MLFLOW_<name>``, else ``default``: a finite number >= 0."""
    for prefix in ("MLTRAIL_", "MLFLOW_"):
        if os.environ.get(prefix + name, "").strip():
            return env_number(prefix + name, default, NumberRule(minimum=0), strict=True)
    return default


def error_from_body(status: int, body: Any, url: str) -> MltrailError:
    """The MltrailError an error answer stands for (its class chosen by ``error_code``)."""
    if isinstance(body, dict) and "error_code" in body:
        code = str(body["error_code"])
        message = str(body.get("message", ""))
        return _ERRORS.get(code, MltrailError)(message, code)
    text = str(body)[:500]
    if status == 404:
        return ResourceNotFoundError(f"{url}: 404 Not Found ({text})", "ENDPOINT_NOT_FOUND")
    if status in (401, 403):
        code = "UNAUTHENTICATED" if status == 401 else "PERMISSION_DENIED"
        return _ERRORS[code](f"{url}: HTTP {status} ({text})", code)
    code = "TEMPORARILY_UNAVAILABLE" if status in RETRY_STATUSES else "BAD_REQUEST" if status < 500 else "INTERNAL_ERROR"
    return _ERRORS.get(code, MltrailError)(f"{url}: HTTP {status} ({text})", code)


class HttpClient:
    """Requests to one server with timeouts and retries (see the module docstring)."""

    def __init__(self, base_url: str) -> None:
        import httpx

        self.base_url = base_url.rstrip("/")
        self.timeout = _setting("HTTP_REQUEST_TIMEOUT", 120.0)
        self.max_retries = int(_setting("HTTP_REQUEST_MAX_RETRIES", 5))
        self.backoff_factor = _setting("HTTP_REQUEST_BACKOFF_FACTOR", 0.5)
        self.backoff_jitter = _setting("HTTP_REQUEST_BACKOFF_JITTER", 0.5)
        self._httpx = httpx
        #: whether the server has mltrail's extension endpoints (None: not known yet)
        self.extensions: Optional[bool] = None
        self._client = httpx.Client(
            timeout=httpx.Timeout(self.timeout, connect=min(self.timeout, 10.0)),
            limits=httpx.Limits(max_connections=32, max_keepalive_connections=16),
            headers={"User-Agent": "mltrail"},
        )

    def _wait(self, attempt: int, response: Any = None) -> None:
        delay = self.backoff_factor * (2**attempt) + random.uniform(0, self.backoff_jitter)
        if response is not None:
            retry_after = response.headers.get("Retry-After")
            if retry_after:
                try:
                    delay = max(delay, min(float(retry_after), _MAX_RETRY_AFTER))
                except ValueError:
                    pass
        time.sleep(delay)

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send a request (retried as described above); returns the ``httpx.Response`` of any final status.

        A body given as ``content_factory=lambda: open(...)`` is re-opened for each attempt;
        ``stream=True`` leaves the body unread (close the response).
        """
        url = self.base_url + path
        authorization = authorization_header()  # read per request, as MLflow's client does
        if authorization:
            kwargs["headers"] = {**(kwargs.get("headers") or {}), "Authorization": authorization}
        content_factory = kwargs.pop("content_factory", None)
        stream = kwargs.pop("stream", False)
        max_retries = kwargs.pop("retries", None)
        max_retries = self.max_retries if max_retries is None else max_retries
        last_error: Optional[BaseException] = None
        response = None
        limit = _retry_limit.get()
        max_retries = max_retries if limit is None else min(limit, max_retries)
        for attempt in range(max_retries + 1):
            if attempt:
                self._wait(attempt - 1, response)
            response = None
            body = content_factory() if content_factory else None
            if body is not None:
                kwargs["content"] = body
            try:
                if stream:
                    response = self._client.send(self._client.build_request(method, url, **kwargs), stream=True)
                else:
                    response = self._client.request(method, url, **kwargs)
            except self._httpx.TransportError as exc:
                last_error = exc
                continue
            finally:
                if body is not None and hasattr(body, "close"):
                    body.close()
            if response.status_code in RETRY_STATUSES and attempt < max_retries:
                response.close()
                continue
            return response
        raise StoreUnavailableError(
            f"Could not reach the tracking server at {self.base_url} ({method} {path}) after "
            f"{max_retries + 1} attempts: {type(last_error).__name__}: {last_error}"
        )

    def call(self, method: str, path: str, json: Any = None, params: Any = None, **options: Any) -> dict[str, Any]:
        """A JSON request; the decoded JSON answer, or the mapped :class:`MltrailError` raised.

        ``options``: ``retries=`` (instead of the configured count) and ``timeout=`` (seconds).
        """
        if method == "GET":
            response = self.request(method, path, params=params, **options)
        else:
            response = self.request(method, path, json=json if json is not None else {}, **options)
        try:
            body = response.json()
        except ValueError:
            body = response.text
        if response.status_code >= 400:
            raise error_from_body(response.status_code, body, self.base_url + path)
        return body if isinstance(body, dict) else {}

    def close(self) -> None:
        self._client.close()


_lock = threading.Lock()
_clients: dict[tuple[str, int], HttpClient] = {}


def get_http_client(base_url: str) -> HttpClient:
    """The process's pooled client for ``base_url`` (a new one after a fork).

    >>> get_http_client("http://127.0.0.1:5000").base_url
    'http://127.0.0.1:5000'
    """
    key = (base_url.rstrip("/"), os.getpid())
    client = _clients.get(key)
    if client is None:
        with _lock:
            client = _clients.get(key)
            if client is None:
                client = _clients[key] = HttpClient(base_url)
    return client
