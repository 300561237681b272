"""The tracking client: every store operation, by explicit id, no hidden state.

    from mltrail.tracking import MlflowClient
    client = MlflowClient(tracking_uri="sqlite:///mlflow.db")
    exp_id = client.create_experiment("nyc-taxi")
    run = client.create_run(exp_id, run_name="baseline")
    client.log_metric(run.info.run_id, "rmse", 6.9)
    client.set_terminated(run.info.run_id)
"""

from __future__ import annotations

import concurrent.futures
import functools
from typing import Any, Mapping, Optional, Sequence, Union

from .. import config
from .._system_tags import PARENT_RUN_ID, RUN_NAME, USER, current_user, get_tag
from ..entities import (
    DatasetInput,
    Experiment,
    Metric,
    PagedList,
    Param,
    Run,
    RunInfo,
    RunStatus,
    RunTag,
    ViewType,
)
from ..exceptions import InvalidParameterError
from ..store import get_tracking_store, liveness
from ..store.base import SEARCH_MAX_RESULTS_DEFAULT, TrackingStore
from ..store.clock import now_ms
from . import values
from .async_logging import RunOperations, async_queue, is_synchronous
from ._artifacts import ArtifactClientMixin
from ._logged_models import LoggedModelClientMixin, log_linked_metric
from ._tables import TableClientMixin
from .registry import RegistryClientMixin


def _experiment_ids(experiment_ids: Union[str, int, Sequence[Union[str, int]]]) -> list[str]:
    if isinstance(experiment_ids, (str, int)):
        return [str(experiment_ids)]
    if experiment_ids is None:
        raise InvalidParameterError("Invalid experiment_ids None: give an id or a list of ids")
    return [str(e) for e in experiment_ids]


def _checked_metrics(metrics: Sequence[Metric]) -> list[Metric]:
    """The metrics with values made floats (a value that is not a number raises InvalidParameterError)."""
    return [
        m if type(m.value) is float else Metric(m.key, values.metric_value(m.key, m.value), m.timestamp, m.step)
        for m in metrics
    ]


def _done_future() -> concurrent.futures.Future:
    future: concurrent.futures.Future = concurrent.futures.Future()
    future.set_result(None)
    return future


class Client(LoggedModelClientMixin, ArtifactClientMixin, RegistryClientMixin, TableClientMixin):
    """Client of a tracking store (and model registry), by explicit ids (MLflow's ``MlflowClient``).

    ``tracking_uri`` defaults to :func:`mltrail.get_tracking_uri`; ``registry_uri``
    to the tracking URI. The store is opened on first use and shared by every
    client of the same URI in the process.

    >>> client = Client("sqlite:///mlflow.db")
    >>> client.search_runs("1", "metrics.rmse < 7", order_by=["metrics.rmse ASC"])
    """

    def __init__(self, tracking_uri: Optional[str] = None, registry_uri: Optional[str] = None) -> None:
        self._tracking_uri = config.normalise_uri(str(tracking_uri)) if tracking_uri else config.get_tracking_uri()
        if registry_uri:
            self._registry_uri = config.normalise_uri(str(registry_uri))
        elif tracking_uri:
            self._registry_uri = self._tracking_uri
        else:
            self._registry_uri = config.get_registry_uri()

    def __repr__(self) -> str:
        return f"Client(tracking_uri={self._tracking_uri!r})"

    @property
    def tracking_uri(self) -> str:
        """The tracking URI this client talks to.

        >>> MlflowClient("sqlite:///mlflow.db").tracking_uri
        'sqlite:///mlflow.db'
        """
        return self._tracking_uri

    @functools.cached_property
    def _tracking_store(self) -> TrackingStore:
        return get_tracking_store(self._tracking_uri)

    @property
    def tracking_store(self) -> TrackingStore:
        """The tracking store behind this client (one per URI, shared), for the layers built on the
        client (the fluent API, model logging, ``mltrail gc``, plugins) when they need a store
        operation the client does not wrap.

        >>> Client("sqlite:///mlflow.db").tracking_store.get_run_params(run_id)
        {'alpha': '0.5'}
        """
        return self._tracking_store

    # -- experiments -----------------------------------------------------------------
    def create_experiment(
        self, name: str, artifact_location: Optional[str] = None, tags: Optional[Mapping[str, Any]] = None
    ) -> str:
        """Create an experiment; returns its id (a string).

        >>> client.create_experiment("nyc-new-brand-experiment_first", tags={"team": "taxi"})
        '2'
        """
        tag_dict = {t.key: t.value for t in values.make_tags(tags)} if tags else None
        return self._tracking_store.create_experiment(name, artifact_location, tag_dict)

    def get_experiment(self, experiment_id: str) -> Experiment:
        """The experiment with that id (ResourceNotFoundError when unknown).

        >>> client.get_experiment("0").name
        'Default'
        """
        return self._tracking_store.get_experiment(str(experiment_id))

    def get_experiment_by_name(self, name: str) -> Optional[Experiment]:
        """The experiment with that name (active or deleted), or None.

        >>> client.get_experiment_by_name("Default").experiment_id
        '0'
        """
        return self._tracking_store.get_experiment_by_name(name)

    def search_experiments(
        self,
        view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = SEARCH_MAX_RESULTS_DEFAULT,
        filter_string: Optional[str] = None,
        order_by: Optional[Sequence[str]] = None,
        page_token: Optional[str] = None,
    ) -> PagedList:
        """Experiments matching ``filter_string`` (e.g. ``"name LIKE 'nyc%'"``), paged.

        >>> [e.name for e in client.search_experiments(filter_string="name LIKE 'nyc%'")]
        ['nyc-taxi-experiment']
        """
        return self._tracking_store.search_experiments(
            ViewType.from_string(view_type), max_results, filter_string or None, order_by, page_token
        )

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        """Give an experiment a new (unique) name.

        >>> client.rename_experiment("1", "nyc-taxi-v2")
        """
        self._tracking_store.rename_experiment(str(experiment_id), new_name)

    def delete_experiment(self, experiment_id: str) -> None:
        """Soft-delete an experiment and its runs (restore_experiment undoes it).

        >>> client.delete_experiment("1")
        """
        self._tracking_store.delete_experiment(str(experiment_id))

    def restore_experiment(self, experiment_id: str) -> None:
        """Bring back a deleted experiment and its runs.

        >>> client.restore_experiment("1")
        """
        self._tracking_store.restore_experiment(str(experiment_id))

    def set_experiment_tag(self, experiment_id: str, key: str, value: Any) -> None:
        """Set a tag on an experiment (value stored as a string).

        >>> client.set_experiment_tag("1", "team", "taxi")
        """
        self._tracking_store.set_experiment_tag(
            str(experiment_id), key, values.string_value("tag", key, value)
        )

    def delete_experiment_tag(self, experiment_id: str, key: str) -> None:
        """Remove a tag from an experiment (ResourceNotFoundError when it has no such tag).

        >>> client.delete_experiment_tag("1", "team")
        """
        self._tracking_store.delete_experiment_tag(str(experiment_id), key)

    # -- runs ------------------------------------------------------------------------
    def create_run(
        self,
        experiment_id: str,
        start_time: Optional[int] = None,
        tags: Optional[Mapping[str, Any]] = None,
        run_name: Optional[str] = None,
    ) -> Run:
        """Create a RUNNING run in the experiment; returns the :class:`Run`.

        The user is tag ``mlflow.user`` when given, else the login name. This process becomes
        the run's owner (see :mod:`mltrail.store.liveness`): if it dies without a clean exit,
        the run reads back KILLED after ``MLTRAIL_RUN_HEARTBEAT_TIMEOUT`` seconds.

        >>> run = client.create_run("1", run_name="baseline", tags={"team": "taxi"})
        >>> run.info.status
        'RUNNING'
        """
        tag_list = values.make_tags(tags)
        tag_dict = {t.key: t.value for t in tag_list}
        user = get_tag(tag_dict, USER) or current_user()
        if run_name is None:
            run_name = get_tag(tag_dict, RUN_NAME)
        store = self._tracking_store
        return store.create_run(
            str(experiment_id),
            user,
            now_ms() if start_time is None else int(start_time),
            tag_list,
            run_name,
            owner_id=liveness.owner_for(store),
        )

    def get_run(self, run_id: str) -> Run:
        """The run with its latest metrics, params and tags (ResourceNotFoundError when unknown).

        >>> client.get_run(run_id).data.metrics["rmse"]
        6.9
        """
        return self._tracking_store.get_run(run_id)

    def _run_info(self, run_id: str) -> RunInfo:
        """The run's info alone: one cheap read (used by the artifact methods)."""
        return self._tracking_store.get_run_info(run_id)

    def get_parent_run(self, run_id: str) -> Optional[Run]:
        """The parent of a nested run, or None for a top-level run.

        >>> client.get_parent_run(child_id).info.run_id == parent_id
        True
        """
        parent_id = get_tag(self.get_run(run_id).data.tags, PARENT_RUN_ID)
        return self.get_run(parent_id) if parent_id else None

    def update_run(self, run_id: str, status: Optional[str] = None, name: Optional[str] = None) -> RunInfo:
        """Change a run's status and/or name.

        >>> client.update_run(run_id, name="better-name")
        """
        run_status = RunStatus.to_string(status) if status is not None else None
        store = self._tracking_store
        owner_id = liveness.owner_for(store) if run_status == RunStatus.RUNNING.value else None
        return store.update_run_info(run_id, run_status=run_status, run_name=name, owner_id=owner_id)

    def set_terminated(
        self, run_id: str, status: Optional[str] = None, end_time: Optional[int] = None
    ) -> RunInfo:
        """End a run: status FINISHED unless given (FAILED, KILLED...), end time now unless given.

        >>> client.set_terminated(run_id, status="FAILED")
        """
        run_status = RunStatus.to_string(status) if status is not None else RunStatus.FINISHED.value
        return self._tracking_store.update_run_info(
            run_id, run_status=run_status, end_time=now_ms() if end_time is None else int(end_time)
        )

    def finish_run(
        self,
        run_id: str,
        status: Optional[str] = None,
        end_time: Optional[int] = None,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
        datasets: Sequence[DatasetInput] = (),
    ) -> RunInfo:
        """``log_batch`` and ``set_terminated`` in one store transaction: all of it or none.

        Status FINISHED unless given, end time now unless given. A bad value
        in the batch raises and leaves the run as it was (still RUNNING,
        nothing logged).

        >>> client.finish_run(run_id, metrics=[Metric("rmse", 6.9, now_ms, 0)], params=[Param("alpha", "0.1")])
        """
        run_status = RunStatus.to_string(status) if status is not None else RunStatus.FINISHED.value
        return self._tracking_store.finish_run(
            run_id,
            run_status,
            now_ms() if end_time is None else int(end_time),
            _checked_metrics(metrics),
            list(params),
            list(tags),
            list(datasets),
        )

    def delete_run(self, run_id: str) -> None:
        """Soft-delete a run (restore_run undoes it).

        >>> client.delete_run(run_id)
        """
        self._tracking_store.delete_run(run_id)

    def restore_run(self, run_id: str) -> None:
        """Bring back a deleted run.

        >>> client.restore_run(run_id)
        """
        self._tracking_store.restore_run(run_id)

    # -- logging -----------------------------------------------------------------------
    def log_metric(
        self,
        run_id: str,
        key: str,
        value: float,
        timestamp: Optional[int] = None,
        step: Optional[int] = None,
        synchronous: Optional[bool] = None,
        dataset_name: Optional[str] = None,
        dataset_digest: Optional[str] = None,
        model_id: Optional[str] = None,
    ) -> Optional[RunOperations]:
        """Log one metric value (committed before returning).

        With ``synchronous=False`` (or ``MLFLOW_ENABLE_ASYNC_LOGGING=true``) the value
        is queued and written in a batch by a background thread; the returned
        :class:`~mltrail.client.RunOperations` ``wait()`` s for it.

        With ``model_id`` (MLflow 3) the value is also linked to that logged
        model, with the dataset it was measured on.

        >>> client.log_metric(run_id, "rmse", 6.9, step=3)
        >>> client.log_metric(run_id, "loss", 0.3, step=3, synchronous=False).wait()
        """
        if model_id is not None or is_synchronous(synchronous):  # a model link is written at once
            metric = values.make_metric(key, value, timestamp, step)
            self._tracking_store.log_metric(run_id, metric)
            if model_id is not None:
                log_linked_metric(self._tracking_store, run_id, metric, model_id, dataset_name, dataset_digest)
            return None
        return async_queue().submit_checked(
            self._tracking_store, run_id, lambda: ([values.make_metric(key, value, timestamp, step)], (), ())
        )

    def log_param(self, run_id: str, key: Any, value: Any, synchronous: Optional[bool] = None) -> Any:
        """Log a parameter (stored as ``str(value)``); returns ``value`` (a RunOperations when asynchronous).

        Re-logging the same value is fine, a different one raises InvalidParameterError
        (with ``synchronous=False``: logged, and raised by ``wait()``).

        >>> client.log_param(run_id, "alpha", 0.01)
        0.01
        """
        if is_synchronous(synchronous):
            self._tracking_store.log_param(run_id, Param(key, values.string_value("param", key, value)))
            return value
        return async_queue().submit_checked(
            self._tracking_store, run_id, lambda: ((), [Param(key, values.string_value("param", key, value))], ())
        )

    def set_tag(
        self, run_id: str, key: str, value: Any, synchronous: Optional[bool] = None
    ) -> Optional[RunOperations]:
        """Set a run tag (value stored as a string); a RunOperations when asynchronous.

        >>> client.set_tag(run_id, "developer", "data-scientist")
        """
        if is_synchronous(synchronous):
            self._tracking_store.set_tag(run_id, RunTag(key, values.string_value("tag", key, value)))
            return None
        return async_queue().submit_checked(
            self._tracking_store, run_id, lambda: ((), (), [RunTag(key, values.string_value("tag", key, value))])
        )

    def delete_tag(self, run_id: str, key: str) -> None:
        """Remove a tag from a run.

        >>> client.delete_tag(run_id, "developer")
        """
        self._tracking_store.delete_tag(run_id, key)

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
        synchronous: Optional[bool] = None,
        datasets: Sequence[DatasetInput] = (),
    ) -> Optional[RunOperations]:
        """Log metrics, params and tags (and dataset inputs) in one transaction: all of them or none.

        Asynchronous with ``synchronous=False`` (returns a RunOperations; dataset
        inputs are always written at once).

        >>> client.log_batch(run_id, metrics=[Metric("rmse", 6.9, now_ms, 0)], params=[Param("alpha", "0.1")])
        """
        if datasets:
            self._tracking_store.log_batch(
                run_id, _checked_metrics(metrics), list(params), list(tags), list(datasets)
            )
            if is_synchronous(synchronous):
                return None
            return RunOperations([_done_future()])
        if is_synchronous(synchronous):
            self._tracking_store.log_batch(run_id, _checked_metrics(metrics), list(params), list(tags))
            return None
        return async_queue().submit_checked(
            self._tracking_store, run_id, lambda: (_checked_metrics(metrics), list(params), list(tags))
        )

    def log_inputs(self, run_id: str, datasets: Optional[Sequence[DatasetInput]] = None) -> None:
        """Record the datasets a run consumed (with input tags such as the context), in one transaction.

        >>> ds = mltrail.data.from_numpy(X_train, targets=y_train, name="taxi-train")
        >>> client.log_inputs(run_id, [DatasetInput(ds, [InputTag("mlflow.data.context", "train")])])
        """
        self._tracking_store.log_inputs(run_id, list(datasets or ()))

    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        """Every value logged for the metric, ordered by step then timestamp.

        >>> [m.value for m in client.get_metric_history(run_id, "loss")]
        [0.9, 0.5, 0.3]
        """
        return self._tracking_store.get_metric_history(run_id, key)

    def search_runs(
        self,
        experiment_ids: Union[str, Sequence[str]],
        filter_string: str = "",
        run_view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = SEARCH_MAX_RESULTS_DEFAULT,
        order_by: Optional[Sequence[str]] = None,
        page_token: Optional[str] = None,
    ) -> PagedList:
        """Runs matching MLflow's filter grammar, ordered and paged (``.token`` of the result).

        >>> runs = client.search_runs("1", "metrics.rmse < 7", max_results=5, order_by=["metrics.rmse ASC"])
        >>> [r.data.metrics["rmse"] for r in runs]
        [6.1, 6.9]
        """
        if isinstance(order_by, str):
            order_by = [order_by]
        return self._tracking_store.search_runs(
            _experiment_ids(experiment_ids),
            filter_string or None,
            ViewType.from_string(run_view_type),
            max_results,
            order_by,
            page_token,
        )


MlflowClient = Client
