"""``mltrail.types``: the schema classes under MLflow's module path (``mlflow.types``).

>>> from mltrail.types import ColSpec, Schema
>>> Schema([ColSpec("double", "x"), ColSpec("string", "city")]).input_names()
['x', 'city']

The classes live in :mod:`mltrail.models.signature`; this package only
re-exports them so code written against ``mlflow.types`` imports unchanged.
"""

from __future__ import annotations

from .schema import DATA_TYPES, ColSpec, Schema, TensorSpec

__all__ = ["ColSpec", "DATA_TYPES", "Schema", "TensorSpec"]
