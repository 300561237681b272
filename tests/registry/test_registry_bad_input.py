"""Bad input to the registry: a clear error naming the value and the rule, and nothing changed
(records, timestamps, history and the registry's stored copies are compared before and after)."""

from __future__ import annotations

import os

import pytest

import mltrail
from mltrail.exceptions import (
    InvalidParameterError,
    MltrailError,
    ResourceAlreadyExistsError,
    ResourceNotFoundError,
)


def _snapshot(client) -> dict:
    models = {
        m.name: (m.description, m.tags, m.aliases, m.last_updated_timestamp)
        for m in client.search_registered_models()
    }
    versions = {
        (v.name, v.version): (v.current_stage, v.description, v.tags, v.aliases, v.status, v.last_updated_timestamp)
        for v in client.search_model_versions()
    }
    history = {
        key: [(t.from_stage, t.to_stage) for t in client.get_model_version_stage_history(*key)] for key in versions
    }
    root = os.path.join(client._registry_store.default_artifact_root, "models")
    files = sorted(os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs)
    return {"models": models, "versions": versions, "history": history, "files": files}


@pytest.fixture
def registry(client, log_model):
    """Model 'm' (tag team=a, description 'orig') with versions 1 (Production, alias champion) and 2;
    model 'other'. Returns (client, model_uri, snapshot-before)."""
    if client.tracking_uri.startswith("http"):
        pytest.skip("the snapshot reads the registry's folder on the local disk")
    uri = log_model()
    client.create_registered_model("m", tags={"team": "a"}, description="orig")
    client.create_registered_model("other")
    client.create_model_version("m", uri)
    client.create_model_version("m", uri)
    client.transition_model_version_stage("m", 1, "Production")
    client.set_registered_model_alias("m", "champion", 1)
    return client, uri, _snapshot(client)


def _unchanged(registry) -> None:
    client, _, before = registry
    assert _snapshot(client) == before


def test_unknown_model(registry):
    client, uri, _ = registry
    with pytest.raises(ResourceNotFoundError, match="Registered model 'nope' does not exist"):
        client.get_registered_model("nope")
    with pytest.raises(ResourceNotFoundError, match="'nope' does not exist"):
        client.create_model_version("nope", uri)
    with pytest.raises(ResourceNotFoundError, match="'nope' does not exist"):
        client.get_latest_versions("nope")
    with pytest.raises(ResourceNotFoundError, match="'nope' does not exist"):
        client.delete_registered_model("nope")
    with pytest.raises(ResourceNotFoundError, match="'nope' does not exist"):
        client.rename_registered_model("nope", "x")
    with pytest.raises(ResourceNotFoundError, match="'nope' does not exist"):
        client.set_registered_model_tag("nope", "k", "v")
    with pytest.raises(ResourceNotFoundError, match="'nope' does not exist"):
        mltrail.pyfunc.load_model("models:/nope/1")
    _unchanged(registry)


def test_unknown_version(registry):
    client, _, _ = registry
    missing = "Model version 9 of registered model 'm' does not exist"
    with pytest.raises(ResourceNotFoundError, match=missing):
        client.get_model_version("m", 9)
    with pytest.raises(ResourceNotFoundError, match=missing):
        client.transition_model_version_stage("m", 9, "Staging")
    with pytest.raises(ResourceNotFoundError, match=missing):
        client.update_model_version("m", 9, description="x")
    with pytest.raises(ResourceNotFoundError, match=missing):
        client.delete_model_version("m", 9)
    with pytest.raises(ResourceNotFoundError, match=missing):
        client.set_registered_model_alias("m", "challenger", 9)
    with pytest.raises(ResourceNotFoundError, match=missing):
        client.set_model_version_tag("m", 9, "k", "v")
    with pytest.raises(ResourceNotFoundError, match=missing):
        mltrail.pyfunc.load_model("models:/m/9")
    with pytest.raises(ResourceNotFoundError, match="has no alias 'nobody'"):
        mltrail.pyfunc.load_model("models:/m@nobody")
    with pytest.raises(ResourceNotFoundError, match="no version in stage 'Staging'"):
        mltrail.pyfunc.load_model("models:/m/Staging")
    _unchanged(registry)


@pytest.mark.parametrize("stage", ["Prod", "deployed", ""])
def test_unknown_stage(registry, stage):
    client, _, _ = registry
    rule = "must be one of None, Staging, Production, Archived"
    with pytest.raises(InvalidParameterError, match=f"'{stage}'.*{rule}"):
        client.transition_model_version_stage("m", 2, stage)
    with pytest.raises(InvalidParameterError, match=f"'{stage}'.*{rule}"):
        client.get_latest_versions("m", stages=[stage])
    _unchanged(registry)


def test_unknown_stage_in_a_models_uri(registry):
    with pytest.raises(InvalidParameterError, match="'Prod' is neither a version number, 'latest', nor a stage"):
        mltrail.pyfunc.load_model("models:/m/Prod")
    _unchanged(registry)


def test_archive_existing_only_with_an_active_stage(registry):
    client, _, _ = registry
    with pytest.raises(InvalidParameterError, match="archive_existing_versions=True is invalid with stage 'Archived'"):
        client.transition_model_version_stage("m", 2, "archived", archive_existing_versions=True)
    _unchanged(registry)


def test_duplicate_model_name(registry):
    client, _, _ = registry
    with pytest.raises(ResourceAlreadyExistsError, match="'m' already exists: model names must be unique"):
        client.create_registered_model("m", tags={"team": "b"}, description="new")
    _unchanged(registry)


def test_renaming_onto_an_existing_name(registry):
    client, _, _ = registry
    with pytest.raises(ResourceAlreadyExistsError, match="Cannot rename registered model 'm' to 'other'.*unique"):
        client.rename_registered_model("m", "other")
    _unchanged(registry)


@pytest.mark.parametrize("name", ["", "a/b", "team@x", " padded", "x" * 300])
def test_invalid_model_names(registry, name):
    client, uri, _ = registry
    with pytest.raises(InvalidParameterError, match="name"):
        client.create_registered_model(name)
    with pytest.raises(InvalidParameterError, match="name"):
        client.rename_registered_model("m", name)
    with pytest.raises(InvalidParameterError, match="name"):
        mltrail.register_model(uri, name)
    _unchanged(registry)


def test_registering_a_folder_without_mlmodel(registry, tmp_path):
    client, _, _ = registry
    folder = tmp_path / "not-a-model"
    folder.mkdir()
    (folder / "model.pkl").write_bytes(b"\x80\x04N.")
    with pytest.raises(InvalidParameterError, match=f"'{folder}': it holds no MLmodel file"):
        client.create_model_version("m", str(folder))
    with pytest.raises(InvalidParameterError, match="holds no MLmodel file"):
        mltrail.register_model(str(folder), "brand-new")
    with pytest.raises(InvalidParameterError, match="no such folder"):
        mltrail.register_model(str(tmp_path / "missing"), "brand-new")
    _unchanged(registry)  # 'brand-new' was not created either


def test_registering_a_run_artifact_that_is_not_a_model(registry, tmp_path):
    client, _, _ = registry
    with mltrail.start_run() as run:
        mltrail.log_text("just notes", "notes/readme.txt")
    before = _snapshot(client)
    with pytest.raises(InvalidParameterError, match=f"runs:/{run.info.run_id}/notes.*holds no MLmodel file"):
        mltrail.register_model(f"runs:/{run.info.run_id}/notes", "m")
    with pytest.raises(InvalidParameterError, match="no such folder"):
        client.create_model_version("m", f"runs:/{run.info.run_id}/nothing-here")
    assert _snapshot(client) == before


@pytest.mark.parametrize("alias", ["3", "v3", "V12", "-1", "latest", "LATEST"])
def test_alias_that_is_a_number_or_latest(registry, alias):
    client, _, _ = registry
    with pytest.raises(InvalidParameterError, match=f"Alias '{alias}' is invalid: .*(number|latest)"):
        client.set_registered_model_alias("m", alias, 1)
    _unchanged(registry)


@pytest.mark.parametrize("alias", ["", "has space", "a/b", "x" * 300])
def test_alias_with_bad_characters_or_length(registry, alias):
    client, _, _ = registry
    with pytest.raises(InvalidParameterError, match="Alias"):
        client.set_registered_model_alias("m", alias, 1)
    _unchanged(registry)


def test_tag_and_description_limits(registry):
    client, _, _ = registry
    with pytest.raises(InvalidParameterError, match="at most 5000"):
        client.set_model_version_tag("m", 1, "k", "v" * 5001)
    with pytest.raises(InvalidParameterError, match="Tag key ''"):
        client.set_registered_model_tag("m", "", "v")
    with pytest.raises(InvalidParameterError, match="at most 5000"):
        client.update_registered_model("m", description="d" * 5001)
    with pytest.raises(ResourceNotFoundError, match="has no tag 'missing'"):
        client.delete_registered_model_tag("m", "missing")
    _unchanged(registry)


def test_every_error_is_an_mltrail_error_with_a_code(registry):
    client, _, _ = registry
    with pytest.raises(MltrailError) as info:
        client.get_model_version("m", 9)
    assert info.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    with pytest.raises(MltrailError) as info:
        client.create_registered_model("m")
    assert info.value.error_code == "RESOURCE_ALREADY_EXISTS"
