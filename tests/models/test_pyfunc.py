"""mltrail.pyfunc: one predict for every flavor, input checked against the signature."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest
import yaml

import mltrail
from mltrail.exceptions import InvalidParameterError


def test_predict_on_dataframe_ndarray_and_records_agree(saved_model, pipeline, iris_like):
    X, _ = iris_like
    model = mltrail.pyfunc.load_model(saved_model)
    expected = pipeline.predict(X[:7])
    np.testing.assert_array_equal(model.predict(X[:7]), expected)
    np.testing.assert_array_equal(model.predict(X[:7].to_numpy()), expected)
    np.testing.assert_array_equal(model.predict(X[:7].to_dict(orient="records")), expected)
    assert isinstance(model, mltrail.pyfunc.PyFuncModel)
    assert model.get_raw_model().__class__.__name__ == "Pipeline"


def test_columns_are_matched_by_name_not_position(saved_model, pipeline, iris_like):
    X, _ = iris_like
    model = mltrail.pyfunc.load_model(saved_model)
    shuffled = X[["petal_width", "sepal_width", "petal_length", "sepal_length"]][:5].copy()
    shuffled["extra"] = 1.0
    np.testing.assert_array_equal(model.predict(shuffled), pipeline.predict(X[:5]))


def test_integers_are_accepted_for_a_double_column(saved_model, pipeline):
    model = mltrail.pyfunc.load_model(saved_model)
    df = pd.DataFrame({"sepal_length": [1, 2], "sepal_width": [0, 1], "petal_length": [3, 0], "petal_width": [1, 1]})
    np.testing.assert_array_equal(model.predict(df), pipeline.predict(df.astype("float64")))


def test_a_missing_column_is_named(saved_model, iris_like):
    X, _ = iris_like
    model = mltrail.pyfunc.load_model(saved_model)
    with pytest.raises(InvalidParameterError, match="missing column 'petal_width'"):
        model.predict(X.drop(columns=["petal_width"])[:3])


def test_a_wrong_type_is_named(saved_model, iris_like):
    X, _ = iris_like
    model = mltrail.pyfunc.load_model(saved_model)
    bad = X[:3].astype({"sepal_width": object})
    bad["sepal_width"] = ["wide", "narrow", "wide"]
    with pytest.raises(InvalidParameterError, match=r"column 'sepal_width' has str values such as 'wide', the signature expects double"):
        model.predict(bad)


def test_an_array_with_the_wrong_number_of_columns_is_refused(saved_model):
    model = mltrail.pyfunc.load_model(saved_model)
    with pytest.raises(InvalidParameterError, match="has 3 columns but the signature expects 4"):
        model.predict(np.zeros((2, 3)))


def test_float_into_integer_column_is_refused(tmp_path):
    from sklearn.linear_model import LinearRegression

    X = pd.DataFrame({"rooms": np.array([1, 2, 3, 4], dtype="int64")})
    model = LinearRegression().fit(X, [1.0, 2.0, 3.0, 4.0])
    path = str(tmp_path / "m")
    mltrail.sklearn.save_model(model, path, input_example=X[:2])
    loaded = mltrail.pyfunc.load_model(path)
    assert loaded.predict(pd.DataFrame({"rooms": [5]})).round(6).tolist() == [5.0]
    with pytest.raises(InvalidParameterError, match="column 'rooms' has type float64, the signature expects long"):
        loaded.predict(pd.DataFrame({"rooms": [2.5]}))


def test_an_unknown_flavor_loader_is_refused_by_name(saved_model):
    mlmodel_path = os.path.join(saved_model, "MLmodel")
    data = yaml.safe_load(open(mlmodel_path))
    data["flavors"]["python_function"]["loader_module"] = "mltrail_nonexistent_flavor"
    yaml.safe_dump(data, open(mlmodel_path, "w"))
    with pytest.raises(InvalidParameterError, match="'mltrail_nonexistent_flavor', which is not installed"):
        mltrail.pyfunc.load_model(saved_model)


def test_a_model_without_python_function_flavor_is_refused(saved_model):
    mlmodel_path = os.path.join(saved_model, "MLmodel")
    data = yaml.safe_load(open(mlmodel_path))
    data["flavors"] = {"onnx_custom": {"data": "model.onnx"}}
    yaml.safe_dump(data, open(mlmodel_path, "w"))
    with pytest.raises(InvalidParameterError, match=r"no 'python_function' flavor \(its MLmodel lists: \['onnx_custom'\]\)"):
        mltrail.pyfunc.load_model(saved_model)
    with pytest.raises(InvalidParameterError, match="no 'sklearn' flavor"):
        mltrail.sklearn.load_model(saved_model)


def test_model_without_signature_predicts_without_checks(tmp_path, pipeline, iris_like):
    X, _ = iris_like
    path = str(tmp_path / "m")
    mltrail.sklearn.save_model(pipeline, path)
    model = mltrail.pyfunc.load_model(path)
    assert model.metadata.signature is None
    np.testing.assert_array_equal(model.predict(X[:4]), pipeline.predict(X[:4]))


MLFLOW_MLMODEL = """\
artifact_path: null
flavors:
  python_function:
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: mlflow.sklearn
    model_path: model.pkl
    predict_fn: predict
    python_version: 3.11.7
  sklearn:
    code: null
    pickled_model: model.pkl
    serialization_format: cloudpickle
    sklearn_version: 1.9.1
mlflow_version: 3.17.2
model_size_bytes: 900
model_uuid: 0f1e2d3c4b5a69788796a5b4c3d2e1f0
signature:
  inputs: '[{"type": "double", "name": "sepal_length", "required": true}, {"type": "double",
    "name": "sepal_width", "required": true}, {"type": "double", "name": "petal_length",
    "required": true}, {"type": "double", "name": "petal_width", "required": true}]'
  outputs: '[{"type": "long", "required": true}]'
  params: null
utc_time_created: '2026-01-01 10:00:00.000000'
"""


def test_a_folder_written_by_mlflow_loads(tmp_path, pipeline, iris_like):
    import cloudpickle

    X, _ = iris_like
    (tmp_path / "MLmodel").write_text(MLFLOW_MLMODEL)
    (tmp_path / "model.pkl").write_bytes(cloudpickle.dumps(pipeline))
    from mltrail.models.integrity import UnverifiedModelWarning

    with pytest.warns(UnverifiedModelWarning, match="loaded unverified"):  # no `files` hashes: nothing to verify
        model = mltrail.pyfunc.load_model(str(tmp_path))
    np.testing.assert_array_equal(model.predict(X[:5]), pipeline.predict(X[:5]))
    assert model.metadata.get_output_schema().inputs[0].type == "long"
    with pytest.warns(UnverifiedModelWarning):
        assert type(mltrail.sklearn.load_model(str(tmp_path))) is type(pipeline)


def test_numeric_arrays_are_checked_without_pandas(saved_model, pipeline, iris_like):
    X, _ = iris_like
    model = mltrail.pyfunc.load_model(saved_model)
    assert model.array_columns == list(X.columns)
    ints = np.array([[1, 0, 2, 1], [0, 0, 0, 0]])
    np.testing.assert_array_equal(model.predict(ints), pipeline.predict(pd.DataFrame(ints.astype(float), columns=X.columns)))
    with pytest.raises(InvalidParameterError, match=r"has type <U\d+, the signature expects double"):
        model.predict(np.array([["a", "b", "c", "d"]]))
    with pytest.raises(InvalidParameterError, match="has 5 columns but the signature expects 4"):
        model.predict(np.zeros((1, 5)))
