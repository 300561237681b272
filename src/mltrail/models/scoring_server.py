"""The scoring server: a Starlette app answering predictions for one model.

    POST /invocations   JSON (dataframe_split, dataframe_records, instances, inputs) or CSV
    GET  /ping          200 when the model is loaded
    GET  /health        same
    GET  /version       mltrail's version

Bad payloads get a 400 with ``{"error_code": ..., "message": ...}`` saying
what is wrong (deeply nested JSON included); a body larger than the limit
(``--max-body-size``, ``MLTRAIL_SCORING_MAX_BODY_BYTES``, default 100 MB) gets
a 413 as soon as its ``Content-Length`` (or the bytes read so far) exceed it.
Run it with ``mltrail models serve -m URI`` or::

    >>> app = build_app(mltrail.pyfunc.load_model("runs:/5f3c.../model"))
    >>> serve("runs:/5f3c.../model", port=5001, workers=2)

Parsing and predicting run in a thread pool, off the event loop, so ``/ping``
answers while a large request computes; throughput comes from worker
processes (``--workers``). A worker that dies is restarted, with a backoff
when it keeps dying, and the others keep serving meanwhile.

``serve()`` leaves the calling process's environment alone: workers get the
model folder and settings as arguments, and set ``OMP_WAIT_POLICY=PASSIVE``
(unless the user set it) in their own environment. What it reports ("serving
... on http://...", a worker restarted) goes to the logger
``mltrail.models.scoring_server`` (``mltrail models serve`` prints it on stderr).
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
from typing import Any, Optional

from ..env_numbers import NumberRule, env_number, require_number
from ..exceptions import BAD_REQUEST, MltrailError
from ..version import VERSION
from .scoring_payload import parse_csv, parse_json, predictions_to_json

_logger = logging.getLogger(__name__)

#: Where :func:`app_from_environment` (a uvicorn factory) finds the model folder to serve.
MODEL_PATH_ENV = "MLTRAIL_SERVE_MODEL_PATH"
VERIFY_ENV = "MLTRAIL_SERVE_VERIFY"
#: Largest request body /invocations reads, in bytes.
MAX_BODY_ENV = "MLTRAIL_SCORING_MAX_BODY_BYTES"
DEFAULT_MAX_BODY_BYTES = 100 * 1024 * 1024
#: What the body limit accepts (from the environment or ``max_body_size``; see :mod:`mltrail.env_numbers`).
MAX_BODY_RULE = NumberRule("bytes", whole=True, positive=True)
#: Restart delays of a worker that keeps dying: doubles from the first to the last.
RESTART_BACKOFF = (0.1, 30.0)
#: A worker that served this long before dying is restarted without delay.
_HEALTHY_SECONDS = 30.0


def max_body_bytes(value: Optional[int] = None) -> int:
    """``value`` when given, else ``MLTRAIL_SCORING_MAX_BODY_BYTES``, else 100 MB; must be positive.

    >>> max_body_bytes(1024), max_body_bytes()
    (1024, 104857600)
    """
    if value is None:
        return int(env_number(MAX_BODY_ENV, DEFAULT_MAX_BODY_BYTES, MAX_BODY_RULE, strict=True))
    return int(require_number(value, MAX_BODY_RULE, "max_body_size"))


class _TooLarge(Exception):
    def __init__(self, size: str) -> None:
        self.size = size


async def _read_body(request: Any, limit: int) -> bytes:
    """The request body, refused (:class:`_TooLarge`) before reading past ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.strip().isdigit() and int(declared) > limit:
        raise _TooLarge(f"{int(declared)} bytes")
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _TooLarge(f"more than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def build_app(model: Any, max_body_size: Optional[int] = None) -> Any:
    """A Starlette app serving ``model`` (a :class:`mltrail.pyfunc.PyFuncModel`).

    ``max_body_size`` (bytes) defaults to ``MLTRAIL_SCORING_MAX_BODY_BYTES`` or 100 MB.

    >>> app = build_app(mltrail.pyfunc.load_model("runs:/5f3c.../model"))
    >>> uvicorn.run(app, port=5001)
    """
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    json_type = "application/json"
    array_columns = getattr(model, "array_columns", None)
    limit = max_body_bytes(max_body_size)

    def error(status: int, message: str, code: str = BAD_REQUEST) -> Response:
        return Response(json.dumps({"error_code": code, "message": message}), status, media_type=json_type)

    async def ping(request: Request) -> Response:
        return Response("\n", 200, media_type=json_type)

    async def version(request: Request) -> Response:
        return Response(VERSION, 200, media_type="text/plain")

    def score(mime: str, body: bytes) -> Response:
        """Parse and predict (in a worker thread): the response, or an error response."""
        try:
            if mime == "text/csv":
                data, params = parse_csv(body), None
            else:
                data, params = parse_json(body, array_columns)
            predictions = model.predict(data, params=params)
        except MltrailError as e:
            return error(400 if e.http_status < 500 else e.http_status, e.message, e.error_code)
        except RecursionError:
            return error(400, "The model could not predict on this input: it is nested too deeply")
        except (ValueError, TypeError, KeyError, IndexError) as e:
            return error(400, f"The model could not predict on this input: {type(e).__name__}: {e}")
        except Exception as e:  # the model itself failed
            return error(500, f"Prediction failed: {type(e).__name__}: {e}", "INTERNAL_ERROR")
        return Response(predictions_to_json(predictions), 200, media_type=json_type)

    async def invocations(request: Request) -> Response:
        content_type = request.headers.get("content-type", "")
        mime = content_type.split(";", 1)[0].strip().lower()
        if mime not in ("application/json", "", "text/csv"):
            return error(415, f"Unsupported content type {content_type!r}: send application/json or text/csv")
        try:
            body = await _read_body(request, limit)
        except _TooLarge as e:
            response = error(
                413,
                f"Request body of {e.size} is larger than the limit of {limit} bytes "
                f"(raise it with --max-body-size or {MAX_BODY_ENV})",
            )
            response.headers["connection"] = "close"  # the rest of the body is never read
            return response
        return await run_in_threadpool(score, mime, body)

    routes = [
        Route("/ping", ping, methods=["GET"]),
        Route("/health", ping, methods=["GET"]),
        Route("/version", version, methods=["GET"]),
        Route("/invocations", invocations, methods=["POST"]),
    ]
    return Starlette(routes=routes)


def app_from_environment() -> Any:
    """App factory for worker processes: load the folder named by ``MLTRAIL_SERVE_MODEL_PATH``."""
    from .pyfunc_model import load_model

    path = os.environ.get(MODEL_PATH_ENV)
    if not path:
        raise MltrailError(f"{MODEL_PATH_ENV} is not set: start the server with `mltrail models serve -m URI`")
    verify = os.environ.get(VERIFY_ENV, "1") not in ("0", "false")
    return build_app(load_model(path, verify=verify))  # max body size: from MLTRAIL_SCORING_MAX_BODY_BYTES


def _listening_socket(host: str, port: int) -> socket.socket:
    """Bind the server socket once (workers share it).

    TCP_NODELAY is set on the listening socket so that every accepted
    connection inherits it: without it, a response written in two parts
    (headers, body) waits for the client's delayed ACK, about 40 ms.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError as e:
        sock.close()
        raise MltrailError(f"Cannot listen on {host}:{port}: {e.strerror}") from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _uvicorn_config(app: Any, log_level: str) -> Any:
    import uvicorn

    return uvicorn.Config(app, factory=isinstance(app, str), log_level=log_level, access_log=False,
                          lifespan="off", backlog=2048)


def _run_worker(sock: socket.socket, log_level: str, folder: str, verify: bool, limit: int) -> None:
    """Entry point of a worker process: load the model folder and serve it on the inherited socket.

    OpenMP threads (XGBoost, some scikit-learn estimators) spin while waiting by
    default; with several workers sharing cores, a spinning thread holds up the
    others for whole scheduler slices (a 0.3 ms XGBoost call took 25 ms here).
    So the worker, a process of its own, asks for passive waiting before any
    OpenMP runtime loads; a value the user set wins.
    """
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import uvicorn

    from .pyfunc_model import load_model

    app = build_app(load_model(folder, verify=verify), limit)
    uvicorn.Server(_uvicorn_config(app, log_level)).run(sockets=[sock])


def serve(
    model_uri: str,
    host: str = "127.0.0.1",
    port: int = 5000,
    workers: int = 1,
    verify: Optional[bool] = None,
    log_level: str = "warning",
    max_body_size: Optional[int] = None,
) -> None:
    """Fetch and load the model once, then serve it with ``workers`` processes on one socket.

    The calling process's ``os.environ`` is left as it was; progress is
    logged on ``mltrail.models.scoring_server`` (INFO: where it serves;
    WARNING: a worker died and is restarted).

    >>> serve("runs:/5f3c.../model", port=5001, workers=2, max_body_size=10_000_000)
    """
    import uvicorn

    from .integrity import verification_enabled
    from .pyfunc_model import load_model
    from .uri import download_model

    limit = max_body_bytes(max_body_size)
    folder = os.path.abspath(download_model(model_uri))
    model = load_model(folder, verify=verify)  # fail here, with the real error, not in each worker
    sock = _listening_socket(host, port)
    _logger.info("serving %s on http://%s:%s (%d worker(s))", model_uri, host, sock.getsockname()[1], workers)
    if workers <= 1:
        uvicorn.Server(_uvicorn_config(build_app(model, limit), log_level)).run(sockets=[sock])
        return
    del model  # each worker loads its own copy
    _supervise(sock, workers, log_level, (folder, verification_enabled(verify), limit))


def restart_delay(failures: int) -> float:
    """Seconds to wait before restarting a worker that died ``failures`` times in a row soon after starting.

    0 after a worker that served a while; then doubling from 0.1 s up to 30 s.

    >>> [restart_delay(n) for n in (0, 1, 2, 3, 20)]
    [0.0, 0.1, 0.2, 0.4, 30.0]
    """
    if failures <= 0:
        return 0.0
    first, last = RESTART_BACKOFF
    return min(last, first * 2 ** min(failures - 1, 32))


class _Slot:
    """One worker position: its process, and the backoff of its restarts."""

    def __init__(self, ctx: Any, sock: socket.socket, log_level: str, model: tuple[str, bool, int]) -> None:
        self._ctx, self._sock, self._log_level, self._model = ctx, sock, log_level, model
        self.failures = 0
        self.restart_at: Optional[float] = None
        self.proc = self._start()

    def _start(self) -> Any:
        proc = self._ctx.Process(target=_run_worker, args=(self._sock, self._log_level, *self._model), daemon=True)
        proc.start()
        self.started = time.monotonic()
        return proc

    def check(self, now: float) -> None:
        """Notice a dead worker and schedule its restart; restart it when its delay has passed."""
        if self.restart_at is None and not self.proc.is_alive():
            self.proc.join(0)
            self.failures = 0 if now - self.started >= _HEALTHY_SECONDS else self.failures + 1
            delay = restart_delay(self.failures)
            _logger.warning(
                "scoring worker %s exited (exit code %s); restarting it in %g s", self.proc.pid, self.proc.exitcode, delay
            )
            self.restart_at = now + delay
        if self.restart_at is not None and now >= self.restart_at:
            self.restart_at = None
            self.proc = self._start()

    def stop(self) -> None:
        if self.proc.is_alive():
            self.proc.terminate()


def _supervise(sock: socket.socket, workers: int, log_level: str, model: tuple[str, bool, int]) -> None:
    """Run ``workers`` worker processes serving ``model`` (folder, verify, body limit), restarting any
    that dies, until SIGINT/SIGTERM."""
    import multiprocessing
    import signal
    from multiprocessing.connection import wait

    ctx = multiprocessing.get_context("spawn")
    stopping = False

    def stop(signum: int, frame: Any) -> None:
        nonlocal stopping
        stopping = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    slots: list[_Slot] = []
    try:
        slots = [_Slot(ctx, sock, log_level, model) for _ in range(workers)]
        while not stopping:
            alive = [slot.proc.sentinel for slot in slots if slot.restart_at is None]
            pending = [slot.restart_at for slot in slots if slot.restart_at is not None]
            timeout = max(0.0, min(pending) - time.monotonic()) if pending else 0.5
            wait(alive, timeout=min(timeout, 0.5))
            now = time.monotonic()
            for slot in slots:
                slot.check(now)
    finally:
        for slot in slots:
            slot.stop()
        for slot in slots:
            slot.proc.join(10)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        sock.close()


__all__ = ["DEFAULT_MAX_BODY_BYTES", "MAX_BODY_ENV", "MODEL_PATH_ENV", "app_from_environment", "build_app",
           "max_body_bytes", "serve"]
