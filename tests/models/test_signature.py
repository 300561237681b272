"""infer_signature and the MLmodel signature format."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from mltrail.exceptions import InvalidParameterError
from mltrail.models import ColSpec, ModelSignature, Schema, TensorSpec, infer_signature


def test_dataframe_columns_and_types():
    df = pd.DataFrame(
        {
            "trip_distance": [1.5, 2.0],
            "passengers": np.array([1, 2], dtype="int64"),
            "small": np.array([1, 2], dtype="int32"),
            "ratio": np.array([0.5, 0.1], dtype="float32"),
            "zone": ["A", "B"],
            "flag": [True, False],
            "when": pd.to_datetime(["2024-01-01", "2024-01-02"]),
        }
    )
    sig = infer_signature(df, np.array([0.1, 0.2]))
    assert [(s.name, s.type) for s in sig.inputs.inputs] == [
        ("trip_distance", "double"),
        ("passengers", "long"),
        ("small", "integer"),
        ("ratio", "float"),
        ("zone", "string"),
        ("flag", "boolean"),
        ("when", "datetime"),
    ]
    assert sig.outputs.inputs == (TensorSpec("float64", (-1,)),)


def test_numpy_array_gives_a_tensor_spec_with_free_batch_dimension():
    sig = infer_signature(np.zeros((10, 3, 2), dtype="float32"))
    assert sig.inputs.inputs == (TensorSpec("float32", (-1, 3, 2)),)
    assert sig.outputs is None


def test_list_of_dicts_is_read_as_records():
    sig = infer_signature([{"a": 1, "b": "x"}, {"a": 2, "b": "y"}], pd.Series([1.0, 2.0], name="pred"))
    assert [(s.name, s.type) for s in sig.inputs.inputs] == [("a", "long"), ("b", "string")]
    assert sig.outputs.inputs == (ColSpec("double", "pred"),)


def test_signature_round_trips_through_mlflows_json_strings():
    sig = ModelSignature(
        Schema([ColSpec("double", "x"), ColSpec("string", "y", required=False)]),
        Schema([TensorSpec("int64", (-1,))]),
        params=[{"name": "k", "type": "long", "default": 3, "shape": None}],
    )
    d = sig.to_dict()
    assert json.loads(d["inputs"]) == [
        {"type": "double", "name": "x", "required": True},
        {"type": "string", "name": "y", "required": False},
    ]
    assert json.loads(d["outputs"]) == [{"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}]
    assert ModelSignature.from_dict(d) == sig


def test_unsupported_input_is_named():
    with pytest.raises(InvalidParameterError, match="Cannot infer the input schema from set"):
        infer_signature({1, 2})
    with pytest.raises(InvalidParameterError, match="not one of"):
        ColSpec("decimal", "x")


def test_a_mixed_object_column_is_refused_by_name_and_save_goes_on_without_signature(tmp_path):
    import mltrail
    from sklearn.dummy import DummyClassifier

    mixed = pd.DataFrame({"zone": ["A", 3, 2.5]})
    with pytest.raises(InvalidParameterError, match=r"mixes \['float', 'int', 'str'\] values"):
        infer_signature(mixed)
    model = DummyClassifier().fit(np.zeros((3, 1)), [0, 1, 0])
    path = str(tmp_path / "m")
    mltrail.sklearn.save_model(model, path, input_example=mixed)
    assert mltrail.models.Model.load(path).signature is None
    assert (tmp_path / "m" / "input_example.json").exists()
