"""`import mltrail` vs `import mlflow`: each import timed in its own fresh interpreter.

The workload process starts the backend's interpreter several times; each one
times only the import statement (perf_counter around it), so interpreter
start-up is excluded. The first start warms the bytecode cache and is dropped;
the result is the median of the rest.
"""

from __future__ import annotations

import statistics
import subprocess
import sys

from ..spec import Context, Measurement, Target, Workload

_SNIPPET = (
    "import sys, time\n"
    "t0 = time.perf_counter()\n"
    "import {module}\n"
    "dt = time.perf_counter() - t0\n"
    "heavy = sorted(m for m in ('sqlalchemy', 'pandas', 'numpy', 'yaml', 'sklearn', 'xgboost') if m in sys.modules)\n"
    "print(dt, len(sys.modules), ','.join(heavy) or '-')\n"
)


def _import_once(module: str) -> tuple[float, int, str]:
    proc = subprocess.run(
        [sys.executable, "-c", _SNIPPET.format(module=module)], capture_output=True, text=True, check=True
    )
    seconds, n_modules, heavy = proc.stdout.split()
    return float(seconds) * 1000.0, int(n_modules), heavy


def _import_time(api: None, ctx: Context) -> Measurement:
    _import_once(ctx.backend)  # warm the bytecode cache
    samples = [_import_once(ctx.backend) for _ in range(ctx.params["repeats"])]
    times = [s[0] for s in samples]
    return Measurement(
        statistics.median(times),
        {"min_ms": min(times), "max_ms": max(times), "runs": len(times), "modules_loaded": samples[-1][1],
         "heavy_modules": samples[-1][2].replace(",", " ")},
    )


WORKLOADS = [
    Workload(
        name="import_time",
        run=_import_time,
        unit="ms",
        description="import mltrail / import mlflow in a fresh interpreter, median of several",
        target=Target.fraction_of_mlflow(0.05, reference=2100.0),
        params={"repeats": 7},
        quick_params={"repeats": 2},
        import_api=False,
        timeout=600,
        order=10,
    )
]
