"""Check prediction input against a model's input schema before predicting.

:func:`enforce_schema` turns the accepted input forms (pandas DataFrame,
numpy array, list of dicts, dict of columns) into what the model was trained
on, and raises :class:`InvalidParameterError` naming the missing column or the
column with the wrong type::

    >>> enforce_schema(pd.DataFrame({"a": [1.0]}), Schema([ColSpec("double", "a"), ColSpec("double", "b")]))
    InvalidParameterError: Model input is missing column 'b' required by the signature ...

Safe widenings are applied (integers into a double column, float32 into
float64); anything that could lose information (floats into an integer
column, strings into a number column) is refused.
"""

from __future__ import annotations

from typing import Any

from ..exceptions import InvalidParameterError
from .signature import ColSpec, Schema, TensorSpec

# Column type -> dtype kinds accepted without a conversion that could lose data.
_ACCEPTED_KINDS = {
    "boolean": "b",
    "integer": "iu",
    "long": "iu",
    "float": "fiu",
    "double": "fiu",
    "datetime": "M",
}
_TARGET_DTYPE = {
    "boolean": "bool",
    "integer": "int32",
    "long": "int64",
    "float": "float32",
    "double": "float64",
    "datetime": "datetime64[ns]",
}


def tabular_to_dataframe(data: Any) -> Any:
    """``data`` as a pandas DataFrame when it is tabular already, else None: a DataFrame, a Series (one
    column), a non-empty list of records, or a dict of columns (a scalar value is a one-row column).

    >>> tabular_to_dataframe({"a": 1, "b": [2]}).to_dict("records"), tabular_to_dataframe([[1, 2]])
    ([{'a': 1, 'b': 2}], None)
    """
    import numpy as np
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, pd.Series):
        return data.to_frame()
    if isinstance(data, list) and data and all(isinstance(r, dict) for r in data):
        return pd.DataFrame.from_records(data)
    if isinstance(data, dict):
        return pd.DataFrame({k: v if isinstance(v, (list, tuple, np.ndarray, pd.Series)) else [v] for k, v in data.items()})
    return None


def to_dataframe(data: Any, schema: "Schema | None" = None):
    """Turn records, a dict of columns or a 2-D array into a pandas DataFrame.

    >>> to_dataframe([{"a": 1, "b": 2}]).shape
    (1, 2)
    """
    import numpy as np
    import pandas as pd

    frame = tabular_to_dataframe(data)
    if frame is not None:
        return frame
    arr = np.asarray(data)
    if arr.ndim == 1:
        arr = arr.reshape(-1, 1) if schema is not None and len(schema.inputs) == 1 else arr.reshape(1, -1)
    if arr.ndim != 2:
        raise InvalidParameterError(f"Model input has shape {arr.shape}: a 2-D array (rows x columns) is expected")
    columns = None
    if schema is not None and schema.has_input_names():
        names = schema.input_names()
        if arr.shape[1] != len(names):
            raise InvalidParameterError(
                f"Model input has {arr.shape[1]} columns but the signature expects {len(names)}: {names}"
            )
        columns = names
    return pd.DataFrame(arr, columns=columns)


def _describe(values: Any) -> str:
    for v in values:
        if v is not None:
            return f"{type(v).__name__} values such as {v!r}"
    return "only missing values"


def _fits(dtype: Any, spec: Any) -> bool:
    """True when a column of ``dtype`` needs neither a check of its values nor a conversion."""
    target = _TARGET_DTYPE.get(getattr(spec, "type", ""))
    return target is not None and getattr(dtype, "kind", "O") != "O" and str(dtype) == target


def _integers_with_gaps(col: Any, expected: str) -> Any:
    """An optional integer column pandas made float because some rows lack a value, as ``Int64``/``Int32``.

    Records such as ``[{"id": 3}, {}]`` become a float column with NaN; the
    present values are whole numbers, so nothing is lost. None when the
    column has no missing value or a fractional / out-of-range one.

    >>> _integers_with_gaps(pd.Series([3.0, float("nan")]), "long").tolist()
    [3, <NA>]
    """
    import numpy as np

    values = col.to_numpy()
    present = values[~np.isnan(values)]
    if len(present) == len(values) or not np.all(np.mod(present, 1) == 0):
        return None
    info = np.iinfo(np.int32 if expected == "integer" else np.int64)
    if len(present) and (present.min() < info.min or present.max() > info.max):
        return None
    return col.astype("Int32" if expected == "integer" else "Int64")


def _check_column(df: Any, name: Any, spec: ColSpec) -> Any:
    """Return the column converted to the spec's type (None when it already fits), or raise naming it."""
    col = df[name]
    dtype = col.dtype
    kind = getattr(dtype, "kind", "O")
    expected = spec.type
    accepted = _ACCEPTED_KINDS.get(expected)
    if accepted is not None:
        if kind in accepted:
            target = _TARGET_DTYPE[expected]
            if expected in ("integer", "long") and kind == "u" and dtype.itemsize >= 8:
                raise InvalidParameterError(
                    f"Model input column {name!r} has type {dtype}, the signature expects {expected}: values may overflow"
                )
            if expected == "integer" and dtype.itemsize > 4:
                import numpy as np

                info = np.iinfo(np.int32)
                if len(col) and (col.min() < info.min or col.max() > info.max):
                    raise InvalidParameterError(
                        f"Model input column {name!r} has values outside the 32-bit integer range the signature expects"
                    )
            return None if str(dtype) == target else col.astype(target)
        if expected in ("integer", "long") and kind == "f" and not spec.required:
            nullable = _integers_with_gaps(col, expected)
            if nullable is not None:
                return nullable
        if expected == "datetime" and kind in "OU":
            import pandas as pd

            try:
                return pd.to_datetime(col)
            except (ValueError, TypeError):
                pass
        got = _describe(col.values) if kind == "O" else f"type {dtype}"
        raise InvalidParameterError(f"Model input column {name!r} has {got}, the signature expects {expected}")
    # string / binary
    want = str if expected == "string" else (bytes, bytearray)
    if kind in ("U", "S") and ((kind == "U") == (expected == "string")):
        return None
    if getattr(dtype, "name", "") in ("str", "string") and expected == "string":
        return None
    if kind == "O":
        for v in col.values:
            if v is None or (isinstance(v, float) and v != v):
                continue
            if not isinstance(v, want):
                break
        else:
            return None
        raise InvalidParameterError(
            f"Model input column {name!r} has {_describe([v])}, the signature expects {expected}"
        )
    raise InvalidParameterError(f"Model input column {name!r} has type {dtype}, the signature expects {expected}")


def _enforce_columns(data: Any, schema: Schema) -> Any:
    df = to_dataframe(data, schema)
    specs = schema.inputs
    if not schema.has_input_names():
        if df.shape[1] != len(specs):
            raise InvalidParameterError(
                f"Model input has {df.shape[1]} columns but the signature expects {len(specs)}"
            )
        pairs = list(zip(df.columns, specs))
    else:
        if not all(isinstance(c, str) for c in df.columns):
            df = df.rename(columns=str)
        present = set(df.columns)
        missing = [s.name for s in specs if s.name not in present and getattr(s, "required", True)]
        if missing:
            label = f"column {missing[0]!r}" if len(missing) == 1 else f"columns {missing}"
            raise InvalidParameterError(
                f"Model input is missing {label} required by the signature "
                f"(expected columns: {schema.input_names()}, got: {list(df.columns)})"
            )
        pairs = [(s.name, s) for s in specs if s.name in present]
    names = [n for n, _ in pairs]
    if list(df.columns) != names:
        df = df[names]
    converted = {}
    for (name, spec), dtype in zip(pairs, df.dtypes.tolist()):
        if _fits(dtype, spec):
            continue
        col = _check_column(df, name, spec)  # type: ignore[arg-type]
        if col is not None:
            converted[name] = col
    if converted:
        df = df.copy(deep=False)
        for name, col in converted.items():
            df[name] = col
    return df


def _enforce_tensor(data: Any, spec: TensorSpec) -> Any:
    import numpy as np
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        arr = data.to_numpy()
    elif isinstance(data, list) and data and all(isinstance(r, dict) for r in data):
        arr = pd.DataFrame.from_records(data).to_numpy()
    else:
        arr = np.asarray(data)
    want = np.dtype(spec.dtype)
    if arr.dtype != want:
        if arr.dtype.kind == "O":
            try:
                arr = arr.astype(want)
            except (ValueError, TypeError):
                raise InvalidParameterError(
                    f"Model input has {_describe(arr.ravel())}, the signature expects a tensor of {want}"
                ) from None
        elif np.can_cast(arr.dtype, want, casting="same_kind") and not (
            arr.dtype.kind == "f" and want.kind in "iu"
        ):
            arr = arr.astype(want)
        else:
            raise InvalidParameterError(
                f"Model input has type {arr.dtype}, the signature expects a tensor of {want}"
            )
    shape = spec.shape
    if arr.ndim == len(shape) - 1 and len(shape) >= 2 and arr.shape == tuple(s for s in shape[1:]):
        arr = arr.reshape(1, *arr.shape)
    if arr.ndim != len(shape) or any(s != -1 and s != a for s, a in zip(shape, arr.shape)):
        raise InvalidParameterError(
            f"Model input has shape {tuple(arr.shape)}, the signature expects {tuple(shape)} (-1 = any size)"
        )
    return arr


_UNIFORM_DTYPES = {
    frozenset({"double"}): ("float64", "fiu"),
    frozenset({"float"}): ("float32", "fiu"),
    frozenset({"double", "float"}): ("float64", "fiu"),
    frozenset({"long"}): ("int64", "iu"),
    frozenset({"integer"}): ("int32", "iu"),
    frozenset({"long", "integer"}): ("int64", "iu"),
}


def uniform_numeric_dtype(schema: "Schema | None") -> "tuple[str, str] | None":
    """``(dtype, accepted kinds)`` when every column of a named schema has one numeric type family.

    A 2-D array is then an exact stand-in for a DataFrame of those columns (in
    schema order), and can be checked and passed on without pandas.

    >>> uniform_numeric_dtype(Schema([ColSpec("double", "a"), ColSpec("double", "b")]))
    ('float64', 'fiu')
    """
    if schema is None or schema.is_tensor_spec() or not schema.has_input_names():
        return None
    if not all(getattr(s, "required", True) for s in schema.inputs):
        return None
    return _UNIFORM_DTYPES.get(frozenset(s.type for s in schema.inputs))  # type: ignore[union-attr]


def enforce_array(arr: Any, schema: Schema, dtype: str, kinds: str) -> Any:
    """Check a 2-D numeric array against a uniform numeric schema; return it in ``dtype``.

    >>> enforce_array(np.array([[1, 2]]), schema_of_two_doubles, "float64", "fiu")
    array([[1., 2.]])
    """
    names = schema.input_names()
    if arr.ndim != 2 or arr.shape[1] != len(names):
        raise InvalidParameterError(
            f"Model input has {arr.shape[1] if arr.ndim == 2 else arr.ndim} columns but the signature expects "
            f"{len(names)}: {names}"
        )
    if arr.dtype.kind not in kinds:
        expected = schema.inputs[0].type  # type: ignore[union-attr]
        raise InvalidParameterError(f"Model input has type {arr.dtype}, the signature expects {expected} columns {names}")
    return arr if arr.dtype == dtype else arr.astype(dtype)


def enforce_schema(data: Any, schema: "Schema | None") -> Any:
    """Return ``data`` checked and converted for ``schema``; raise naming what does not fit.

    >>> enforce_schema([{"a": 1, "b": 2.5}], Schema([ColSpec("double", "a"), ColSpec("double", "b")]))
         a    b
    0  1.0  2.5
    """
    if schema is None:
        if isinstance(data, list) and data and all(isinstance(r, dict) for r in data):
            return to_dataframe(data)
        return data
    if schema.is_tensor_spec():
        if len(schema.inputs) == 1:
            return _enforce_tensor(data, schema.inputs[0])  # type: ignore[arg-type]
        if not isinstance(data, dict):
            raise InvalidParameterError(
                f"Model input must be a dict of named tensors {schema.input_names()}, got {type(data).__name__}"
            )
        out = {}
        for spec in schema.inputs:
            if spec.name not in data:
                raise InvalidParameterError(f"Model input is missing tensor {spec.name!r} required by the signature")
            out[spec.name] = _enforce_tensor(data[spec.name], spec)  # type: ignore[arg-type]
        return out
    return _enforce_columns(data, schema)


__all__ = ["enforce_schema", "tabular_to_dataframe", "to_dataframe"]
