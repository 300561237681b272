"""The fluent API re-exported by ``mltrail``: an active run per thread/context and module-level logging.

    import mltrail as mlflow
    mlflow.set_tracking_uri("sqlite:///mlflow.db")
    mlflow.set_experiment("nyc-taxi-experiment")
    with mlflow.start_run():
        mlflow.log_param("alpha", 0.01)
        mlflow.log_metric("rmse", 6.9)

Helpers for integrations (not in MLflow): :func:`active_run_id`,
:func:`active_run_owner`, :func:`current_run`, :func:`log_run_data`,
``start_run(owner=...)``, :func:`finish_active_run` (end the active run with
its last batch in one transaction), :func:`leave_active_run` (take a run off
the stack without ending it), :func:`set_joinable_owner` (a plain
``start_run()`` joins runs of that owner) and :func:`model_log_target` (where
a flavor's ``log_model`` logs: the models layer knows no active run).
"""

from ..client.async_logging import flush_async_logging
from ..config import get_tracking_uri, is_tracking_uri_set, set_tracking_uri
from ._experiments import (
    create_experiment,
    delete_experiment,
    delete_experiment_tag,
    get_experiment,
    get_experiment_by_name,
    restore_experiment,
    search_experiments,
    set_experiment,
    set_experiment_tag,
    set_experiment_tags,
)
from ._logging import (
    delete_tag,
    get_artifact_uri,
    log_artifact,
    log_artifacts,
    log_dict,
    log_figure,
    log_image,
    log_input,
    log_inputs,
    load_table,
    log_metric,
    log_metrics,
    log_param,
    log_params,
    log_run_data,
    log_table,
    log_text,
    set_tag,
    set_tags,
)
from ._logged_models import (
    clear_active_model,
    delete_logged_model_tag,
    finalize_logged_model,
    get_active_model_id,
    get_logged_model,
    initialize_logged_model,
    last_logged_model,
    log_model_params,
    model_log_target,
    search_logged_models,
    set_active_model,
    set_logged_model_tags,
)
from ._runs import (
    ActiveRun,
    active_run,
    active_run_id,
    active_run_owner,
    current_run,
    delete_run,
    end_run,
    finish_active_run,
    get_parent_run,
    get_run,
    last_active_run,
    leave_active_run,
    restore_run,
    set_joinable_owner,
    start_run,
)
from ._search import search_runs
from .registry import register_model

__all__ = [
    "clear_active_model",
    "delete_logged_model_tag",
    "finalize_logged_model",
    "get_active_model_id",
    "get_logged_model",
    "initialize_logged_model",
    "last_logged_model",
    "log_model_params",
    "model_log_target",
    "search_logged_models",
    "set_active_model",
    "set_logged_model_tags",
    "ActiveRun",
    "active_run",
    "active_run_id",
    "active_run_owner",
    "finish_active_run",
    "leave_active_run",
    "set_joinable_owner",
    "create_experiment",
    "current_run",
    "delete_experiment",
    "delete_experiment_tag",
    "flush_async_logging",
    "is_tracking_uri_set",
    "load_table",
    "log_inputs",
    "log_table",
    "restore_experiment",
    "restore_run",
    "delete_run",
    "delete_tag",
    "end_run",
    "get_artifact_uri",
    "get_experiment",
    "get_experiment_by_name",
    "get_parent_run",
    "get_run",
    "get_tracking_uri",
    "last_active_run",
    "log_artifact",
    "log_artifacts",
    "log_dict",
    "log_figure",
    "log_image",
    "log_input",
    "log_metric",
    "log_metrics",
    "log_param",
    "log_params",
    "log_run_data",
    "log_text",
    "register_model",
    "search_experiments",
    "search_runs",
    "set_experiment",
    "set_experiment_tag",
    "set_experiment_tags",
    "set_tag",
    "set_tags",
    "set_tracking_uri",
    "start_run",
]


def _reset_state() -> None:
    """Forget every active run, the active experiments and the cached clients, as a new process
    would start (internal: the test suite calls it around every test). Runs are not ended.

    >>> _reset_state()
    """
    from . import _runs, _state

    _state.active_runs.set(())
    _state.last_run.set(None)
    _state.active_experiments.clear()
    _state._clients.clear()
    _runs._live.clear()
