"""Registry values and orders exactly as MLflow 3.17 returns them (issue 10, item 4).

Checked against MLflow 3.17.2 on SQLite: versions are ints, aliases map to
ints, an unset description is None, ``dict(entity)`` gives the property
names, ``copy_model_version`` records ``models:/<src>/<version>`` and copies
tags and description, and the default orders are MLflow's.
"""

from __future__ import annotations

import pprint
import time

import pytest

import mltrail
from mltrail.client import Client
from mltrail.exceptions import InvalidParameterError, ResourceNotFoundError


def _pause() -> None:
    """Let the millisecond clock move so that timestamps differ (orders are on timestamps)."""
    time.sleep(0.005)


def test_versions_aliases_and_descriptions_have_mlflows_types(client: Client, log_model) -> None:
    uri = log_model(1.0)
    client.create_registered_model("m")
    mv1 = client.create_model_version("m", uri)
    mv2 = mltrail.register_model(uri, "m")
    assert (mv1.version, mv2.version) == (1, 2) and type(mv2.version) is int
    assert mv1.description is None and client.get_model_version("m", "1").description is None
    client.set_registered_model_alias("m", "champion", "2")
    model = client.get_registered_model("m")
    assert model.aliases == {"champion": 2} and model.description is None
    assert client.get_model_version_by_alias("m", "champion").version == 2
    client.update_model_version("m", 1, description="")
    assert client.get_model_version("m", 1).description == ""  # an explicit empty text stays


def test_entities_iterate_as_key_value_pairs(client: Client, log_model) -> None:
    mltrail.register_model(log_model(1.0), "m")
    client.set_registered_model_alias("m", "champion", 1)
    as_dict = dict(client.get_registered_model("m"))
    assert sorted(as_dict) == [
        "aliases", "creation_timestamp", "description", "last_updated_timestamp", "latest_versions", "name", "tags",
    ]
    assert as_dict["aliases"] == {"champion": 1}
    version = dict(client.get_model_version("m", 1))
    assert list(version) == sorted(version)  # MLflow yields properties in name order
    assert version["version"] == 1 and version["aliases"] == ["champion"] and version["description"] is None
    assert "'version': 1" in pprint.pformat(version)


def test_copy_model_version_copies_files_tags_and_description(client: Client, log_model, intercept_of) -> None:
    uri = log_model(7.0)
    client.create_registered_model("src")
    client.create_model_version("src", uri, tags={"team": "growth"}, description="first")
    client.set_registered_model_alias("src", "champion", 1)
    copy = client.copy_model_version("models:/src@champion", "dst")
    assert (copy.name, copy.version, copy.source) == ("dst", 1, "models:/src/1")
    assert copy.tags == {"team": "growth"} and copy.description == "first"
    assert copy.run_id == client.get_model_version("src", 1).run_id
    assert intercept_of("models:/dst/1") == 7.0
    client.delete_model_version("src", 1)  # the copy owns its files
    assert intercept_of("models:/dst/1") == 7.0
    assert client.copy_model_version("models:/dst/1", "dst").version == 2  # an existing model gets the next version


def test_copy_model_version_refuses_other_schemes(sqlite_client: Client, log_model) -> None:
    uri = log_model(1.0)
    with pytest.raises(InvalidParameterError, match="only copies models stored in the 'models:/' scheme"):
        sqlite_client.copy_model_version(uri, "dst")
    assert sqlite_client.search_registered_models() == []


def test_model_version_tags_by_stage(client: Client, log_model) -> None:
    uri = log_model(1.0)
    for _ in range(3):
        mltrail.register_model(uri, "m")
    client.transition_model_version_stage("m", 2, "Staging")
    client.set_model_version_tag("m", key="checked", value="yes", stage="staging")
    assert [client.get_model_version("m", v).tags for v in (1, 2, 3)] == [{}, {"checked": "yes"}, {}]
    client.set_model_version_tag("m", 3, "plain", "1")  # positional form unchanged
    assert client.get_model_version("m", 3).tags == {"plain": "1"}
    client.delete_model_version_tag("m", key="checked", stage="Staging")
    assert client.get_model_version("m", 2).tags == {}
    with pytest.raises(ResourceNotFoundError, match="Production"):
        client.set_model_version_tag("m", key="k", value="v", stage="Production")
    with pytest.raises(InvalidParameterError, match="not both"):
        client.set_model_version_tag("m", 1, "k", "v", stage="Staging")


def test_search_model_versions_default_order_is_last_update_first(client: Client, log_model) -> None:
    uri = log_model(1.0)
    for name in ("b", "a", "b"):
        mltrail.register_model(uri, name)
        _pause()
    _pause()
    client.update_model_version("b", 1, description="touched last")
    found = [(v.name, v.version) for v in client.search_model_versions()]
    assert found == [("b", 1), ("b", 2), ("a", 1)]  # last_updated DESC, then name ASC, version DESC
    by_name = [(v.name, v.version) for v in client.search_model_versions(order_by=["name ASC"])]
    assert by_name == [("a", 1), ("b", 2), ("b", 1)]


def test_get_latest_versions_orders_stages_as_mlflow(client: Client, log_model) -> None:
    uri = log_model(1.0)
    for _ in range(3):
        mltrail.register_model(uri, "m")
    client.transition_model_version_stage("m", 2, "Production")
    # MLflow lists each stage where its lowest version sits: None (v1) before Production (v2)
    assert [(v.version, v.current_stage) for v in client.get_latest_versions("m")] == [(3, "None"), (2, "Production")]
    client.transition_model_version_stage("m", 1, "Staging")
    assert [(v.version, v.current_stage) for v in client.get_latest_versions("m")] == [
        (1, "Staging"), (2, "Production"), (3, "None"),
    ]


def test_search_experiments_orders_as_mlflow(client: Client) -> None:
    first = client.create_experiment("first")
    _pause()
    second = client.create_experiment("second")
    assert [e.experiment_id for e in client.search_experiments()] == [second, first, "0"]  # creation_time DESC
    assert [e.experiment_id for e in mltrail.search_experiments(order_by=["name ASC"])] == ["0", first, second]
