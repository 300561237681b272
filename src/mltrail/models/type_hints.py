"""Signatures from the type hints of a custom model's ``predict`` (MLflow 3's rule).

A ``PythonModel.predict`` (or a plain function logged as ``python_model``)
annotated with ``list[<element>]`` for its input gets a signature without an
input example: one unnamed column of the element's type. Supported
elements: ``str``, ``int``, ``float``, ``bool``, ``bytes``, ``datetime``.
``pd.DataFrame``, ``pd.Series`` and ``np.ndarray`` hints carry no schema
(the input example decides, as in MLflow); anything else is not inferred.

    >>> class Upper(PythonModel):
    ...     def predict(self, model_input: list[str], params=None) -> list[str]:
    ...         return [s.upper() for s in model_input]
    >>> signature_from_type_hints(Upper().predict).inputs.to_dict()
    [{'type': 'string', 'required': True}]

At predict time, :func:`coerce_to_hint` turns the request (a list, a
one-column DataFrame or Series, a numpy array) into the hinted list and
refuses elements of another type, naming the first one.
"""

from __future__ import annotations

import datetime
import inspect
import typing
from typing import Any, Callable, Optional

from ..exceptions import InvalidParameterError
from .signature import ColSpec, ModelSignature, Schema

_ELEMENT_TYPES: dict[Any, str] = {
    str: "string",
    int: "long",
    float: "double",
    bool: "boolean",
    bytes: "binary",
    datetime.datetime: "datetime",
}


def _hints(func: Callable[..., Any]) -> tuple[Any, Any]:
    """``(input hint, return hint)`` of ``func``'s model-input parameter (None when absent)."""
    try:
        hints = typing.get_type_hints(func)
        params = [p for p in inspect.signature(func).parameters.values() if p.name not in ("self", "context", "params")]
    except (NameError, TypeError, ValueError):  # unresolvable string annotations, builtins
        return None, None
    if not params:
        return None, None
    return hints.get(params[0].name), hints.get("return")


def list_element(hint: Any) -> Optional[type]:
    """The element type of a supported ``list[...]`` hint, else None.

    >>> list_element(list[int]), list_element(dict)
    (<class 'int'>, None)
    """
    if typing.get_origin(hint) is not list:
        return None
    args = typing.get_args(hint)
    if len(args) != 1 or args[0] not in _ELEMENT_TYPES:
        return None
    return args[0]


def _schema(hint: Any) -> Optional[Schema]:
    element = list_element(hint)
    return None if element is None else Schema([ColSpec(_ELEMENT_TYPES[element])])


def signature_from_type_hints(func: Callable[..., Any]) -> Optional[ModelSignature]:
    """The signature ``func``'s hints give, or None when its input hint is not a supported ``list[...]``.

    >>> signature_from_type_hints(lambda x: x) is None
    True
    """
    input_hint, return_hint = _hints(func)
    inputs = _schema(input_hint)
    if inputs is None:
        return None
    return ModelSignature(inputs, _schema(return_hint))


def input_element(func: Callable[..., Any]) -> Optional[type]:
    """The element type ``func`` declares for its input list (None: no supported hint)."""
    return list_element(_hints(func)[0])


def _matches(value: Any, element: type) -> bool:
    if element is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if element is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, element)


def coerce_to_hint(data: Any, element: type) -> list[Any]:
    """``data`` as the ``list[element]`` the model declared, or raise naming the first bad element.

    >>> coerce_to_hint(pd.DataFrame({"text": ["a", "b"]}), str)
    ['a', 'b']
    """
    if hasattr(data, "columns") and hasattr(data, "iloc"):  # one-column DataFrame
        if len(data.columns) != 1:
            raise InvalidParameterError(
                f"Model input is a table with columns {list(data.columns)}; predict is declared to take "
                f"list[{element.__name__}] (one value per row)"
            )
        data = data.iloc[:, 0]
    if hasattr(data, "tolist"):
        data = data.tolist()
    if not isinstance(data, (list, tuple)):
        raise InvalidParameterError(
            f"Model input of type {type(data).__name__} is not a list: predict is declared to take list[{element.__name__}]"
        )
    for i, value in enumerate(data):
        if not _matches(value, element):
            raise InvalidParameterError(
                f"Model input element {i} is {value!r} ({type(value).__name__}); "
                f"predict is declared to take list[{element.__name__}]"
            )
    return [float(v) if element is float else v for v in data]


__all__ = ["coerce_to_hint", "input_element", "list_element", "signature_from_type_hints"]
