"""Autologging configuration shared by every integration.

:data:`SHARED_DEFAULTS` lists the options every integration understands;
an integration adds its own extras (``max_tuning_runs`` for sklearn,
``importance_types`` for xgboost) through ``Integration.config_defaults``.
A resolved configuration is an immutable :class:`AutologConfig`, read by
attribute or by key::

    config = AutologConfig({"log_models": False, "silent": True})
    config.log_models        # False
    config["silent"]         # True
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any, Iterator, Mapping

from ..exceptions import InvalidParameterError

#: Options every integration accepts, with MLflow's defaults.
SHARED_DEFAULTS: Mapping[str, Any] = MappingProxyType(
    {
        "log_models": True,
        "log_input_examples": False,
        "log_model_signatures": True,
        "log_datasets": True,
        "disable": False,
        "exclusive": False,
        "disable_for_unsupported_versions": False,
        "silent": False,
        "extra_tags": None,
        "registered_model_name": None,
    }
)


class AutologConfig(Mapping[str, Any]):
    """An immutable mapping of option -> value with attribute access.

    >>> AutologConfig({"log_models": False}).log_models
    False
    """

    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, Any]) -> None:
        object.__setattr__(self, "_values", dict(values))

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(f"autolog config has no option {name!r}") from None

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("AutologConfig is immutable; call autolog(...) again to change it")

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"AutologConfig({self._values!r})"


def resolve_config(
    integration_name: str, defaults: Mapping[str, Any], given: Mapping[str, Any]
) -> AutologConfig:
    """Merge ``given`` over ``defaults``; an unknown option raises InvalidParameterError.

    >>> resolve_config("sklearn", SHARED_DEFAULTS, {"log_models": False}).log_models
    False
    """
    unknown = sorted(set(given) - set(defaults))
    if unknown:
        raise InvalidParameterError(
            f"Unknown autolog option(s) {', '.join(map(repr, unknown))} for {integration_name!r}: "
            f"valid options are {', '.join(sorted(defaults))}"
        )
    extra_tags = given.get("extra_tags")
    if extra_tags is not None and not isinstance(extra_tags, Mapping):
        raise InvalidParameterError(
            f"extra_tags={extra_tags!r} for {integration_name!r}: must be a dict of tag name -> value"
        )
    merged = dict(defaults)
    merged.update(given)
    return AutologConfig(merged)
