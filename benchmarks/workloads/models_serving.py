"""The scoring server: requests/s for a 10-row DataFrame against a small sklearn pipeline.

The setup phase logs the model; the measured phase starts the backend's own
``models serve`` command with 2 workers (MLflow with ``--env-manager local``),
waits for /ping, then drives POST /invocations (JSON dataframe_split) from
this process over keep-alive connections for a fixed time. Every response
must be a 200 with 10 predictions.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

from ..spec import Context, Measurement, Target, Workload
from .models import _setup_load, _sklearn_model

_URI_FILE = "model_uri.json"
_IO_TIMEOUT = 60.0  # a response slower than this means the server hung: fail instead of waiting forever


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _server_command(backend: str, uri: str, port: int, workers: int) -> list[str]:
    if backend == "mlflow":
        return [sys.executable, "-m", "mlflow", "models", "serve", "-m", uri, "-p", str(port),
                "--env-manager", "local", "-w", str(workers)]
    return [sys.executable, "-c", "from mltrail.cli import main; main()", "models", "serve", "-m", uri,
            "--port", str(port), "--workers", str(workers)]


def _wait_ready(port: int, proc: subprocess.Popen, timeout: float) -> float:
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}: {proc.stdout.read().decode()[-2000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/ping", timeout=1) as r:
                if r.status == 200:
                    return time.perf_counter() - start
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("server did not answer /ping in time")


def _tree_cpu_seconds(root: int) -> "float | None":
    """CPU seconds (user + system) used so far by process ``root`` and all its descendants (Linux /proc)."""
    try:
        stats = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat") as f:
                        fields = f.read().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                stats[int(entry)] = (int(fields[1]), int(fields[11]) + int(fields[12]))
    except OSError:
        return None
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        for pid, (ppid, _) in stats.items():
            if ppid == parent and pid not in tree:
                tree.add(pid)
                frontier.append(pid)
    return sum(stats[p][1] for p in tree if p in stats) / os.sysconf("SC_CLK_TCK")


async def _drive(port: int, body: bytes, connections: int, seconds: float) -> dict:
    """Keep ``connections`` keep-alive connections busy for ``seconds``; count answers.

    A connection whose answer takes over ``_IO_TIMEOUT`` is counted in
    ``timeouts`` and dropped; the rate is computed up to the last answer.
    """
    request = (
        b"POST /invocations HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    counts = {"done": 0, "bad": 0, "timeouts": 0}
    started = time.perf_counter()
    last = [started]
    deadline = started + seconds

    async def exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        payload = await reader.readexactly(length)
        return head.startswith(b"HTTP/1.1 200") and len(json.loads(payload)["predictions"]) == 10

    async def one_connection() -> None:
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), _IO_TIMEOUT)
        try:
            while time.perf_counter() < deadline:
                ok = await asyncio.wait_for(exchange(reader, writer), _IO_TIMEOUT)
                counts["done"] += 1
                counts["bad"] += not ok
                last[0] = time.perf_counter()
        except asyncio.TimeoutError:
            counts["timeouts"] += 1
        finally:
            writer.close()

    await asyncio.gather(*(one_connection() for _ in range(connections)))
    counts["seconds"] = last[0] - started
    return counts


def _stop(proc: subprocess.Popen) -> None:
    """Stop the server and everything it started (its own session: MLflow's uvicorn runs as a grandchild)."""
    import signal

    for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(wait)
            try:
                os.killpg(proc.pid, 0)  # anything left in the group?
            except ProcessLookupError:
                return
            time.sleep(1)
        except subprocess.TimeoutExpired:
            continue


def _serve_rps(api, ctx: Context) -> Measurement:
    with open(os.path.join(ctx.workdir, _URI_FILE)) as f:
        uri = json.load(f)["uri"]
    _, X = _sklearn_model()
    body = json.dumps({"dataframe_split": json.loads(X[:10].to_json(orient="split", index=False))}).encode()
    port = _free_port()
    # MLflow's serve runs `uvicorn` from PATH: put the backend interpreter's bin folder first.
    env = dict(os.environ, PATH=os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")]))
    proc = subprocess.Popen(_server_command(ctx.backend, uri, port, ctx.params["workers"]), env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        startup_s = _wait_ready(port, proc, timeout=180)
        asyncio.run(_drive(port, body, ctx.params["connections"], 1.0))  # warm up every worker
        server_cpu0, client_cpu0 = _tree_cpu_seconds(proc.pid), time.process_time()
        counts = asyncio.run(_drive(port, body, ctx.params["connections"], ctx.params["seconds"]))
        server_cpu1, client_cpu1 = _tree_cpu_seconds(proc.pid), time.process_time()
        done, bad, elapsed = counts["done"], counts["bad"], counts["seconds"]
    finally:
        _stop(proc)
    if bad:
        raise AssertionError(f"{bad} of {done} responses were not 200 with 10 predictions")
    if not done:
        raise AssertionError(f"no request was answered ({counts['timeouts']} connections timed out)")
    details = {"requests": done, "startup_s": round(startup_s, 1), "connections": ctx.params["connections"],
               "workers": ctx.params["workers"]}
    if counts["timeouts"]:
        details["timed_out_connections"] = counts["timeouts"]
    if server_cpu0 is not None and server_cpu1 is not None and done:
        # CPU spent per request by the server processes and by this client: what the
        # rate would be if both had the machine's cores to themselves.
        server_us = (server_cpu1 - server_cpu0) / done * 1e6
        client_us = (client_cpu1 - client_cpu0) / done * 1e6
        details["server_cpu_us_per_req"] = round(server_us)
        details["client_cpu_us_per_req"] = round(client_us)
        details["idle_projection_req_s"] = round(min(os.cpu_count() or 1, ctx.params["workers"] + 1) * 1e6 / (server_us + client_us))
    return Measurement(done / elapsed, details)


WORKLOADS = [
    Workload(
        name="scoring_server_rps",
        run=_serve_rps,
        setup=_setup_load("sklearn"),
        unit="req/s",
        higher_is_better=True,
        description="models serve -w 2: POST /invocations, 10-row dataframe_split, keep-alive clients",
        target=Target.at_least(1000, "req/s"),
        params={"workers": 2, "connections": 8, "seconds": 10.0},
        quick_params={"workers": 2, "connections": 4, "seconds": 3.0},
        timeout=600,
        order=64,
    )
]
