"""Describe a hyperopt search space readably, from its pyll graph.

``describe_space(space)`` returns a JSON-ready dict with two views of the space:

- ``hyperparameters``: every ``hp.*`` label with its distribution and bounds
  (``loguniform`` also shows the bounds on the natural scale);
- ``structure``: the space as the objective receives it, with each
  hyperparameter replaced by a short description and constants kept.

    >>> from hyperopt import hp
    >>> describe_space({"lr": hp.loguniform("lr", -3, 0)})["hyperparameters"]["lr"]["distribution"]
    'loguniform'

Objects that JSON cannot hold (a class, an estimator) are written as their repr.
"""

from __future__ import annotations

import json
import math
from typing import Any

# Positional argument names of hyperopt's distributions (pyll_utils.hp_*).
_DIST_ARGS: dict[str, tuple[str, ...]] = {
    "uniform": ("low", "high"),
    "quniform": ("low", "high", "q"),
    "loguniform": ("low", "high"),
    "qloguniform": ("low", "high", "q"),
    "normal": ("mu", "sigma"),
    "qnormal": ("mu", "sigma", "q"),
    "lognormal": ("mu", "sigma"),
    "qlognormal": ("mu", "sigma", "q"),
    "randint": ("low", "high"),
    "categorical": ("p",),
}
_CASTS = {"int", "float"}


def describe_space(space: Any) -> dict[str, Any]:
    """Return ``{"hyperparameters": {...}, "structure": ...}`` for a hyperopt space."""
    from hyperopt import pyll

    expr = pyll.as_apply(space)
    hyperparameters: dict[str, dict[str, Any]] = {}
    structure = _describe(expr, hyperparameters, cast=None)
    return {"hyperparameters": hyperparameters, "structure": structure}


def space_to_json(space: Any) -> str:
    """The space description as indented JSON text (never raises on odd literals)."""
    return json.dumps(describe_space(space), indent=2, sort_keys=False, default=_literal_text)


def _literal_text(value: Any) -> str:
    try:
        return repr(value)
    except Exception:  # an object whose repr raises
        return f"<unprintable {type(value).__module__}.{type(value).__qualname__}>"


def _literal(value: Any) -> Any:
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    try:  # numpy scalars
        import numbers

        if isinstance(value, numbers.Integral):
            return int(value)
        if isinstance(value, numbers.Real):
            return _literal(float(value))
    except Exception:  # pragma: no cover - numbers always imports
        pass
    if isinstance(value, (list, tuple)):
        return [_literal(v) for v in value]
    if isinstance(value, dict):
        return {_literal_text(k) if not isinstance(k, str) else k: _literal(v) for k, v in value.items()}
    return _literal_text(value)


def _describe(node: Any, hps: dict[str, dict[str, Any]], cast: str | None) -> Any:
    from hyperopt.pyll.base import Apply, Literal

    if isinstance(node, Literal):
        return _literal(node.obj)
    if not isinstance(node, Apply):
        return _literal(node)
    name = node.name
    if name == "dict":
        return {str(key): _describe(child, hps, None) for key, child in node.named_args}
    if name == "pos_args":
        return [_describe(child, hps, None) for child in node.pos_args]
    if name in _CASTS and len(node.pos_args) == 1 and not node.named_args:
        return _describe(node.pos_args[0], hps, cast or name)
    if name == "switch":
        return _describe_choice(node, hps)
    if name == "hyperopt_param":
        return _describe_param(node, hps, cast)
    return {
        "function": name,
        "args": [_describe(child, hps, None) for child in node.pos_args],
        **({"kwargs": {k: _describe(v, hps, None) for k, v in node.named_args}} if node.named_args else {}),
    }


def _label(param_node: Any) -> str:
    label = param_node.pos_args[0] if param_node.pos_args else dict(param_node.named_args)["label"]
    return str(getattr(label, "obj", label))


def _dist_args(dist: Any, hps: dict[str, dict[str, Any]]) -> dict[str, Any]:
    names = _DIST_ARGS.get(dist.name, ())
    pos = [_describe(child, hps, None) for child in dist.pos_args]
    if dist.name == "randint" and len(pos) == 1:
        args: dict[str, Any] = {"low": 0, "high": pos[0]}
    else:
        args = {names[i] if i < len(names) else f"arg{i}": v for i, v in enumerate(pos)}
    for key, child in dist.named_args:
        args[key] = _describe(child, hps, None)
    return args


def _describe_param(node: Any, hps: dict[str, dict[str, Any]], cast: str | None) -> dict[str, Any]:
    label = _label(node)
    dist = node.pos_args[1] if len(node.pos_args) > 1 else dict(node.named_args)["obj"]
    entry: dict[str, Any] = {"distribution": getattr(dist, "name", repr(dist))}
    if hasattr(dist, "pos_args"):
        entry.update(_dist_args(dist, hps))
    if entry["distribution"] in ("loguniform", "qloguniform") and _numbers(entry, "low", "high"):
        entry["range"] = [math.exp(entry["low"]), math.exp(entry["high"])]
    if entry["distribution"] == "randint":
        entry["note"] = "integer in [low, high)"
    if cast:
        entry["type"] = cast
    hps[label] = entry
    return {"hyperparameter": label, **entry}


def _describe_choice(node: Any, hps: dict[str, dict[str, Any]]) -> dict[str, Any]:
    selector, *options = node.pos_args
    described = [_describe(option, hps, None) for option in options]
    if getattr(selector, "name", None) != "hyperopt_param":
        return {"function": "switch", "selector": _describe(selector, hps, None), "options": described}
    label = _label(selector)
    dist = selector.pos_args[1]
    entry: dict[str, Any] = {"distribution": "choice", "options": [_by_reference(o) for o in described]}
    if getattr(dist, "name", None) == "categorical":
        entry["distribution"] = "pchoice"
        probs = _describe(dist.pos_args[0], hps, None) if dist.pos_args else None
        entry["probabilities"] = probs
    hps[label] = entry
    return {"hyperparameter": label, **entry}


def _by_reference(value: Any) -> Any:
    """Replace nested hyperparameter descriptions by ``"<hp:label>"`` (flat view)."""
    if isinstance(value, dict):
        if "hyperparameter" in value:
            return f"<hp:{value['hyperparameter']}>"
        return {k: _by_reference(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_by_reference(v) for v in value]
    return value


def _numbers(entry: dict[str, Any], *keys: str) -> bool:
    return all(isinstance(entry.get(k), (int, float)) and not isinstance(entry.get(k), bool) for k in keys)
