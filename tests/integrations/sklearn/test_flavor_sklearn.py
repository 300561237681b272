"""mltrail.sklearn: save_model / log_model / load_model of scikit-learn estimators."""

from __future__ import annotations

import os
import pickle
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

import mltrail
from tests.integrations._logged import model_files
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
    rng = np.random.default_rng(1)
    X = pd.DataFrame(rng.normal(size=(80, 3)), columns=["a", "b", "c"])
    y = (X["a"] - X["c"] > 0).astype(int)
    return X, y


@pytest.fixture(scope="module")
def pipe(data):
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = data
    return make_pipeline(StandardScaler(), RandomForestClassifier(n_estimators=5, random_state=0)).fit(X, y)


def _artifacts(run_id: str, path: str = "") -> list[str]:
    return [f.path for f in mltrail.MlflowClient().list_artifacts(run_id, path)]


def test_log_and_load_returns_an_equivalent_estimator(tracking, pipe, data):
    X, _ = data
    with mltrail.start_run() as run:
        info = mltrail.sklearn.log_model(pipe, name="model", input_example=X[:5])
    assert model_files(run.info.run_id) == sorted(
        ("MLmodel", "model.pkl", "conda.yaml", "python_env.yaml", "requirements.txt", "input_example.json",
         "serving_input_example.json")
    )
    assert _artifacts(run.info.run_id) == []  # MLflow 3: nothing in the run's own artifacts
    loaded = mltrail.sklearn.load_model(info.model_uri)
    assert type(loaded) is type(pipe)
    np.testing.assert_array_equal(loaded.predict_proba(X), pipe.predict_proba(X))
    assert info.signature.inputs.input_names() == ["a", "b", "c"]
    assert info.flavors["sklearn"]["serialization_format"] == "cloudpickle"


def test_log_model_without_active_run_starts_none(tracking, pipe):
    """MLflow 3: a model logged outside any run is a logged model of the current experiment, with no run."""
    info = mltrail.sklearn.log_model(pipe, name="model")
    assert mltrail.active_run() is None and info.run_id is None
    assert mltrail.get_logged_model(info.model_id).source_run_id is None


@pytest.mark.parametrize("fmt, file_name", [("pickle", "model.pkl"), ("skops", "model.skops")])
def test_other_serialization_formats(tmp_path, pipe, data, fmt, file_name):
    X, _ = data
    path = str(tmp_path / fmt)
    mltrail.sklearn.save_model(pipe, path, serialization_format=fmt)
    assert os.path.exists(os.path.join(path, file_name))
    loaded = mltrail.sklearn.load_model(path)
    np.testing.assert_array_equal(loaded.predict(X), pipe.predict(X))
    reqs = open(os.path.join(path, "requirements.txt")).read()
    assert ("skops==" in reqs) == (fmt == "skops")
    assert "cloudpickle" not in reqs


def test_skops_refuses_untrusted_types_without_running_them(tmp_path, data, monkeypatch):
    mod_dir = tmp_path / "mods"
    mod_dir.mkdir()
    (mod_dir / "tricky_steps.py").write_text(textwrap.dedent("""
        from sklearn.base import BaseEstimator, TransformerMixin
        LOADED = []

        class Marker(TransformerMixin, BaseEstimator):
            def fit(self, X, y=None):
                return self

            def transform(self, X):
                return X

            def __setstate__(self, state):
                LOADED.append(True)
                self.__dict__.update(state)
    """))
    monkeypatch.syspath_prepend(str(mod_dir))
    import tricky_steps
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    X, y = data
    model = make_pipeline(tricky_steps.Marker(), LogisticRegression()).fit(X, y)
    path = str(tmp_path / "m")
    mltrail.sklearn.save_model(model, path, serialization_format="skops")
    with pytest.raises(InvalidParameterError, match=r"types skops does not trust by default: \['tricky_steps.Marker'\]"):
        mltrail.sklearn.load_model(path)
    assert tricky_steps.LOADED == []  # nothing of the untrusted class ran
    loaded = mltrail.sklearn.load_model(path, skops_trusted_types=["tricky_steps.Marker"])
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    sys.modules.pop("tricky_steps", None)


def test_a_plain_dict_is_refused_and_nothing_is_written(tracking, tmp_path):
    with mltrail.start_run() as run:
        with pytest.raises(InvalidParameterError, match="sk_model of type dict is not a scikit-learn estimator"):
            mltrail.sklearn.log_model({"coef": [1, 2]}, artifact_path="model")
    assert _artifacts(run.info.run_id) == []
    with pytest.raises(InvalidParameterError, match="sk_model of type dict"):
        mltrail.sklearn.save_model({"coef": [1, 2]}, str(tmp_path / "m"))
    assert os.listdir(tmp_path) == []


def test_unknown_serialization_format_is_refused(tmp_path, pipe):
    with pytest.raises(InvalidParameterError, match="serialization_format='joblib' is not one of"):
        mltrail.sklearn.save_model(pipe, str(tmp_path / "m"), serialization_format="joblib")
    assert os.listdir(tmp_path) == []


def test_a_failure_midway_logs_nothing(tracking, pipe, tmp_path):
    # The model file is written first; the unsupported input example fails after it.
    with mltrail.start_run() as run:
        with pytest.raises(InvalidParameterError, match="input_example of type set is not supported"):
            mltrail.sklearn.log_model(pipe, artifact_path="model", input_example={1, 2, 3})
    assert _artifacts(run.info.run_id) == []
    with pytest.raises(InvalidParameterError):
        mltrail.sklearn.save_model(pipe, str(tmp_path / "m"), input_example={1, 2, 3})
    assert os.listdir(tmp_path) == []  # no half-written folder, no temp folder left


def test_a_corrupt_pickle_is_named(tmp_path, pipe):
    path = str(tmp_path / "m")
    mltrail.sklearn.save_model(pipe, path)
    pkl = os.path.join(path, "model.pkl")
    data = open(pkl, "rb").read()
    open(pkl, "wb").write(data[: len(data) // 2])
    with pytest.raises(InvalidParameterError, match=r"model.pkl' is not a valid cloudpickle file \(corrupt or truncated\)"):
        mltrail.sklearn.load_model(path, verify=False)
    open(pkl, "wb").write(b"not a pickle at all")
    with pytest.raises(InvalidParameterError, match="not a valid cloudpickle file"):
        mltrail.pyfunc.load_model(path, verify=False)


def test_pyfunc_predict_fn_is_recorded_and_used(tmp_path, pipe, data):
    X, _ = data
    path = str(tmp_path / "m")
    mltrail.sklearn.save_model(pipe, path, pyfunc_predict_fn="predict_proba", input_example=X[:3])
    proba = mltrail.pyfunc.load_model(path).predict(X[:4])
    np.testing.assert_allclose(proba, pipe.predict_proba(X[:4]))
    with pytest.raises(InvalidParameterError, match="pyfunc_predict_fn='explain': Pipeline has no such method"):
        mltrail.sklearn.save_model(pipe, str(tmp_path / "n"), pyfunc_predict_fn="explain")


def test_model_pickle_is_readable_by_plain_cloudpickle(tmp_path, pipe, data):
    import cloudpickle

    X, _ = data
    path = str(tmp_path / "m")
    mltrail.sklearn.save_model(pipe, path)
    with open(os.path.join(path, "model.pkl"), "rb") as f:
        raw = cloudpickle.load(f)
    np.testing.assert_array_equal(raw.predict(X), pipe.predict(X))
    assert pickle.DEFAULT_PROTOCOL >= 4


def test_logging_twice_under_one_name_keeps_both_models(tracking, pipe, data):
    """MLflow 3: each log_model is a logged model of its own; runs:/<run>/<name> is the newest."""
    X, _ = data
    with mltrail.start_run() as run:
        first = mltrail.sklearn.log_model(pipe, name="model", input_example=X[:2])
        second = mltrail.sklearn.log_model(pipe, name="model")
    assert first.model_id != second.model_id
    np.testing.assert_array_equal(mltrail.sklearn.load_model(first.model_uri).predict(X), pipe.predict(X))
    assert "input_example.json" in os.listdir(mltrail.get_logged_model(first.model_id).artifact_location)
    assert "input_example.json" not in os.listdir(mltrail.get_logged_model(second.model_id).artifact_location)
    newest = mltrail.models.uri.resolve_model_uri(f"runs:/{run.info.run_id}/model")
    assert newest == mltrail.get_logged_model(second.model_id).artifact_location


def test_log_model_to_an_explicit_run(tracking, pipe, data):
    X, _ = data
    client = mltrail.MlflowClient()
    run = client.create_run(client.create_experiment("explicit"))
    info = mltrail.sklearn.log_model(pipe, name="m", run_id=run.info.run_id)
    assert mltrail.active_run() is None
    assert info.model_uri == f"models:/{info.model_id}" and info.run_id == run.info.run_id
    for uri in (info.model_uri, f"runs:/{run.info.run_id}/m"):
        np.testing.assert_array_equal(mltrail.pyfunc.load_model(uri).predict(X), pipe.predict(X))
