"""mltrail.data builders (digest, schema, profile, source) and logging them with mltrail.log_input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Iterator

import numpy as np
import pandas as pd
import pytest

import mltrail
from mltrail.entities import DATASET_CONTEXT_TAG, DatasetInput, InputTag
from mltrail.exceptions import InvalidParameterError


@pytest.fixture
def tracking(sqlite_uri: str) -> Iterator[mltrail.Client]:
    mltrail.set_tracking_uri(sqlite_uri)
    yield mltrail.Client()
    while mltrail.active_run() is not None:
        mltrail.end_run()


def test_from_numpy_describes_features_and_targets():
    X, y = np.arange(60, dtype=np.float32).reshape(20, 3), np.arange(20)
    ds = mltrail.data.from_numpy(X, targets=y, source="s3://bucket/taxi/train.npy", name="taxi-train")
    assert (ds.name, ds.source_type, json.loads(ds.source)) == ("taxi-train", "s3", {"uri": "s3://bucket/taxi/train.npy"})
    assert json.loads(ds.profile) == {"num_rows": 20, "num_elements": 60}
    spec = json.loads(ds.schema)["mlflow_tensorspec"]
    assert json.loads(spec["features"])[0]["tensor-spec"] == {"dtype": "float32", "shape": [-1, 3]}
    assert json.loads(spec["targets"])[0]["tensor-spec"]["dtype"] == "int64"
    # the digest follows the content: equal copies agree, one changed value, the targets or the dtype do not
    same = mltrail.data.from_numpy(X.copy(), targets=y.copy())
    assert same.digest == mltrail.data.from_numpy(X, targets=y).digest
    changed = X.copy()
    changed[10, 1] += 1
    assert mltrail.data.from_numpy(changed, targets=y).digest != same.digest
    assert mltrail.data.from_numpy(X).digest != same.digest
    assert mltrail.data.from_numpy(X.astype(np.float64), targets=y).digest != same.digest
    assert json.loads(mltrail.data.from_numpy(X, source="data/train.npy").source) == {
        "uri": os.path.abspath("data/train.npy")
    }


def test_from_numpy_samples_large_arrays_but_sees_their_ends():
    big = np.zeros((500_000, 4))
    digest = mltrail.data.from_numpy(big).digest
    big[-1, 3] = 1.0  # the last row is always in the sample
    assert mltrail.data.from_numpy(big).digest != digest


def test_from_pandas_describes_columns():
    df = pd.DataFrame({"trip_distance": [1.5, 2.0], "vendor": ["a", "b"], "passengers": [1, 2]})
    ds = mltrail.data.from_pandas(df, targets="trip_distance")
    schema = json.loads(ds.schema)
    assert [(c["name"], c["type"]) for c in schema["mlflow_colspec"]] == [
        ("trip_distance", "double"), ("vendor", "string"), ("passengers", "long"),
    ]
    assert schema["targets"] == "trip_distance"
    assert json.loads(ds.profile) == {"num_rows": 2, "num_elements": 6}
    assert mltrail.data.from_pandas(df.assign(vendor=["a", "c"])).digest != mltrail.data.from_pandas(df).digest
    with pytest.raises(InvalidParameterError, match="'duration': no such column"):
        mltrail.data.from_pandas(df, targets="duration")
    with pytest.raises(InvalidParameterError, match="from_pandas takes a pandas DataFrame"):
        mltrail.data.from_pandas(np.ones((2, 2)))


def test_log_input_records_context_and_tags(tracking):
    train = mltrail.data.from_numpy(np.ones((5, 2)), name="train")
    with mltrail.start_run() as run:
        mltrail.log_input(train, context="train", tags={"version": "2"})
    [logged] = tracking.get_run(run.info.run_id).inputs.dataset_inputs
    assert logged.dataset == train
    assert {t.key: t.value for t in logged.tags} == {"version": "2", DATASET_CONTEXT_TAG: "train"}
    # the client path, as MLflow spells it
    tracking.log_inputs(run.info.run_id, [DatasetInput(train, [InputTag(DATASET_CONTEXT_TAG, "eval")])])
    [logged] = tracking.get_run(run.info.run_id).inputs.dataset_inputs
    assert {t.key: t.value for t in logged.tags} == {"version": "2", DATASET_CONTEXT_TAG: "eval"}  # merged


def test_import_mltrail_data_loads_neither_numpy_nor_pandas():
    code = "import sys, mltrail, mltrail.data; mltrail.log_input; print('numpy' in sys.modules, 'pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
