"""``mltrail.types.schema``: MLflow's ``mlflow.types.schema`` path to the schema classes.

>>> from mltrail.types.schema import ColSpec, Schema, TensorSpec
>>> from mltrail.models import ModelSignature
>>> sig = ModelSignature(inputs=Schema([ColSpec("double", "x")]), outputs=Schema([TensorSpec("float64", (-1,))]))

Defined in :mod:`mltrail.models.signature` (re-exported, not copied).
"""

from __future__ import annotations

from ..models.signature import DATA_TYPES, ColSpec, Schema, TensorSpec

__all__ = ["ColSpec", "DATA_TYPES", "Schema", "TensorSpec"]
