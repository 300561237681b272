"""Custom pyfunc models: mltrail.pyfunc.PythonModel with artifacts, logged and loaded."""

from __future__ import annotations

import os

import pandas as pd
import pytest

import mltrail
from mltrail.exceptions import InvalidParameterError


class AddFromTable(mltrail.pyfunc.PythonModel):
    """Adds a per-city offset read from an artifact CSV, plus a constant."""

    def __init__(self, constant: float) -> None:
        self.constant = constant
        self.offsets: dict = {}

    def load_context(self, context):
        table = pd.read_csv(context.artifacts["offsets"])
        self.offsets = dict(zip(table["city"], table["offset"]))

    def predict(self, context, model_input, params=None):
        scale = (params or {}).get("scale", 1.0)
        return (model_input["x"] + model_input["city"].map(self.offsets) + self.constant) * scale


@pytest.fixture
def offsets_csv(tmp_path):
    path = tmp_path / "offsets.csv"
    pd.DataFrame({"city": ["a", "b"], "offset": [10.0, 20.0]}).to_csv(path, index=False)
    return str(path)


def test_log_and_load_a_custom_model_with_an_artifact(tracking, offsets_csv):
    df = pd.DataFrame({"x": [1.0, 2.0], "city": ["a", "b"]})
    with mltrail.start_run():
        info = mltrail.pyfunc.log_model(
            "model", python_model=AddFromTable(0.5), artifacts={"offsets": offsets_csv}, input_example=df
        )
    os.remove(offsets_csv)  # the model carries its own copy
    model = mltrail.pyfunc.load_model(info.model_uri)
    assert model.predict(df).tolist() == [11.5, 22.5]
    assert model.predict(df, params={"scale": 2.0}).tolist() == [23.0, 45.0]
    assert model.metadata.get_input_schema().input_names() == ["x", "city"]
    with pytest.raises(InvalidParameterError, match="missing column 'city'"):
        model.predict(pd.DataFrame({"x": [1.0]}))
    conf = model.metadata.flavors["python_function"]
    assert conf["loader_module"] == "mltrail.models.python_model"
    assert conf["artifacts"] == {"offsets": {"path": "artifacts/offsets/offsets.csv"}}
    reqs = open(os.path.join(mltrail.models.download_model(info.model_uri), "requirements.txt")).read()
    assert "cloudpickle==" in reqs and "mltrail==" in reqs


def test_bad_python_model_and_missing_artifact_are_refused(tmp_path, offsets_csv):
    with pytest.raises(InvalidParameterError, match="python_model of type dict is not a mltrail.pyfunc.PythonModel"):
        mltrail.pyfunc.save_model(str(tmp_path / "m"), python_model={"predict": None})
    with pytest.raises(InvalidParameterError, match=r"artifacts\['offsets'\]: '.*nope.csv' does not exist"):
        mltrail.pyfunc.save_model(str(tmp_path / "m"), python_model=AddFromTable(1), artifacts={"offsets": str(tmp_path / "nope.csv")})
    assert sorted(os.listdir(tmp_path)) == ["offsets.csv"]
