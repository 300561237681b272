"""``mltrail models list|describe|register|transition|alias|delete`` against a real SQLite store."""

from __future__ import annotations

import os

import pytest
from click.testing import CliRunner

from mltrail.cli import main


@pytest.fixture
def run_cli(sqlite_uri):
    runner = CliRunner()

    def _run(*args: str, ok: bool = True, input: str | None = None):
        result = runner.invoke(main, ["models", *args, "--tracking-uri", sqlite_uri], input=input)
        assert (result.exit_code == 0) == ok, result.output
        return result.output

    return _run


def _rows(output: str) -> list[list[str]]:
    """Table rows below the dashed rule, split on runs of 2+ spaces."""
    import re

    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if set(line.replace(" ", "")) == {"-"})
    return [re.split(r"\s{2,}", line.strip()) for line in lines[start + 1 :] if line.strip()]


def test_register_transition_alias_list_describe_delete(sqlite_client, log_model, run_cli):
    uri = log_model()
    out = run_cli("register", "-m", uri, "-n", "nyc-taxi", "--tag", "data=2021-01")
    assert out.strip() == f"Registered nyc-taxi version 1 (READY) from {uri}"
    run_cli("register", "-m", uri, "-n", "nyc-taxi")
    assert sqlite_client.get_model_version("nyc-taxi", 1).tags == {"data": "2021-01"}

    assert run_cli("transition", "nyc-taxi", "1", "production").strip() == "nyc-taxi version 1: None -> Production"
    out = run_cli("transition", "nyc-taxi", "2", "Production", "--archive-existing")
    assert out.splitlines() == ["nyc-taxi version 2: None -> Production", "Archived version(s) 1 (were Production)"]
    assert run_cli("alias", "nyc-taxi", "champion", "2").strip() == "nyc-taxi@champion -> version 2"

    rows = _rows(run_cli("list"))
    assert rows[0][:4] == ["nyc-taxi", "2", "Production: 2, Archived: 1", "champion: 2"]

    out = run_cli("describe", "nyc-taxi")
    assert "Aliases:      champion: 2" in out
    assert [r[:3] for r in _rows(out)] == [["2", "Production", "READY"], ["1", "Archived", "READY"]]

    out = run_cli("describe", "nyc-taxi", "--version", "1")
    assert "Stage:        Archived" in out and "tag data:     2021-01" in out
    assert [r[1:3] for r in _rows(out)] == [["None", "Production"], ["Production", "Archived"]]

    copy = sqlite_client.get_model_version_download_uri("nyc-taxi", 1)
    run_cli("delete", "nyc-taxi", "--version", "1", "--yes")
    assert not os.path.exists(copy)
    run_cli("delete", "nyc-taxi", input="n\n", ok=False)  # declined: nothing deleted
    assert sqlite_client.get_registered_model("nyc-taxi").name == "nyc-taxi"
    run_cli("delete", "nyc-taxi", "--yes")
    assert run_cli("list").strip() == "No registered models."


def test_list_filter(sqlite_client, run_cli):
    for name in ("nyc-taxi", "churn"):
        sqlite_client.create_registered_model(name)
    assert [r[0] for r in _rows(run_cli("list", "--filter", "name LIKE 'nyc%'"))] == ["nyc-taxi"]
    assert run_cli("list", "--filter", "name = 'x'").strip() == "No registered models match."


def test_alias_delete(sqlite_client, log_model, run_cli):
    sqlite_client.create_registered_model("m")
    sqlite_client.create_model_version("m", log_model())
    run_cli("alias", "m", "champion", "1")
    assert run_cli("alias", "m", "champion", "--delete").strip() == "Removed alias 'champion' of m"
    assert sqlite_client.get_registered_model("m").aliases == {}


@pytest.mark.parametrize(
    "args, message",
    [
        (("describe", "nope"), "Error: Registered model 'nope' does not exist"),
        (("transition", "m", "1", "deployed"), "Error: Invalid model version stage 'deployed'"),
        (("transition", "m", "7", "Staging"), "Error: Model version 7 of registered model 'm' does not exist"),
        (("alias", "m", "latest", "1"), "Error: Alias 'latest' is invalid"),
        (("alias", "m", "champion"), "Error: Give the VERSION alias 'champion' should point at"),
        (("register", "-m", "/definitely/not/here", "-n", "m"), "no such folder"),
        (("register", "-m", "runs:/x/model", "-n", "m", "--tag", "novalue"), "Error: Invalid --tag 'novalue'"),
        (("list", "--filter", "name ~ 'x'"), "Error: Invalid filter"),
    ],
)
def test_errors_are_one_clear_line_and_change_nothing(sqlite_client, log_model, run_cli, args, message):
    sqlite_client.create_registered_model("m")
    sqlite_client.create_model_version("m", log_model())
    before = sqlite_client.get_model_version("m", 1)
    out = run_cli(*args, ok=False)
    assert message in out and "Traceback" not in out
    assert sqlite_client.get_model_version("m", 1) == before
    assert [m.name for m in sqlite_client.search_registered_models()] == ["m"]
