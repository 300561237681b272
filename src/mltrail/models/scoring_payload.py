"""Request bodies of the scoring server (and ``mltrail models predict``), and its responses.

JSON bodies carry exactly one of MLflow's input keys, optionally with
``params``::

    {"dataframe_split": {"columns": ["a", "b"], "data": [[1, 2.5]]}}
    {"dataframe_records": [{"a": 1, "b": 2.5}]}
    {"instances": [[1, 2.5]]}            # or a list of records
    {"inputs": [[1, 2.5]]}               # or {"a": [1], "b": [2.5]}

A bare ``{"columns": [...], "data": [...]}`` (a saved ``input_example.json``)
is read as ``dataframe_split``. CSV bodies are a header row plus data rows. Anything else raises
:class:`InvalidParameterError` with a message saying what is wrong::

    >>> data, params = parse_json(b'{"dataframe_records": [{"a": 1}]}')
"""

from __future__ import annotations

import json
import math
from typing import Any, Optional

from ..exceptions import BAD_REQUEST, InvalidParameterError

INPUT_KEYS = ("dataframe_split", "dataframe_records", "instances", "inputs")


def _bad(message: str) -> InvalidParameterError:
    return InvalidParameterError(message, error_code=BAD_REQUEST)


def parse_json(
    body: "bytes | str", array_columns: Optional[list] = None
) -> tuple[Any, Optional[dict[str, Any]]]:
    """Turn a JSON request body into model input (DataFrame, array, records) and params.

    With ``array_columns`` (:attr:`PyFuncModel.array_columns`), a
    ``dataframe_split`` naming exactly those columns with numbers only comes
    back as a 2-D numpy array, which that model takes without pandas.

    >>> parse_json(b'{"dataframe_split": {"columns": ["a"], "data": [[1.5]]}}')
    (     a
    0  1.5, None)
    """
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError) as e:
        raise _bad(f"Invalid JSON input: {e}") from None
    except RecursionError:
        raise _bad("Invalid JSON input: arrays or objects are nested too deeply") from None
    if not isinstance(payload, dict):
        raise _bad(
            f"Invalid input: the JSON body must be an object with one of the keys {list(INPUT_KEYS)}, "
            f"got a {type(payload).__name__}"
        )
    if _is_bare_split(payload):  # an input_example.json as saved (MLflow writes the same shape)
        payload = {"dataframe_split": payload}
    keys = [k for k in INPUT_KEYS if k in payload]
    unknown = sorted(set(payload) - set(INPUT_KEYS) - {"params"})
    if len(keys) != 1 or unknown:
        raise _bad(
            f"Invalid input: the JSON body must have exactly one of the keys {list(INPUT_KEYS)} "
            f"(and optionally 'params'), got {sorted(payload)}"
        )
    params = payload.get("params")
    if params is not None and not isinstance(params, dict):
        raise _bad(f"Invalid input: 'params' must be an object, got {type(params).__name__}")
    key = keys[0]
    return _convert(key, payload[key], array_columns), params


def _is_bare_split(payload: dict) -> bool:
    """True for pandas' split orientation without a wrapping key: ``{"columns": [...], "data": [...]}``."""
    return "columns" in payload and "data" in payload and set(payload) <= {"columns", "data", "index"}


def _convert(key: str, value: Any, array_columns: Optional[list] = None) -> Any:
    import pandas as pd

    if key == "dataframe_split":
        if not isinstance(value, dict) or "data" not in value:
            raise _bad("Invalid input: 'dataframe_split' must be an object with 'columns' and 'data' (pandas split orient)")
        data, columns = value["data"], value.get("columns")
        if not isinstance(data, list):
            raise _bad("Invalid input: dataframe_split 'data' must be a list of rows")
        if columns is not None:
            if not isinstance(columns, list):
                raise _bad("Invalid input: dataframe_split 'columns' must be a list of column names")
            for i, row in enumerate(data):
                if not isinstance(row, list) or len(row) != len(columns):
                    raise _bad(
                        f"Invalid input: dataframe_split row {i} has "
                        f"{len(row) if isinstance(row, list) else type(row).__name__} values, "
                        f"expected {len(columns)} (one per column)"
                    )
        if columns is not None and value.get("index") is None:
            fast = _numeric_block(data)
            if fast is not None:
                if columns == array_columns:
                    return fast
                return pd.DataFrame(fast, columns=columns, copy=False)
        try:
            return pd.DataFrame(data, columns=columns, index=value.get("index"))
        except (ValueError, TypeError) as e:
            raise _bad(f"Invalid input: cannot build a DataFrame from dataframe_split: {e}") from None
    if key == "dataframe_records":
        if not isinstance(value, list) or not all(isinstance(r, dict) for r in value):
            raise _bad("Invalid input: 'dataframe_records' must be a list of objects (one per row)")
        return pd.DataFrame.from_records(value)
    # instances / inputs (TF-serving forms)
    if isinstance(value, list):
        if value and all(isinstance(r, dict) for r in value):
            return pd.DataFrame.from_records(value)
        import numpy as np

        try:
            return np.asarray(value)
        except ValueError as e:
            raise _bad(f"Invalid input: {key!r} is not a rectangular array: {e}") from None
    if isinstance(value, dict):
        try:
            return pd.DataFrame({k: v if isinstance(v, list) else [v] for k, v in value.items()})
        except ValueError as e:
            raise _bad(f"Invalid input: {key!r} columns must all have the same length: {e}") from None
    raise _bad(f"Invalid input: {key!r} must be a list or an object, got {type(value).__name__}")


def _numeric_block(rows: list) -> Any:
    """Fast path: rows of plain ints (or of plain floats) become one typed 2-D array, no per-cell pandas work.

    Returns None when the rows mix types (pandas then infers each column).
    """
    if not rows:
        return None
    kinds = {type(v) for row in rows for v in row}
    if kinds == {float}:
        dtype = "float64"
    elif kinds == {int}:
        dtype = "int64"
    else:
        return None
    import numpy as np

    try:
        return np.array(rows, dtype=dtype)
    except (OverflowError, ValueError):
        return None


def parse_csv(body: "bytes | str") -> Any:
    """Turn a CSV body (header row + rows) into a DataFrame.

    >>> parse_csv(b"a,b\n1,2\n").to_dict(orient="records")
    [{'a': 1, 'b': 2}]
    """
    import io

    import pandas as pd

    text = body.decode("utf-8") if isinstance(body, (bytes, bytearray)) else body
    if not text.strip():
        raise _bad("Invalid input: the CSV body is empty (expected a header row and data rows)")
    try:
        return pd.read_csv(io.StringIO(text))
    except (ValueError, pd.errors.ParserError) as e:
        raise _bad(f"Invalid CSV input: {e}") from None


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def predictions_to_json(predictions: Any) -> str:
    """``{"predictions": ...}``: arrays (sparse ones too) as lists, DataFrames as records, NaN as null.

    >>> predictions_to_json(np.array([0, 1]))
    '{"predictions": [0, 1]}'
    """
    import numpy as np
    import pandas as pd

    if isinstance(predictions, pd.DataFrame):
        out: Any = predictions.to_dict(orient="records")
    elif isinstance(predictions, pd.Series):
        out = predictions.tolist()
    elif isinstance(predictions, np.ndarray):
        out = predictions.tolist()
    elif isinstance(predictions, dict):
        out = {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in predictions.items()}
    elif type(predictions).__module__.startswith("scipy.sparse") and hasattr(predictions, "toarray"):
        out = predictions.toarray().tolist()  # a DictVectorizer's or OneHotEncoder's transform
    else:
        out = predictions
    try:
        return json.dumps({"predictions": out}, allow_nan=False)
    except ValueError:  # NaN / inf in the output
        def fix(v: Any) -> Any:
            if isinstance(v, list):
                return [fix(x) for x in v]
            if isinstance(v, dict):
                return {k: fix(x) for k, x in v.items()}
            return _clean(v)

        return json.dumps({"predictions": fix(out)}, allow_nan=False, default=str)
    except TypeError:
        return json.dumps({"predictions": out}, default=str)


__all__ = ["INPUT_KEYS", "parse_csv", "parse_json", "predictions_to_json"]
