"""Serving inputs: the ``/invocations`` request body for an input example (MLflow 3's helpers).

    >>> convert_input_example_to_serving_input(pd.DataFrame({"a": [1.0]}))
    '{\\n  "dataframe_split": {\\n    "columns": [\\n      "a"\\n ...'
    >>> validate_serving_input(model_uri, serving_input)      # the model's predictions on it
"""

from __future__ import annotations

import json
from typing import Any, Optional, Union


def convert_input_example_to_serving_input(input_example: Any) -> Optional[str]:
    """The JSON request body the scoring server takes for ``input_example`` (None for None).

    >>> json.loads(convert_input_example_to_serving_input([[1.0, 2.0]]))
    {'inputs': [[1.0, 2.0]]}
    """
    if input_example is None:
        return None
    from .input_example import example_payload, serving_payload

    payload, info = example_payload(input_example)
    return json.dumps(serving_payload(payload, info), allow_nan=False, indent=2)


def validate_serving_input(model_uri: str, serving_input: Union[str, dict[str, Any]]) -> Any:
    """Predict with the model at ``model_uri`` on a serving input, as the scoring server would.

    Raises the error the server would answer with when the input does not
    fit the model's signature.

    >>> validate_serving_input(info.model_uri, info.get_serving_input())  # doctest: +SKIP
    array([0, 1])
    """
    from .pyfunc_model import load_model
    from .scoring_payload import parse_json

    body = serving_input if isinstance(serving_input, str) else json.dumps(serving_input)
    data, params = parse_json(body.encode("utf-8"))
    return load_model(model_uri).predict(data, params=params)


__all__ = ["convert_input_example_to_serving_input", "validate_serving_input"]
