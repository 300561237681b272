"""Review findings for the models issue: each test failed before its fix."""

from __future__ import annotations

import json
import os
import warnings

import pytest
from click.testing import CliRunner

import mltrail
from mltrail.cli import main

with warnings.catch_warnings():  # starlette warns that its TestClient will move to httpx2
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from mltrail.models.scoring_server import build_app


def test_models_predict_accepts_the_saved_input_example(saved_model, pipeline, iris_like):
    """``mltrail models predict -i <model>/input_example.json`` scores the example as saved."""
    X, _ = iris_like
    example = os.path.join(saved_model, "input_example.json")
    assert set(json.load(open(example))) == {"columns", "data"}  # MLflow's split shape, unwrapped
    r = CliRunner().invoke(main, ["models", "predict", "-m", saved_model, "-i", example])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output) == {"predictions": pipeline.predict(X[:5]).tolist()}


def test_invocations_accepts_the_saved_input_example(saved_model, pipeline, iris_like):
    X, _ = iris_like
    client = TestClient(build_app(mltrail.pyfunc.load_model(saved_model)))
    with open(os.path.join(saved_model, "input_example.json"), "rb") as f:
        r = client.post("/invocations", content=f.read(), headers={"Content-Type": "application/json"})
    assert r.status_code == 200, r.text
    assert r.json() == {"predictions": pipeline.predict(X[:5]).tolist()}
    # a bare split form mixed with other keys is still refused
    r = client.post("/invocations", content='{"columns": ["a"], "data": [[1]], "rows": 1}',
                    headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and "exactly one of the keys" in r.json()["message"]


def test_pyfunc_load_of_a_model_without_python_function_names_its_flavors(saved_model):
    import yaml

    from mltrail.exceptions import InvalidParameterError

    path = os.path.join(saved_model, "MLmodel")
    with open(path) as f:
        mlmodel = yaml.safe_load(f)
    mlmodel["flavors"] = {"custom_flavor": {"data": "model.pkl"}}
    with open(path, "w") as f:
        yaml.safe_dump(mlmodel, f)
    try:
        mltrail.pyfunc.load_model(saved_model)
    except InvalidParameterError as e:
        message = e.message
    else:  # pragma: no cover - the assertion below reports it
        message = ""
    assert "has no 'python_function' flavor" in message and "['custom_flavor']" in message
    assert "mltrail.pyfunc.load_model" not in message  # the call that just failed is no advice


def test_log_model_with_a_bad_registered_model_name_logs_nothing(tracking, pipeline):
    from mltrail.exceptions import InvalidParameterError

    with mltrail.start_run() as run:
        with pytest.raises(InvalidParameterError, match="Registered model name 'team/model' is invalid"):
            mltrail.sklearn.log_model(pipeline, "model", registered_model_name="team/model")
    assert mltrail.MlflowClient().list_artifacts(run.info.run_id) == []


def test_an_unpicklable_model_is_refused_with_a_clear_error_and_no_folder(tmp_path, pipeline):
    import copy

    from mltrail.exceptions import InvalidParameterError

    model = copy.deepcopy(pipeline)
    model.callback_ = (x for x in [])  # a generator attribute: no pickler can write it
    for fmt in ("cloudpickle", "pickle"):
        path = tmp_path / fmt
        with pytest.raises(InvalidParameterError, match=f"Cannot save the Pipeline model with {fmt}: TypeError"):
            mltrail.sklearn.save_model(model, str(path), serialization_format=fmt)
        assert not path.exists() and os.listdir(tmp_path) == []


def _edit_mlmodel(folder: str, edit) -> None:
    import yaml

    path = os.path.join(folder, "MLmodel")
    with open(path) as f:
        mlmodel = yaml.safe_load(f)
    edit(mlmodel)
    with open(path, "w") as f:
        yaml.safe_dump(mlmodel, f)



@pytest.mark.parametrize(
    "edit, rule",
    [
        (lambda d: d.__setitem__("files", 5), "expected a mapping of file paths, got int 5"),
        (lambda d: d["files"].__setitem__("model.pkl", "x"), "file 'model.pkl' has 'x', expected {sha256"),
        (lambda d: d["files"]["model.pkl"].__setitem__("sha256", 3), "file 'model.pkl' has {'sha256': 3"),
        (lambda d: d["files"]["model.pkl"].__setitem__("size", "big"), "file 'model.pkl' has size 'big'"),
    ],
)
def test_a_malformed_files_entry_is_an_integrity_error_not_a_crash(saved_model, pipeline, iris_like, edit, rule):
    from mltrail.exceptions import ModelIntegrityError

    _edit_mlmodel(saved_model, edit)
    with pytest.raises(ModelIntegrityError) as e:
        mltrail.pyfunc.load_model(saved_model)
    assert "MLmodel's 'files' entry is malformed" in e.value.message and rule in e.value.message
    X, _ = iris_like
    loaded = mltrail.pyfunc.load_model(saved_model, verify=False)  # the opt-out still loads it
    assert loaded.predict(X[:5]).tolist() == pipeline.predict(X[:5]).tolist()


@pytest.mark.parametrize("inputs", ["notjson", '[{"name": "x"}]', "[1, 2]"])
def test_a_corrupt_signature_in_mlmodel_is_a_clear_error(saved_model, inputs):
    from mltrail.exceptions import InvalidParameterError

    _edit_mlmodel(saved_model, lambda d: d["signature"].__setitem__("inputs", inputs))
    with pytest.raises(InvalidParameterError) as e:
        mltrail.pyfunc.load_model(saved_model, verify=False)
    assert "MLmodel's signature is not valid" in e.value.message and repr(inputs) in e.value.message


@pytest.mark.parametrize("fmt", ["json", "ubj"])
def test_an_xgboost_file_with_non_utf8_bytes_is_named_as_corrupt(tmp_path, fmt):
    import numpy as np
    import xgboost as xgb

    from mltrail.exceptions import InvalidParameterError

    rng = np.random.default_rng(0)
    booster = xgb.train({"max_depth": 2}, xgb.DMatrix(rng.normal(size=(20, 2)), label=rng.normal(size=20)), 2)
    path = str(tmp_path / "m")
    mltrail.xgboost.save_model(booster, path, model_format=fmt)
    with open(os.path.join(path, f"model.{fmt}"), "wb") as f:
        f.write(b"\x80\x81 not a model")  # xgboost quotes these bytes in an error it cannot decode
    with pytest.raises(InvalidParameterError, match=rf"model.{fmt}' is not a valid XGBoost {fmt} model file"):
        mltrail.xgboost.load_model(path, verify=False)
