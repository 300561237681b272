"""Describe the DMatrix objects of a training as dataset inputs: ``dtrain`` (context ``train``)
and each eval set (context ``eval``, named by its eval name).

A DMatrix does not hand out its rows cheaply, so the digest hashes its shape,
feature names and types and an evenly spaced sample of its labels, plus the
matrix content itself when it is small (at most :data:`CONTENT_CELLS` cells,
read with ``DMatrix.get_data``).
"""

from __future__ import annotations

import hashlib
from typing import Any, Optional, Sequence

import numpy as np

import mltrail.data
from mltrail.autologging import AutologCall
from mltrail.entities import Dataset

#: Matrices with at most this many cells have their content hashed too (get_data copies it).
CONTENT_CELLS = 5_000
#: Labels hashed at most (evenly spaced, first and last included).
LABEL_SAMPLE = 10_000
_TYPES = {"int": "long", "i": "boolean", "c": "string", "q": "double", "float": "float"}


def dmatrix_dataset(dmatrix: Any, name: str) -> Dataset:
    """A dataset describing ``dmatrix`` (see the module docstring for what its digest covers)."""
    rows, cols = int(dmatrix.num_row()), int(dmatrix.num_col())
    names = list(dmatrix.feature_names or (f"f{i}" for i in range(cols)))
    types = list(dmatrix.feature_types or ("float",) * cols)
    hasher = hashlib.blake2b(digest_size=8)
    hasher.update(f"{rows}|{cols}|{names!r}|{types!r}|".encode())
    labels = dmatrix.get_label()
    if labels.size > LABEL_SAMPLE:
        labels = labels[np.linspace(0, labels.size - 1, LABEL_SAMPLE).astype(np.int64)]
    hasher.update(np.ascontiguousarray(labels).view(np.uint8))
    if rows * cols <= CONTENT_CELLS:
        data = dmatrix.get_data()
        for part in (data.indptr, data.data):  # with the shape: enough to tell dense matrices apart
            hasher.update(np.ascontiguousarray(part).view(np.uint8))
    schema = {"mlflow_colspec": [{"type": _TYPES.get(t, "float"), "name": n, "required": True} for n, t in zip(names, types)]}
    return mltrail.data.from_description(
        hasher.hexdigest(), schema, {"num_rows": rows, "num_elements": rows * cols}, name=name
    )


def log_training_datasets(call: AutologCall, dtrain: Any, evals: Optional[Sequence[Any]]) -> None:
    """Buffer ``dtrain`` (context ``train``) and every other eval set (context ``eval``) as dataset inputs."""
    evals = list(evals or ())
    train_name = next((str(n) for d, n in evals if d is dtrain), "train")
    if dtrain is not None:
        call.log_input(dmatrix_dataset(dtrain, train_name), "train")
    for dmatrix, eval_name in evals:
        if dmatrix is not dtrain:
            call.log_input(dmatrix_dataset(dmatrix, str(eval_name)), "eval")
