"""Review findings for the registry issue: each test failed before its fix."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from mltrail.cli import main
from mltrail.exceptions import InvalidParameterError


def test_cli_transition_accepts_mlflows_archive_existing_versions_name(sqlite_client, sqlite_uri, log_model):
    uri = log_model()
    sqlite_client.create_registered_model("m")
    sqlite_client.create_model_version("m", uri)
    sqlite_client.create_model_version("m", uri)
    sqlite_client.transition_model_version_stage("m", 1, "Production")
    r = CliRunner().invoke(
        main,
        ["models", "transition", "m", "2", "production", "--archive-existing-versions", "--tracking-uri", sqlite_uri],
    )
    assert r.exit_code == 0, r.output
    assert "Archived version(s) 1 (were Production)" in r.output
    assert sqlite_client.get_model_version("m", 1).current_stage == "Archived"


@pytest.mark.parametrize(
    "search, what",
    [("search_registered_models", "registered models"), ("search_model_versions", "model versions")],
)
def test_unknown_filter_attribute_suggests_only_prefixes_that_exist(sqlite_client, search, what):
    with pytest.raises(InvalidParameterError) as e:
        getattr(sqlite_client, search)("nme = 'x'")
    message = e.value.message
    assert f"unknown attribute 'nme' (attributes of {what}:" in message
    assert "prefix tags. for logged values" in message
    assert "metrics." not in message and "params." not in message  # registry searches have neither


def test_search_model_versions_default_order_is_mlflows_last_updated_first(client, log_model):
    # MLflow 3.17's default: last_updated_timestamp DESC, name ASC, version_number DESC
    uri = log_model()
    for name in ("b", "a"):
        client.create_registered_model(name)
        for _ in range(3):
            client.create_model_version(name, uri)
    client.transition_model_version_stage("a", 1, "Staging")
    client.update_model_version("b", 2, description="touched last")
    found = [(v.name, v.version) for v in client.search_model_versions("name LIKE '%'")]
    assert found == [("b", 2), ("a", 1), ("a", 3), ("a", 2), ("b", 3), ("b", 1)]
    assert client.search_model_versions("name = 'a'", max_results=1)[0].version == 1  # updated last
