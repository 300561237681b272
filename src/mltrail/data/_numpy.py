"""``from_numpy``: a dataset of NumPy features (and targets), described by tensor shapes."""

from __future__ import annotations

import json
from typing import Any, Optional

from ..entities import Dataset
from ._fingerprint import hash_array, make_dataset, new_hasher


def tensor_spec(array: Any) -> str:
    """MLflow's tensor spec of an array: dtype and shape with the row count as -1."""
    shape = [-1, *array.shape[1:]] if array.ndim else []
    return json.dumps([{"type": "tensor", "tensor-spec": {"dtype": str(array.dtype), "shape": shape}}])


def from_numpy(
    features: Any, targets: Any = None, source: Optional[str] = None, name: Optional[str] = None
) -> Dataset:
    """A dataset of a NumPy array of features and optional targets (anything ``numpy.asarray`` takes).

    ``source`` is a path or URI the data came from (default: this script's
    code); ``name`` defaults to ``"dataset"``.

    >>> ds = mltrail.data.from_numpy(np.zeros((1000, 10)), targets=np.ones(1000), name="taxi-train")
    >>> json.loads(ds.profile)
    {'num_rows': 1000, 'num_elements': 10000}
    """
    import numpy as np

    features = features if isinstance(features, np.ndarray) else np.asarray(features)
    hasher = new_hasher()
    hash_array(hasher, features)
    schema: dict[str, Any] = {"features": tensor_spec(features)}
    if targets is not None:
        targets = targets if isinstance(targets, np.ndarray) else np.asarray(targets)
        hasher.update(b"|targets|")
        hash_array(hasher, targets)
        schema["targets"] = tensor_spec(targets)
    profile = {"num_rows": int(features.shape[0]) if features.ndim else 1, "num_elements": int(features.size)}
    return make_dataset(name, hasher.hexdigest(), source, {"mlflow_tensorspec": schema}, profile)
