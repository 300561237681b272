"""register_model normalises its source and refuses one that climbs out of a folder.

``runs:/<B>/../../<A>/artifacts/model`` would register run A's model while
recording run B as its source; other forms reach folders outside the
artifact root. Each is refused naming the source, and nothing is registered.
"""

from __future__ import annotations

import os

import pytest

import mltrail
from mltrail.artifacts.local import local_path_from_uri
from mltrail.exceptions import InvalidParameterError, ModelIntegrityError, ResourceNotFoundError


@pytest.fixture(autouse=True)
def _direct_stores_only(request):
    """These tests build source paths on the local disk; over HTTP the artifacts live on the server."""
    if "[http-" in request.node.name:
        pytest.skip("source paths on the local disk: the artifacts live on the server")


def _run_id(uri: str) -> str:
    return uri.split("/")[1]


def _nothing_registered(client, name: str) -> None:
    with pytest.raises(ResourceNotFoundError):
        client.get_registered_model(name)


@pytest.fixture
def two_runs(client, log_plain_model):
    """(run A's id, run B's id): A logged a model with intercept 1, B one with intercept 2."""
    a = _run_id(log_plain_model(intercept=1.0))
    b = _run_id(log_plain_model(intercept=2.0))
    return a, b


@pytest.mark.parametrize(
    "template",
    [
        "runs:/{b}/../../{a}/artifacts/model",
        "runs:/{b}/model/../../../{a}/artifacts/model",
        "runs:/{b}/%2e%2e/%2E%2E/{a}/artifacts/model",
        "runs:/{b}/%252e%252e/%252e%252e/{a}/artifacts/model",
        "runs:/{b}/..%2f..%2f{a}/artifacts/model",
        "runs:/{b}/..\\..\\{a}\\artifacts\\model",
        "runs:/{b}/../../../../elsewhere/m",
        "runs:/../{a}/artifacts/model",
    ],
)
def test_a_runs_uri_climbing_out_is_refused_by_name(client, two_runs, template):
    a, b = two_runs
    source = template.format(a=a, b=b)
    with pytest.raises(InvalidParameterError) as e:
        mltrail.register_model(source, "m")
    assert f"Model version source {source!r} is invalid" in e.value.message
    _nothing_registered(client, "m")
    client.create_registered_model("m2")
    with pytest.raises(InvalidParameterError, match="is invalid"):
        client.create_model_version("m2", source, run_id=b)
    assert client.search_model_versions("name = 'm2'") == []


def test_percent_encoded_dotdot_is_named_as_such(client, two_runs):
    a, b = two_runs
    with pytest.raises(InvalidParameterError, match=r"'\.\.' segment \(percent-encoded\)"):
        mltrail.register_model(f"runs:/{b}/%2e%2e/%2e%2e/{a}/artifacts/model", "m")


def test_file_uris_plain_paths_and_other_uris_with_dotdot_are_refused(client, two_runs, tmp_path):
    a, b = two_runs
    model_dir = local_path_from_uri(client.get_run(a).info.artifact_uri) + "/model"
    climbing = model_dir.replace(f"/{a}/", f"/{b}/../{a}/")
    assert os.path.isdir(climbing)  # the folder exists: only the '..' is refused
    for source in (
        climbing,
        "file://" + climbing,
        "file://" + climbing.replace("..", "%2E%2E"),
        f"mlflow-artifacts:/0/{b}/artifacts/../../{a}/artifacts/model",
        "s3://bucket/x/../y/model",
        "models:/m/../1",
    ):
        with pytest.raises(InvalidParameterError, match="contains a '..' segment"):
            mltrail.register_model(source, "m")
    _nothing_registered(client, "m")


def test_a_symlink_out_of_the_run_artifacts_is_refused(client, two_runs):
    a, b = two_runs
    b_root = local_path_from_uri(client.get_run(b).info.artifact_uri)
    a_model = local_path_from_uri(client.get_run(a).info.artifact_uri) + "/model"
    os.symlink(a_model, os.path.join(b_root, "linked"))
    with pytest.raises(InvalidParameterError, match=rf"Model version source 'runs:/{b}/linked' is invalid.*outside"):
        mltrail.register_model(f"runs:/{b}/linked", "m")
    _nothing_registered(client, "m")


def test_a_source_is_recorded_normalised_and_registers_its_own_model(client, two_runs, intercept_of):
    a, b = two_runs
    mv = mltrail.register_model(f"runs://{b}/./model//", "m")
    assert mv.source == f"runs:/{b}/model" and mv.run_id == b
    assert intercept_of("models:/m/1") == 2.0  # run B's model, not A's
    # An absolute path without '..' still registers (a folder on this machine).
    model_dir = local_path_from_uri(client.get_run(a).info.artifact_uri) + "/model"
    assert mltrail.register_model(model_dir, "m").version == 2
    assert intercept_of("models:/m/2") == 1.0


def test_a_registered_copy_cannot_load_files_from_outside_itself(client, log_plain_model, intercept_of):
    mltrail.register_model(log_plain_model(intercept=1.0), "m")
    mltrail.register_model(log_plain_model(intercept=2.0), "m")
    assert intercept_of("models:/m/2") == 2.0
    folder = local_path_from_uri(client.get_model_version_download_uri("m", "2"))

    import yaml

    path = os.path.join(folder, "MLmodel")
    mlmodel = yaml.safe_load(open(path))
    mlmodel["flavors"]["python_function"]["model_path"] = "../1/model.pkl"
    yaml.safe_dump(mlmodel, open(path, "w"))
    with pytest.raises(ModelIntegrityError, match=r"model_path is '\.\./1/model\.pkl'"):
        mltrail.pyfunc.load_model("models:/m/2", verify=False)
