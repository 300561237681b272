"""Turning user-supplied metric values, steps, timestamps and tags into stored form.

Each conversion raises :class:`InvalidParameterError` naming the key, the
value and the rule, before anything is written::

    metric_value("rmse", "6.9")   # InvalidParameterError: ... must be a number ...

Public for the layers above the client: the fluent functions build their
``log_batch`` entries with :func:`make_metrics`, :func:`make_params` and
:func:`make_tags`, so a value is checked by the same rule on either path::

    from mltrail.client.values import make_metrics
    make_metrics({"rmse": 6.9}, step=3)   # [Metric(key='rmse', value=6.9, timestamp=..., step=3)]
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Mapping, Optional

from ..entities import Metric, Param, RunTag
from ..exceptions import InvalidParameterError
from ..store.clock import now_ms


def metric_value(key: str, value: Any) -> float:
    """``value`` as a float, or InvalidParameterError when it is not a real number.

    NaN and +-inf are numbers and pass; strings, None and booleans' cousins
    that are not numbers do not.

    >>> metric_value("rmse", 6)
    6.0
    """
    kind = type(value)
    if kind is float:
        return value
    try:
        if kind is int:
            return float(value)
        if isinstance(value, numbers.Real) or (
            isinstance(value, numbers.Number) and not isinstance(value, numbers.Complex)
        ):  # bool, numpy scalars, Fraction, Decimal
            return float(value)
        if not isinstance(value, (str, bytes, numbers.Complex)) and hasattr(value, "__float__"):
            # numpy 0-d arrays, torch scalars and the like
            try:
                return float(value)
            except (TypeError, ValueError):
                pass
    except (OverflowError, ValueError):
        raise InvalidParameterError(
            f"Invalid value {value!r} for metric {key!r}: a metric value must be a number "
            f"representable as a 64-bit float (at most about 1.8e308 in magnitude)"
        ) from None
    raise InvalidParameterError(
        f"Invalid value {value!r} for metric {key!r}: a metric value must be a real number "
        f"(int, float or numpy scalar), got {type(value).__name__}"
    )


def metric_step(key: str, step: Any) -> int:
    """``step`` as an int (None -> 0); an integral float is accepted.

    >>> metric_step("loss", 3.0)
    3
    """
    if step is None:
        return 0
    if type(step) is int:
        return step
    if isinstance(step, numbers.Integral) and not isinstance(step, bool):
        return int(step)
    if isinstance(step, numbers.Real) and _as_float(step).is_integer():
        return int(step)
    raise InvalidParameterError(
        f"Invalid step {step!r} for metric {key!r}: a step must be an integer"
    )


def metric_timestamp(key: str, timestamp: Any) -> int:
    """``timestamp`` (epoch milliseconds) as an int; None -> now.

    >>> metric_timestamp("loss", None) > 0
    True
    """
    if timestamp is None:
        return now_ms()
    if type(timestamp) is int:
        return timestamp
    if isinstance(timestamp, numbers.Real) and not isinstance(timestamp, bool) and math.isfinite(_as_float(timestamp)):
        return int(timestamp)
    raise InvalidParameterError(
        f"Invalid timestamp {timestamp!r} for metric {key!r}: a timestamp must be an integer "
        f"number of milliseconds since the epoch"
    )


def _as_float(value: Any) -> float:
    """``float(value)``, NaN when it has no float value (too large, a signalling Decimal)."""
    try:
        return float(value)
    except (OverflowError, ValueError, TypeError):
        return math.nan


def make_metric(key: str, value: Any, timestamp: Any = None, step: Any = None) -> Metric:
    """A validated :class:`Metric` (value, step and timestamp converted).

    >>> make_metric("rmse", 6.9, step=1).value
    6.9
    """
    return Metric(key, metric_value(key, value), metric_timestamp(key, timestamp), metric_step(key, step))


def string_value(kind: str, key: str, value: Any) -> str:
    """Param and tag values are stored as strings (MLflow's rule: ``str(value)``).

    >>> string_value("param", "alpha", 0.01)
    '0.01'
    """
    if type(value) is str:
        return value
    return str(value)


def make_params(params: Optional[Mapping[str, Any]]) -> list[Param]:
    """Params from a dict, values as strings.

    >>> make_params({"alpha": 0.1})
    [Param(key='alpha', value='0.1')]
    """
    if not params:
        return []
    _check_mapping("params", params)
    return [Param(k, string_value("param", k, v)) for k, v in params.items()]


def make_tags(tags: Optional[Mapping[str, Any]]) -> list[RunTag]:
    """Run tags from a dict, values as strings.

    >>> make_tags({"team": "nlp"})
    [RunTag(key='team', value='nlp')]
    """
    if not tags:
        return []
    _check_mapping("tags", tags)
    return [RunTag(k, string_value("tag", k, v)) for k, v in tags.items()]


def make_metrics(metrics: Optional[Mapping[str, Any]], step: Any = None, timestamp: Any = None) -> list[Metric]:
    """Metrics from a dict, sharing one step and one timestamp (now when None).

    >>> make_metrics({"rmse": 6.9}, step=2, timestamp=1700000000000)
    [Metric(key='rmse', value=6.9, timestamp=1700000000000, step=2)]
    """
    if not metrics:
        return []
    _check_mapping("metrics", metrics)
    if timestamp is None:
        timestamp = now_ms()
    return [make_metric(k, v, timestamp, step) for k, v in metrics.items()]


def _check_mapping(what: str, value: Any) -> None:
    if not isinstance(value, Mapping):
        raise InvalidParameterError(
            f"Invalid {what} {value!r}: must be a dict of key -> value, got {type(value).__name__}"
        )
