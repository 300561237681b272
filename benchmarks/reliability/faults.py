"""Faults during autologging (issue 13 item 5): what survives a server restart, an outage, lost
answers, a full disk and a read-only artifact root.

Every scenario trains scikit-learn Ridge models with ``mltrail.sklearn.autolog()`` and checks
each fit's result against the same fit without autologging (a difference or an exception
escaping ``fit`` is an error). Rows:

- attempted: autologged fits;
- acknowledged: fits whose data autologging took in charge: the server created their run
  (restart scenario), or their batch was written or buffered for retry (in-run scenarios);
- found: of those, fits whose ``training_score`` is in the store afterwards, once;
- errors: fits that raised or returned another model; lost: acknowledged but not found.

Servers are the real ``mltrail server`` command (restarted on the same port); network faults
come from :class:`~benchmarks.reliability.tcp_proxy.TcpProxy`; the full disk is a small tmpfs
(root only: the row says so otherwise).
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Callable, Iterator, Optional

from .filesystems import fill, mount_error, read_only_dir, small_tmpfs
from .result import ScenarioResult
from .tcp_proxy import TcpProxy

_FAST_RETRIES = {"MLTRAIL_HTTP_REQUEST_BACKOFF_FACTOR": "0.1", "MLTRAIL_HTTP_REQUEST_BACKOFF_JITTER": "0.1"}


class ServerProcess:
    """``mltrail server`` over one SQLite file in a subprocess; :meth:`restart` keeps its port."""

    def __init__(self, root: Path, artifacts: Optional[Path] = None) -> None:
        self.root = root
        self.artifacts = artifacts or root / "artifacts"
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: Optional[subprocess.Popen] = None
        self.start()

    def start(self) -> None:
        import httpx

        cli = os.path.join(os.path.dirname(sys.executable), "mltrail")
        cmd = [cli, "server", "--backend-store-uri", f"sqlite:///{self.root}/mltrail.db", "--artifacts-destination",
               str(self.artifacts), "--port", str(self.port), "--log-level", "warning"]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "MLTRAIL_"))}
        self.proc = subprocess.Popen(cmd, cwd=self.root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(self.url + "/health", timeout=2).status_code == 200:
                    return
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError(f"mltrail server on port {self.port} did not start")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def restart(self, down_s: float) -> None:
        self.stop()
        time.sleep(down_s)
        self.start()


@contextlib.contextmanager
def _session(tracking_uri: str, log_models: bool = False) -> Iterator[None]:
    """Autologging on ``tracking_uri`` with fast client retries; everything reset afterwards."""
    import mltrail
    from mltrail.autologging._retry_buffer import retry_buffer

    saved = {k: os.environ.get(k) for k in _FAST_RETRIES}
    os.environ.update(_FAST_RETRIES)
    mltrail.set_tracking_uri(tracking_uri)
    mltrail.sklearn.autolog(log_models=log_models, log_post_training_metrics=False, silent=True)
    try:
        yield
    finally:
        mltrail.autolog(disable=True)
        while mltrail.active_run() is not None:
            with contextlib.suppress(Exception):
                mltrail.end_run()
        retry_buffer().wait(60)
        retry_buffer().reset()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        import mltrail.config
        import mltrail.store

        mltrail.store._clear_store_cache()
        mltrail.config._tracking_uri = None


class _Fits:
    """Autologged Ridge fits on generated data, each checked against the plain fit."""

    def __init__(self) -> None:
        import numpy as np
        from sklearn.linear_model import Ridge

        rng = np.random.default_rng(0)
        self.X = rng.normal(size=(200, 4))
        self.y = self.X @ np.array([1.0, -2.0, 0.5, 3.0]) + rng.normal(scale=0.1, size=200)
        self._ridge = Ridge
        self.plain = {rows: Ridge(alpha=0.5).fit(self.X[:rows], self.y[:rows]).coef_ for rows in range(20, 201)}
        self.errors = 0
        self.scores: list[float] = []

    def fit(self, i: int) -> float:
        """Fit number ``i`` (its own row count, so each logs its own score); returns the score."""
        import numpy as np

        rows = 20 + i % 181
        model = self._ridge(alpha=0.5)
        try:
            ok = model.fit(self.X[:rows], self.y[:rows]) is model and np.array_equal(model.coef_, self.plain[rows])
        except Exception:  # noqa: BLE001 - counted: autologging must never raise into the user's code
            ok = False
        self.errors += not ok
        score = float(model.score(self.X[:rows], self.y[:rows])) if ok else float("nan")
        self.scores.append(score)
        return score


def _scores(client, run_id: str) -> list[float]:
    return [m.value for m in client.get_metric_history(run_id, "training_score")]


def _found(expected: list[float], stored: list[float]) -> tuple[int, int]:
    """(how many expected values are stored, how many stored rows are extra: written twice)."""
    pool = list(stored)
    found = 0
    for value in expected:
        match = next((s for s in pool if abs(s - value) < 1e-12), None)
        if match is not None:
            pool.remove(match)
            found += 1
    return found, len(pool)


def autolog_server_restart(quick: bool) -> ScenarioResult:
    """Fits, each its own autologged run: half before ``mltrail server`` restarts (down 2 s), as many
    as fit while it is down and starting, then half again after (paced 20 a second)."""
    import mltrail

    half = 20 if quick else 150
    with tempfile.TemporaryDirectory() as folder:
        server = ServerProcess(Path(folder))
        fits = _Fits()
        restart = threading.Thread(target=server.restart, args=(2.0,))
        try:
            with _session(server.url):
                for i in range(half):
                    fits.fit(i)
                restart.start()  # fits go on while the server is down and starting again
                n = half
                while restart.is_alive():
                    fits.fit(n)
                    n += 1
                for _ in range(half):
                    fits.fit(n)
                    n += 1
                    time.sleep(0.05)
            client = mltrail.MlflowClient(server.url)
            runs = client.search_runs(["0"], max_results=5000)
            complete = [r for r in runs if r.info.status == "FINISHED" and "training_score" in r.data.metrics]
        finally:
            server.stop()
    return ScenarioResult("autolog_server_restart", n, len(runs), len(complete), fits.errors,
                          note=f"{n - len(runs)} fits ran unlogged while the server was down or just back (5 s)")


def _in_run(name: str, fault: Callable[[TcpProxy], None], recover: Callable[[TcpProxy], None], quick: bool,
            proxy_mode_note: str) -> ScenarioResult:
    """Fits into one user run through a proxy: a third before the fault, a third during, a third after."""
    import mltrail
    from mltrail.autologging._retry_buffer import retry_buffer

    n = 30 if quick else 300
    with tempfile.TemporaryDirectory() as folder:
        server = ServerProcess(Path(folder))
        fits = _Fits()
        try:
            with TcpProxy(("127.0.0.1", server.port)) as proxy, _session(proxy.url):
                with mltrail.start_run() as run:
                    for i in range(n):
                        if i == n // 3:
                            fault(proxy)
                        if i == 2 * n // 3:
                            recover(proxy)
                        fits.fit(i)
                    retry_buffer().wait(120)
                found, extra = _found(fits.scores, _scores(mltrail.MlflowClient(proxy.url), run.info.run_id))
        finally:
            server.stop()
    return ScenarioResult(name, n, n - fits.errors, found, fits.errors,
                          note=f"{proxy_mode_note}; {extra} rows written twice")


def autolog_server_outage_in_run(quick: bool) -> ScenarioResult:
    """Fits into one run while the server refuses connections for a third of them (buffered, then sent)."""
    return _in_run("autolog_server_outage_in_run", lambda p: setattr(p, "mode", "refuse"),
                   lambda p: setattr(p, "mode", "forward"), quick, "server refusing for a third of the fits")


def autolog_lost_answers(quick: bool) -> ScenarioResult:
    """Fits into one run while every answer is lost after the request arrived (retried: stored once?)."""
    return _in_run("autolog_lost_answers", lambda p: setattr(p, "mode", "lose_answers"),
                   lambda p: setattr(p, "mode", "forward"), quick, "answers lost for a third of the fits")


def autolog_server_stalled(quick: bool) -> ScenarioResult:
    """Fits into one run while the server accepts connections and never answers (bounded, buffered)."""
    saved = os.environ.get("MLTRAIL_AUTOLOG_WRITE_TIMEOUT"), os.environ.get("MLTRAIL_HTTP_REQUEST_TIMEOUT")
    os.environ["MLTRAIL_AUTOLOG_WRITE_TIMEOUT"], os.environ["MLTRAIL_HTTP_REQUEST_TIMEOUT"] = "1", "3"
    try:
        return _in_run("autolog_server_stalled", lambda p: setattr(p, "mode", "stall"),
                       lambda p: setattr(p, "mode", "forward"), quick,
                       "server stalled for a third of the fits (1 s bound)")
    finally:
        for name, value in zip(("MLTRAIL_AUTOLOG_WRITE_TIMEOUT", "MLTRAIL_HTTP_REQUEST_TIMEOUT"), saved):
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def autolog_disk_full(quick: bool) -> ScenarioResult:
    """Fits into one run on an embedded SQLite store whose disk fills up, then gets space back."""
    import mltrail
    from mltrail.autologging._retry_buffer import retry_buffer

    reason = mount_error()
    if reason is not None:
        return ScenarioResult("autolog_disk_full", 0, 0, 0, 0, note=f"skipped: {reason}")
    n = 30 if quick else 300
    fits = _Fits()
    with small_tmpfs(16 * 2**20) as disk:
        os.environ["MLTRAIL_ARTIFACT_ROOT"] = str(disk / "artifacts")
        try:
            with _session(f"sqlite:///{disk}/mltrail.db"):
                with mltrail.start_run() as run:
                    filler = None
                    for i in range(n):
                        if i == n // 3:
                            filler = fill(disk)
                        if i == 2 * n // 3 and filler is not None:
                            filler.unlink()
                        fits.fit(i)
                    retry_buffer().wait(120)
                found, extra = _found(fits.scores, _scores(mltrail.MlflowClient(), run.info.run_id))
        finally:
            os.environ.pop("MLTRAIL_ARTIFACT_ROOT", None)
            import mltrail.store

            mltrail.store._clear_store_cache()
    return ScenarioResult("autolog_disk_full", n, n - fits.errors, found, fits.errors,
                          note=f"disk full for a third of the fits; {extra} rows written twice")


def autolog_artifact_root_read_only(quick: bool) -> ScenarioResult:
    """Fits logging models to a server whose artifact root is read-only: runs and metrics still stored."""
    import mltrail

    n = 10 if quick else 50
    with tempfile.TemporaryDirectory() as folder, read_only_dir() as artifacts:
        server = ServerProcess(Path(folder), artifacts=artifacts)
        fits = _Fits()
        try:
            with _session(server.url, log_models=True):
                for i in range(n):
                    fits.fit(i)
                mltrail.flush_artifacts()
            runs = mltrail.MlflowClient(server.url).search_runs(["0"], max_results=1000)
            complete = [r for r in runs if r.info.status == "FINISHED" and "training_score" in r.data.metrics]
            models = sum(any(Path(artifacts).rglob("MLmodel")) for _ in (0,))
        finally:
            server.stop()
    return ScenarioResult("autolog_artifact_root_read_only", n, len(runs), len(complete), fits.errors,
                          note=f"models stored: {models} (the root is read-only)")


SCENARIOS = [
    autolog_server_restart,
    autolog_server_outage_in_run,
    autolog_lost_answers,
    autolog_server_stalled,
    autolog_disk_full,
    autolog_artifact_root_read_only,
]

__all__ = ["SCENARIOS", "ServerProcess"]
