"""``mltrail server`` against ``mlflow server``: requests/s under 4 concurrent clients, search
over REST at 10,000 runs, and the server's resident memory after the load.

Each backend's own server (``mltrail server`` from the project, ``mlflow server`` from the side
venv, which needs the full ``mlflow`` package: see the README) is started with ``--workers 1``
on the workload's SQLite database. Four client processes (the standard library's ``http.client``
over one keep-alive connection each, the same client code for both servers) send, each into its
own run, ``log-metric`` requests (one metric) or ``log-batch`` requests (100 metrics), started
together; requests/s = all requests / (last finish - first start). Every request must answer 200,
and the histories are counted afterwards (the values were committed). The server's RSS (its
process and children, from /proc) is read after the load.

``server_search_10k``: the search_runs workload's 10,000 runs (same setup), then
``runs/search`` with its filter and order_by, top 100, median of several calls.
"""

from __future__ import annotations

import http.client
import json
import multiprocessing
import os
import socket
import subprocess
import sys
import time
from typing import Any

from ..measure import median, timings_ms, tree_rss_mb
from ..spec import Context, Measurement, Target, Workload
from . import search_runs

API = "/api/2.0/mlflow/"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """The backend's tracking server on the workload's database (a context manager)."""

    def __init__(self, ctx: Context) -> None:
        self.port = _free_port()
        binary = os.path.join(os.path.dirname(sys.executable), ctx.backend)
        artifacts = os.path.join(ctx.workdir, "server-artifacts")
        common = ["--backend-store-uri", ctx.tracking_uri, "--host", "127.0.0.1", "--port", str(self.port),
                  "--workers", "1"]
        if ctx.backend == "mltrail":
            cmd = [binary, "server", *common, "--artifacts-destination", artifacts, "--log-level", "warning"]
        else:
            cmd = [binary, "server", *common, "--artifacts-destination", artifacts]
        self.log = open(os.path.join(ctx.workdir, "server.log"), "wb")
        self.proc = subprocess.Popen(cmd, cwd=ctx.workdir, stdout=self.log, stderr=subprocess.STDOUT)

    def __enter__(self) -> "Server":
        deadline = time.monotonic() + 180
        while True:
            try:
                if self.call("GET", "/health", raw=True) == b"OK":
                    return self
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.__exit__()
                with open(self.log.name, "rb") as fh:
                    raise RuntimeError(f"server did not start: {fh.read()[-3000:].decode(errors='replace')}")
            time.sleep(0.3)

    def __exit__(self, *exc: Any) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()

    def call(self, method: str, path: str, body: Any = None, raw: bool = False) -> Any:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            data = None if body is None else json.dumps(body)
            conn.request(method, path, data, {"Content-Type": "application/json"})
            answer = conn.getresponse()
            payload = answer.read()
            if answer.status != 200:
                raise RuntimeError(f"{method} {path}: HTTP {answer.status} {payload[:300]!r}")
            return payload if raw else json.loads(payload)
        finally:
            conn.close()

    def rss_mb(self) -> float:
        """Resident memory of the server process and all its descendants, in MiB."""
        return tree_rss_mb(self.proc.pid)


def _client(port: int, path: str, bodies: list[bytes], budget_s: float, barrier: Any, out: Any) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Content-Type": "application/json"}
    barrier.wait()
    start = time.perf_counter()
    deadline = start + budget_s
    sent = 0
    for body in bodies:
        conn.request("POST", path, body, headers)
        answer = conn.getresponse()
        payload = answer.read()
        if answer.status != 200:
            out.put(("error", f"HTTP {answer.status}: {payload[:300]!r}"))
            return
        sent += 1
        if time.perf_counter() > deadline:
            break
    out.put(("ok", (start, time.perf_counter(), sent)))
    conn.close()


def _bodies(kind: str, run_id: str, n: int) -> list[bytes]:
    ts = 1_700_000_000_000
    if kind == "metric":
        return [json.dumps({"run_id": run_id, "key": "loss", "value": 1.0 / (i + 1), "timestamp": ts + i,
                            "step": i}).encode() for i in range(n)]
    return [json.dumps({"run_id": run_id, "metrics": [
        {"key": f"m{k}", "value": float(i * 100 + k), "timestamp": ts + i, "step": i} for k in range(100)
    ]}).encode() for i in range(n)]


def _load(kind: str, api: Any, ctx: Context) -> Measurement:
    clients, n, budget = ctx.params["clients"], ctx.params["requests"], ctx.params["budget_s"]
    path = API + ("runs/log-metric" if kind == "metric" else "runs/log-batch")
    with Server(ctx) as server:
        experiment = server.call("POST", API + "experiments/create", {"name": f"bench-server-{kind}"})["experiment_id"]
        runs = [server.call("POST", API + "runs/create", {"experiment_id": experiment, "start_time": 1})["run"]
                ["info"]["run_id"] for _ in range(clients)]
        rss_before = server.rss_mb()
        mp = multiprocessing.get_context("fork")
        barrier, out = mp.Barrier(clients), mp.Queue()
        procs = [mp.Process(target=_client, args=(server.port, path, _bodies(kind, run, n), budget, barrier, out))
                 for run in runs]
        for p in procs:
            p.start()
        results = [out.get(timeout=budget + 300) for _ in procs]
        for p in procs:
            p.join(30)
        errors = [r[1] for r in results if r[0] != "ok"]
        if errors:
            raise RuntimeError(f"{len(errors)} client(s) failed: {errors[0]}")
        spans = [r[1] for r in results]
        total = sum(s[2] for s in spans)
        seconds = max(s[1] for s in spans) - min(s[0] for s in spans)
        rss_after = server.rss_mb()
        key = "loss" if kind == "metric" else "m0"
        stored = sum(len(server.call("GET", f"{API}metrics/get-history?run_id={run}&metric_key={key}")
                         .get("metrics", [])) for run in runs)
        if stored != total:
            raise AssertionError(f"sent {total} {kind} requests but the store holds {stored} values of {key!r}")
    return Measurement(total / seconds, {"requests": total, "clients": clients, "seconds": round(seconds, 2),
                                         "server_rss_mb_before": round(rss_before, 1),
                                         "server_rss_mb_after": round(rss_after, 1)})


def _search(api: Any, ctx: Context) -> Measurement:
    with open(os.path.join(ctx.workdir, search_runs._EXPECTED_FILE)) as fh:
        expected = json.load(fh)
    body = {"experiment_ids": [expected["experiment_id"]], "filter": search_runs.FILTER,
            "order_by": search_runs.ORDER_BY, "max_results": search_runs.TOP}
    with Server(ctx) as server:
        first = time.perf_counter()
        answer = server.call("POST", API + "runs/search", body)
        cold_ms = (time.perf_counter() - first) * 1000
        names = [r["info"]["run_name"] for r in answer["runs"]]
        if names != expected["filtered"]:
            raise AssertionError(f"runs/search answered {names[:5]}..., expected {expected['filtered'][:5]}...")
        times = timings_ms(lambda i: server.call("POST", API + "runs/search", body), ctx.params["repeats"],
                           ctx.params["budget_s"])
        rss = server.rss_mb()
    return Measurement(median(times), {"cold_ms": round(cold_ms, 1), "repeats": len(times), "server_rss_mb": round(rss, 1)})


def _setup_search(api: Any, ctx: Context) -> None:
    search_runs._setup(api, ctx)


_LOAD = {"clients": 4, "budget_s": 20.0}
WORKLOADS = [
    Workload(
        name="server_log_metric",
        run=lambda api, ctx: _load("metric", api, ctx),
        unit="req/s",
        higher_is_better=True,
        description="4 client processes x log-metric requests to the server (--workers 1, SQLite)",
        target=Target.at_least(20 * 160, "req/s"),  # 20x the best mlflow server figure in issue 11
        params={**_LOAD, "requests": 3000},
        quick_params={**_LOAD, "requests": 100, "budget_s": 5.0},
        import_api=False,
        order=80,
    ),
    Workload(
        name="server_log_batch",
        run=lambda api, ctx: _load("batch", api, ctx),
        unit="req/s",
        higher_is_better=True,
        description="4 client processes x log-batch(100 metrics) requests; server RSS after the load",
        target=Target.at_least(20 * 61, "req/s"),
        params={**_LOAD, "requests": 1000},
        quick_params={**_LOAD, "requests": 30, "budget_s": 5.0},
        import_api=False,
        order=81,
    ),
    Workload(
        name="server_search_10k",
        setup=_setup_search,
        run=_search,
        unit="ms",
        description="runs/search over REST, filter + order_by, top 100 of 10,000 runs",
        target=Target.at_most(50, "ms"),
        params={"runs": 10_000, "api_limit": 2000, "repeats": 9, "budget_s": 20.0},
        quick_params={"runs": 300, "api_limit": 2000, "repeats": 3, "budget_s": 5.0},
        order=82,
    ),
]
