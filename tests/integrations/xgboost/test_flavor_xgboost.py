"""mltrail.xgboost: Boosters and scikit-learn API models in XGBoost's own format."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest
import xgboost as xgb
import yaml

import mltrail
from mltrail.exceptions import InvalidParameterError


@pytest.fixture
def tracking(sqlite_uri):
    while mltrail.active_run():
        mltrail.end_run()
    mltrail.set_tracking_uri(sqlite_uri)
    yield sqlite_uri
    while mltrail.active_run():
        mltrail.end_run()


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(2)
    X = pd.DataFrame(rng.normal(size=(120, 4)), columns=["f0", "f1", "f2", "f3"])
    y = X["f0"] * 2 + X["f1"] - X["f3"]
    return X, y


@pytest.fixture(scope="module")
def booster(data):
    X, y = data
    return xgb.train({"max_depth": 3, "nthread": 1}, xgb.DMatrix(X, label=y), num_boost_round=8)


def test_booster_logged_and_loaded_as_a_booster(tracking, booster, data):
    X, _ = data
    with mltrail.start_run() as run:
        info = mltrail.xgboost.log_model(booster, artifact_path="models_mlflow", input_example=X[:3])
    loaded = mltrail.xgboost.load_model(f"runs:/{run.info.run_id}/models_mlflow")
    assert type(loaded) is xgb.Booster
    np.testing.assert_allclose(loaded.predict(xgb.DMatrix(X)), booster.predict(xgb.DMatrix(X)))
    conf = info.flavors["xgboost"]
    assert conf["model_class"] == "xgboost.core.Booster"
    assert conf["model_format"] == "ubj" and conf["data"] == "model.ubj"
    assert conf["xgb_version"] == xgb.__version__
    pyfunc = mltrail.pyfunc.load_model(info.model_uri)
    np.testing.assert_allclose(pyfunc.predict(X[:10]), booster.predict(xgb.DMatrix(X[:10])))
    with pytest.raises(InvalidParameterError, match="missing column 'f2'"):
        pyfunc.predict(X.drop(columns=["f2"]))


def test_json_format_on_request_and_never_pickle(tmp_path, booster):
    path = str(tmp_path / "m")
    mltrail.xgboost.save_model(booster, path, model_format="json")
    files = sorted(os.listdir(path))
    assert "model.json" in files and not any(f.endswith((".pkl", ".pickle")) for f in files)
    with open(os.path.join(path, "model.json")) as f:
        assert f.read(1) == "{"
    reqs = open(os.path.join(path, "requirements.txt")).read().split()
    assert reqs == [f"mltrail=={mltrail.__version__}", f"xgboost=={xgb.__version__}"]
    with pytest.raises(InvalidParameterError, match="model_format='pickle' is not one of"):
        mltrail.xgboost.save_model(booster, str(tmp_path / "n"), model_format="pickle")


@pytest.mark.parametrize("cls", [xgb.XGBRegressor, xgb.XGBClassifier, xgb.XGBRanker])
def test_sklearn_api_models_come_back_as_their_class(tmp_path, data, cls):
    X, y = data
    kwargs = {"n_estimators": 4, "max_depth": 2, "n_jobs": 1}
    if cls is xgb.XGBClassifier:
        model = cls(**kwargs).fit(X, (y > 0).astype(int))
    elif cls is xgb.XGBRanker:
        model = cls(**kwargs).fit(X, (y > 0).astype(int), qid=np.repeat(np.arange(12), 10))
    else:
        model = cls(**kwargs).fit(X, y)
    path = str(tmp_path / cls.__name__)
    mltrail.xgboost.save_model(model, path)
    loaded = mltrail.xgboost.load_model(path)
    assert type(loaded) is cls
    np.testing.assert_allclose(loaded.predict(X), model.predict(X))
    reqs = open(os.path.join(path, "requirements.txt")).read()
    assert "scikit-learn==" in reqs and "xgboost==" in reqs
    np.testing.assert_allclose(mltrail.pyfunc.load_model(path).predict(X[:5]), model.predict(X[:5]))


def test_objects_that_are_not_xgboost_models_are_refused(tmp_path):
    with pytest.raises(InvalidParameterError, match="xgb_model of type dict is not an XGBoost model"):
        mltrail.xgboost.save_model({"trees": []}, str(tmp_path / "m"))
    with pytest.raises(InvalidParameterError, match="XGBRegressor is not fitted"):
        mltrail.xgboost.save_model(xgb.XGBRegressor(), str(tmp_path / "m"))
    assert os.listdir(tmp_path) == []


def test_a_corrupt_ubj_file_is_named(tmp_path, booster):
    path = str(tmp_path / "m")
    mltrail.xgboost.save_model(booster, path)
    with open(os.path.join(path, "model.ubj"), "wb") as f:
        f.write(b"garbage bytes, not UBJSON")
    with pytest.raises(InvalidParameterError, match=r"model.ubj' is not a valid XGBoost ubj model file \(corrupt or truncated\)"):
        mltrail.xgboost.load_model(path, verify=False)
    from mltrail.exceptions import ModelIntegrityError

    with pytest.raises(ModelIntegrityError, match="model.ubj"):
        mltrail.xgboost.load_model(path)


def test_a_model_class_outside_xgboost_is_refused(tmp_path, booster):
    path = str(tmp_path / "m")
    mltrail.xgboost.save_model(booster, path)
    mlmodel = os.path.join(path, "MLmodel")
    data = yaml.safe_load(open(mlmodel))
    data["flavors"]["xgboost"]["model_class"] = "subprocess.Popen"
    yaml.safe_dump(data, open(mlmodel, "w"))
    with pytest.raises(InvalidParameterError, match="'subprocess.Popen', which is not an XGBoost Booster or XGBModel class"):
        mltrail.xgboost.load_model(path)
