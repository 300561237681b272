"""MLflow 3 pyfunc parity: artifact URIs, conda_env, plain functions, type-hinted predict."""

from __future__ import annotations

import os

import pandas as pd
import pytest
import yaml

import mltrail
from mltrail.exceptions import InvalidParameterError


class UsesLoggedClassifier(mltrail.pyfunc.PythonModel):
    def load_context(self, context):
        self.clf = mltrail.sklearn.load_model(context.artifacts["clf"])

    def predict(self, context, model_input, params=None):
        return self.clf.predict(model_input)


class Upper(mltrail.pyfunc.PythonModel):
    def predict(self, context, model_input: list[str], params=None) -> list[str]:
        return [s.upper() for s in model_input]


def test_artifacts_given_as_runs_uri_are_downloaded_into_the_model(tracking, pipeline, iris_like):
    X, _ = iris_like
    with mltrail.start_run() as run:
        mltrail.sklearn.log_model(pipeline, name="clf")
        info = mltrail.pyfunc.log_model(
            name="wrapper", python_model=UsesLoggedClassifier(), artifacts={"clf": f"runs:/{run.info.run_id}/clf"}
        )
    model = mltrail.pyfunc.load_model(info.model_uri)
    assert model.predict(X[:4]).tolist() == pipeline.predict(X[:4]).tolist()
    conf = model.metadata.flavors["python_function"]
    assert conf["artifacts"] == {"clf": {"path": "artifacts/clf/clf"}}
    folder = mltrail.models.download_model(info.model_uri)
    assert os.path.isfile(os.path.join(folder, "artifacts", "clf", "clf", "MLmodel"))


def test_artifacts_given_as_file_uri_and_a_missing_runs_uri(tracking, tmp_path):
    data = tmp_path / "table.csv"
    data.write_text("a\n1\n")
    path = str(tmp_path / "m")
    mltrail.pyfunc.save_model(path, python_model=Upper(), artifacts={"t": data.as_uri()})
    assert open(os.path.join(path, "artifacts", "t", "table.csv")).read() == "a\n1\n"
    with pytest.raises(InvalidParameterError, match=r"artifacts\['t'\]: cannot download 'runs:/0123456789abcdef0123456789abcdef/x'"):
        mltrail.pyfunc.save_model(str(tmp_path / "m2"), python_model=Upper(),
                                  artifacts={"t": "runs:/0123456789abcdef0123456789abcdef/x"})
    assert not (tmp_path / "m2").exists()


def test_conda_env_dict_or_yaml_is_written_with_pip_deps_in_requirements(tmp_path):
    env = {"name": "mine", "channels": ["defaults"], "dependencies": ["python=3.10", {"pip": ["pandas", "boto3"]}]}
    a = str(tmp_path / "a")
    mltrail.pyfunc.save_model(a, python_model=Upper(), conda_env=env)
    written = yaml.safe_load(open(os.path.join(a, "conda.yaml")))
    assert written["name"] == "mine" and written["channels"] == ["defaults"]
    assert written["dependencies"][0] == "python=3.10"
    pip = written["dependencies"][1]["pip"]
    assert pip[0].startswith("mltrail==") and pip[1:] == ["pandas", "boto3"]
    assert open(os.path.join(a, "requirements.txt")).read().splitlines() == pip
    env_file = tmp_path / "env.yaml"
    env_file.write_text(yaml.safe_dump(env))
    b = str(tmp_path / "b")
    mltrail.pyfunc.save_model(b, python_model=Upper(), conda_env=str(env_file))
    assert open(os.path.join(b, "requirements.txt")).read() == open(os.path.join(a, "requirements.txt")).read()
    with pytest.raises(InvalidParameterError, match="conda_env and pip_requirements cannot both be given"):
        mltrail.pyfunc.save_model(str(tmp_path / "c"), python_model=Upper(), conda_env=env, pip_requirements=["x"])


def test_a_plain_function_is_accepted_as_python_model(tracking):
    def double(model_input):
        return model_input * 2

    info = mltrail.pyfunc.log_model(name="f", python_model=double, input_example=pd.DataFrame({"x": [1.0, 2.0]}))
    model = mltrail.pyfunc.load_model(info.model_uri)
    assert model.predict(pd.DataFrame({"x": [3.0]}))["x"].tolist() == [6.0]
    assert model.metadata.get_input_schema().input_names() == ["x"]


def test_an_input_example_of_columns_is_read_as_the_predict_input_would_be(tmp_path):
    """A dict of columns (Series, lists or one scalar) is the same table as an example and as model input."""
    from mltrail.models.schema_enforcement import to_dataframe

    def double(model_input):
        return model_input * 2

    example = {"x": pd.Series([1.0, 2.0, 3.0]), "y": [4.0, 5.0, 6.0]}
    path = str(tmp_path / "m")
    mltrail.pyfunc.save_model(path, python_model=double, input_example=example)
    saved = mltrail.models.Model.load(path).load_input_example(path)
    assert saved.to_dict("records") == to_dataframe(example).to_dict("records") == [
        {"x": 1.0, "y": 4.0}, {"x": 2.0, "y": 5.0}, {"x": 3.0, "y": 6.0}]
    path = str(tmp_path / "one-row")
    mltrail.pyfunc.save_model(path, python_model=double, input_example={"x": 1.5, "y": [2.5]})
    assert mltrail.models.Model.load(path).load_input_example(path).to_dict("records") == [{"x": 1.5, "y": 2.5}]


def test_type_hinted_predict_gives_the_signature_and_checks_input(tmp_path):
    path = str(tmp_path / "m")
    mltrail.pyfunc.save_model(path, python_model=Upper())
    mlmodel = mltrail.models.Model.load(path)
    assert mlmodel.signature.inputs.to_dict() == [{"type": "string", "required": True}]
    assert mlmodel.signature.outputs.to_dict() == [{"type": "string", "required": True}]
    assert mlmodel.to_dict()["is_signature_from_type_hint"] is True
    model = mltrail.pyfunc.load_model(path)
    assert model.predict(["a", "b"]) == ["A", "B"]
    assert model.predict(pd.DataFrame({"text": ["c"]})) == ["C"]
    with pytest.raises(InvalidParameterError, match=r"element 1 is 2 \(int\); predict is declared to take list\[str\]"):
        model.predict(["a", 2])


def test_type_hints_on_a_function_and_unsupported_hints(tmp_path):
    def square(xs: list[float]) -> list[float]:
        return [x * x for x in xs]

    mltrail.pyfunc.save_model(str(tmp_path / "f"), python_model=square)
    assert mltrail.models.Model.load(str(tmp_path / "f")).signature.inputs.to_dict() == [{"type": "double", "required": True}]
    assert mltrail.pyfunc.load_model(str(tmp_path / "f")).predict([1, 2.5]) == [1.0, 6.25]

    def frame(df: pd.DataFrame) -> pd.DataFrame:
        return df

    mltrail.pyfunc.save_model(str(tmp_path / "g"), python_model=frame)
    assert mltrail.models.Model.load(str(tmp_path / "g")).signature is None


def test_unknown_keywords_raise_type_error(tmp_path):
    with pytest.raises(TypeError, match="extra_filez"):
        mltrail.pyfunc.save_model(str(tmp_path / "m"), python_model=Upper(), extra_filez=["a"])
    with pytest.raises(TypeError, match="registred_model_name"):
        mltrail.pyfunc.log_model(name="m", python_model=Upper(), registred_model_name="x")


def test_load_pyfunc_is_a_deprecated_alias_and_default_requirements(tmp_path):
    path = str(tmp_path / "m")
    mltrail.pyfunc.save_model(path, python_model=Upper())
    with pytest.warns(FutureWarning, match="load_pyfunc is deprecated"):
        assert mltrail.pyfunc.load_pyfunc(path).predict(["x"]) == ["X"]
    reqs = mltrail.pyfunc.get_default_pip_requirements()
    assert len(reqs) == 1 and reqs[0].startswith("cloudpickle==")
    env = mltrail.pyfunc.get_default_conda_env()
    assert env["dependencies"][-1]["pip"][0].startswith("mltrail==") and env["dependencies"][-1]["pip"][1:] == reqs


def test_an_array_input_becomes_the_signature_columns_in_order():
    """A 2-D array is read as rows of the signature's columns; a 1-D one as one row, or as the one column."""
    import numpy as np

    from mltrail.exceptions import InvalidParameterError
    from mltrail.models.schema_enforcement import to_dataframe
    from mltrail.models.signature import ColSpec, Schema

    two = Schema([ColSpec("double", "b"), ColSpec("double", "a")])  # names not in sorted order
    frame = to_dataframe(np.array([[1.0, 2.0], [3.0, 4.0]]), two)
    assert list(frame.columns) == ["b", "a"] and frame.to_dict("records") == [{"b": 1.0, "a": 2.0}, {"b": 3.0, "a": 4.0}]
    assert to_dataframe(np.array([1.0, 2.0]), two).to_dict("records") == [{"b": 1.0, "a": 2.0}]
    one = Schema([ColSpec("double", "x")])
    assert to_dataframe(np.array([1.0, 2.0, 3.0]), one)["x"].tolist() == [1.0, 2.0, 3.0]
    assert to_dataframe([[5, 6]]).values.tolist() == [[5, 6]]  # no schema: unnamed columns
    with pytest.raises(InvalidParameterError, match=r"Model input has 3 columns but the signature expects 2: \['b', 'a'\]"):
        to_dataframe(np.ones((2, 3)), two)
    with pytest.raises(InvalidParameterError, match=r"shape \(2, 2, 2\)"):
        to_dataframe(np.ones((2, 2, 2)), two)
