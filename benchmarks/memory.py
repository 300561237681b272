"""Memory over long runs (issue 13 item 8): does anything hold on after a call returns?

    python benchmarks/memory.py fits      [--count 1000]     # autologged sklearn fits in one process
    python benchmarks/memory.py sweep     [--trials 500]     # one tracked hyperopt sweep in one process
    python benchmarks/memory.py server    [--minutes 10]     # mltrail server under a mixed load

``fits`` and ``sweep`` warm up first (imports, the first run, caches), then report the
resident set (VmRSS) and its peak (VmHWM) after the warm-up and at the end: growth within
a few MB means nothing holds training data, models or runs. ``server`` starts the real
``mltrail server`` over SQLite, drives it with 8 client threads (log-metric, log-batch,
create/finish runs, search, get-run, the runs page) and samples the server's RSS every 10 s.
Numbers are printed, never asserted (benchmarks/README.md keeps the latest).
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

MB = 1024 * 1024


def rss(pid: str = "self") -> tuple[float, float]:
    """(VmRSS, VmHWM) of a process in MB, from /proc."""
    values = {}
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith(("VmRSS:", "VmHWM:")):
                name, kb = line.split()[:2]
                values[name] = int(kb) / 1024
    return values["VmRSS:"], values["VmHWM:"]


def _report(what: str, count: int, start: tuple[float, float], end: tuple[float, float]) -> None:
    print(f"{what}: {count} after warm-up | RSS {start[0]:.1f} -> {end[0]:.1f} MB ({end[0] - start[0]:+.1f}) "
          f"| peak {start[1]:.1f} -> {end[1]:.1f} MB ({end[1] - start[1]:+.1f})")


def _store(folder: str) -> None:
    import mltrail

    mltrail.set_tracking_uri(f"sqlite:///{folder}/mltrail.db")
    os.environ["MLTRAIL_ARTIFACT_ROOT"] = f"{folder}/artifacts"


def fits(count: int) -> None:
    """``count`` autologged fits (Ridge and LogisticRegression, models and figures logged)."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression, Ridge

    import mltrail

    rng = np.random.default_rng(0)
    X = rng.normal(size=(2000, 20))
    y_reg = X @ rng.normal(size=20)
    y_cls = (y_reg > 0).astype(int)
    with tempfile.TemporaryDirectory() as folder:
        _store(folder)
        mltrail.sklearn.autolog(log_models=True)

        def one(i: int) -> None:
            if i % 2:
                Ridge(alpha=0.1 + i % 7).fit(X, y_reg)
            else:
                LogisticRegression(max_iter=200, C=0.5 + i % 5).fit(X, y_cls)

        for i in range(50):
            one(i)
        mltrail.flush_artifacts()
        start = rss()
        for i in range(count):
            one(i)
        mltrail.flush_artifacts()
        _report("autologged fits", count, start, rss())


def sweep(trials: int) -> None:
    """One tracked hyperopt sweep of ``trials`` XGBoost-free trials (Ridge objective, autologged)."""
    import numpy as np
    from hyperopt import Trials, fmin, hp, tpe
    from sklearn.linear_model import Ridge

    import mltrail

    rng = np.random.default_rng(0)
    X = rng.normal(size=(2000, 20))
    y = X @ rng.normal(size=20) + rng.normal(size=2000)

    def objective(params):
        model = Ridge(alpha=params["alpha"]).fit(X[:1500], y[:1500])
        return float(((model.predict(X[1500:]) - y[1500:]) ** 2).mean())

    space = {"alpha": hp.loguniform("alpha", -5, 3)}
    with tempfile.TemporaryDirectory() as folder:
        _store(folder)
        mltrail.autolog(log_models=False)
        fmin(objective, space, algo=tpe.suggest, max_evals=30, trials=Trials(), show_progressbar=False,
             rstate=np.random.default_rng(1))
        mltrail.flush_artifacts()
        start = rss()
        fmin(objective, space, algo=tpe.suggest, max_evals=trials, trials=Trials(), show_progressbar=False,
             rstate=np.random.default_rng(2))
        mltrail.flush_artifacts()
        _report("tracked hyperopt trials", trials, start, rss())


def server(minutes: float, clients: int = 8) -> None:
    """``mltrail server`` under a mixed load for ``minutes``; its RSS sampled every 10 s."""
    import httpx

    with tempfile.TemporaryDirectory() as folder:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        cli = os.path.join(os.path.dirname(sys.executable), "mltrail")
        proc = subprocess.Popen([cli, "server", "--backend-store-uri", f"sqlite:///{folder}/mltrail.db",
                                 "--artifacts-destination", f"{folder}/artifacts", "--port", str(port),
                                 "--log-level", "warning"], cwd=folder, stdout=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{port}"
        api = url + "/api/2.0/mlflow"
        try:
            while True:
                try:
                    if httpx.get(url + "/health").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.2)
            stop = threading.Event()
            requests = [0]

            def load(seed: int) -> None:
                rnd = random.Random(seed)
                with httpx.Client(timeout=60) as http:
                    while not stop.is_set():
                        run = http.post(api + "/runs/create", json={"experiment_id": "0"}).json()["run"]["info"]["run_id"]
                        for step in range(20):
                            http.post(api + "/runs/log-metric", json={"run_id": run, "key": "loss", "value": rnd.random(),
                                                                      "timestamp": 1, "step": step})
                        http.post(api + "/runs/log-batch", json={"run_id": run, "metrics": [
                            {"key": f"m{i}", "value": rnd.random(), "timestamp": 1, "step": 0} for i in range(100)],
                            "params": [{"key": f"p{i}", "value": str(i)} for i in range(10)]})
                        http.post(api + "/runs/update", json={"run_id": run, "status": "FINISHED", "end_time": 2})
                        http.post(api + "/runs/search", json={"experiment_ids": ["0"], "max_results": 100,
                                                              "filter": "metrics.loss < 0.5"})
                        http.get(api + "/runs/get", params={"run_id": run})
                        http.get(url + "/runs", params={"experiment_id": "0"})
                        requests[0] += 27

            threads = [threading.Thread(target=load, args=(i,), daemon=True) for i in range(clients)]
            for t in threads:
                t.start()
            samples = []
            deadline = time.monotonic() + minutes * 60
            while time.monotonic() < deadline:
                time.sleep(min(10.0, max(deadline - time.monotonic(), 0.1)))
                samples.append(rss(str(proc.pid))[0])
                print(f"  {len(samples) * 10:>4} s  server RSS {samples[-1]:.1f} MB  ({requests[0]} requests)",
                      flush=True)
            stop.set()
            for t in threads:
                t.join(60)
            first = samples[min(len(samples) - 1, 5)]  # after the first minute (caches warm)
            print(f"server under mixed load for {minutes:g} min, {requests[0]} requests: RSS after the first "
                  f"minute {first:.1f} MB, at the end {samples[-1]:.1f} MB ({samples[-1] - first:+.1f}), "
                  f"max {max(samples):.1f} MB")
        finally:
            proc.terminate()
            proc.wait(30)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    sub.add_parser("fits").add_argument("--count", type=int, default=1000)
    sub.add_parser("sweep").add_argument("--trials", type=int, default=500)
    srv = sub.add_parser("server")
    srv.add_argument("--minutes", type=float, default=10.0)
    srv.add_argument("--clients", type=int, default=8)
    args = parser.parse_args(argv)
    if args.what == "fits":
        fits(args.count)
    elif args.what == "sweep":
        sweep(args.trials)
    else:
        server(args.minutes, args.clients)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    sys.exit(main())
