"""Model signatures: the columns (or tensors) a model takes and returns.

A signature is stored in MLmodel in MLflow's format (JSON strings under
``signature: {inputs, outputs, params}``) and checked by pyfunc before every
prediction. :func:`infer_signature` builds one from example data::

    >>> from mltrail.models import infer_signature
    >>> sig = infer_signature(X_train, model.predict(X_train))
    >>> sig.inputs.input_names()
    ['sepal_length', 'sepal_width', 'petal_length', 'petal_width']

Supported inputs: pandas DataFrames and Series (named columns), lists of
dicts (records), dicts of columns, numpy arrays (tensors).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Optional, Sequence, Union

from ..exceptions import InvalidParameterError

#: MLflow's column types, with the numpy dtype each one is held in.
DATA_TYPES: dict[str, str] = {
    "boolean": "bool",
    "integer": "int32",
    "long": "int64",
    "float": "float32",
    "double": "float64",
    "string": "object",
    "binary": "object",
    "datetime": "datetime64[ns]",
}


@dataclass(frozen=True)
class ColSpec:
    """One column; ``name`` None for unnamed output.

    >>> ColSpec("double", "sepal_length").to_dict()
    {'type': 'double', 'name': 'sepal_length', 'required': True}
    """

    type: str
    name: Optional[str] = None
    required: bool = True

    def __post_init__(self) -> None:
        if self.type not in DATA_TYPES:
            raise InvalidParameterError(
                f"Column type {self.type!r} is not one of {sorted(DATA_TYPES)}"
            )

    def to_dict(self) -> dict[str, Any]:
        """MLflow's JSON form of the column."""
        d: dict[str, Any] = {"type": self.type}
        if self.name is not None:
            d["name"] = self.name
        d["required"] = self.required
        return d


@dataclass(frozen=True)
class TensorSpec:
    """A tensor: numpy ``dtype`` name and ``shape`` where -1 means any size.

    >>> TensorSpec("float32", (-1, 28, 28)).to_dict()
    {'type': 'tensor', 'tensor-spec': {'dtype': 'float32', 'shape': [-1, 28, 28]}}
    """

    dtype: str
    shape: tuple[int, ...]
    name: Optional[str] = None

    def to_dict(self) -> dict[str, Any]:
        """MLflow's JSON form of the tensor."""
        d: dict[str, Any] = {"type": "tensor", "tensor-spec": {"dtype": self.dtype, "shape": list(self.shape)}}
        if self.name is not None:
            d["name"] = self.name
        return d


Spec = Union[ColSpec, TensorSpec]


@dataclass(frozen=True)
class Schema:
    """An ordered list of column or tensor specs (not mixed).

    >>> Schema([ColSpec("double", "x"), ColSpec("string", "city")]).input_names()
    ['x', 'city']
    """

    inputs: tuple[Spec, ...]

    def __init__(self, inputs: Sequence[Spec]) -> None:
        inputs = tuple(inputs)
        if not inputs:
            raise InvalidParameterError("A schema needs at least one column or tensor spec")
        kinds = {type(s) for s in inputs}
        if len(kinds) > 1:
            raise InvalidParameterError("A schema cannot mix column specs and tensor specs")
        names = [s.name for s in inputs]
        if any(n is not None for n in names) and any(n is None for n in names):
            raise InvalidParameterError("A schema's specs must be all named or all unnamed")
        object.__setattr__(self, "inputs", inputs)

    def is_tensor_spec(self) -> bool:
        """True for a tensor schema (numpy input), False for columns."""
        return isinstance(self.inputs[0], TensorSpec)

    def has_input_names(self) -> bool:
        """True when the specs carry names."""
        return self.inputs[0].name is not None

    def input_names(self) -> list[Optional[str]]:
        """Spec names in order (None for unnamed specs)."""
        return [s.name for s in self.inputs]

    def required_input_names(self) -> list[str]:
        """Names of the columns predict cannot do without."""
        return [s.name for s in self.inputs if isinstance(s, ColSpec) and s.required and s.name is not None]

    def input_types(self) -> list[str]:
        """Column types (``'double'``...) or tensor dtypes, in order."""
        return [s.type if isinstance(s, ColSpec) else s.dtype for s in self.inputs]

    def to_dict(self) -> list[dict[str, Any]]:
        """The list of spec dicts (MLflow's JSON form)."""
        return [s.to_dict() for s in self.inputs]

    def to_json(self) -> str:
        """The JSON string MLmodel stores."""
        return json.dumps(self.to_dict())

    @classmethod
    def from_json(cls, text: str) -> "Schema":
        """Parse the JSON string MLmodel stores: ``Schema.from_json('[{"type": "double", "name": "x"}]')``."""
        return cls.from_dict(json.loads(text))

    @classmethod
    def from_dict(cls, items: list[dict[str, Any]]) -> "Schema":
        """Build from the list form of :meth:`to_dict`."""
        specs: list[Spec] = []
        for item in items:
            if item.get("type") == "tensor":
                ts = item["tensor-spec"]
                specs.append(TensorSpec(ts["dtype"], tuple(int(x) for x in ts["shape"]), item.get("name")))
            else:
                specs.append(ColSpec(item["type"], item.get("name"), bool(item.get("required", True))))
        return cls(specs)


@dataclass(frozen=True)
class ModelSignature:
    """Input schema, optional output schema and optional params (a list of dicts).

    >>> sig = ModelSignature(Schema([ColSpec("double", "x")]), Schema([ColSpec("long")]))
    >>> mltrail.sklearn.log_model(model, "model", signature=sig)
    """

    inputs: Optional[Schema] = None
    outputs: Optional[Schema] = None
    params: Optional[list[dict[str, Any]]] = field(default=None)

    def to_dict(self) -> dict[str, Optional[str]]:
        """MLflow's MLmodel form: each part a JSON string (or None)."""
        return {
            "inputs": self.inputs.to_json() if self.inputs else None,
            "outputs": self.outputs.to_json() if self.outputs else None,
            "params": json.dumps(self.params) if self.params else None,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "ModelSignature":
        """Read MLmodel's ``signature`` mapping: ``ModelSignature.from_dict(mlmodel["signature"])``."""

        def load(v: Any) -> Optional[Schema]:
            if not v:
                return None
            return Schema.from_json(v) if isinstance(v, str) else Schema.from_dict(v)

        params = d.get("params")
        if isinstance(params, str):
            params = json.loads(params)
        return cls(load(d.get("inputs")), load(d.get("outputs")), params or None)


def _dtype_to_type(dtype: Any, values: Any = None) -> str:
    """MLflow column type for a numpy/pandas dtype (object columns look at their values)."""
    import numpy as np

    kind = getattr(dtype, "kind", "O")
    if kind == "b":
        return "boolean"
    if kind in "iu":
        if np.dtype(dtype).itemsize <= 4 and not (kind == "u" and np.dtype(dtype).itemsize == 4):
            return "integer"
        return "long"
    if kind == "f":
        return "float" if np.dtype(dtype).itemsize <= 4 else "double"
    if kind == "M":
        return "datetime"
    if kind == "S":
        return "binary"
    if kind == "U":
        return "string"
    name = getattr(dtype, "name", "")
    if name in ("str", "string"):
        return "string"
    if name == "category":
        return _dtype_to_type(dtype.categories.dtype, dtype.categories)
    if name == "boolean":
        return "boolean"
    if name.startswith(("Int", "UInt")):
        return "long" if name.endswith("64") else "integer"
    if name.startswith("Float"):
        return "double" if name.endswith("64") else "float"
    if values is not None:
        kinds = {type(v) for v in values[:1000] if v is not None and not (isinstance(v, float) and v != v)}
        kinds = {bool if issubclass(k, (bool, np.bool_)) else k for k in kinds}
        if kinds and all(issubclass(k, str) for k in kinds):
            return "string"
        if kinds and all(issubclass(k, (bytes, bytearray)) for k in kinds):
            return "binary"
        if kinds == {bool}:
            return "boolean"
        if kinds and all(issubclass(k, (int, np.integer)) and k is not bool for k in kinds):
            return "long"
        if kinds and all(issubclass(k, (int, float, np.integer, np.floating)) and k is not bool for k in kinds):
            return "double"
        if len(kinds) > 1:
            raise InvalidParameterError(
                f"Cannot infer a column type: the column mixes {sorted(k.__name__ for k in kinds)} values"
            )
    raise InvalidParameterError(
        f"Cannot infer a column type from dtype {dtype!s}: supported are booleans, integers, floats, strings, bytes and datetimes"
    )


def _schema_of(data: Any, what: str) -> Schema:
    import numpy as np
    import pandas as pd

    if isinstance(data, list) and data and all(isinstance(r, dict) for r in data):
        data = pd.DataFrame.from_records(data)
    elif isinstance(data, dict):
        if all(isinstance(v, np.ndarray) for v in data.values()):
            return Schema([TensorSpec(v.dtype.name, (-1, *v.shape[1:]), str(k)) for k, v in data.items()])
        data = pd.DataFrame({k: v if isinstance(v, (list, tuple, np.ndarray, pd.Series)) else [v] for k, v in data.items()})
    elif isinstance(data, (list, tuple)):
        data = np.asarray(data)
    # A named column with a missing value (None, NaN, a key some records lack) is optional, as in MLflow.
    if isinstance(data, pd.Series):
        name = None if data.name is None else str(data.name)
        required = name is None or not bool(data.isna().any())
        return Schema([ColSpec(_dtype_to_type(data.dtype, data.values), name, required)])
    if isinstance(data, pd.DataFrame):
        specs = []
        for i, (col, dtype) in enumerate(zip(data.columns, data.dtypes.tolist())):
            column = data.iloc[:, i]
            values = column.values if getattr(dtype, "kind", "O") == "O" else None
            specs.append(ColSpec(_dtype_to_type(dtype, values), str(col), not bool(column.isna().any())))
        return Schema(specs)
    if isinstance(data, np.ndarray):
        if data.dtype.kind == "O":
            raise InvalidParameterError(
                f"Cannot infer the {what} schema from a numpy array of dtype object: use a DataFrame for mixed columns"
            )
        return Schema([TensorSpec(data.dtype.name, (-1, *data.shape[1:]))])
    if _is_sparse(data):
        return Schema([TensorSpec(data.dtype.name, (-1, *data.shape[1:]))])
    raise InvalidParameterError(
        f"Cannot infer the {what} schema from {type(data).__name__}: expected a pandas DataFrame or Series, "
        "a numpy array, a list of dicts or a dict of columns"
    )


def _is_sparse(data: Any) -> bool:
    return type(data).__module__.startswith("scipy.sparse") and hasattr(data, "shape")


def _param_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "long"
    if isinstance(value, float):
        return "double"
    if isinstance(value, str):
        return "string"
    raise InvalidParameterError(f"Param value {value!r}: params must be booleans, integers, floats or strings")


def infer_signature(model_input: Any = None, model_output: Any = None, params: Optional[dict[str, Any]] = None) -> ModelSignature:
    """Infer a :class:`ModelSignature` from example input, output and inference params.

    >>> sig = infer_signature(df_train, model.predict(df_train))
    >>> sig.to_dict()["inputs"]
    '[{"type": "double", "name": "x", "required": true}, ...]'
    """
    inputs = _schema_of(model_input, "input") if model_input is not None else None
    outputs = _schema_of(model_output, "output") if model_output is not None else None
    param_specs = None
    if params:
        param_specs = [{"name": k, "type": _param_type(v), "default": v, "shape": None} for k, v in params.items()]
    return ModelSignature(inputs, outputs, param_specs)


__all__ = ["ColSpec", "DATA_TYPES", "ModelSignature", "Schema", "TensorSpec", "infer_signature"]
