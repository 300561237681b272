"""``python -m benchmarks reliability``: the runner finds every scenario module, selects by name,
prints one row per scenario, and fails the run when a scenario lost acknowledged writes or raised."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from benchmarks.reliability import ScenarioResult, runner

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_every_scenario_module_is_found():
    names = [s.__name__ for s in runner.all_scenarios()]
    assert {"autolog_server_restart", "autolog_lost_answers", "autolog_disk_full"} <= set(names)
    assert len(names) == len(set(names))


def test_names_and_patterns_select_scenarios():
    scenarios = runner.all_scenarios()
    chosen = runner.select(scenarios, ["autolog_disk_full", "autolog_server_*"])
    assert [s.__name__ for s in chosen][0] == "autolog_disk_full"
    assert {s.__name__ for s in chosen[1:]} == {"autolog_server_restart", "autolog_server_outage_in_run",
                                                  "autolog_server_stalled"}
    try:
        runner.select(scenarios, ["nothing_like_this"])
    except KeyError as exc:
        assert "nothing_like_this" in exc.args[0] and "autolog_disk_full" in exc.args[0]
    else:
        raise AssertionError("an unknown name must be refused")


def test_a_lost_write_or_a_raising_scenario_fails_the_run(capsys, monkeypatch):
    def fine(quick):
        return ScenarioResult("fine", 10, 10, 10, 0)

    def lossy(quick):
        return ScenarioResult("lossy", 10, 9, 7, 1, note="two gone")

    def broken(quick):
        raise RuntimeError("no server")

    monkeypatch.setattr(runner, "all_scenarios", lambda: [fine, lossy, broken])
    assert runner.main(["fine"]) == 0
    assert runner.main([]) == 1
    table = capsys.readouterr().out.splitlines()
    assert table[-4].split() == ["scenario", "attempted", "acknowledged", "found", "errors", "lost", "note"]
    assert table[-2].split() == ["lossy", "10", "9", "7", "1", "2", "two", "gone"]
    assert table[-1].split()[:6] == ["broken", "0", "0", "0", "1", "0"] and "RuntimeError: no server" in table[-1]


def test_the_command_line_runs_a_scenario():
    done = subprocess.run([sys.executable, "-m", "benchmarks", "reliability", "autolog_artifact_root_read_only",
                           "--quick", "--markdown", "--silent"], cwd=REPO_ROOT, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr
    row = next(line for line in done.stdout.splitlines() if line.startswith("| autolog_artifact_root_read_only"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[1:6] == ["10", "10", "10", "0", "0"]
