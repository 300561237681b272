"""Crashed runs: a process that logs to a run and is SIGKILLed (or paused with SIGSTOP).

Each scenario starts a child process that creates a run with mltrail's client,
logs metric values one by one (printing an acknowledgement after each call
returned) and is then killed. What must hold: the run reads back KILLED
within the heartbeat timeout plus the readers' one-second check, every
acknowledged value is stored, and a SQLite file passes ``PRAGMA
integrity_check``. The paused scenario stops the child longer than the
timeout (KILLED), resumes it (RUNNING again) and lets it finish (FINISHED).

>>> from benchmarks.reliability.crash import SCENARIOS
>>> [scenario(quick=True) for scenario in SCENARIOS]
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from typing import Any, Callable, Optional

from .databases import fresh_database, served
from .result import ScenarioResult

#: The heartbeat timeout the scenarios give the child processes (seconds).
TIMEOUT_S = 2.0

_CHILD = textwrap.dedent(
    """
    import sys, time
    from mltrail import MlflowClient
    uri, count, then = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    client = MlflowClient(tracking_uri=uri)
    run_id = client.create_run("0").info.run_id
    print("RUN", run_id, flush=True)
    for step in range(count):
        client.log_metric(run_id, "loss", 1.0 / (step + 1), step=step)
        print("ACK", step, flush=True)
    if then == "finish":
        sys.stdin.readline()  # the parent says when
        client.set_terminated(run_id)
        print("FINISHED", flush=True)
    else:
        time.sleep(3600)
    """
)


class LoggingChild:
    """A process logging ``count`` values to a new run of ``uri``, then waiting (``then="wait"``) or
    finishing the run when told (``then="finish"``), with heartbeat timeout ``timeout_s``.

    >>> child = LoggingChild("sqlite:///mlflow.db", 100)
    >>> child.wait_for_acks(); child.signal(signal.SIGKILL)
    """

    def __init__(self, uri: str, count: int, timeout_s: float = TIMEOUT_S, then: str = "wait") -> None:
        env = dict(os.environ, MLTRAIL_RUN_HEARTBEAT_TIMEOUT=str(timeout_s))
        self.count = count
        self.acked = 0
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _CHILD, uri, str(count), then],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        )
        first = self.proc.stdout.readline().split()  # type: ignore[union-attr]
        if first[:1] != ["RUN"]:
            self.proc.kill()
            raise RuntimeError(f"the logging child failed: {self.proc.communicate()[1]}")
        self.run_id = first[1]

    def wait_for_acks(self, count: Optional[int] = None) -> int:
        """Read acknowledgements until ``count`` (default: all) arrived; return how many did."""
        target = self.count if count is None else count
        while self.acked < target:
            line = self.proc.stdout.readline()  # type: ignore[union-attr]
            if not line:
                raise RuntimeError(f"the logging child ended early: {self.proc.communicate()[1]}")
            if line.startswith("ACK"):
                self.acked = int(line.split()[1]) + 1
        return self.acked

    def signal(self, signum: int) -> None:
        """Send ``signum``; for SIGKILL also wait until the process is gone."""
        self.proc.send_signal(signum)
        if signum == signal.SIGKILL:
            self.proc.wait(30)

    def finish(self) -> None:
        """Tell a ``then="finish"`` child to end its run, and wait for it to exit."""
        self.proc.stdin.write("\n")  # type: ignore[union-attr]
        self.proc.stdin.flush()  # type: ignore[union-attr]
        out, err = self.proc.communicate(timeout=60)
        if "FINISHED" not in out:
            raise RuntimeError(f"the logging child did not finish its run: {err}")

    def close(self) -> None:
        """Make sure the process is gone (a test that failed midway)."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(30)
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()


def wait_for_status(client: Any, run_id: str, wanted: str, within_s: float) -> tuple[str, float]:
    """Poll ``client.get_run`` until the run's status is ``wanted`` or ``within_s`` passed: (status, seconds)."""
    start = time.monotonic()
    while True:
        status = client.get_run(run_id).info.status
        elapsed = time.monotonic() - start
        if status == wanted or elapsed > within_s:
            return status, elapsed
        time.sleep(0.05)


def sqlite_integrity(uri: str) -> str:
    """``PRAGMA integrity_check`` of a SQLite store's file ('ok' when sound); '' for other databases."""
    if not uri.startswith("sqlite:///"):
        return ""
    import sqlite3

    with sqlite3.connect(uri[len("sqlite:///"):]) as conn:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]


def _sigkill(kind: str, over_http: bool, quick: bool) -> ScenarioResult:
    from mltrail import MlflowClient

    count = 200 if quick else 2000
    name = f"SIGKILL mid-run, {kind}{' via server' if over_http else ''}"
    with fresh_database(kind) as db_uri:
        MlflowClient(tracking_uri=db_uri).search_experiments()  # the schema, before the server and child race on it
        with (served(db_uri) if over_http else contextlib.nullcontext(db_uri)) as uri:
            child = LoggingChild(uri, count * 10)  # killed long before it is done
            try:
                acked = child.wait_for_acks(count)
                child.signal(signal.SIGKILL)
            finally:
                child.close()
            client = MlflowClient(tracking_uri=uri)
            status, seconds = wait_for_status(client, child.run_id, "KILLED", TIMEOUT_S + 30)
            found = len(client.get_metric_history(child.run_id, "loss"))
        integrity = sqlite_integrity(db_uri)
    note = f"{status} {seconds:.1f} s after the kill (timeout {TIMEOUT_S:g} s)"
    if integrity:
        note += f"; integrity_check {integrity}"
    errors = int(status != "KILLED") + int(integrity not in ("", "ok"))
    return ScenarioResult(name, attempted=acked, acknowledged=acked, found=min(found, acked), errors=errors, note=note)


def paused_then_resumed(quick: bool) -> ScenarioResult:
    """SIGSTOP longer than the timeout: KILLED; SIGCONT: RUNNING again; then the run ends FINISHED."""
    from mltrail import MlflowClient

    count = 100 if quick else 1000
    with fresh_database("sqlite") as uri:
        child = LoggingChild(uri, count, then="finish")
        client = MlflowClient(tracking_uri=uri)
        try:
            acked = child.wait_for_acks()
            child.signal(signal.SIGSTOP)
            paused, _ = wait_for_status(client, child.run_id, "KILLED", TIMEOUT_S + 30)
            child.signal(signal.SIGCONT)
            resumed, _ = wait_for_status(client, child.run_id, "RUNNING", TIMEOUT_S + 30)
            child.finish()
        finally:
            child.close()
        final = client.get_run(child.run_id).info.status
        found = len(client.get_metric_history(child.run_id, "loss"))
    statuses = f"{paused} while paused, {resumed} when resumed, {final} at the end"
    errors = int((paused, resumed, final) != ("KILLED", "RUNNING", "FINISHED"))
    return ScenarioResult("SIGSTOP past the timeout, then SIGCONT, sqlite", acked, acked, min(found, acked), errors,
                          statuses)


def _scenario(kind: str, over_http: bool = False) -> Callable[[bool], ScenarioResult]:
    def scenario(quick: bool) -> ScenarioResult:
        return _sigkill(kind, over_http, quick)

    scenario.__name__ = f"sigkill_{kind}{'_http' if over_http else ''}"
    return scenario


SCENARIOS: list[Callable[[bool], ScenarioResult]] = [
    _scenario("sqlite"),
    _scenario("postgresql"),
    _scenario("mysql"),
    _scenario("sqlite", over_http=True),
    _scenario("postgresql", over_http=True),
    paused_then_resumed,
]
