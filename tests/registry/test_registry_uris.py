"""models:/ URIs load the version they name, through pyfunc and the sklearn flavor."""

from __future__ import annotations

import os

import pytest

import mltrail
from mltrail.exceptions import InvalidStateError, MltrailError


@pytest.fixture
def three_versions(sqlite_client, log_model):
    """Model 'taxi': v1 intercept 1 (Archived), v2 intercept 2 (Production, alias champion),
    v3 intercept 3 (Staging), v4 intercept 4 (None)."""
    client = sqlite_client
    client.create_registered_model("taxi")
    for intercept in (1.0, 2.0, 3.0, 4.0):
        client.create_model_version("taxi", log_model(intercept=intercept))
    client.transition_model_version_stage("taxi", 1, "Production")
    client.transition_model_version_stage("taxi", 2, "Production", archive_existing_versions=True)
    client.transition_model_version_stage("taxi", 3, "Staging")
    client.set_registered_model_alias("taxi", "champion", 2)
    return client


@pytest.mark.parametrize(
    "uri, intercept",
    [
        ("models:/taxi/1", 1.0),
        ("models:/taxi/3", 3.0),
        ("models:/taxi/Production", 2.0),
        ("models:/taxi/production", 2.0),
        ("models:/taxi/Staging", 3.0),
        ("models:/taxi/Archived", 1.0),
        ("models:/taxi/None", 4.0),
        ("models:/taxi/latest", 4.0),
        ("models:/taxi@champion", 2.0),
    ],
)
def test_models_uri_loads_the_named_version(three_versions, intercept_of, uri, intercept):
    assert intercept_of(uri) == intercept


def test_flavor_load_model_accepts_models_uris(three_versions):
    model = mltrail.sklearn.load_model("models:/taxi/Production")
    assert type(model).__name__ == "LinearRegression"
    assert round(float(model.intercept_), 6) == 2.0


def test_moving_an_alias_changes_what_the_uri_loads(three_versions, intercept_of):
    three_versions.set_registered_model_alias("taxi", "champion", 3)
    assert intercept_of("models:/taxi@champion") == 3.0


def test_uri_resolution_follows_the_registry_uri(three_versions, tmp_path, intercept_of):
    """A registry in another database than tracking: models:/ URIs use the registry's."""
    registry_uri = three_versions._registry_uri
    mltrail.set_tracking_uri("sqlite:///" + str(tmp_path / "other-tracking.db"))
    mltrail.set_registry_uri(registry_uri)
    assert intercept_of("models:/taxi@champion") == 2.0


def test_a_failed_copy_marks_the_version_failed_and_it_does_not_load(three_versions, log_model):
    client = three_versions
    blocker = os.path.join(client._registry_store.default_artifact_root, "models", "taxi", "5")
    with open(blocker, "w") as fh:  # a file where version 5's folder must go
        fh.write("in the way")
    with pytest.raises(MltrailError, match="version 5 of 'taxi' failed while copying"):
        client.create_model_version("taxi", log_model(intercept=5.0))
    failed = client.get_model_version("taxi", 5)
    assert failed.status == "FAILED_REGISTRATION" and "failed" in failed.status_message
    with pytest.raises(InvalidStateError, match="version 5 is FAILED_REGISTRATION"):
        mltrail.pyfunc.load_model("models:/taxi/5")
    # numbering goes on after the failed one
    os.remove(blocker)
    assert client.create_model_version("taxi", log_model(intercept=6.0)).version == 6
