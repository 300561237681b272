"""A live ``mltrail server`` (the real CLI, in a subprocess) for the compatibility and bad-input tests.

``live_server`` is module-scoped: one server over a fresh SQLite file per test module; tests use
unique names so they do not depend on each other.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from typing import Iterator

import httpx
import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``http://127.0.0.1:<port>`` of ``mltrail server`` over a new SQLite database (4 KiB API body limit
    is not set here; see test_bad_input for the 413 case)."""
    root = tmp_path_factory.mktemp("server")
    port = _free_port()
    cmd = [os.path.join(os.path.dirname(sys.executable), "mltrail"), "server", "--backend-store-uri", f"sqlite:///{root}/mlflow.db",
           "--artifacts-destination", str(root / "artifacts"), "--port", str(port), "--max-request-mb", "1",
           "--log-level", "warning"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "MLTRAIL_"))}
    proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            if httpx.get(url + "/health", timeout=2).text == "OK":
                break
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"mltrail server did not start: {proc.stdout.read().decode(errors='replace')}")
        time.sleep(0.2)
    yield url
    proc.terminate()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
