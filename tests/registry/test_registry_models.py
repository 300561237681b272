"""Registered models on SQLite, PostgreSQL and MariaDB: create, get, rename, describe, tags,
delete, search with filters, ordering and page tokens."""

from __future__ import annotations

import pytest

import mltrail
from mltrail.exceptions import InvalidParameterError, ResourceNotFoundError


def test_create_and_get_keep_name_description_tags(client):
    created = client.create_registered_model("nyc-taxi-regressor", tags={"team": "growth"}, description="minutes")
    got = client.get_registered_model("nyc-taxi-regressor")
    assert (got.name, got.description, got.tags) == ("nyc-taxi-regressor", "minutes", {"team": "growth"})
    assert got.creation_timestamp == created.creation_timestamp > 0
    assert got.latest_versions == [] and got.aliases == {}


def test_names_are_case_sensitive_on_every_backend(client):
    client.create_registered_model("Churn")
    client.create_registered_model("churn")
    names = [m.name for m in client.search_registered_models(order_by=["name ASC"])]
    assert names == ["Churn", "churn"]


def test_models_sort_by_name_in_code_point_order_on_every_backend(client):
    # by code point "Banana" < "apple" < "cherry"; a language collation (PostgreSQL's en_US) puts "apple" first
    for name in ("apple", "cherry", "Banana"):
        client.create_registered_model(name)
    assert [m.name for m in client.search_registered_models(order_by=["name DESC"])] == ["cherry", "apple", "Banana"]
    assert [m.name for m in client.search_registered_models()] == ["Banana", "apple", "cherry"]  # default: by name
    first = client.search_registered_models(max_results=2, order_by=["name ASC"])
    rest = client.search_registered_models(max_results=2, order_by=["name ASC"], page_token=first.token)
    assert [m.name for m in [*first, *rest]] == ["Banana", "apple", "cherry"] and rest.token is None


def test_update_description_and_tags(client):
    client.create_registered_model("m", tags={"a": "1"})
    client.update_registered_model("m", description="better")
    client.set_registered_model_tag("m", "a", "2")
    client.set_registered_model_tag("m", "b", 3)
    client.delete_registered_model_tag("m", "a")
    got = client.get_registered_model("m")
    assert got.description == "better"
    assert got.tags == {"b": "3"}


def test_rename_moves_versions_tags_aliases_and_history(client, log_model, intercept_of):
    uri = log_model(intercept=5.0)
    client.create_registered_model("old", tags={"team": "x"})
    client.create_model_version("old", uri)
    client.transition_model_version_stage("old", 1, "Staging")
    client.set_registered_model_alias("old", "champion", 1)
    client.set_model_version_tag("old", 1, "checked", "yes")

    renamed = client.rename_registered_model("old", "new")

    assert renamed.name == "new" and renamed.tags == {"team": "x"} and renamed.aliases == {"champion": 1}
    with pytest.raises(ResourceNotFoundError, match="'old'"):
        client.get_registered_model("old")
    mv = client.get_model_version("new", 1)
    assert (mv.current_stage, mv.tags, mv.aliases) == ("Staging", {"checked": "yes"}, ["champion"])
    assert [t.to_stage for t in client.get_model_version_stage_history("new", 1)] == ["Staging"]
    assert intercept_of("models:/new@champion") == 5.0
    # the next version continues the numbering under the new name
    assert client.create_model_version("new", uri).version == 2


def test_delete_removes_model_versions_and_their_copies(client, log_model):
    if client.tracking_uri.startswith("http"):
        pytest.skip("inspects the registry's folder on the local disk")
    import os

    uri = log_model()
    client.create_registered_model("gone")
    client.create_model_version("gone", uri)
    copy = client.get_model_version_download_uri("gone", 1)
    assert os.path.isfile(os.path.join(copy, "MLmodel"))

    client.delete_registered_model("gone")

    with pytest.raises(ResourceNotFoundError, match="'gone' does not exist"):
        client.get_registered_model("gone")
    assert client.search_model_versions("name = 'gone'") == []
    assert not os.path.exists(copy)
    # the logged model's own files are untouched
    assert os.path.isfile(os.path.join(mltrail.models.uri.resolve_model_uri(uri), "MLmodel"))
    # the name is free again and numbering restarts
    client.create_registered_model("gone")
    assert client.create_model_version("gone", uri).version == 1


@pytest.fixture
def zoo(client):
    for name, team in [("nyc-taxi", "growth"), ("nyc-bikes", "growth"), ("NYC-Trains", "ops"), ("churn", "ops")]:
        client.create_registered_model(name, tags={"team": team})
    return client


@pytest.mark.parametrize(
    "filter_string, expected",
    [
        ("name = 'churn'", ["churn"]),
        ("name != 'churn'", ["NYC-Trains", "nyc-bikes", "nyc-taxi"]),
        ("name LIKE 'nyc-%'", ["nyc-bikes", "nyc-taxi"]),
        ("name ILIKE 'nyc-%'", ["NYC-Trains", "nyc-bikes", "nyc-taxi"]),
        ("tags.team = 'ops'", ["NYC-Trains", "churn"]),
        ("tags.team = 'growth' AND name LIKE '%taxi'", ["nyc-taxi"]),
        ("tags.`team` LIKE 'g%'", ["nyc-bikes", "nyc-taxi"]),
        ("name = 'nope'", []),
    ],
)
def test_search_filters(zoo, filter_string, expected):
    assert [m.name for m in zoo.search_registered_models(filter_string)] == expected


def test_search_order_by_and_page_tokens(zoo):
    first = zoo.search_registered_models(max_results=3, order_by=["name DESC"])
    assert [m.name for m in first] == ["nyc-taxi", "nyc-bikes", "churn"]
    assert first.token is not None
    second = zoo.search_registered_models(max_results=3, order_by=["name DESC"], page_token=first.token)
    assert [m.name for m in second] == ["NYC-Trains"]
    assert second.token is None
    by_creation = zoo.search_registered_models(order_by=["creation_timestamp ASC"])
    assert [m.name for m in by_creation][0] == "nyc-taxi"


@pytest.mark.parametrize(
    "filter_string, quoted",
    [
        ("name ~ 'x'", "'~'"),
        ("foo = 'x'", "'foo'"),
        ("name = 'x' OR name = 'y'", "'OR'"),
        ("name LIKE 3", "'3'"),
    ],
)
def test_malformed_search_filter_quotes_the_token(zoo, filter_string, quoted):
    with pytest.raises(InvalidParameterError, match=quoted):
        zoo.search_registered_models(filter_string)


def test_bad_order_by_and_page_token(zoo):
    with pytest.raises(InvalidParameterError, match="'size'"):
        zoo.search_registered_models(order_by=["size DESC"])
    with pytest.raises(InvalidParameterError, match="page_token"):
        zoo.search_registered_models(page_token="not-a-token")
