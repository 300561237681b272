"""Turn results into the printed tables and the JSON file.

The main table has one row per workload: mltrail's number, MLflow's number,
how many times faster mltrail is, the issue's target and whether mltrail met
it. A second table lists per-backend details: version, peak RSS of the
measured process, and the workload's own secondary numbers.
"""

from __future__ import annotations

import json
import os
import platform
import time
from typing import Any, Optional

from .harness import BackendResult, WorkloadResult
from .spec import Derived

HEADERS = ("workload", "unit", "mltrail", "MLflow", "mltrail vs MLflow", "target", "result")


def fmt_value(value: Optional[float]) -> str:
    if value is None:
        return "-"
    if value >= 1000:
        return f"{value:,.0f}"
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    if value >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def fmt_speedup(speedup: Optional[float]) -> str:
    if speedup is None:
        return "-"
    if speedup >= 1:
        return f"{speedup:,.1f}x faster"
    return f"{1 / speedup:,.1f}x slower"


def fmt_pass(passed: Optional[bool]) -> str:
    return "-" if passed is None else ("PASS" if passed else "FAIL")


def _cell(r: Optional[BackendResult]) -> str:
    if r is None:
        return "-"
    if r.ok:
        return fmt_value(r.value)
    if r.skipped:
        return "skipped" if r.skipped.startswith("skipped") else "n/a"
    return "ERROR"


def table_rows(results: list[WorkloadResult], derived: list[Derived]) -> list[tuple[str, ...]]:
    rows = []
    for res in results:
        w = res.workload
        rows.append(
            (
                w.name,
                w.unit,
                _cell(res.backends.get("mltrail")),
                _cell(res.backends.get("mlflow")),
                fmt_speedup(res.speedup()),
                w.target.describe() if w.target else "-",
                fmt_pass(res.passed()),
            )
        )
    for d in derived:
        rows.append((d.name, d.unit, fmt_value(d.mltrail), fmt_value(d.mlflow), d.note or "-", d.target, fmt_pass(d.passed)))
    return rows


def _render(headers: tuple[str, ...], rows: list[tuple[str, ...]], markdown: bool) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows)]
    if markdown:
        line = lambda cells: "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths)) + " |"  # noqa: E731
        sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
        return "\n".join([line(headers), sep, *(line(r) for r in rows)])
    line = lambda cells: "  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
    sep = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), sep, *(line(r) for r in rows)])


def format_table(results: list[WorkloadResult], derived: list[Derived] = (), markdown: bool = False) -> str:
    """The main table (plain text, or Markdown for the README)."""
    return _render(HEADERS, table_rows(results, list(derived)), markdown)


def _fmt_detail(value: Any) -> str:
    if isinstance(value, float):
        return fmt_value(value)
    return str(value)


def format_details(results: list[WorkloadResult], markdown: bool = False) -> str:
    """Per-backend details: version, peak RSS, the workload's own extra numbers, errors."""
    headers = ("workload", "backend", "version", "peak RSS MB", "details")
    rows = []
    errors = []
    for res in results:
        for backend, r in res.backends.items():
            if r.skipped:
                if r.skipped != "not applicable" and not r.skipped.startswith("no side venv"):
                    rows.append((res.workload.name, backend, "-", "-", r.skipped))
                continue
            if r.ok:
                detail = ", ".join(f"{k}={_fmt_detail(v)}" for k, v in r.details.items())
            else:
                detail = "ERROR: " + r.error.strip().splitlines()[0]
                errors.append(f"--- {res.workload.name} [{backend}]\n{r.error.strip()}")
            rss = fmt_value(r.peak_rss_mb) if r.peak_rss_mb is not None else "-"
            rows.append((res.workload.name, backend, r.version, rss, detail))
    text = _render(headers, rows, markdown) if rows else ""
    if errors and not markdown:
        text += "\n\nErrors:\n" + "\n".join(errors)
    return text


def load_average() -> Optional[float]:
    """The 1-minute load average (None where the OS has none): other work skews every number."""
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return None


def describe_machine(load: tuple[Optional[float], Optional[float]] = (None, None)) -> str:
    """One line: CPUs, Python, and the load average at the start and end of the run."""
    cpus = os.cpu_count()
    text = f"machine: {cpus} CPUs, {platform.system()} {platform.machine()}, Python {platform.python_version()}"
    if load[0] is not None and load[1] is not None:
        text += f"; 1-min load average {load[0]:.1f} at start, {load[1]:.1f} at end"
        if max(load) > (cpus or 1):
            text += " (busy machine: numbers are slower than on an idle one)"
    return text


def to_json(
    results: list[WorkloadResult],
    derived: list[Derived],
    quick: bool,
    load: tuple[Optional[float], Optional[float]] = (None, None),
) -> dict[str, Any]:
    """Everything measured, for ``--json``."""
    return {
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "quick": quick,
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "processor": platform.machine(),
            "cpus": os.cpu_count(),
            "load_average_start": load[0],
            "load_average_end": load[1],
        },
        "workloads": [
            {
                "name": r.workload.name,
                "description": r.workload.description,
                "unit": r.workload.unit,
                "higher_is_better": r.workload.higher_is_better,
                "params": r.params,
                "target": r.workload.target.describe() if r.workload.target else None,
                "passed": r.passed(),
                "speedup_vs_mlflow": r.speedup(),
                "backends": {name: vars(b) for name, b in r.backends.items()},
            }
            for r in results
        ],
        "derived": [vars(d) for d in derived],
    }


def write_json(path: str, payload: dict[str, Any]) -> None:
    with open(path, "w") as fh:
        json.dump(payload, fh, indent=2, default=str)
