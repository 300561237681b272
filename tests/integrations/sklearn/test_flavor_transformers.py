"""mltrail.sklearn with transformers (no predict) and with models that read records (DictVectorizer)."""

from __future__ import annotations

import os

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
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    return pd.DataFrame(rng.normal(5.0, 2.0, size=(60, 3)), columns=["a", "b", "c"])


def _trips(n: int, seed: int) -> tuple[list[dict], np.ndarray]:
    """Taxi-like records as the seed workflow builds them: df[cols].to_dict(orient="records")."""
    rng = np.random.default_rng(seed)
    pickup, dropoff = rng.integers(1, 6, n), rng.integers(1, 6, n)
    distance = rng.uniform(0.5, 12.0, n)
    records = [
        {"PU_DO": f"{p}_{d}", "trip_distance": float(t)} for p, d, t in zip(pickup, dropoff, distance)
    ]
    duration = 3.0 * distance + pickup + rng.normal(0, 0.5, n)
    return records, duration


def _artifact_files(run_id: str, path: str) -> list[str]:
    return sorted(os.path.basename(f.path) for f in mltrail.MlflowClient().list_artifacts(run_id, path))


def test_logged_scaler_predicts_its_transform_through_pyfunc(tracking, frame):
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(frame)
    with mltrail.start_run():
        info = mltrail.sklearn.log_model(scaler, artifact_path="scaler", input_example=frame[:5])
    assert info.flavors["python_function"]["predict_fn"] == "transform"
    assert type(mltrail.sklearn.load_model(info.model_uri)) is StandardScaler
    model = mltrail.pyfunc.load_model(info.model_uri)
    np.testing.assert_allclose(model.predict(frame), scaler.transform(frame))
    # the example went through transform too: the output schema is the scaled 3 columns
    assert model.metadata.signature.outputs.inputs[0].shape == (-1, 3)


def test_logged_dict_vectorizer_transforms_records_through_pyfunc(tracking):
    from sklearn.feature_extraction import DictVectorizer

    records, _ = _trips(40, seed=1)
    dv = DictVectorizer()
    dv.fit_transform(records)
    with mltrail.start_run():
        info = mltrail.sklearn.log_model(dv, artifact_path="dv")
    out = mltrail.pyfunc.load_model(info.model_uri).predict(records[:7])
    np.testing.assert_array_equal(out.toarray(), dv.transform(records[:7]).toarray())


def test_explicit_pyfunc_predict_fn_the_model_lacks_is_refused_and_nothing_is_logged(tracking, frame):
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(frame)
    with mltrail.start_run() as run:
        with pytest.raises(InvalidParameterError, match=r"pyfunc_predict_fn='predict'.*StandardScaler"):
            mltrail.sklearn.log_model(scaler, artifact_path="scaler", pyfunc_predict_fn="predict")
    assert _artifact_files(run.info.run_id, "") == []


def test_explicit_pyfunc_predict_fn_is_used(tracking, frame):
    from sklearn.cluster import KMeans

    km = KMeans(n_clusters=3, n_init=2, random_state=0).fit(frame)
    with mltrail.start_run():
        info = mltrail.sklearn.log_model(km, artifact_path="km", pyfunc_predict_fn="transform")
    distances = mltrail.pyfunc.load_model(info.model_uri).predict(frame)
    np.testing.assert_allclose(distances, km.transform(frame))
    assert distances.shape == (len(frame), 3)  # distances to the 3 centers, not cluster labels


def test_model_with_neither_predict_nor_transform_logs_and_pyfunc_names_the_missing_method(tracking, frame):
    from sklearn.neighbors import NearestNeighbors

    nn = NearestNeighbors(n_neighbors=2).fit(frame)
    with mltrail.start_run():
        info = mltrail.sklearn.log_model(nn, artifact_path="nn")
    loaded = mltrail.sklearn.load_model(info.model_uri)
    np.testing.assert_array_equal(loaded.kneighbors(frame[:3])[1], nn.kneighbors(frame[:3])[1])
    with pytest.raises(InvalidParameterError, match=r"NearestNeighbors has no method 'predict'"):
        mltrail.pyfunc.load_model(info.model_uri)


def test_autologged_transformers_log_their_models_without_warning(autolog_store, autolog_warnings, all_runs, frame):
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.preprocessing import StandardScaler

    records, _ = _trips(50, seed=2)
    mltrail.sklearn.autolog(log_transformers=True)  # transformers alone are not runs by default (MLflow)
    dv = DictVectorizer()
    X = dv.fit_transform(records)
    scaler = StandardScaler().fit(frame)

    assert autolog_warnings() == []
    dv_run, scaler_run = all_runs()
    assert dv_run.data.tags["estimator_name"] == "DictVectorizer"
    for run in (dv_run, scaler_run):
        assert "MLmodel" in model_files(run.info.run_id)
    dv_model = mltrail.pyfunc.load_model(f"runs:/{dv_run.info.run_id}/model")
    np.testing.assert_array_equal(dv_model.predict(records).toarray(), X.toarray())
    scaler_model = mltrail.pyfunc.load_model(f"runs:/{scaler_run.info.run_id}/model")
    np.testing.assert_allclose(scaler_model.predict(frame), scaler.transform(frame))


@pytest.fixture(scope="module")
def taxi_pipeline():
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LinearRegression
    from sklearn.pipeline import make_pipeline

    X_train, y_train = _trips(300, seed=4)
    X_val, _ = _trips(60, seed=5)
    return make_pipeline(DictVectorizer(), LinearRegression()).fit(X_train, y_train), X_val


def test_dict_vectorizer_pipeline_logged_with_records_example_predicts_records_and_dataframes(tracking, taxi_pipeline):
    pipe, X_val = taxi_pipeline
    with mltrail.start_run():
        info = mltrail.sklearn.log_model(pipe, artifact_path="model", input_example=X_val[:5])
    signature = info.signature
    assert signature.inputs.input_names() == ["PU_DO", "trip_distance"]
    assert signature.inputs.input_types() == ["string", "double"]
    assert signature.outputs is not None  # the example was predicted on to infer the output

    model = mltrail.pyfunc.load_model(info.model_uri)
    expected = pipe.predict(X_val)
    np.testing.assert_allclose(model.predict(X_val), expected)
    np.testing.assert_allclose(model.predict(pd.DataFrame(X_val)), expected)
    # the saved example is what the scoring server / CLI would send: it predicts too
    from mltrail.models.input_example import load_input_example

    from mltrail.models import download_model

    example = load_input_example(download_model(info.model_uri), info.saved_input_example_info)
    np.testing.assert_allclose(model.predict(example), expected[:5])
    # the signature still guards the input
    with pytest.raises(InvalidParameterError, match="trip_distance"):
        model.predict([{"PU_DO": "1_2", "trip_distance": "far"}])


def test_records_missing_a_key_predict_as_the_pipeline_does(tracking, taxi_pipeline):
    pipe, X_val = taxi_pipeline
    with mltrail.start_run():
        info = mltrail.sklearn.log_model(pipe, artifact_path="model", input_example=X_val[:5])
    sparse = [dict(r) for r in X_val[:6]]
    del sparse[2]["PU_DO"]  # DictVectorizer treats an absent key as all-zero one-hot columns
    model = mltrail.pyfunc.load_model(info.model_uri)
    np.testing.assert_allclose(model.predict(sparse), pipe.predict(sparse))
    # one record lacking a key the example had: no column for it at all
    lone = [{"trip_distance": 4.0}]
    np.testing.assert_allclose(model.predict(lone), pipe.predict(lone))


def test_integer_keys_absent_from_some_records_keep_their_signature_type(tmp_path):
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LinearRegression
    from sklearn.pipeline import make_pipeline

    rng = np.random.default_rng(8)
    records = [{"PULocationID": int(p), "trip_distance": float(d)} for p, d in zip(rng.integers(1, 50, 80), rng.uniform(1, 9, 80))]
    pipe = make_pipeline(DictVectorizer(), LinearRegression()).fit(records, rng.normal(size=80))
    path = str(tmp_path / "m")
    mltrail.sklearn.save_model(pipe, path, input_example=records[:5])
    model = mltrail.pyfunc.load_model(path)
    inputs = model.metadata.signature.inputs
    assert inputs.input_types() == ["long", "double"]
    assert inputs.required_input_names() == []  # any subset of the keys is valid input for a DictVectorizer

    sparse = [dict(r) for r in records[:4]]
    del sparse[1]["PULocationID"]  # pandas would hold the column as float64 with a NaN
    np.testing.assert_allclose(model.predict(sparse), pipe.predict(sparse))
    with pytest.raises(InvalidParameterError, match=r"column 'PULocationID' has type float64, the signature expects long"):
        model.predict([{"PULocationID": 2.5, "trip_distance": 1.0}, {"trip_distance": 2.0}])


def test_inferred_signature_marks_columns_with_missing_values_optional():
    from mltrail.models import infer_signature

    records = [{"PU_DO": "1_2", "trip_distance": 1.5, "passengers": 2}, {"PU_DO": "3_4", "trip_distance": 2.0}]
    inputs = infer_signature(records).inputs
    assert inputs.input_names() == ["PU_DO", "trip_distance", "passengers"]
    assert inputs.required_input_names() == ["PU_DO", "trip_distance"]
    frame = pd.DataFrame({"x": [1.0, np.nan], "y": [1.0, 2.0]})
    assert infer_signature(frame).inputs.required_input_names() == ["y"]


def test_model_fit_on_sparse_records_accepts_records_without_the_optional_key(tmp_path):
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LinearRegression
    from sklearn.pipeline import make_pipeline
    from mltrail.models import infer_signature

    records, y = _trips(80, seed=9)
    for r in records[::3]:
        r["tip"] = 1.0
    pipe = make_pipeline(DictVectorizer(), LinearRegression()).fit(records, y)
    path = str(tmp_path / "m")
    # an explicit signature, as autologging passes one: the optional column comes from inference alone
    mltrail.sklearn.save_model(pipe, path, signature=infer_signature(records[:6], pipe.predict(records[:6])))
    model = mltrail.pyfunc.load_model(path)
    batch = [{"PU_DO": "2_3", "trip_distance": 5.0}, {"PU_DO": "1_1", "trip_distance": 2.0}]
    np.testing.assert_allclose(model.predict(batch), pipe.predict(batch))
    with pytest.raises(InvalidParameterError, match="missing column 'trip_distance'"):
        model.predict([{"PU_DO": "2_3", "tip": 1.0}])


def test_cli_predict_with_a_dict_vectorizer_returns_the_dense_rows(tmp_path):
    import json

    from click.testing import CliRunner
    from sklearn.feature_extraction import DictVectorizer

    from mltrail.cli import main

    records, _ = _trips(30, seed=6)
    dv = DictVectorizer().fit(records)
    path = str(tmp_path / "dv")
    mltrail.sklearn.save_model(dv, path, input_example=records[:3])
    payload = tmp_path / "input.json"
    payload.write_text(json.dumps({"dataframe_records": records[:4]}))
    r = CliRunner().invoke(main, ["models", "predict", "-m", path, "-i", str(payload)])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output) == {"predictions": dv.transform(records[:4]).toarray().tolist()}
