"""Fluent functions for MLflow 3's logged models::

    info = mltrail.sklearn.log_model(model, name="model", params={"alpha": 0.5})
    mltrail.get_logged_model(info.model_id).params          # {'alpha': '0.5'}
    mltrail.last_logged_model().model_id == info.model_id   # True
    mltrail.search_logged_models(filter_string="params.alpha = '0.5'")   # a DataFrame

    model = mltrail.initialize_logged_model(name="agent")   # PENDING, files added by you
    mltrail.finalize_logged_model(model.model_id, "READY")

    mltrail.set_active_model(name="agent")   # later log_metric calls link their values to it
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Mapping, Optional, Sequence, Union

from ..entities import LoggedModel, LoggedModelOutput, LoggedModelStatus, Metric
from . import _state

_last_lock = threading.Lock()
_last_model_id: Optional[str] = None
#: The model set_active_model chose (process-wide, as MLflow's default).
_active_model_id: Optional[str] = None
#: run id -> [(model id, step)] of the models this process logged to the run (newest last).
_run_models: dict[str, list[tuple[str, int]]] = {}


def note_logged_model(model_id: str, run_id: Optional[str] = None, step: int = 0) -> None:
    """Remember ``model_id`` as the last logged model of this process (``last_logged_model``), and
    as an output of ``run_id`` at ``step``: the run's later metrics at that step are linked to it.
    """
    global _last_model_id
    with _last_lock:
        _last_model_id = model_id
        if run_id is not None:
            _run_models.setdefault(run_id, []).append((model_id, step))


def models_at_step(run_id: str, step: int) -> list[str]:
    """The models this process logged to ``run_id`` at ``step`` (MLflow 3 links a run's metric to them).

    >>> models_at_step(run_id, 0)
    ['m-6c0f...']
    """
    return [m for m, s in _run_models.get(run_id, ()) if s == step]


def _client() -> Any:
    from ._runs import active_run

    active = active_run()
    return active._client if active is not None else _state.client_for()


def _experiment_id(client: Any) -> str:
    from ._runs import active_run

    active = active_run()
    if active is not None:
        return active.info.experiment_id
    from ._experiments import active_experiment_id

    return active_experiment_id(client)


@dataclass(frozen=True)
class ModelLogTarget:
    """Where a flavor's ``log_model`` logs a model (see :func:`model_log_target`)."""

    client: Any
    run_id: Optional[str]
    experiment_id: str

    def model_logged(self, model_id: str, step: int) -> None:
        """Remember the model as this process's last logged one (and the run's output at ``step``)."""
        note_logged_model(model_id, self.run_id, step)


def model_log_target(run_id: Optional[str] = None) -> ModelLogTarget:
    """Where ``log_model(run_id=...)`` logs: that run, else the active run, else the current
    experiment with no run (none is started). A deleted run is refused with InvalidStateError.

    The models layer knows no active run: flavors pass this function to
    :func:`mltrail.models.saving.log_model_folder` (it is its ``LogTarget``).

    >>> with mltrail.start_run() as run:
    ...     model_log_target().run_id == run.info.run_id
    True
    """
    from ._runs import active_run

    active = active_run()
    client = _client()
    if active is not None and run_id in (None, active.info.run_id):
        return ModelLogTarget(client, active.info.run_id, active.info.experiment_id)
    if run_id is None:
        return ModelLogTarget(client, None, _experiment_id(client))
    run = client.get_run(run_id)
    if run.info.lifecycle_stage == "deleted":
        from ..exceptions import InvalidStateError

        raise InvalidStateError(f"Cannot log a model to run {run_id!r}: the run is deleted")
    return ModelLogTarget(client, run_id, run.info.experiment_id)


def links_metrics(run_id: Optional[str]) -> bool:
    """Whether a metric logged now (to ``run_id``, or the active run when None) may link to a model."""
    if _active_model_id is not None:
        return True
    if not _run_models:
        return False
    if run_id is None:
        stack = _state.active_runs.get()
        run_id = stack[-1]._run_id if stack else None
    return run_id in _run_models


def log_linked_metrics(
    client: Any, run_id: str, metrics: Sequence[Metric], model_id: Optional[str], dataset: Optional[Any]
) -> None:
    """Log ``metrics`` to the run and link them to ``model_id`` (default: the active model, else the
    models this process logged to the run at the metric's step, as MLflow 3 does), with ``dataset``.

    >>> log_linked_metrics(client, run_id, [Metric("acc", 0.9, now, 0)], info.model_id, eval_dataset)
    """
    model_id = model_id or get_active_model_id()
    name = getattr(dataset, "name", None) if dataset is not None else None
    digest = getattr(dataset, "digest", None) if dataset is not None else None
    linked = [
        Metric(m.key, m.value, m.timestamp, m.step, model_id=target, dataset_name=name, dataset_digest=digest,
               run_id=run_id)
        for m in metrics
        for target in ([model_id] if model_id is not None else models_at_step(run_id, m.step))
    ]
    client.log_batch(run_id, metrics=[Metric(m.key, m.value, m.timestamp, m.step) for m in metrics])
    if linked:
        client.tracking_store.log_logged_model_metrics(run_id, linked)


def get_logged_model(model_id: str) -> LoggedModel:
    """The logged model with that id (params, tags, metrics, status, source run).

    >>> mltrail.get_logged_model(info.model_id).source_run_id == run.info.run_id
    True
    """
    return _client().get_logged_model(model_id)


def last_logged_model() -> Optional[LoggedModel]:
    """The model most recently logged (or initialized) in this process, or None.

    >>> mltrail.last_logged_model().name
    'model'
    """
    model_id = _last_model_id
    return _client().get_logged_model(model_id) if model_id is not None else None


def search_logged_models(
    experiment_ids: Optional[Sequence[str]] = None,
    filter_string: Optional[str] = None,
    datasets: Optional[Sequence[Mapping[str, Any]]] = None,
    max_results: Optional[int] = None,
    order_by: Optional[Sequence[Union[str, Mapping[str, Any]]]] = None,
    output_format: str = "pandas",
) -> Any:
    """Logged models of the experiments (the current one by default), every page, as a DataFrame or a list.

    >>> mltrail.search_logged_models(filter_string="metrics.accuracy > 0.9", output_format="list")
    [LoggedModel(...)]
    """
    if output_format not in ("pandas", "list"):
        from ..exceptions import InvalidParameterError

        raise InvalidParameterError(f"Invalid output_format {output_format!r}: expected 'pandas' or 'list'")
    client = _client()
    ids = [str(e) for e in experiment_ids] if experiment_ids is not None else [_experiment_id(client)]
    found: list[LoggedModel] = []
    token: Optional[str] = None
    while True:
        want = None if max_results is None else max_results - len(found)
        page = client.search_logged_models(
            ids, filter_string, datasets, min(want, 1000) if want is not None else 1000, order_by, token
        )
        found.extend(page)
        token = page.token
        if not token or (max_results is not None and len(found) >= max_results):
            break
    if output_format == "list":
        return found
    import pandas as pd

    columns = [
        "artifact_location", "creation_timestamp", "experiment_id", "last_updated_timestamp", "metrics",
        "model_id", "model_type", "name", "params", "source_run_id", "status", "status_message", "tags",
    ]
    rows = [{c: (str(m.status) if c == "status" else getattr(m, c)) for c in columns} for m in found]
    return pd.DataFrame(rows, columns=columns)


def initialize_logged_model(
    name: Optional[str] = None,
    source_run_id: Optional[str] = None,
    tags: Optional[Mapping[str, Any]] = None,
    params: Optional[Mapping[str, Any]] = None,
    model_type: Optional[str] = None,
    experiment_id: Optional[str] = None,
) -> LoggedModel:
    """Create a PENDING logged model (of the active run, when one is active) to fill and finalize yourself.

    >>> model = mltrail.initialize_logged_model(name="agent", model_type="agent")
    >>> mltrail.sklearn.log_model(est, name="agent", model_id=model.model_id)
    """
    from ._runs import active_run

    client = _client()
    active = active_run()
    if source_run_id is None and active is not None:
        source_run_id = active.info.run_id
    if experiment_id is None:
        experiment_id = client.get_run(source_run_id).info.experiment_id if source_run_id else _experiment_id(client)
    model = client.create_logged_model(
        str(experiment_id), name=name, source_run_id=source_run_id, tags=tags, params=params, model_type=model_type
    )
    if source_run_id is not None:
        client.log_outputs(source_run_id, [LoggedModelOutput(model.model_id, 0)])
    note_logged_model(model.model_id)
    return model


def finalize_logged_model(model_id: str, status: Union[str, LoggedModelStatus]) -> LoggedModel:
    """Mark a logged model READY or FAILED.

    >>> mltrail.finalize_logged_model(model.model_id, "READY").status
    <LoggedModelStatus.READY: 'READY'>
    """
    return _client().finalize_logged_model(model_id, status)


def set_logged_model_tags(model_id: str, tags: Mapping[str, Any]) -> None:
    """Set tags on a logged model.

    >>> mltrail.set_logged_model_tags(info.model_id, {"team": "growth"})
    """
    _client().set_logged_model_tags(model_id, tags)


def delete_logged_model_tag(model_id: str, key: str) -> None:
    """Delete a tag of a logged model.

    >>> mltrail.delete_logged_model_tag(info.model_id, "team")
    """
    _client().delete_logged_model_tag(model_id, key)


def log_model_params(params: Mapping[str, Any], model_id: Optional[str] = None) -> None:
    """Log params of a logged model (the active model when ``model_id`` is None).

    >>> mltrail.log_model_params({"temperature": 0.2}, model_id=info.model_id)
    """
    target = model_id or get_active_model_id()
    if target is None:
        from ..exceptions import InvalidParameterError

        raise InvalidParameterError("log_model_params needs model_id=... (or a model chosen with set_active_model)")
    _client().log_model_params(target, params)


class ActiveModel:
    """What :func:`set_active_model` returns; usable as a context manager restoring the previous model."""

    def __init__(self, model: LoggedModel, previous: Optional[str]) -> None:
        self.model = model
        self.model_id = model.model_id
        self.name = model.name
        self._previous = previous

    def __enter__(self) -> "ActiveModel":
        return self

    def __exit__(self, *exc: Any) -> None:
        global _active_model_id
        _active_model_id = self._previous


def set_active_model(*, name: Optional[str] = None, model_id: Optional[str] = None) -> ActiveModel:
    """Make a logged model the active one: by id, or the newest with that name in the current
    experiment (created, READY, when there is none). Metrics logged with ``log_metric`` then link to it.

    >>> with mltrail.set_active_model(name="agent"):
    ...     mltrail.log_metric("latency_ms", 120)
    """
    global _active_model_id
    from ..exceptions import InvalidParameterError

    client = _client()
    if model_id is not None:
        model = client.get_logged_model(model_id)
    elif name is not None:
        quoted = name.replace("'", "\\'")
        found = client.search_logged_models([_experiment_id(client)], f"name = '{quoted}'", max_results=1)
        if found:
            model = found[0]
        else:
            from ._runs import active_run

            active = active_run()
            model = client.create_logged_model(
                _experiment_id(client), name=name, source_run_id=active.info.run_id if active else None
            )
            model = client.finalize_logged_model(model.model_id, LoggedModelStatus.READY)
    else:
        raise InvalidParameterError("set_active_model needs name=... or model_id=...")
    previous, _active_model_id = _active_model_id, model.model_id
    return ActiveModel(model, previous)


def get_active_model_id() -> Optional[str]:
    """The id of the model chosen with :func:`set_active_model`, or None.

    >>> mltrail.get_active_model_id()
    'm-6c0f...'
    """
    return _active_model_id


def clear_active_model() -> None:
    """Forget the active model (``log_metric`` stops linking to it).

    >>> mltrail.clear_active_model()
    """
    global _active_model_id
    _active_model_id = None


__all__ = [
    "ActiveModel",
    "ModelLogTarget",
    "clear_active_model",
    "delete_logged_model_tag",
    "finalize_logged_model",
    "get_active_model_id",
    "get_logged_model",
    "initialize_logged_model",
    "last_logged_model",
    "links_metrics",
    "log_linked_metrics",
    "log_model_params",
    "model_log_target",
    "models_at_step",
    "note_logged_model",
    "search_logged_models",
    "set_active_model",
    "set_logged_model_tags",
]
