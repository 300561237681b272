"""Logged-model methods of :class:`mltrail.client.Client` (MLflow 3's names)::

    client = MlflowClient()
    model = client.create_logged_model(experiment_id, name="model", params={"alpha": 0.5})
    client.log_model_artifacts(model.model_id, "local/model/folder")
    client.finalize_logged_model(model.model_id, "READY")
    client.search_logged_models([experiment_id], filter_string="params.alpha = '0.5'")
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Mapping, Optional, Sequence, Union

from ..entities import LoggedModel, LoggedModelOutput, LoggedModelStatus, Metric, PagedList

if TYPE_CHECKING:
    from ..store.base import TrackingStore


def _experiment_list(experiment_ids: Union[str, int, Sequence[Union[str, int]], None]) -> list[str]:
    if experiment_ids is None:
        return []
    if isinstance(experiment_ids, (str, int)):
        return [str(experiment_ids)]
    return [str(e) for e in experiment_ids]


def log_linked_metric(
    store: "TrackingStore",
    run_id: Optional[str],
    metric: Metric,
    model_id: str,
    dataset_name: Optional[str] = None,
    dataset_digest: Optional[str] = None,
) -> None:
    """Link a metric value (already logged to the run) to logged model ``model_id``.

    >>> log_linked_metric(store, run_id, Metric("acc", 0.9, now, 0), "m-6c0f...", "eval", "a1b2c3")
    """
    store.log_logged_model_metrics(
        run_id,
        [Metric(metric.key, metric.value, metric.timestamp, metric.step, model_id=model_id,
                dataset_name=dataset_name, dataset_digest=dataset_digest, run_id=run_id)],
    )


class LoggedModelClientMixin:
    """Logged models through ``self._tracking_store``."""

    _tracking_store: "TrackingStore"

    def create_logged_model(
        self,
        experiment_id: str,
        name: Optional[str] = None,
        source_run_id: Optional[str] = None,
        tags: Optional[Mapping[str, Any]] = None,
        params: Optional[Mapping[str, Any]] = None,
        model_type: Optional[str] = None,
    ) -> LoggedModel:
        """Create a PENDING logged model; put its files in ``model.artifact_location``, then finalize it.

        >>> model = client.create_logged_model("1", name="model", source_run_id=run_id)
        >>> model.status
        <LoggedModelStatus.PENDING: 'PENDING'>
        """
        return self._tracking_store.create_logged_model(
            str(experiment_id), name=name, source_run_id=source_run_id, tags=tags, params=params, model_type=model_type
        )

    def get_logged_model(self, model_id: str) -> LoggedModel:
        """The model with its params, tags and metrics.

        >>> client.get_logged_model("m-6c0f...").params
        {'alpha': '0.5'}
        """
        return self._tracking_store.get_logged_model(model_id)

    def search_logged_models(
        self,
        experiment_ids: Union[str, Sequence[str]],
        filter_string: Optional[str] = None,
        datasets: Optional[Sequence[Mapping[str, Any]]] = None,
        max_results: Optional[int] = None,
        order_by: Optional[Sequence[Union[str, Mapping[str, Any]]]] = None,
        page_token: Optional[str] = None,
    ) -> PagedList:
        """Models of the experiments matching ``filter_string``, newest first unless ``order_by`` says otherwise.

        >>> client.search_logged_models(["1"], "metrics.accuracy > 0.9",
        ...                             order_by=[{"field_name": "metrics.accuracy", "ascending": False}])
        """
        return self._tracking_store.search_logged_models(
            _experiment_list(experiment_ids), filter_string, datasets, max_results, order_by, page_token
        )

    def get_logged_model_of_run(self, run_id: str, name: str) -> Optional[LoggedModel]:
        """The newest model named ``name`` that the run logged (what ``runs:/<run_id>/<name>`` loads), or None.

        >>> client.get_logged_model_of_run(run_id, "model").model_id
        'm-6c0f...'
        """
        return self._tracking_store.latest_logged_model_of_run(run_id, name)

    def finalize_logged_model(self, model_id: str, status: Union[str, LoggedModelStatus]) -> LoggedModel:
        """Mark the model READY (its files are complete) or FAILED.

        >>> client.finalize_logged_model(model.model_id, "READY").status
        <LoggedModelStatus.READY: 'READY'>
        """
        return self._tracking_store.finalize_logged_model(model_id, status)

    def set_logged_model_tags(self, model_id: str, tags: Mapping[str, Any]) -> None:
        """Set tags on a model.

        >>> client.set_logged_model_tags(model.model_id, {"team": "growth"})
        """
        self._tracking_store.set_logged_model_tags(model_id, tags)

    def delete_logged_model_tag(self, model_id: str, key: str) -> None:
        """Delete a tag of a model.

        >>> client.delete_logged_model_tag(model.model_id, "team")
        """
        self._tracking_store.delete_logged_model_tag(model_id, key)

    def log_model_params(self, model_id: str, params: Mapping[str, Any]) -> None:
        """Log params of a model (stored as strings; a changed value is refused).

        >>> client.log_model_params(model.model_id, {"alpha": 0.5})
        """
        self._tracking_store.log_logged_model_params(model_id, params)

    def delete_logged_model(self, model_id: str) -> None:
        """Delete a model: get and search no longer return it.

        >>> client.delete_logged_model(model.model_id)
        """
        self._tracking_store.delete_logged_model(model_id)

    def log_outputs(self, run_id: str, models: Sequence[LoggedModelOutput]) -> None:
        """Record that a run produced these models (``run.outputs``).

        >>> client.log_outputs(run_id, [LoggedModelOutput(model.model_id, step=0)])
        """
        self._tracking_store.log_outputs(run_id, list(models))

    def log_model_artifacts(self, model_id: str, local_dir: str) -> None:
        """Upload a local folder's files to the model's artifact location.

        >>> client.log_model_artifacts(model.model_id, "/tmp/model")
        """
        from ..artifacts.repositories import get_artifact_repository

        location = self.get_logged_model(model_id).artifact_location
        get_artifact_repository(location).log_artifacts(os.fspath(local_dir))

    def list_logged_model_artifacts(self, model_id: str, path: Optional[str] = None) -> list[Any]:
        """The files of a logged model (``FileInfo`` paths relative to its artifact location).

        >>> [f.path for f in client.list_logged_model_artifacts(model.model_id)]
        ['MLmodel', 'conda.yaml', 'model.pkl', 'python_env.yaml', 'requirements.txt']
        """
        from ..artifacts.repositories import get_artifact_repository

        location = self.get_logged_model(model_id).artifact_location
        return list(get_artifact_repository(location).list_artifacts(path))


__all__ = ["LoggedModelClientMixin", "log_linked_metric"]
