"""The MLmodel file: what a saved model folder records about itself."""

from __future__ import annotations

import json
import os

import pytest
import yaml

import mltrail
from mltrail.exceptions import InvalidParameterError, ResourceNotFoundError
from mltrail.models import Model
from mltrail.models.integrity import file_digest


def test_mlmodel_records_flavors_versions_signature_and_file_hashes(saved_model):
    with open(os.path.join(saved_model, "MLmodel")) as f:
        raw = yaml.safe_load(f)
    import sklearn

    pyfunc = raw["flavors"]["python_function"]
    assert pyfunc["loader_module"] == "mlflow.sklearn"  # MLflow loads it too (mltrail answers as mltrail.sklearn)
    assert pyfunc["model_path"] == "model.pkl"
    assert pyfunc["env"] == {"conda": "conda.yaml", "virtualenv": "python_env.yaml"}
    assert raw["flavors"]["sklearn"]["sklearn_version"] == sklearn.__version__
    assert raw["flavors"]["sklearn"]["serialization_format"] == "cloudpickle"
    assert raw["mltrail_version"] == mltrail.__version__
    assert len(raw["model_uuid"]) == 32
    assert raw["utc_time_created"].startswith("20")
    inputs = json.loads(raw["signature"]["inputs"])
    assert [c["name"] for c in inputs] == ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    assert {c["type"] for c in inputs} == {"double"}
    assert raw["saved_input_example_info"]["artifact_path"] == "input_example.json"
    assert set(raw["files"]) == {
        "model.pkl", "conda.yaml", "python_env.yaml", "requirements.txt", "input_example.json", "serving_input_example.json"
    }
    for name, info in raw["files"].items():
        digest, size = file_digest(os.path.join(saved_model, name))
        assert info == {"sha256": digest, "size": size}


def test_model_load_round_trips_and_reads_the_input_example(saved_model, iris_like):
    X, _ = iris_like
    m = Model.load(saved_model)
    assert set(m.flavors) == {"python_function", "sklearn"}
    assert m.get_input_schema().input_names() == list(X.columns)
    example = m.load_input_example(saved_model)
    assert list(example.columns) == list(X.columns)
    assert example.shape == (5, 4)
    again = Model.from_dict(yaml.safe_load(m.to_yaml()))
    assert again.to_dict() == m.to_dict()


def test_loading_a_folder_without_mlmodel_says_it_is_not_a_model(tmp_path):
    (tmp_path / "model.pkl").write_bytes(b"x")
    with pytest.raises(ResourceNotFoundError, match="No MLmodel file"):
        Model.load(str(tmp_path))


def test_mlmodel_without_flavors_is_refused(tmp_path):
    (tmp_path / "MLmodel").write_text("run_id: abc\n")
    with pytest.raises(InvalidParameterError, match="no 'flavors'"):
        Model.load(str(tmp_path))


def test_saving_over_a_non_empty_folder_is_refused_and_leaves_it_alone(tmp_path, pipeline):
    target = tmp_path / "model"
    target.mkdir()
    (target / "keep.txt").write_text("mine")
    from mltrail.exceptions import ResourceAlreadyExistsError

    with pytest.raises(ResourceAlreadyExistsError, match="exists and is not an empty folder"):
        mltrail.sklearn.save_model(pipeline, str(target))
    assert os.listdir(target) == ["keep.txt"]
