"""``mltrail experiments`` and ``mltrail runs``: readable tables, clean errors, non-zero exits."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from mltrail.cli import main
from mltrail.tracking import MlflowClient


@pytest.fixture
def cli(sqlite_uri):
    runner = CliRunner()

    def invoke(*args: str, env_uri: bool = False):
        if env_uri:
            return runner.invoke(main, list(args), env={"MLTRAIL_TRACKING_URI": sqlite_uri})
        return runner.invoke(main, [*args[:2], "--tracking-uri", sqlite_uri, *args[2:]])

    return invoke


def _table(output: str) -> list[list[str]]:
    lines = output.strip().splitlines()
    assert set(lines[1].replace(" ", "")) == {"-"}, output  # header rule
    return [line.split() for line in [lines[0], *lines[2:]]]


def test_experiments_create_list_delete_restore(cli, sqlite_uri):
    result = cli("experiments", "create", "--experiment-name", "nyc-taxi")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "Created experiment 'nyc-taxi' with id 1"

    result = cli("experiments", "list", env_uri=True)
    rows = _table(result.output)
    assert rows[0][:2] == ["Experiment", "Id"]
    assert sorted((r[0], r[1]) for r in rows[1:]) == [("0", "Default"), ("1", "nyc-taxi")]
    header = result.output.splitlines()[0]
    first_row = result.output.splitlines()[2]
    assert header.index("Name") == first_row.index(rows[1][1])  # columns are aligned

    assert cli("experiments", "delete", "-x", "1").exit_code == 0
    listed = cli("experiments", "list").output
    assert "nyc-taxi" not in listed
    assert "nyc-taxi" in cli("experiments", "list", "--view", "deleted_only").output
    assert cli("experiments", "restore", "-x", "1").exit_code == 0
    assert MlflowClient(sqlite_uri).get_experiment("1").lifecycle_stage == "active"


def test_errors_are_clean_messages_with_non_zero_exit(cli):
    cli("experiments", "create", "-n", "dup")
    result = cli("experiments", "create", "-n", "dup")
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and "dup" in result.output
    assert "Traceback" not in result.output
    result = cli("experiments", "delete", "-x", "999")
    assert result.exit_code == 1 and "999" in result.output and "Traceback" not in result.output
    result = cli("runs", "describe", "0" * 32)
    assert result.exit_code == 1 and "0" * 32 in result.output
    result = cli("runs", "list", "--experiment-name", "missing")
    assert result.exit_code == 1 and "'missing'" in result.output
    result = cli("runs", "list", "-x", "0", "--filter", "metrics.rmse <")
    assert result.exit_code == 1 and result.output.startswith("Error: ")


@pytest.fixture
def logged_runs(sqlite_uri):
    client = MlflowClient(sqlite_uri)
    exp_id = client.create_experiment("taxi")
    ids = {}
    for name, rmse in (("slow", 7.5), ("best", 6.1), ("ok", 6.9)):
        run_id = client.create_run(exp_id, run_name=name).info.run_id
        client.log_param(run_id, "alpha", rmse / 10)
        client.log_metric(run_id, "rmse", rmse)
        client.set_terminated(run_id)
        ids[name] = run_id
    return exp_id, ids


def test_runs_list_filters_and_orders(cli, logged_runs):
    exp_id, ids = logged_runs
    result = cli("runs", "list", "--experiment-name", "taxi", "--filter", "metrics.rmse < 7",
                 "--order-by", "metrics.rmse ASC")
    assert result.exit_code == 0, result.output
    rows = _table(result.output)
    assert rows[0][:3] == ["Run", "Id", "Name"] and rows[0][-1] == "rmse"
    assert [(r[0], r[1], r[2], r[-1]) for r in rows[1:]] == [
        (ids["best"], "best", "FINISHED", "6.1"),
        (ids["ok"], "ok", "FINISHED", "6.9"),
    ]
    result = cli("runs", "list", "-x", exp_id, "--order-by", "metrics.rmse DESC", "--max-results", "1")
    assert [r[1] for r in _table(result.output.split("(more")[0])[1:]] == ["slow"]


def test_runs_describe(cli, logged_runs):
    _, ids = logged_runs
    result = cli("runs", "describe", ids["best"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Run id:" in out and ids["best"] in out and "FINISHED" in out
    params = out.split("Params:")[1].split("Metrics")[0]
    assert ["alpha", "0.61"] in _table(params)
    metrics = out.split("Metrics (latest):")[1].split("Tags:")[0]
    assert ["rmse", "6.1"] in _table(metrics)
    result = cli("runs", "describe", ids["best"], "--json")
    data = json.loads(result.output)
    assert data["info"]["run_id"] == ids["best"] and data["data"]["metrics"] == {"rmse": 6.1}
