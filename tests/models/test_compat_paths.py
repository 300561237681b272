"""MLflow's module paths for signatures and schemas work under mltrail (``mlflow.types.schema`` ...)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import mltrail
from mltrail.exceptions import InvalidParameterError


def test_schema_classes_import_from_mlflow_paths_and_are_the_same_classes():
    from mltrail.models import ModelSignature, infer_signature
    from mltrail.models import signature as signature_module
    from mltrail.models.signature import infer_signature as infer_from_module
    from mltrail.types import ColSpec as TypesColSpec
    from mltrail.types import Schema as TypesSchema
    from mltrail.types.schema import ColSpec, Schema, TensorSpec

    assert (ColSpec, Schema, TensorSpec) == (signature_module.ColSpec, signature_module.Schema, signature_module.TensorSpec)
    assert (TypesColSpec, TypesSchema) == (ColSpec, Schema)
    assert infer_from_module is infer_signature and ModelSignature is signature_module.ModelSignature
    assert mltrail.types.schema.Schema is Schema  # attribute access after `import mltrail`, as mlflow.types.schema


def test_importing_mltrail_types_does_not_import_pandas_or_numpy():
    code = "import sys, mltrail.types.schema; print(sorted(m for m in ('numpy', 'pandas', 'yaml') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_hand_built_signature_is_saved_and_enforced_by_predict(tracking, pipeline, iris_like):
    from mltrail.models import ModelSignature
    from mltrail.types.schema import ColSpec, Schema, TensorSpec

    X, _ = iris_like
    signature = ModelSignature(
        inputs=Schema([ColSpec("double", name) for name in X.columns]),
        outputs=Schema([TensorSpec("int64", (-1,))]),
    )
    with mltrail.start_run():
        info = mltrail.sklearn.log_model(pipeline, artifact_path="model", signature=signature)
    assert info.signature == signature

    model = mltrail.pyfunc.load_model(info.model_uri)
    assert model.metadata.signature == signature
    np.testing.assert_array_equal(model.predict(X), pipeline.predict(X))
    with pytest.raises(InvalidParameterError, match="missing column 'petal_width'"):
        model.predict(X.drop(columns=["petal_width"]))
    wrong = X.astype({"sepal_width": str})
    with pytest.raises(InvalidParameterError, match="column 'sepal_width' has str values"):
        model.predict(wrong)
