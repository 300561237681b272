"""``mltrail.autolog()``: one call configures every installed integration.

Integrations are found through the ``mltrail.integrations`` entry-point
group (:func:`mltrail._plugins.integration_modules`), ours and third-party
ones alike. Each gets the shared options plus those of its extras it knows;
a framework's own ``autolog()`` overrides this for that framework, except
that ``mltrail.autolog(disable=True)`` turns everything off::

    import mltrail
    mltrail.autolog(log_models=False)   # sklearn, xgboost, hyperopt, plugins...
    mltrail.sklearn.autolog(max_tuning_runs=3)   # sklearn keeps its own settings
    mltrail.autolog(disable=True)       # every patch undone
"""

from __future__ import annotations

from typing import Any

from .. import _plugins
from ..exceptions import InvalidParameterError
from ._config import SHARED_DEFAULTS
from ._integration import Integration
from ._reporting import describe_error, warn_once


def integration_modules() -> dict[str, str]:
    """Every registered integration's module, by name (from the ``mltrail.integrations`` entry points; nothing imported).

    An integration can tell the others' code apart with it (sklearn leaves
    the estimator classes of ``mltrail_xgboost`` to that plugin).

    >>> integration_modules()["sklearn"]
    'mltrail_sklearn'
    """
    return dict(_plugins.integration_modules())


def integrations() -> dict[str, Integration]:
    """Every registered integration that loads, by name (importing plugin modules, not frameworks).

    >>> sorted(integrations())
    ['hyperopt', 'sklearn', 'xgboost']
    """
    found: dict[str, Integration] = {}
    for name in _plugins.integration_modules():
        try:
            integration = getattr(_plugins.load_plugin(name), "integration")
        except Exception as exc:
            warn_once(f"mltrail autologging: the integration {name!r} could not be loaded: {describe_error(exc)}")
            continue
        if isinstance(integration, Integration):
            found[name] = integration
        else:
            warn_once(
                f"mltrail autologging: the integration {name!r} exposes no "
                "mltrail.autologging.Integration named 'integration'; skipped"
            )
    return found


def autolog(
    log_models: bool = True,
    log_input_examples: bool = False,
    log_model_signatures: bool = True,
    log_datasets: bool = True,
    disable: bool = False,
    exclusive: bool = False,
    disable_for_unsupported_versions: bool = False,
    silent: bool = False,
    extra_tags: "dict[str, str] | None" = None,
    registered_model_name: "str | None" = None,
    exclude_flavors: "list[str] | None" = None,
    **extras: Any,
) -> None:
    """Enable autologging for every installed integration, before or after the frameworks are imported.

    Shared options: ``log_models``, ``log_input_examples``,
    ``log_model_signatures``, ``log_datasets``, ``disable`` (undo every
    patch), ``exclusive`` (leave runs the user started alone),
    ``disable_for_unsupported_versions``, ``silent`` (no warnings),
    ``extra_tags`` (added to every autologged run), ``registered_model_name``,
    ``exclude_flavors`` (integrations this call leaves as they are, as MLflow's).
    Other keyword options go to the integrations that define them
    (``max_tuning_runs=5`` reaches sklearn); one no integration knows, or a
    value an integration refuses (``importance_types="bogus"``), raises
    :class:`~mltrail.exceptions.InvalidParameterError` (the other
    integrations are configured all the same).

        import mltrail
        mltrail.autolog(log_input_examples=True, extra_tags={"team": "pricing"})
    """
    shared = {
        "log_models": log_models,
        "log_input_examples": log_input_examples,
        "log_model_signatures": log_model_signatures,
        "log_datasets": log_datasets,
        "disable": disable,
        "exclusive": exclusive,
        "disable_for_unsupported_versions": disable_for_unsupported_versions,
        "silent": silent,
        "extra_tags": extra_tags,
        "registered_model_name": registered_model_name,
    }
    found = integrations()
    known_extras = {key for integ in found.values() for key in integ.defaults} - set(SHARED_DEFAULTS)
    unknown = sorted(set(extras) - known_extras)
    if unknown:
        raise InvalidParameterError(
            f"Unknown autolog option(s) {', '.join(map(repr, unknown))}: valid options are "
            f"{', '.join(sorted(set(SHARED_DEFAULTS) | known_extras))}"
        )
    refused: list[InvalidParameterError] = []
    excluded = set(exclude_flavors or ())
    for integration in found.values():
        if integration.name in excluded:
            continue
        if integration.configured_explicitly and not disable:
            continue  # the framework's own autolog() call wins
        own_extras = {k: v for k, v in extras.items() if k in integration.defaults}
        try:
            integration.configure({**shared, **own_extras}, explicit=False)
        except InvalidParameterError as exc:  # a bad value of the user's: said once the others are configured
            refused.append(exc)
        except Exception as exc:  # a broken plugin must not stop the others
            warn_once(f"mltrail autologging: could not configure {integration.name!r}: {describe_error(exc)}")
    if refused:
        raise refused[0]
