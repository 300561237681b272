"""One workload phase in a fresh interpreter: ``python -m benchmarks._child CTX_JSON OUT_JSON``.

The harness starts this with the interpreter of the backend under test (the
project's for mltrail, the side venv's for MLflow). It imports the tracking
module, calls the workload's phase and writes a JSON result: the measurement,
peak RSS (ru_maxrss), the backend's version, or the error with its traceback.
Only the standard library and the benchmarks package are imported up front,
so the measured process carries nothing extra.
"""

from __future__ import annotations

import importlib
import json
import sys
import time
import traceback
from importlib import metadata

from .measure import peak_rss_mb
from .spec import Context
from .workloads import get_workload

_DISTRIBUTIONS = {"mltrail": ("mltrail",), "mlflow": ("mlflow", "mlflow-skinny")}


def backend_version(backend: str) -> str:
    for dist in _DISTRIBUTIONS.get(backend, (backend,)):
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return "?"


def run_phase(ctx: Context) -> dict:
    workload = get_workload(ctx.workload)
    api = importlib.import_module(ctx.backend) if workload.import_api else None
    fn = workload.setup if ctx.phase == "setup" else workload.run
    if fn is None:
        raise ValueError(f"workload {ctx.workload!r} has no {ctx.phase} phase")
    started = time.perf_counter()
    measurement = fn(api, ctx)
    wall = time.perf_counter() - started
    out: dict = {"ok": True, "wall_s": wall, "peak_rss_mb": peak_rss_mb(), "version": backend_version(ctx.backend)}
    if ctx.phase == "run":
        out["value"] = float(measurement.value)
        out["details"] = measurement.details
    return out


def main(argv: list[str]) -> int:
    ctx_path, out_path = argv
    with open(ctx_path) as fh:
        ctx = Context.from_json(fh.read())
    try:
        result = run_phase(ctx)
    except BaseException as exc:  # report every failure to the harness, including KeyboardInterrupt
        result = {
            "ok": False,
            "error": f"{type(exc).__name__}: {exc}",
            "traceback": traceback.format_exc(),
            "peak_rss_mb": peak_rss_mb(),
            "version": backend_version(ctx.backend),
        }
    with open(out_path, "w") as fh:
        json.dump(result, fh, default=str)
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
