"""Dataset inputs for scipy sparse training data, described without densifying the matrix.

MLflow turns a sparse ``X`` into a dense array to describe it (``X.toarray()``),
which can cost gigabytes for a wide text matrix. The dataset here has the same
schema and row count as MLflow's (a tensor of the matrix's dtype, shape
``(-1, n_columns)``) and a digest over the shape, the dtype and the stored
entries (``indptr``, ``indices``, ``data``, sampled as every digest is)::

    ds = from_sparse(scipy.sparse.random(1000, 50_000, density=0.001, format="csr"), targets=y)
    json.loads(ds.schema)["mlflow_tensorspec"]["features"]   # dtype float64, shape [-1, 50000]
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Optional

import numpy as np

import mltrail.data
from mltrail.entities import Dataset

#: Elements hashed at most per array (evenly spaced, first and last included).
SAMPLE_ELEMENTS = 32_768


def _hash(hasher: Any, array: Any) -> None:
    array = np.asarray(array)
    hasher.update(f"{array.shape}|{array.dtype.str}|".encode())
    flat = array.reshape(-1) if array.ndim else array.reshape(1)
    if flat.size > SAMPLE_ELEMENTS:
        flat = flat[np.linspace(0, flat.size - 1, SAMPLE_ELEMENTS).astype(np.int64)]
    if flat.dtype.hasobject:
        hasher.update(repr(flat.tolist()).encode())
    else:
        hasher.update(np.ascontiguousarray(flat).view(np.uint8))


def _tensor_spec(dtype: Any, shape: list) -> str:
    return json.dumps([{"type": "tensor", "tensor-spec": {"dtype": str(dtype), "shape": shape}}])


def from_sparse(features: Any, targets: Any = None, name: Optional[str] = None) -> Dataset:
    """A dataset describing a scipy sparse matrix (and optional targets) without densifying it."""
    csr = features.tocsr() if features.format != "csr" else features
    rows, cols = csr.shape
    hasher = hashlib.blake2b(digest_size=8)
    hasher.update(f"sparse|{csr.shape}|{csr.dtype.str}|{csr.nnz}|".encode())
    for part in (csr.indptr, csr.indices, csr.data):
        _hash(hasher, part)
    schema: dict[str, Any] = {"features": _tensor_spec(csr.dtype, [-1, int(cols)])}
    if targets is not None:
        sparse_targets = hasattr(targets, "toarray") and hasattr(targets, "nnz")
        target_array = np.asarray(targets.toarray() if sparse_targets else targets)
        hasher.update(b"|targets|")
        _hash(hasher, target_array)
        schema["targets"] = _tensor_spec(target_array.dtype, [-1, *target_array.shape[1:]])
    profile = {"num_rows": int(rows), "num_elements": int(rows) * int(cols)}
    return mltrail.data.from_description(hasher.hexdigest(), {"mlflow_tensorspec": schema}, profile, name=name)
