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

``server_auth_overhead`` (mltrail only): what ``mltrail server --auth`` costs on the log-metric
load. The same load runs against the server without auth and with ``--auth``, where the clients
are a non-admin user sending a Bearer token (so the credential, the run's experiment and the
permission are all checked on every request), in alternating rounds; the value is the auth
server's shortfall in requests/s against the plain one in the same round, in percent (median
over the rounds: rounds next to each other in time share the machine's load). On a busy machine
the rounds scatter widely, so it also times the auth layer alone in-process (``auth_layer_us``:
the middleware and the route's rule for a cached token) against a plain request's server time.
"""

from __future__ import annotations

import base64
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

    def __init__(self, ctx: Context, auth: bool = False) -> None:
        self.port = _free_port()
        self.headers: dict[str, str] = {"Content-Type": "application/json"}
        binary = os.path.join(os.path.dirname(sys.executable), ctx.backend)
        artifacts = os.path.join(ctx.workdir, "server-artifacts")
        common = ["--backend-store-uri", ctx.tracking_uri, "--host", "127.0.0.1", "--port", str(self.port),
                  "--workers", "1"]
        env = dict(os.environ)
        if ctx.backend == "mltrail":
            cmd = [binary, "server", *common, "--artifacts-destination", artifacts, "--log-level", "warning"]
            if auth:
                cmd.append("--auth")
                env.update(MLTRAIL_ADMIN_USERNAME=_ADMIN[0], MLTRAIL_ADMIN_PASSWORD=_ADMIN[1])
                self.headers["Authorization"] = "Basic " + base64.b64encode(":".join(_ADMIN).encode()).decode()
        else:
            cmd = [binary, "server", *common, "--artifacts-destination", artifacts]
        self.log = open(os.path.join(ctx.workdir, "server.log"), "wb")
        self.proc = subprocess.Popen(cmd, cwd=ctx.workdir, stdout=self.log, stderr=subprocess.STDOUT, env=env)

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
            conn.request(method, path, data, self.headers)
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


def _client(port: int, path: str, bodies: list[bytes], budget_s: float, barrier: Any, out: Any,
            headers: dict[str, str]) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
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


def _rate(server: Server, kind: str, ctx: Context, name: str) -> dict[str, Any]:
    """Run the load once against ``server`` (its headers on every request); totals checked afterwards."""
    clients, n, budget = ctx.params["clients"], ctx.params["requests"], ctx.params["budget_s"]
    path = API + ("runs/log-metric" if kind == "metric" else "runs/log-batch")
    experiment = server.call("POST", API + "experiments/create", {"name": name})["experiment_id"]
    runs = [server.call("POST", API + "runs/create", {"experiment_id": experiment, "start_time": 1})["run"]
            ["info"]["run_id"] for _ in range(clients)]
    mp = multiprocessing.get_context("fork")
    barrier, out = mp.Barrier(clients), mp.Queue()
    procs = [mp.Process(target=_client, args=(server.port, path, _bodies(kind, run, n), budget, barrier, out,
                                              server.headers)) for run in runs]
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
    key = "loss" if kind == "metric" else "m0"
    stored = sum(len(server.call("GET", f"{API}metrics/get-history?run_id={run}&metric_key={key}")
                     .get("metrics", [])) for run in runs)
    if stored != total:
        raise AssertionError(f"sent {total} {kind} requests but the store holds {stored} values of {key!r}")
    return {"requests": total, "seconds": seconds, "rate": total / seconds}


def _load(kind: str, api: Any, ctx: Context) -> Measurement:
    with Server(ctx) as server:
        rss_before = server.rss_mb()
        result = _rate(server, kind, ctx, f"bench-server-{kind}")
        rss_after = server.rss_mb()
    return Measurement(result["rate"], {"requests": result["requests"], "clients": ctx.params["clients"],
                                        "seconds": round(result["seconds"], 2),
                                        "server_rss_mb_before": round(rss_before, 1),
                                        "server_rss_mb_after": round(rss_after, 1)})


_ADMIN = ("bench-admin", "bench-admin-password")


def _as_token_user(server: Server) -> None:
    """Switch ``server``'s requests to a new non-admin user's Bearer token."""
    server.call("POST", API + "users/create", {"username": "bench", "password": "bench-password-1"})
    token = server.call("POST", API + "users/tokens/create", {"username": "bench", "name": "load"})["token"]
    server.headers["Authorization"] = f"Bearer {token}"


def _auth_layer_us(workdir: str, repeats: int = 20_000) -> float:
    """Microseconds the auth layer adds to one log-metric request, timed in this process without
    the network or the database write: the middleware's check of a cached Bearer token, then the
    route's rule (the run's experiment and the user's EDIT on it, both cached)."""
    import asyncio

    from mltrail.server import create_app
    from mltrail.server.auth.access import EDIT, on_run
    from mltrail.server.auth.middleware import AuthMiddleware

    os.environ.update(MLTRAIL_ADMIN_USERNAME=_ADMIN[0], MLTRAIL_ADMIN_PASSWORD=_ADMIN[1])
    app = create_app(backend_store_uri=f"sqlite:///{workdir}/auth-layer.db", artifacts_destination=workdir,
                     auth=True, access_log=False)
    guard, store, tracking = app.state.context.auth, app.state.context.auth.store, app.state.tracking_store
    store.create_user("bench", "bench-password-1")
    header = "Bearer " + store.create_token("bench", "layer")
    experiment = tracking.create_experiment("auth-layer")
    store.set_permission("experiment", experiment, "bench", "EDIT")
    run_id = tracking.create_run(experiment, "bench", 1, [], None).info.run_id

    async def inner(scope: dict, receive: Any, send: Any) -> None:
        guard.call(scope["state"]["user"], on_run(EDIT), lambda c, a: {}, None, {"run_id": run_id})

    layer = AuthMiddleware(inner, guard, app.state.session_signer)
    headers = [(b"host", b"127.0.0.1"), (b"content-type", b"application/json"), (b"authorization", header.encode())]

    async def requests(n: int) -> None:
        for _ in range(n):
            await layer({"type": "http", "path": API + "runs/log-metric", "method": "POST", "headers": headers},
                        None, None)

    asyncio.run(requests(100))  # the first use: argon2-free token check, owner and level read once
    start = time.perf_counter()
    asyncio.run(requests(repeats))
    return (time.perf_counter() - start) / repeats * 1e6


def _auth_overhead(api: Any, ctx: Context) -> Measurement:
    plain: list[float] = []
    authed: list[float] = []
    with Server(ctx) as without, Server(ctx, auth=True) as with_auth:
        _as_token_user(with_auth)
        for round_ in range(ctx.params["rounds"]):  # which goes first alternates, to cancel drifts in load
            first, second = (without, with_auth) if round_ % 2 == 0 else (with_auth, without)
            rates = {id(first): _rate(first, "metric", ctx, f"bench-a-{round_}")["rate"],
                     id(second): _rate(second, "metric", ctx, f"bench-b-{round_}")["rate"]}
            plain.append(rates[id(without)])
            authed.append(rates[id(with_auth)])
    ratio = median([a / p for a, p in zip(authed, plain)])
    layer_us = _auth_layer_us(ctx.workdir)
    return Measurement(100.0 * (1 - ratio), {
        "ratio": round(ratio, 3), "auth_req_s": round(median(authed)), "plain_req_s": round(median(plain)),
        "auth_layer_us": round(layer_us, 1),
        "auth_layer_pct_of_plain_request": round(100.0 * layer_us * median(plain) / 1e6, 2),
        "rounds": [[round(p), round(a)] for p, a in zip(plain, authed)]})


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
        name="server_auth_overhead",
        run=_auth_overhead,
        unit="%",
        description="log-metric req/s lost to --auth (a non-admin user's Bearer token; 4 clients, SQLite)",
        target=Target.at_most(10, "%"),
        params={**_LOAD, "requests": 1500, "budget_s": 6.0, "rounds": 8},
        quick_params={**_LOAD, "requests": 100, "budget_s": 5.0, "rounds": 2},
        import_api=False,
        backends=("mltrail",),
        order=83,
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
