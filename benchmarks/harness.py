"""Run workloads through mltrail and MLflow, each phase in a fresh subprocess.

>>> results = run_workloads(select(["log_batch"]), quick=True)   # doctest: +SKIP
>>> print(format_table(results))                                 # doctest: +SKIP

For each workload and backend: a new temporary working directory with its own
SQLite database (``sqlite:///<dir>/bench.db``), the optional setup phase in one
fresh interpreter, then the measured phase in another. mltrail runs on the
interpreter running the harness; MLflow on ``benchmarks/.mlflow-venv`` when that
side venv exists (``python -m benchmarks setup`` creates it).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

from .setup_mlflow_env import venv_python
from .spec import Context, Derived, Workload
from .workloads import derivers, select

REPO_ROOT = Path(__file__).resolve().parent.parent

#: Environment that keeps both tools quiet and offline; tracking URIs are set per run.
_CHILD_ENV = {
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "MLTRAIL_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "true",
    "GIT_PYTHON_REFRESH": "quiet",
    "PYTHONWARNINGS": "ignore",
}


@dataclass
class BackendResult:
    """One backend's outcome for one workload."""

    backend: str
    ok: bool
    value: Optional[float] = None
    details: dict[str, Any] = field(default_factory=dict)
    peak_rss_mb: Optional[float] = None
    setup_s: Optional[float] = None
    run_s: Optional[float] = None
    version: str = "?"
    error: str = ""
    skipped: str = ""


@dataclass
class WorkloadResult:
    workload: Workload
    params: dict[str, Any]
    backends: dict[str, BackendResult]

    def value(self, backend: str) -> Optional[float]:
        r = self.backends.get(backend)
        return r.value if r is not None and r.ok else None

    def speedup(self) -> Optional[float]:
        """How many times better mltrail is than MLflow (>1 means mltrail wins)."""
        ours, theirs = self.value("mltrail"), self.value("mlflow")
        if ours is None or theirs is None or ours <= 0 or theirs <= 0:
            return None
        return ours / theirs if self.workload.higher_is_better else theirs / ours

    def passed(self) -> Optional[bool]:
        target = self.workload.target
        ours = self.value("mltrail")
        if target is None or ours is None:
            return None
        return target.check(ours, self.value("mlflow"))


def backend_python(backend: str) -> Optional[Path]:
    """The interpreter for ``backend``, or None when it is not available."""
    if backend == "mltrail":
        return Path(sys.executable)
    if backend == "mlflow":
        python = venv_python()
        return python if python.exists() else None
    raise ValueError(f"unknown backend {backend!r}")


def _child_env(tracking_uri: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(_CHILD_ENV)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])
    env["MLTRAIL_TRACKING_URI"] = tracking_uri
    env["MLFLOW_TRACKING_URI"] = tracking_uri
    return env


def _run_phase(python: Path, ctx: Context, timeout: float) -> dict[str, Any]:
    import json

    ctx_path = Path(ctx.workdir) / f".bench-{ctx.phase}-ctx.json"
    out_path = Path(ctx.workdir) / f".bench-{ctx.phase}-out.json"
    ctx_path.write_text(ctx.to_json())
    try:
        proc = subprocess.run(
            [str(python), "-m", "benchmarks._child", str(ctx_path), str(out_path)],
            cwd=ctx.workdir,
            env=_child_env(ctx.tracking_uri),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return {"ok": False, "error": f"{ctx.phase} phase timed out after {timeout:.0f} s"}
    if out_path.exists():
        result = json.loads(out_path.read_text())
        if not result.get("ok"):
            result["error"] = result.get("error", "") + "\n" + result.get("traceback", "")
        return result
    tail = (proc.stderr or proc.stdout or "").strip().splitlines()[-15:]
    return {"ok": False, "error": f"{ctx.phase} phase exited {proc.returncode}:\n" + "\n".join(tail)}


def run_backend(workload: Workload, backend: str, quick: bool, keep: bool = False, slow: bool = False) -> BackendResult:
    """Run ``workload`` through ``backend`` in a fresh temporary directory."""
    if backend not in workload.backends:
        return BackendResult(backend, ok=False, skipped="not applicable")
    if backend in workload.slow_backends and not slow and not quick:
        return BackendResult(backend, ok=False, skipped=f"skipped, too slow ({workload.slow_note}); --slow runs it")
    python = backend_python(backend)
    if python is None:
        return BackendResult(backend, ok=False, skipped="no side venv (python -m benchmarks setup)")
    workdir = tempfile.mkdtemp(prefix=f"bench-{workload.name}-{backend}-")
    try:
        base = dict(
            workload=workload.name,
            backend=backend,
            workdir=workdir,
            tracking_uri=f"sqlite:///{workdir}/bench.db",
            params=workload.params_for(quick),
            quick=quick,
        )
        setup_s = None
        if workload.setup is not None:
            t0 = time.perf_counter()
            out = _run_phase(python, Context(phase="setup", **base), workload.timeout)
            setup_s = time.perf_counter() - t0
            if not out.get("ok"):
                return BackendResult(backend, ok=False, error="setup: " + out.get("error", "?"), setup_s=setup_s,
                                     version=out.get("version", "?"))
        t0 = time.perf_counter()
        out = _run_phase(python, Context(phase="run", **base), workload.timeout)
        run_s = time.perf_counter() - t0
        if not out.get("ok"):
            return BackendResult(backend, ok=False, error=out.get("error", "?"), setup_s=setup_s, run_s=run_s,
                                 version=out.get("version", "?"), peak_rss_mb=out.get("peak_rss_mb"))
        return BackendResult(
            backend,
            ok=True,
            value=out["value"],
            details=out.get("details", {}),
            peak_rss_mb=out.get("peak_rss_mb"),
            setup_s=setup_s,
            run_s=run_s,
            version=out.get("version", "?"),
        )
    finally:
        if keep:
            print(f"  kept {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def run_workloads(
    workloads: list[Workload],
    quick: bool = False,
    backends: tuple[str, ...] = ("mltrail", "mlflow"),
    keep: bool = False,
    progress: Optional[Callable[[str], None]] = None,
    slow: bool = False,
) -> list[WorkloadResult]:
    """Run each workload through each backend, one after the other (never in parallel).

    ``slow`` also runs the backends a workload lists in ``slow_backends``
    (they always run with ``quick``, whose sizes are small).
    """
    results = []
    for workload in workloads:
        per_backend = {}
        for backend in backends:
            if progress:
                progress(f"{workload.name} [{backend}] ...")
            r = run_backend(workload, backend, quick, keep=keep, slow=slow)
            if progress:
                if r.ok:
                    progress(f"{workload.name} [{backend}] {r.value:,.4g} {workload.unit}")
                else:
                    progress(f"{workload.name} [{backend}] {r.skipped or 'ERROR: ' + r.error.splitlines()[0]}")
            per_backend[backend] = r
        results.append(WorkloadResult(workload, workload.params_for(quick), per_backend))
    return results


def derived_rows(results: list[WorkloadResult]) -> list[Derived]:
    """Rows computed by workload modules' ``derive`` functions from all results."""
    by_name = {r.workload.name: r for r in results}
    rows: list[Derived] = []
    for derive in derivers():
        rows.extend(derive(by_name))
    return rows


__all__ = ["BackendResult", "WorkloadResult", "run_workloads", "run_backend", "derived_rows", "select"]
