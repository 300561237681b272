"""Serving inputs: the ``/invocations`` request body for an input example (MLflow 3's helpers).

    >>> convert_input_example_to_serving_input(pd.DataFrame({"a": [1.0]}))
    '{\\n  "dataframe_split": {\\n    "columns": [\\n      "a"\\n ...'
    >>> validate_serving_input(model_uri, serving_input)      # the model's predictions on it
"""

from __future__ import annotations

import json
from typing import Any, Union

from .input_example import convert_input_example_to_serving_input


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
