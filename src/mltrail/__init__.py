"""mltrail: fast experiment tracking with MLflow's API.

Switch an MLflow script by changing its import line::

    import mltrail as mlflow
    mlflow.set_tracking_uri("sqlite:///mlflow.db")
    mlflow.set_experiment("nyc-taxi-experiment")
    with mlflow.start_run():
        mlflow.log_param("alpha", 0.01)
        mlflow.log_metric("rmse", 6.9)

Importing mltrail is cheap: SQLAlchemy, pandas, numpy, YAML and every ML
framework load only when first needed, so the names below resolve lazily.
"""

from __future__ import annotations

import importlib
from typing import Any

from . import _plugins
from .version import VERSION as __version__

_plugins.install_finder()

# name -> module that defines it (resolved on first access).
_LAZY: dict[str, str] = {
    # configuration
    "set_tracking_uri": "mltrail.config",
    "get_tracking_uri": "mltrail.config",
    "set_registry_uri": "mltrail.config",
    "get_registry_uri": "mltrail.config",
    # client
    "Client": "mltrail.client",
    "MlflowClient": "mltrail.client",
    # errors
    "MltrailError": "mltrail.exceptions",
    "MlflowException": "mltrail.exceptions",
}

_FLUENT = (
    "set_experiment", "create_experiment", "get_experiment", "get_experiment_by_name",
    "search_experiments", "delete_experiment",
    "start_run", "end_run", "active_run", "last_active_run", "get_run", "delete_run",
    "search_runs", "get_parent_run",
    "log_param", "log_params", "log_metric", "log_metrics", "set_tag", "set_tags",
    "delete_tag", "log_artifact", "log_artifacts", "log_text", "log_dict",
    "log_figure", "log_image", "log_input", "get_artifact_uri", "set_experiment_tag",
    "set_experiment_tags", "ActiveRun",
    "log_inputs", "log_table", "load_table", "restore_run", "restore_experiment",
    "delete_experiment_tag", "flush_async_logging", "is_tracking_uri_set",
)
for _name in _FLUENT:
    _LAZY[_name] = "mltrail.fluent"

# Later layers add names here as they land (models, registry, autologging).
_LAZY.update(
    {
        "register_model": "mltrail.fluent.registry",
        "search_registered_models": "mltrail.fluent.registry",
        "search_model_versions": "mltrail.fluent.registry",
        "set_model_version_tag": "mltrail.fluent.registry",
        "autolog": "mltrail.autologging",
        "flush_artifacts": "mltrail.artifacts.pending",
        "flush_artifact_async_logging": "mltrail.artifacts.pending",
    }
)

# MLflow 3 logged models
for _name in (
    "get_logged_model", "search_logged_models", "last_logged_model", "initialize_logged_model",
    "finalize_logged_model", "set_logged_model_tags", "delete_logged_model_tag", "log_model_params",
    "set_active_model", "get_active_model_id", "clear_active_model",
):
    _LAZY[_name] = "mltrail.fluent"

# Submodules reachable as attributes (``mltrail.pyfunc``, ``mltrail.entities``...).
_SUBMODULES = {
    "entities", "exceptions", "client", "tracking", "fluent", "models", "pyfunc",
    "autologging", "store", "artifacts", "config", "types", "data",
}


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is not None:
        value = getattr(importlib.import_module(module_name), name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        module = importlib.import_module(f"mltrail.{name}")
        globals()[name] = module
        return module
    if name in _plugins.integration_modules():
        module = _plugins.load_plugin(name)
        globals()[name] = module
        return module
    raise AttributeError(f"module 'mltrail' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY) | _SUBMODULES | set(_plugins.integration_modules()))


__all__ = ["__version__", *_LAZY]
