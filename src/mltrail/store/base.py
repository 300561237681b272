"""The interfaces every store implements.

A store is picked by the tracking URI's scheme (see :func:`mltrail.store.get_tracking_store`):
``sqlite://``, ``postgresql://``, ``mysql://`` -> ``store.sql``; ``http(s)://`` -> ``store.rest``.
Stores validate every input before writing and raise :class:`mltrail.exceptions.MltrailError`
subclasses whose message names the offending value and the rule it broke.
"""

from __future__ import annotations

import abc
from typing import Any, Mapping, Optional, Sequence, Union

from ..entities import (
    DatasetInput,
    Experiment,
    LoggedModel,
    LoggedModelOutput,
    LoggedModelStatus,
    Metric,
    PagedList,
    Param,
    Run,
    RunInfo,
    RunTag,
    ViewType,
)

SEARCH_MAX_RESULTS_DEFAULT = 1000
SEARCH_MAX_RESULTS_THRESHOLD = 50000


class TrackingStore(abc.ABC):
    """Experiments, runs, params, metrics and tags."""

    #: Absolute artifact root (path or URI) for experiments created without one.
    default_artifact_root: str

    # -- experiments ---------------------------------------------------------
    @abc.abstractmethod
    def create_experiment(
        self, name: str, artifact_location: Optional[str] = None, tags: Optional[dict[str, str]] = None
    ) -> str:
        """Create an experiment and return its id (a string). Name must be unique."""

    @abc.abstractmethod
    def get_experiment(self, experiment_id: str) -> Experiment:
        """Raise ResourceNotFoundError for an unknown id."""

    @abc.abstractmethod
    def get_experiment_by_name(self, name: str) -> Optional[Experiment]:
        """Return None when no experiment (active or deleted) has that name."""

    @abc.abstractmethod
    def search_experiments(
        self,
        view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = SEARCH_MAX_RESULTS_DEFAULT,
        filter_string: Optional[str] = None,
        order_by: Optional[Sequence[str]] = None,
        page_token: Optional[str] = None,
    ) -> PagedList:
        """Experiments matching ``filter_string`` (name/tags/attributes), paged."""

    @abc.abstractmethod
    def rename_experiment(self, experiment_id: str, new_name: str) -> None: ...

    @abc.abstractmethod
    def delete_experiment(self, experiment_id: str) -> None:
        """Soft delete: the experiment and its runs move to lifecycle stage 'deleted'."""

    @abc.abstractmethod
    def restore_experiment(self, experiment_id: str) -> None: ...

    @abc.abstractmethod
    def set_experiment_tag(self, experiment_id: str, key: str, value: str) -> None: ...

    def delete_experiment_tag(self, experiment_id: str, key: str) -> None:
        """Remove a tag of an active experiment (ResourceNotFoundError when it has no such tag)."""
        raise NotImplementedError(f"{type(self).__name__} cannot delete experiment tags")

    # -- runs ----------------------------------------------------------------
    @abc.abstractmethod
    def create_run(
        self,
        experiment_id: str,
        user_id: str,
        start_time: Optional[int],
        tags: Sequence[RunTag] = (),
        run_name: Optional[str] = None,
        status: str = "RUNNING",
        owner_id: Optional[str] = None,
        run_id: Optional[str] = None,
    ) -> Run:
        """Create a RUNNING run (a readable generated name when none is given).

        The run name is also stored as tag ``mlflow.runName``; a tag
        ``mlflow.parentRunId`` in ``tags`` makes it a child run. ``owner_id``:
        the heartbeating process running it (see :meth:`heartbeat_owner`).
        ``run_id``: a chosen id (the server's idempotent creates), where the store allows it.
        """

    @abc.abstractmethod
    def get_run(self, run_id: str) -> Run:
        """Raise ResourceNotFoundError for an unknown id."""

    def get_run_info(self, run_id: str) -> RunInfo:
        """The run's :class:`RunInfo` alone (status, artifact URI, lifecycle stage...).

        Stores override it with a read cheaper than :meth:`get_run`'s.

        >>> store.get_run_info(run_id).lifecycle_stage
        'active'
        """
        return self.get_run(run_id).info

    def get_run_params(self, run_id: str) -> dict[str, str]:
        """The run's params alone, as ``{key: value}`` (what a logged model copies from its run).

        Stores override it with a read cheaper than :meth:`get_run`'s.

        >>> store.get_run_params(run_id)
        {'alpha': '0.5'}
        """
        return dict(self.get_run(run_id).data.params)

    @abc.abstractmethod
    def update_run_info(
        self,
        run_id: str,
        run_status: Optional[str] = None,
        end_time: Optional[int] = None,
        run_name: Optional[str] = None,
        owner_id: Optional[str] = None,
    ) -> RunInfo:
        """Change a run's status, end time and/or name; status RUNNING makes ``owner_id`` its owner."""

    @abc.abstractmethod
    def delete_run(self, run_id: str) -> None: ...

    @abc.abstractmethod
    def restore_run(self, run_id: str) -> None: ...

    @abc.abstractmethod
    def log_metric(self, run_id: str, metric: Metric) -> None:
        """One committed transaction. NaN and +-inf are stored faithfully."""

    @abc.abstractmethod
    def log_param(self, run_id: str, param: Param) -> None:
        """Re-logging the same value is fine; a different value raises InvalidParameterError."""

    @abc.abstractmethod
    def set_tag(self, run_id: str, tag: RunTag) -> None: ...

    @abc.abstractmethod
    def delete_tag(self, run_id: str, key: str) -> None: ...

    @abc.abstractmethod
    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
        datasets: Sequence[DatasetInput] = (),
    ) -> None:
        """All or nothing, in one transaction (``datasets`` as in :meth:`log_inputs`)."""

    @abc.abstractmethod
    def log_inputs(self, run_id: str, datasets: Sequence[DatasetInput]) -> None:
        """Link datasets to an active run, with their input tags, in one transaction.

        Each experiment stores a dataset once per (name, digest); logging the
        same input again changes nothing. Unknown or deleted runs and invalid
        values raise (nothing is written).

        >>> store.log_inputs(run_id, [DatasetInput(dataset, [InputTag("mlflow.data.context", "train")])])
        """

    def finish_run(
        self,
        run_id: str,
        status: str,
        end_time: Optional[int],
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
        datasets: Sequence[DatasetInput] = (),
    ) -> RunInfo:
        """Log a last batch and end the run: ``log_batch`` then ``update_run_info(status, end_time)``.

        Stores that can override it to do both in one transaction, all or
        nothing (a bad value in the batch leaves the run as it was); this
        default makes two calls. Returns the run's new info.

        >>> store.finish_run(run_id, "FINISHED", 1700000000000, metrics=[Metric("rmse", 6.9, ts, 0)]).status
        'FINISHED'
        """
        if metrics or params or tags or datasets:
            self.log_batch(run_id, metrics, params, tags, datasets)
        return self.update_run_info(run_id, run_status=status, end_time=end_time)

    @abc.abstractmethod
    def get_metric_history(self, run_id: str, metric_key: str) -> list[Metric]:
        """Every logged value of the metric, ordered by step, timestamp."""

    @abc.abstractmethod
    def search_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: Optional[str] = None,
        run_view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = SEARCH_MAX_RESULTS_DEFAULT,
        order_by: Optional[Sequence[str]] = None,
        page_token: Optional[str] = None,
    ) -> PagedList:
        """Runs matching MLflow's filter grammar, ordered, paged (``PagedList.token``)."""

    # -- run liveness (crashed-run detection) -----------------------------------
    # Not abstract: a store that cannot tell dead processes (an older server) keeps runs as stored.
    def heartbeat_owner(self, owner_id: str, timeout_ms: int, host: str = "", pid: int = 0) -> bool:
        """Record that process ``owner_id`` is alive; False when the store keeps no owners.

        Its RUNNING runs are reported KILLED once ``timeout_ms`` passes without
        a heartbeat (and RUNNING again if it heartbeats later).

        >>> store.heartbeat_owner(owner_id, timeout_ms=30000, host="gpu-1", pid=4242)
        True
        """
        return False

    def release_owner(self, owner_id: str) -> None:
        """A clean exit of ``owner_id``: its runs still RUNNING keep that status, with no owner."""

    def reap_dead_runs(self) -> int:
        """Mark KILLED the RUNNING runs whose owner stopped heartbeating; return how many."""
        return 0

    # -- logged models (MLflow 3) ----------------------------------------------
    # Not abstract: a store without logged models (an older server) refuses them by name.
    def _no_logged_models(self, what: str) -> Any:
        from ..exceptions import MltrailError

        raise MltrailError(f"{type(self).__name__} does not support logged models ({what})")

    def create_logged_model(
        self,
        experiment_id: str,
        name: Optional[str] = None,
        source_run_id: Optional[str] = None,
        tags: Optional[Mapping[str, str]] = None,
        params: Optional[Mapping[str, str]] = None,
        model_type: Optional[str] = None,
        output_step: Optional[int] = None,
    ) -> LoggedModel:
        """Create a PENDING logged model stored at ``<experiment location>/models/<model_id>/artifacts``.

        With ``output_step`` the source run's outputs record the model at that
        step in the same transaction (what ``log_outputs`` does separately).

        >>> store.create_logged_model("1", name="model", source_run_id=run_id).model_id
        'm-6c0f...'
        """
        return self._no_logged_models("create_logged_model")

    def get_logged_model(self, model_id: str) -> LoggedModel:
        """Raise ResourceNotFoundError for an unknown or deleted id."""
        return self._no_logged_models("get_logged_model")

    def search_logged_models(
        self,
        experiment_ids: Sequence[str],
        filter_string: Optional[str] = None,
        datasets: Optional[Sequence[Mapping[str, Any]]] = None,
        max_results: Optional[int] = None,
        order_by: Optional[Sequence[Union[str, Mapping[str, Any]]]] = None,
        page_token: Optional[str] = None,
    ) -> PagedList:
        """Models matching MLflow's logged-model filter grammar, ordered, paged."""
        return self._no_logged_models("search_logged_models")

    def latest_logged_model_of_run(self, run_id: str, name: str) -> Optional[LoggedModel]:
        """The newest READY model named ``name`` that run ``run_id`` logged, or None (``runs:/<run>/<name>``)."""
        return self._no_logged_models("latest_logged_model_of_run")

    def finalize_logged_model(
        self,
        model_id: str,
        status: Union[str, LoggedModelStatus],
        mlmodel_sha256: Optional[str] = None,
        status_message: Optional[str] = None,
    ) -> LoggedModel:
        """Set READY or FAILED, and the sha256 of the model's final MLmodel file when given."""
        return self._no_logged_models("finalize_logged_model")

    def set_logged_model_tags(self, model_id: str, tags: Mapping[str, str]) -> None:
        """Set (insert or replace) tags of a logged model."""
        self._no_logged_models("set_logged_model_tags")

    def delete_logged_model_tag(self, model_id: str, key: str) -> None:
        """Delete a tag of a logged model (an unknown key raises ResourceNotFoundError)."""
        self._no_logged_models("delete_logged_model_tag")

    def log_logged_model_params(self, model_id: str, params: Mapping[str, str]) -> None:
        """Log params of a logged model (immutable once logged, as run params)."""
        self._no_logged_models("log_logged_model_params")

    def log_logged_model_metrics(self, run_id: Optional[str], metrics: Sequence[Metric]) -> None:
        """Link metric values to their ``model_id`` (the run's own metrics are logged separately)."""
        self._no_logged_models("log_logged_model_metrics")

    def log_outputs(self, run_id: str, models: Sequence[LoggedModelOutput]) -> None:
        """Record models a run logged (``run.outputs.model_outputs``)."""
        self._no_logged_models("log_outputs")

    def get_run_outputs(self, run_id: str) -> list[LoggedModelOutput]:
        """The models a run logged, oldest first."""
        return self._no_logged_models("get_run_outputs")

    def delete_logged_model(self, model_id: str) -> None:
        """Soft delete a logged model (hidden from get and search)."""
        self._no_logged_models("delete_logged_model")
