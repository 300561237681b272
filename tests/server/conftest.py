"""A live ``mltrail server`` (the real CLI, in a subprocess) for the compatibility and bad-input tests.

``live_server`` is module-scoped: one server over a fresh SQLite file per test module; tests use
unique names so they do not depend on each other.
"""

from __future__ import annotations

import os
from typing import Iterator

import pytest

from benchmarks.reliability.databases import served

from ..conftest import serve_app


@pytest.fixture(autouse=True)
def _no_leaked_experiment() -> Iterator[None]:
    """The stock client's ``mlflow.set_experiment`` sets ``MLFLOW_EXPERIMENT_ID`` in os.environ; keep
    it from leaking into later tests (whose servers have no such experiment)."""
    before = {name: os.environ.get(name) for name in ("MLFLOW_EXPERIMENT_ID", "MLFLOW_EXPERIMENT_NAME")}
    yield
    for name, value in before.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``http://127.0.0.1:<port>`` of ``mltrail server`` over a new SQLite database (4 KiB API body limit
    is not set here; see test_bad_input for the 413 case)."""
    root = tmp_path_factory.mktemp("server")
    with served(f"sqlite:///{root}/mlflow.db", artifacts=str(root / "artifacts"), extra=("--max-request-mb", "1")) as url:
        yield url


#: the client process's liveness requests (see mltrail.store.liveness)
HEARTBEAT_PATHS = ("runs/heartbeat-owner", "runs/release-owner")


class RequestRecorder:
    """ASGI middleware that records ``(method, path)`` of every HTTP request the app receives."""

    def __init__(self, app) -> None:
        self.app = app
        self.requests: list[tuple[str, str]] = []

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            self.requests.append((scope["method"], scope["path"]))
        await self.app(scope, receive, send)

    def api_calls(self) -> list[str]:
        """``"POST runs/create"``... for every tracking API request (artifact traffic left out, and the
        client process's heartbeat, which is per process every few seconds, not per write)."""
        prefix = "/api/2.0/mlflow/"
        return [f"{m} {p[len(prefix):]}" for m, p in self.requests
                if p.startswith(prefix) and p[len(prefix):] not in HEARTBEAT_PATHS]

    def writes(self) -> list[str]:
        """The API requests that are not GETs (a search is a POST but reads: left out too)."""
        return [c for c in self.api_calls() if not c.startswith("GET ") and not c.endswith("/search")]


@pytest.fixture
def recorded_server(sqlite_uri: str, tmp_path) -> Iterator:
    """``recorded_server(without=(), wrap=None)`` -> (uri, recorder): a mltrail server over a fresh SQLite
    store whose requests are recorded; ``without`` names API paths (``"runs/finish"``) removed from the
    app, to play a server that lacks mltrail's extensions; ``wrap(app)`` puts ASGI middleware around it."""
    from mltrail.server import create_app

    started: list = []

    def _start(without: tuple[str, ...] = (), wrap=None) -> tuple[str, RequestRecorder]:
        app = create_app(backend_store_uri=sqlite_uri, artifacts_destination=str(tmp_path / "artifacts"),
                         access_log=False)
        if without:
            app.router.routes = [r for r in app.router.routes
                                 if not any(getattr(r, "path", "").endswith("/" + w) for w in without)]
        recorder = RequestRecorder(wrap(app) if wrap else app)
        return serve_app(recorder, started), recorder

    yield _start
    for server, thread, sock in started:
        server.should_exit = True
        thread.join(10)
        sock.close()

