"""MLflow 3 parity of model saving: requirement files, flavor arguments, serving inputs, model edits."""

from __future__ import annotations

import json
import os

import pytest
import yaml

import mltrail
from mltrail.exceptions import InvalidParameterError, ModelIntegrityError
from mltrail.models import Model, infer_signature


def _lines(folder, name="requirements.txt"):
    return open(os.path.join(folder, name)).read().splitlines()


def test_r_files_are_inlined_and_c_files_become_constraints_txt(tmp_path, pipeline):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "more.txt").write_text("pandas  # inline comment\n-c pins.txt\n")
    (tmp_path / "sub" / "pins.txt").write_text("numpy<3\n")
    (tmp_path / "reqs.txt").write_text("# top\nscipy\n-r sub/more.txt\n")
    a = str(tmp_path / "a")
    mltrail.sklearn.save_model(pipeline, a, pip_requirements=[f"-r {tmp_path / 'reqs.txt'}", "boto3"])
    assert _lines(a) == [f"mltrail=={mltrail.__version__}", "scipy", "pandas", "boto3", "-c constraints.txt"]
    assert _lines(a, "constraints.txt") == ["numpy<3"]
    conda = yaml.safe_load(open(os.path.join(a, "conda.yaml")))
    assert [d for d in conda["dependencies"] if isinstance(d, dict)][0]["pip"] == _lines(a)
    b = str(tmp_path / "b")
    mltrail.sklearn.save_model(pipeline, b, extra_pip_requirements=[f"--constraint {tmp_path / 'sub' / 'pins.txt'}"])
    assert _lines(b)[-1] == "-c constraints.txt" and any(r.startswith("scikit-learn==") for r in _lines(b))
    assert Model.load(b).files["constraints.txt"]["size"] == len("numpy<3\n")
    mltrail.pyfunc.load_model(b)  # the constraints file is part of the verified folder
    with pytest.raises(InvalidParameterError, match="requirements file .*nope.txt' does not exist"):
        mltrail.sklearn.save_model(pipeline, str(tmp_path / "c"), pip_requirements=["-r nope.txt"])


def test_sklearn_flavor_arguments_are_honoured(tmp_path, pipeline):
    note = tmp_path / "README.md"
    note.write_text("about the model")
    path = str(tmp_path / "m")
    mltrail.sklearn.save_model(
        pipeline, path, conda_env={"dependencies": ["python=3.11", {"pip": ["scikit-learn"]}]},
        extra_files=[str(note)], metadata={"owner": "ops"},
    )
    mlmodel = Model.load(path)
    assert mlmodel.flavors["sklearn"]["extra_files"] == [{"path": "extra_files/README.md"}]
    assert open(os.path.join(path, "extra_files", "README.md")).read() == "about the model"
    assert mlmodel.metadata == {"owner": "ops"}
    assert _lines(path) == [f"mltrail=={mltrail.__version__}", "scikit-learn"]
    mltrail.sklearn.load_model(path)  # extra file is listed in the integrity record


def _double(x):
    return x * 2


def test_skops_trusted_types_are_recorded_and_trusted_on_load(tmp_path, iris_like):
    pytest.importorskip("skops")
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer
    from sklearn.linear_model import LogisticRegression
    X, y = iris_like
    pipe = make_pipeline(FunctionTransformer(_double), LogisticRegression(max_iter=200)).fit(X, y)
    path = str(tmp_path / "m")
    trusted = [f"{__name__}._double"]
    mltrail.sklearn.save_model(pipe, path, serialization_format="skops", skops_trusted_types=trusted)
    assert Model.load(path).flavors["sklearn"]["skops_trusted_types"] == trusted
    assert mltrail.sklearn.load_model(path).predict(X[:3]).tolist() == pipe.predict(X[:3]).tolist()
    plain = str(tmp_path / "p")
    mltrail.sklearn.save_model(pipe, plain, serialization_format="skops")
    with pytest.raises(InvalidParameterError, match="_double"):
        mltrail.sklearn.load_model(plain)


def test_unknown_keywords_raise_type_error_in_every_flavor(tracking, pipeline, iris_like, tmp_path):
    with pytest.raises(TypeError, match="signatur"):
        mltrail.sklearn.log_model(pipeline, name="m", signatur=None)
    with pytest.raises(TypeError, match="extra_pip_requirement"):
        mltrail.sklearn.save_model(pipeline, str(tmp_path / "m"), extra_pip_requirement=["x"])
    xgb = pytest.importorskip("xgboost")
    with pytest.raises(TypeError, match="model_fromat"):
        mltrail.xgboost.log_model(xgb.Booster(), name="m", model_fromat="json")
    info = mltrail.sklearn.log_model(pipeline, name="ok", await_registration_for=0)
    X, _ = iris_like
    assert mltrail.sklearn.load_model(info.model_uri).predict(X[:5]).tolist() == pipeline.predict(X[:5]).tolist()


def test_mlflow_constants_and_default_environments():
    assert mltrail.sklearn.SERIALIZATION_FORMAT_PICKLE == "pickle"
    assert mltrail.sklearn.SERIALIZATION_FORMAT_CLOUDPICKLE == "cloudpickle"
    assert set(mltrail.sklearn.SUPPORTED_SERIALIZATION_FORMATS) == {"pickle", "cloudpickle", "skops"}
    import sklearn

    assert mltrail.sklearn.get_default_pip_requirements() == [f"scikit-learn=={sklearn.__version__}"]
    assert any(r.startswith("cloudpickle==") for r in mltrail.sklearn.get_default_pip_requirements(include_cloudpickle=True))
    env = mltrail.sklearn.get_default_conda_env()
    assert env["dependencies"][-1]["pip"] == [f"mltrail=={mltrail.__version__}", f"scikit-learn=={sklearn.__version__}"]
    xgb = pytest.importorskip("xgboost")
    assert mltrail.xgboost.get_default_pip_requirements() == [f"xgboost=={xgb.__version__}"]
    assert mltrail.xgboost.get_default_conda_env()["dependencies"][-1]["pip"][1:] == [f"xgboost=={xgb.__version__}"]


def test_serving_input_example_is_written_and_accepted(tmp_path, pipeline, iris_like):
    X, _ = iris_like
    path = str(tmp_path / "m")
    mltrail.sklearn.save_model(pipeline, path, input_example=X[:2])
    mlmodel = Model.load(path)
    assert mlmodel.saved_input_example_info["serving_input_path"] == "serving_input_example.json"
    served = json.load(open(os.path.join(path, "serving_input_example.json")))
    assert served == {"dataframe_split": json.load(open(os.path.join(path, "input_example.json")))}
    text = mlmodel.get_serving_input(path)
    assert json.loads(text) == served
    assert mltrail.models.validate_serving_input(path, text).tolist() == pipeline.predict(X[:2]).tolist()
    assert json.loads(mltrail.models.convert_input_example_to_serving_input(X[:2].to_numpy())) == {
        "inputs": X[:2].to_numpy().tolist()
    }
    with pytest.raises(InvalidParameterError, match=r"missing columns \['sepal_width', 'petal_length', 'petal_width'\]"):
        mltrail.models.validate_serving_input(path, {"dataframe_split": {"columns": ["sepal_length"], "data": [[1.0]]}})


def test_set_signature_and_update_requirements_keep_the_folder_verifiable(tracking, pipeline, iris_like):
    X, y = iris_like
    info = mltrail.sklearn.log_model(pipeline, name="m")
    assert mltrail.models.get_model_info(info.model_uri).signature is None
    mltrail.models.set_signature(info.model_uri, infer_signature(X, y))
    loaded = mltrail.pyfunc.load_model(info.model_uri)  # integrity check passes
    assert loaded.metadata.get_input_schema().input_names() == list(X.columns)
    mltrail.models.update_model_requirements(info.model_uri, "add", ["boto3==1.34.0"])
    folder = mltrail.models.download_model(info.model_uri)
    assert _lines(folder)[-1] == "boto3==1.34.0"
    assert "boto3==1.34.0" in yaml.safe_load(open(os.path.join(folder, "conda.yaml")))["dependencies"][-1]["pip"]
    mltrail.models.update_model_requirements(info.model_uri, "remove", ["boto3"])
    assert "boto3==1.34.0" not in _lines(folder)
    mltrail.pyfunc.load_model(info.model_uri)
    with pytest.raises(InvalidParameterError, match=r"Cannot remove \['boto3'\]"):
        mltrail.models.update_model_requirements(info.model_uri, "remove", ["boto3"])
    with open(os.path.join(folder, "requirements.txt"), "a") as f:
        f.write("tampered\n")
    with pytest.raises(ModelIntegrityError):
        mltrail.pyfunc.load_model(info.model_uri)


def test_model_log_info_json_and_inferred_requirements(tracking, pipeline):
    info = Model.log("m", mltrail.sklearn, sk_model=pipeline)
    mlmodel = Model.load(mltrail.models.download_model(info.model_uri))
    assert json.loads(mlmodel.to_json())["flavors"]["sklearn"]["serialization_format"] == "cloudpickle"
    assert mlmodel.get_model_info().run_id == info.run_id
    reqs = mltrail.models.infer_pip_requirements(info.model_uri, "sklearn")
    assert reqs[0:0] == [] and any(r.startswith("scikit-learn==") for r in reqs)
    assert any(r.startswith("mltrail==") for r in reqs)
    assert mltrail.models.infer_pip_requirements("/no/such/model", "sklearn", fallback=["x"]) == ["x"]
