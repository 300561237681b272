"""Model versions on SQLite, PostgreSQL and MariaDB: sources, lineage, immutability, numbering,
stages with history, aliases, tags, search, delete."""

from __future__ import annotations

import os
import shutil

import pytest

import mltrail
from mltrail.exceptions import InvalidParameterError, ResourceNotFoundError


def _logged(client, uri):
    """The logged model a ``runs:/<run>/<name>`` URI names (MLflow 3 layout)."""
    _, run_id, name = uri.split("/", 2)
    return client.get_logged_model_of_run(run_id, name)


def test_version_from_runs_uri_records_lineage_and_is_ready(client, log_model):
    uri = log_model()
    run_id = uri.split("/")[1]
    client.create_registered_model("m")
    mv = client.create_model_version("m", uri, description="first", tags={"data": "2021-01"})
    assert (mv.name, mv.version, mv.status, mv.current_stage) == ("m", 1, "READY", "None")
    # MLflow 3: a run's model is a logged model; the version records it as models:/<model_id>
    model_id = _logged(client, uri).model_id
    assert (mv.source, mv.model_id, mv.run_id) == (f"models:/{model_id}", model_id, run_id)
    experiment_id = client.get_run(run_id).info.experiment_id
    assert mv.run_link.endswith(f"#/experiments/{experiment_id}/runs/{run_id}")
    assert (mv.description, mv.tags) == ("first", {"data": "2021-01"})
    assert mv.user_id
    assert client.get_model_version("m", "1") == mv


def test_version_from_a_local_path_takes_run_id_from_mlmodel(client, log_model, tmp_path):
    uri = log_model(intercept=7.0)
    run_id = uri.split("/")[1]
    folder = mltrail.models.download_model(uri, str(tmp_path))
    client.create_registered_model("m")
    if client.tracking_uri.startswith("http"):  # a server copies no folder of its host outside the run named
        with pytest.raises(InvalidParameterError, match="contained within the artifact directory of the run"):
            client.create_model_version("m", folder)
        return
    mv = client.create_model_version("m", folder)
    assert mv.source == os.path.abspath(folder)
    assert mv.run_id == run_id


def test_version_from_an_artifact_store_location(client, log_model, intercept_of):
    uri = log_model(intercept=2.0)
    run = client.get_run(uri.split("/")[1])
    location = _logged(client, uri).artifact_location
    client.create_registered_model("m")
    mv = client.create_model_version("m", location)
    assert mv.source == location and mv.run_id == run.info.run_id
    assert intercept_of("models:/m/1") == 2.0


def test_a_registered_version_is_a_copy_unaffected_by_later_changes_to_the_run(client, log_model, intercept_of):
    if client.tracking_uri.startswith("http"):
        pytest.skip("inspects the run's artifact folder on the local disk")
    uri = log_model(intercept=4.0)
    client.create_registered_model("m")
    client.create_model_version("m", uri)
    run_model = _logged(client, uri).artifact_location

    shutil.rmtree(run_model)  # the run's logged model disappears...

    stored = client.get_model_version_download_uri("m", 1)
    assert stored.endswith(os.path.join("models", "m", "1"))
    assert not stored.startswith(run_model)
    assert intercept_of("models:/m/1") == 4.0  # ...the registered one still loads


def test_numbers_are_sequential_and_never_reused_after_delete(client, log_model):
    uri = log_model()
    client.create_registered_model("m")
    assert [client.create_model_version("m", uri).version for _ in range(3)] == [1, 2, 3]
    copy3 = client.get_model_version_download_uri("m", 3)
    client.delete_model_version("m", 3)
    assert not os.path.exists(copy3)
    with pytest.raises(ResourceNotFoundError, match="Model version 3 of registered model 'm' does not exist"):
        client.get_model_version("m", 3)
    assert client.create_model_version("m", uri).version == 4
    assert [v.version for v in client.search_model_versions("name = 'm'", order_by=["version_number ASC"])] == [
        1,
        2,
        4,
    ]


def test_update_description_and_version_tags(client, log_model):
    client.create_registered_model("m")
    client.create_model_version("m", log_model())
    client.update_model_version("m", 1, description="transitioned to Staging on 2026-11-22")
    client.set_model_version_tag("m", 1, "validated", True)
    client.set_model_version_tag("m", "1", "owner", "ana")
    client.delete_model_version_tag("m", 1, "owner")
    mv = client.get_model_version("m", 1)
    assert mv.description == "transitioned to Staging on 2026-11-22"
    assert mv.tags == {"validated": "True"}


def test_stages_any_case_archive_existing_and_full_history(client, log_model):
    uri = log_model()
    client.create_registered_model("m")
    for _ in range(3):
        client.create_model_version("m", uri)
    client.transition_model_version_stage("m", 1, "production")
    client.transition_model_version_stage("m", 2, "STAGING")
    mv = client.transition_model_version_stage("m", 2, "Production", archive_existing_versions=True)
    assert mv.current_stage == "Production"
    stages = {v.version: v.current_stage for v in client.search_model_versions("name = 'm'")}
    assert stages == {1: "Archived", 2: "Production", 3: "None"}

    history1 = client.get_model_version_stage_history("m", 1)
    assert [(t.from_stage, t.to_stage) for t in history1] == [("None", "Production"), ("Production", "Archived")]
    history2 = client.get_model_version_stage_history("m", 2)
    assert [(t.from_stage, t.to_stage) for t in history2] == [("None", "Staging"), ("Staging", "Production")]
    assert all(t.user_id and t.timestamp >= mv.creation_timestamp for t in history1 + history2)
    assert client.get_model_version_stage_history("m", 3) == []


def test_without_archive_existing_several_versions_share_a_stage(client, log_model):
    uri = log_model()
    client.create_registered_model("m")
    for v in (1, 2):
        client.create_model_version("m", uri)
        client.transition_model_version_stage("m", v, "Production", archive_existing_versions=False)
    assert [v.current_stage for v in client.search_model_versions("name = 'm'")] == ["Production", "Production"]


def test_latest_versions_per_stage(client, log_model):
    uri = log_model()
    client.create_registered_model("m")
    for _ in range(4):
        client.create_model_version("m", uri)
    client.transition_model_version_stage("m", 1, "Production")
    client.transition_model_version_stage("m", 2, "Production")
    client.transition_model_version_stage("m", 3, "Staging")
    latest = {v.current_stage: v.version for v in client.get_latest_versions("m")}
    assert latest == {"None": 4, "Staging": 3, "Production": 2}
    assert [v.version for v in client.get_latest_versions("m", stages=["production"])] == [2]
    assert client.get_latest_versions("m", stages=["Archived"]) == []
    model = client.get_registered_model("m")
    assert sorted(v.version for v in model.latest_versions) == [2, 3, 4]


def test_aliases_set_move_delete(client, log_model):
    uri = log_model()
    client.create_registered_model("m")
    client.create_model_version("m", uri)
    client.create_model_version("m", uri)
    client.set_registered_model_alias("m", "champion", 1)
    assert client.get_model_version_by_alias("m", "champion").version == 1
    client.set_registered_model_alias("m", "champion", "2")
    assert client.get_model_version_by_alias("m", "champion").version == 2
    assert client.get_model_version("m", 2).aliases == ["champion"]
    assert client.get_registered_model("m").aliases == {"champion": 2}
    client.delete_registered_model_alias("m", "champion")
    with pytest.raises(ResourceNotFoundError, match="has no alias 'champion'"):
        client.get_model_version_by_alias("m", "champion")


def test_deleting_a_version_drops_its_aliases(client, log_model):
    uri = log_model()
    client.create_registered_model("m")
    client.create_model_version("m", uri)
    client.set_registered_model_alias("m", "champion", 1)
    client.delete_model_version("m", 1)
    assert client.get_registered_model("m").aliases == {}


def test_search_model_versions(client, log_model):
    uri_a = log_model()
    uri_b = log_model()
    run_a, run_b = uri_a.split("/")[1], uri_b.split("/")[1]
    client.create_registered_model("a")
    client.create_registered_model("b")
    client.create_model_version("a", uri_a, tags={"k": "x"})
    client.create_model_version("a", uri_b)
    client.create_model_version("b", uri_b, tags={"k": "y"})
    client.transition_model_version_stage("a", 2, "Staging")

    def found(filter_string, **kw):
        return [(v.name, v.version) for v in client.search_model_versions(filter_string, **kw)]

    assert found(f"run_id = '{run_a}'") == [("a", 1)]
    assert sorted(found(f"run_id IN ('{run_a}', '{run_b}')")) == [("a", 1), ("a", 2), ("b", 1)]
    assert found("name = 'a' AND version_number >= 2") == [("a", 2)]
    assert found("tags.k = 'y'") == [("b", 1)]
    assert found("current_stage = 'staging'") == [("a", 2)]
    assert found(f"source_path = 'models:/{_logged(client, uri_a).model_id}'") == [("a", 1)]
    assert found("name = 'a'", order_by=["version_number ASC"]) == [("a", 1), ("a", 2)]
    page = client.search_model_versions("name LIKE '%'", max_results=2, order_by=["name ASC", "version_number ASC"])
    assert [(v.name, v.version) for v in page] == [("a", 1), ("a", 2)]
    rest = client.search_model_versions(
        "name LIKE '%'", max_results=2, order_by=["name ASC", "version_number ASC"], page_token=page.token
    )
    assert [(v.name, v.version) for v in rest] == [("b", 1)] and rest.token is None


def test_versions_sort_by_name_in_code_point_order_on_every_backend(client, log_model):
    # by code point "Banana" < "apple" < "cherry"; a language collation (PostgreSQL's en_US) puts "apple" first
    uri = log_model()
    for name in ("apple", "cherry", "Banana"):
        client.create_registered_model(name)
        client.create_model_version(name, uri)
    assert [v.name for v in client.search_model_versions(order_by=["name ASC"])] == ["Banana", "apple", "cherry"]
    assert [v.name for v in client.search_model_versions(order_by=["name DESC"])] == ["cherry", "apple", "Banana"]
    by_version = client.search_model_versions(order_by=["version_number ASC"])
    assert [v.name for v in by_version] == ["Banana", "apple", "cherry"]  # all are version 1: ties break on name


def test_fluent_register_model_creates_the_model_and_tags_the_version(sqlite_client, log_model):
    uri = log_model()
    mv = mltrail.register_model(model_uri=uri, name="nyc-taxi-regressor", tags={"candidate": "yes"})
    assert (mv.name, mv.version, mv.tags) == ("nyc-taxi-regressor", 1, {"candidate": "yes"})
    assert mltrail.register_model(uri, "nyc-taxi-regressor").version == 2
    assert sqlite_client.get_registered_model("nyc-taxi-regressor").name == "nyc-taxi-regressor"


def test_log_model_with_registered_model_name_registers_in_the_same_call(sqlite_client, training_data, intercept_of):
    from sklearn.linear_model import LinearRegression

    X, y = training_data
    with mltrail.start_run():
        info = mltrail.sklearn.log_model(LinearRegression().fit(X, y), "model", registered_model_name="taxi")
    assert info.registered_model_version == 1
    mv = sqlite_client.get_model_version("taxi", 1)
    assert mv.source == info.model_uri
    assert intercept_of("models:/taxi/1") == 3.0


def test_a_mlflow_style_script_runs_unchanged(sqlite_client, log_model, intercept_of):
    """The registry lines of the seed documents, with only the import changed."""
    import mltrail as mlflow
    from mltrail.tracking import MlflowClient

    uri = log_model()
    client = MlflowClient()
    mlflow.register_model(model_uri=uri, name="nyc-taxi-regressor")
    for v in client.get_latest_versions(name="nyc-taxi-regressor"):
        assert (v.version, v.current_stage) == (1, "None")
    client.transition_model_version_stage(
        name="nyc-taxi-regressor", version=1, stage="Staging", archive_existing_versions=False
    )
    client.update_model_version(name="nyc-taxi-regressor", version=1, description="to Staging")
    model = mlflow.sklearn.load_model("models:/nyc-taxi-regressor/Staging")
    assert hasattr(model, "coef_")
    client.set_registered_model_alias("nyc-taxi-regressor", "champion", 1)
    assert intercept_of("models:/nyc-taxi-regressor@champion") == 3.0


def test_unknown_version_number_forms_are_refused(client, log_model):
    client.create_registered_model("m")
    client.create_model_version("m", log_model())
    for bad in ("one", "0", "-1", "1.5"):
        with pytest.raises(InvalidParameterError, match="whole number >= 1"):
            client.get_model_version("m", bad)


def test_fluent_searches_follow_every_page(sqlite_client, log_model):
    from mltrail.fluent.registry import search_model_versions, search_registered_models

    uri = log_model()
    for i in range(3):
        sqlite_client.create_registered_model(f"m{i}")
    for _ in range(3):
        sqlite_client.create_model_version("m0", uri)
    assert [m.name for m in search_registered_models(order_by=["name DESC"])] == ["m2", "m1", "m0"]
    assert [m.name for m in search_registered_models(max_results=2, order_by=["name ASC"])] == ["m0", "m1"]
    versions = search_model_versions(filter_string="name = 'm0'", order_by=["version_number ASC"])
    assert [v.version for v in versions] == [1, 2, 3]
