"""Input examples and signatures for autologged xgboost models.

The sklearn API gets the training data itself (``fit(X, y)``); ``xgboost.train``
only has a ``DMatrix``, whose first rows are read back with
``DMatrix.slice`` + ``get_data`` (a handful of rows, whatever the data size)::

    rows = example_rows(None, dtrain)          # DataFrame of 5 rows, named like the features
    signature = signature_for(model, booster, X[:5])      # sklearn API: from data and predictions
    signature = dmatrix_signature(dtrain, booster)        # xgboost.train: from the DMatrix's metadata

The DMatrix signature reads no data: feature names and types give the
input columns (a tensor of ``num_col`` floats when the features are
unnamed), the booster's objective gives the output shape.
"""

from __future__ import annotations

from typing import Any, Optional

EXAMPLE_ROWS = 5
#: Attribute the DMatrix patch sets: the input's dtype (array) or column dtypes (DataFrame).
INPUT_DTYPE_ATTR = "_mltrail_input_dtypes"
_COLUMN_TYPES = {"float64": "double", "float32": "float", "int64": "long", "int32": "integer", "bool": "boolean"}



def remember_input_dtypes(wrapped: Any, instance: Any, args: tuple, kwargs: dict) -> None:
    """``DMatrix.__init__``'s patch: remember the input's dtype(s) for the model signature (no copy)."""
    wrapped(*args, **kwargs)
    try:
        data = args[0] if args else kwargs.get("data")
        dtype = getattr(data, "dtype", None)
        if dtype is not None and getattr(data, "ndim", 0) == 2:
            vars(instance)[INPUT_DTYPE_ATTR] = str(dtype)
        elif hasattr(data, "dtypes") and hasattr(data, "columns"):
            vars(instance)[INPUT_DTYPE_ATTR] = [str(t) for t in data.dtypes]
    except Exception:  # never break DMatrix construction
        pass

def _dmatrix_rows(dmatrix: Any, n: int) -> Any:
    import numpy as np

    count = min(n, dmatrix.num_row())
    if count == 0:
        return None
    coo = dmatrix.slice(list(range(count))).get_data().tocoo()
    dense = np.full((count, dmatrix.num_col()), np.nan, dtype=np.float64)
    dense[coo.row, coo.col] = coo.data  # absent entries are missing values, not zeros
    names = dmatrix.feature_names
    if names:
        import pandas as pd

        return pd.DataFrame(dense, columns=list(names))
    return dense


def example_rows(example: Any, dtrain: Any, n: int = EXAMPLE_ROWS) -> Optional[Any]:
    """The first ``n`` rows of the training input (``example``, else ``dtrain``), or None."""
    data = example if example is not None else dtrain
    if data is None:
        return None
    if type(data).__name__ in ("DMatrix", "QuantileDMatrix") and hasattr(data, "slice"):
        return _dmatrix_rows(data, n)
    if hasattr(data, "iloc"):
        return data.iloc[:n]
    try:
        return data[:n]
    except Exception:
        return None


def signature_for(model: Any, booster: Any, rows: Any) -> Any:
    """Signature from ``rows`` and the model's predictions on them (inputs only when predicting fails)."""
    from mltrail.models.signature import infer_signature

    output = None
    try:
        if model is booster:
            output = booster.inplace_predict(rows)
        else:
            output = model.predict(rows)
    except Exception:
        output = None
    return infer_signature(rows, output)


_FEATURE_TYPES = {"int": "long", "i": "long", "float": "double", "q": "double", "c": "double"}


def dmatrix_signature(dtrain: Any, booster: Any) -> Any:
    """Signature of a booster trained on ``dtrain``, from metadata only (no data is read)."""
    from mltrail.models.signature import ColSpec, ModelSignature, Schema, TensorSpec

    names = dtrain.feature_names
    input_dtypes = vars(dtrain).get(INPUT_DTYPE_ATTR)  # what the DMatrix was built from, when we saw it
    if names and isinstance(input_dtypes, list) and len(input_dtypes) == len(names):
        inputs = Schema([ColSpec(_COLUMN_TYPES.get(t, "double"), n) for n, t in zip(names, input_dtypes)])
    elif names and not isinstance(input_dtypes, str):
        types = dtrain.feature_types or ["float"] * len(names)
        inputs = Schema([ColSpec(_FEATURE_TYPES.get(t, "double"), n) for n, t in zip(names, types)])
    else:
        dtype = input_dtypes if isinstance(input_dtypes, str) else "float32"
        inputs = Schema([TensorSpec(dtype, (-1, int(dtrain.num_col())))])
    width = 1
    try:
        import json

        learner = json.loads(booster.save_config())["learner"]
        objective = learner["learner_train_param"]["objective"]
        if objective in ("multi:softprob",):
            width = int(learner["learner_model_param"]["num_class"])
        else:
            width = max(1, int(learner["learner_model_param"].get("num_target", "1")))
    except Exception:
        width = 1
    shape = (-1,) if width == 1 else (-1, width)
    return ModelSignature(inputs, Schema([TensorSpec("float32", shape)]))
