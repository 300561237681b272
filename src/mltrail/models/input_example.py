"""Input examples: a few rows saved beside the model as ``input_example.json``.

DataFrames and lists of dicts are saved in pandas' ``split`` orientation
(``{"columns": [...], "data": [[...]]}``), numpy arrays as ``{"inputs": [...]}``
(the TF-serving form the scoring server also accepts), so the file can be
POSTed to ``/invocations`` as it is::

    >>> info = save_input_example(folder, X_val[:5])
    >>> load_input_example(folder, info)      # a DataFrame again
"""

from __future__ import annotations

import json
import math
import os
from typing import Any, Optional

from ..exceptions import InvalidParameterError

INPUT_EXAMPLE_FILE = "input_example.json"
SERVING_INPUT_FILE = "serving_input_example.json"


def _jsonable(value: Any) -> Any:
    """Plain-JSON form of a cell (numpy scalars, NaN -> None, bytes -> base64, timestamps -> ISO)."""
    import numpy as np

    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (bytes, bytearray)):
        import base64

        return base64.b64encode(bytes(value)).decode("ascii")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def example_to_dataframe_or_array(example: Any) -> Any:
    """The example as a DataFrame (tabular forms) or a numpy array.

    >>> example_to_dataframe_or_array([{"a": 1}]).columns.tolist()
    ['a']
    """
    import numpy as np

    from .schema_enforcement import tabular_to_dataframe

    if isinstance(example, np.ndarray):
        return example
    frame = tabular_to_dataframe(example)
    if frame is not None:
        return frame
    if isinstance(example, (list, tuple)):
        return np.asarray(example)
    if type(example).__module__.startswith("scipy.sparse"):
        return example.toarray()
    raise InvalidParameterError(
        f"input_example of type {type(example).__name__} is not supported: give a pandas DataFrame, "
        "a numpy array, a list of dicts or a dict of columns"
    )


def example_payload(example: Any) -> tuple[Any, dict[str, Any]]:
    """``(JSON payload of input_example.json, saved_input_example_info)`` for ``example``.

    >>> example_payload([[1.0, 2.0]])[0]
    {'inputs': [[1.0, 2.0]]}
    """
    import numpy as np

    data = example_to_dataframe_or_array(example)
    if isinstance(data, np.ndarray):
        payload: Any = {"inputs": [_jsonable_row(r) for r in data.tolist()] if data.ndim > 1 else [_jsonable(v) for v in data.tolist()]}
        info = {"artifact_path": INPUT_EXAMPLE_FILE, "type": "ndarray", "format": "tf-serving"}
    else:
        payload = {
            "columns": [str(c) for c in data.columns],
            "data": [[_jsonable(v) for v in row] for row in data.itertuples(index=False, name=None)],
        }
        info = {"artifact_path": INPUT_EXAMPLE_FILE, "type": "dataframe", "pandas_orient": "split"}
    return payload, info


def serving_payload(payload: Any, info: dict[str, Any]) -> dict[str, Any]:
    """The scoring-server request body for an input example payload (MLflow 3's serving input).

    >>> serving_payload({"columns": ["a"], "data": [[1]]}, {"type": "dataframe"})
    {'dataframe_split': {'columns': ['a'], 'data': [[1]]}}
    """
    if info.get("type") == "dataframe":
        return {"dataframe_split": payload}
    return payload if isinstance(payload, dict) and "inputs" in payload else {"inputs": payload}


def save_input_example(directory: str, example: Any, serving_input: bool = False) -> dict[str, Any]:
    """Write ``input_example.json`` into ``directory``; return the MLmodel ``saved_input_example_info``.

    ``serving_input=True`` also writes ``serving_input_example.json``, the
    request body ``/invocations`` takes for the example (as MLflow 3 does).

    >>> save_input_example("model", X_val[:5])
    {'artifact_path': 'input_example.json', 'type': 'dataframe', 'pandas_orient': 'split'}
    """
    payload, info = example_payload(example)
    with open(os.path.join(directory, INPUT_EXAMPLE_FILE), "w", encoding="utf-8") as f:
        json.dump(payload, f, allow_nan=False)
    if serving_input:
        with open(os.path.join(directory, SERVING_INPUT_FILE), "w", encoding="utf-8") as f:
            json.dump(serving_payload(payload, info), f, allow_nan=False, indent=2)
        info["serving_input_path"] = SERVING_INPUT_FILE
    return info


def _jsonable_row(row: Any) -> Any:
    if isinstance(row, list):
        return [_jsonable_row(v) for v in row]
    return _jsonable(row)


def load_input_example(directory: str, info: Optional[dict[str, Any]]) -> Any:
    """Read back the saved example (a DataFrame or a numpy array), or None when none was saved.

    >>> load_input_example("model", Model.load("model").saved_input_example_info)
    """
    if not info:
        return None
    from .integrity import resolve_model_path

    key = "saved_input_example_info.artifact_path"
    path = resolve_model_path(directory, info.get("artifact_path", INPUT_EXAMPLE_FILE), key)
    with open(path, encoding="utf-8") as f:
        payload = json.load(f)
    if info.get("type") == "ndarray":
        import numpy as np

        return np.asarray(payload["inputs"] if isinstance(payload, dict) else payload)
    import pandas as pd

    return pd.DataFrame(payload["data"], columns=payload["columns"])


def convert_input_example_to_serving_input(input_example: Any) -> Optional[str]:
    """The JSON request body the scoring server takes for ``input_example`` (None for None).

    >>> json.loads(convert_input_example_to_serving_input([[1.0, 2.0]]))
    {'inputs': [[1.0, 2.0]]}
    """
    if input_example is None:
        return None
    payload, info = example_payload(input_example)
    return json.dumps(serving_payload(payload, info), allow_nan=False, indent=2)


__all__ = [
    "INPUT_EXAMPLE_FILE",
    "SERVING_INPUT_FILE",
    "convert_input_example_to_serving_input",
    "example_payload",
    "load_input_example",
    "save_input_example",
    "serving_payload",
]
