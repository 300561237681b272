"""The scoring server: a Starlette app answering predictions for one model.

    POST /invocations   JSON (dataframe_split, dataframe_records, instances, inputs) or CSV
    GET  /ping          200 when the model is loaded
    GET  /health        same
    GET  /version       mltrail's version

Bad payloads get a 400 with ``{"error_code": ..., "message": ...}`` saying
what is wrong. Run it with ``mltrail models serve -m URI`` or::

    >>> app = build_app(mltrail.pyfunc.load_model("runs:/5f3c.../model"))
    >>> serve("runs:/5f3c.../model", port=5001, workers=2)

Predictions run on the event loop itself: they are short and CPU-bound, and
throughput comes from worker processes (``--workers``), not threads.
"""

from __future__ import annotations

import json
import os
import socket
from typing import Any, Optional

from ..exceptions import BAD_REQUEST, MltrailError
from ..version import VERSION
from .scoring_payload import parse_csv, parse_json, predictions_to_json

#: Where worker processes find the model folder the parent process fetched.
MODEL_PATH_ENV = "MLTRAIL_SERVE_MODEL_PATH"
VERIFY_ENV = "MLTRAIL_SERVE_VERIFY"


def build_app(model: Any) -> Any:
    """A Starlette app serving ``model`` (a :class:`mltrail.pyfunc.PyFuncModel`).

    >>> app = build_app(mltrail.pyfunc.load_model("runs:/5f3c.../model"))
    >>> uvicorn.run(app, port=5001)
    """
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    json_type = "application/json"
    array_columns = getattr(model, "array_columns", None)

    def error(status: int, message: str, code: str = BAD_REQUEST) -> Response:
        return Response(json.dumps({"error_code": code, "message": message}), status, media_type=json_type)

    async def ping(request: Request) -> Response:
        return Response("\n", 200, media_type=json_type)

    async def version(request: Request) -> Response:
        return Response(VERSION, 200, media_type="text/plain")

    async def invocations(request: Request) -> Response:
        content_type = request.headers.get("content-type", "")
        mime = content_type.split(";", 1)[0].strip().lower()
        body = await request.body()
        try:
            if mime in ("application/json", ""):
                data, params = parse_json(body, array_columns)
            elif mime == "text/csv":
                data, params = parse_csv(body), None
            else:
                return error(
                    415,
                    f"Unsupported content type {content_type!r}: send application/json or text/csv",
                )
            predictions = model.predict(data, params=params)
        except MltrailError as e:
            return error(400 if e.http_status < 500 else e.http_status, e.message, e.error_code)
        except (ValueError, TypeError, KeyError, IndexError) as e:
            return error(400, f"The model could not predict on this input: {type(e).__name__}: {e}")
        except Exception as e:  # the model itself failed
            return error(500, f"Prediction failed: {type(e).__name__}: {e}", "INTERNAL_ERROR")
        return Response(predictions_to_json(predictions), 200, media_type=json_type)

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
    return build_app(load_model(path, verify=verify))


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


def _run_worker(sock: socket.socket, log_level: str) -> None:
    """Entry point of a worker process: serve the model on the inherited socket."""
    import uvicorn

    config = _uvicorn_config("mltrail.models.scoring_server:app_from_environment", log_level)
    uvicorn.Server(config).run(sockets=[sock])


def serve(
    model_uri: str,
    host: str = "127.0.0.1",
    port: int = 5000,
    workers: int = 1,
    verify: Optional[bool] = None,
    log_level: str = "warning",
) -> None:
    """Fetch and load the model once, then serve it with ``workers`` processes on one socket.

    >>> serve("runs:/5f3c.../model", port=5001, workers=2)
    """
    # OpenMP threads (XGBoost, some scikit-learn estimators) spin while waiting by
    # default; with several workers sharing cores, a spinning thread holds up the
    # others for whole scheduler slices (a 0.3 ms XGBoost call took 25 ms here).
    # Set before any OpenMP runtime loads; a value the user set wins.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import uvicorn

    from .integrity import verification_enabled
    from .pyfunc_model import load_model
    from .uri import download_model

    folder = os.path.abspath(download_model(model_uri))
    model = load_model(folder, verify=verify)  # fail here, with the real error, not in each worker
    sock = _listening_socket(host, port)
    print(f"mltrail: serving {model_uri} on http://{host}:{sock.getsockname()[1]} ({workers} worker(s))", flush=True)
    if workers <= 1:
        uvicorn.Server(_uvicorn_config(build_app(model), log_level)).run(sockets=[sock])
        return
    del model  # each worker loads its own copy
    os.environ[MODEL_PATH_ENV] = folder
    os.environ[VERIFY_ENV] = "1" if verification_enabled(verify) else "0"
    _supervise(sock, workers, log_level)


def _supervise(sock: socket.socket, workers: int, log_level: str) -> None:
    """Start the worker processes; stop them all when one exits or on SIGINT/SIGTERM."""
    import multiprocessing
    import signal

    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_run_worker, args=(sock, log_level), daemon=True) for _ in range(workers)]
    for p in procs:
        p.start()
    stopping = False

    def stop(signum: int, frame: Any) -> None:
        nonlocal stopping
        stopping = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        while not stopping and all(p.is_alive() for p in procs):
            procs[0].join(0.5)
        dead = [p for p in procs if not p.is_alive()]
        if not stopping and dead:
            raise MltrailError(f"A scoring worker exited unexpectedly (exit code {dead[0].exitcode}); stopping the server")
    finally:
        for p in procs:
            if p.is_alive():
                p.terminate()
        for p in procs:
            p.join(10)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        sock.close()


__all__ = ["MODEL_PATH_ENV", "app_from_environment", "build_app", "serve"]
