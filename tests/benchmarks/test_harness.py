"""The benchmark harness, run the way a developer runs it: ``python -m benchmarks run ... --quick``.

Only the mltrail backend is used (CI has no MLflow side venv, and MLflow's
numbers are not this project's behaviour). No timing is asserted: the tests
check that the table and the JSON report carry a row per workload with a
number from mltrail, and that the search workload's answers were right.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import mltrail

REPO_ROOT = Path(__file__).resolve().parents[2]


def run_benchmarks(*args: str, cwd: Path = REPO_ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "benchmarks", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
    )


def table_rows(stdout: str) -> dict[str, list[str]]:
    """Rows of the main table (the first block after the header's dashes), keyed by workload."""
    lines = stdout.strip().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("----")) + 1
    rows = {}
    for line in lines[start:]:
        if not line.strip():
            break
        cells = line.split()
        rows[cells[0]] = cells
    return rows


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory) -> tuple[subprocess.CompletedProcess, dict]:
    out = tmp_path_factory.mktemp("bench") / "out.json"
    proc = run_benchmarks(
        "run", "log_batch", "search_runs_10k", "--quick", "--backend", "mltrail", "--silent", "--json", str(out)
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc, json.loads(out.read_text())


def test_table_has_one_row_per_requested_workload_with_an_mltrail_number(quick_run):
    proc, _ = quick_run
    rows = table_rows(proc.stdout)
    assert set(rows) == {"log_batch", "search_runs_10k"}
    for name, cells in rows.items():
        # workload, unit, mltrail number, MLflow column empty (backend not run)
        assert float(cells[2].replace(",", "")) > 0, cells
        assert cells[3] == "-", cells
    assert rows["log_batch"][1] == "ms"
    # the target of log_batch is "at most 10 ms": the verdict must follow from the number shown
    value = float(rows["log_batch"][2].replace(",", ""))
    assert rows["log_batch"][-1] == ("PASS" if value <= 10 else "FAIL"), rows["log_batch"]


def test_json_report_records_each_backend_result(quick_run):
    _, report = quick_run
    by_name = {w["name"]: w for w in report["workloads"]}
    assert report["quick"] is True
    batch = by_name["log_batch"]["backends"]["mltrail"]
    assert batch["ok"] is True
    assert batch["version"] == mltrail.__version__
    assert batch["details"]["batch_size"] == 1000
    assert batch["peak_rss_mb"] > 0
    assert by_name["log_batch"]["target"] == "<= 10 ms"


def test_search_workload_checks_its_answers_against_the_generated_data(quick_run):
    _, report = quick_run
    search = {w["name"]: w for w in report["workloads"]}["search_runs_10k"]["backends"]["mltrail"]
    # The run phase raises (and the harness reports an error) unless both searches
    # returned exactly the expected runs in order; reaching ok=True means they did.
    assert search["ok"] is True, search["error"]
    assert search["details"]["runs"] == 300
    assert search["details"]["populated_with"] == "client API"
    assert 0 < search["details"]["matching"] < 300


def test_unknown_workload_is_refused_naming_the_known_ones():
    proc = run_benchmarks("run", "no_such_workload", "--quick", "--backend", "mltrail")
    assert proc.returncode == 2
    assert "no_such_workload" in proc.stderr
    assert "log_metric" in proc.stderr


def test_list_shows_every_issue_2_workload_with_its_target():
    proc = run_benchmarks("list")
    assert proc.returncode == 0, proc.stderr
    names = [line.split()[0] for line in proc.stdout.splitlines()]
    for expected in ("import_time", "log_metric", "log_batch", "create_run", "search_runs_10k", "search_runs_100k"):
        assert expected in names
    assert ">= 10,000 calls/s" in proc.stdout
