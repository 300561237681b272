"""The tracking store over HTTP: each method is one request to a server's ``/api/2.0/mlflow/`` API.

Picked for ``http://`` and ``https://`` tracking URIs::

    store = RestTrackingStore("http://127.0.0.1:5000")
    store.log_metric(run_id, Metric("rmse", 6.9, 1700000000000, 0))   # POST runs/log-metric

Errors come back as the exceptions the embedded store raises (ResourceNotFoundError,
InvalidParameterError...); an unreachable server raises StoreUnavailableError naming it
after the retries (see :mod:`mltrail._http`).
"""

from __future__ import annotations

import uuid
from typing import Any, Optional, Sequence

from ..._http import get_http_client
from ...entities import DatasetInput, Experiment, Metric, PagedList, Param, Run, RunInfo, RunTag, ViewType
from ...exceptions import InvalidParameterError, ResourceNotFoundError
from .. import liveness
from ..base import SEARCH_MAX_RESULTS_DEFAULT, SEARCH_MAX_RESULTS_THRESHOLD, TrackingStore
from ..clock import now_ms
from ..search.page_token import check_max_results
from .logged_models import RestLoggedModelsMixin
from .wire import (
    REQUEST_ID_TAG,
    absolute_artifact_uri,
    dataset_input_to_json,
    double_to_json,
    experiment_from_json,
    metric_from_json,
    run_from_json,
    run_info_from_json,
)

API = "/api/2.0/mlflow/"
#: What one log-batch request may carry (the server's limits, MLflow's).
BATCH_METRICS, BATCH_PARAMS_TAGS = 1000, 100


def _metric(m: Metric) -> dict[str, Any]:
    return {"key": m.key, "value": double_to_json(float(m.value)), "timestamp": int(m.timestamp), "step": int(m.step)}


class RestTrackingStore(RestLoggedModelsMixin, TrackingStore):
    """A :class:`TrackingStore` that is a client of ``mltrail server`` (or ``mlflow server``)."""

    default_artifact_root = None  # type: ignore[assignment]  # the server decides

    def __init__(self, uri: str) -> None:
        self.uri = uri.rstrip("/")
        self._http = get_http_client(self.uri)

    def _get(self, path: str, **params: Any) -> dict[str, Any]:
        return self._http.call("GET", API + path, params={k: v for k, v in params.items() if v is not None})

    def _post(self, path: str, body: dict[str, Any], method: str = "POST", **options: Any) -> dict[str, Any]:
        return self._http.call(method, API + path, json={k: v for k, v in body.items() if v is not None}, **options)

    # -- experiments ---------------------------------------------------------
    def create_experiment(self, name, artifact_location=None, tags=None) -> str:
        body = {"name": name, "artifact_location": artifact_location,
                "tags": [{"key": k, "value": v} for k, v in (tags or {}).items()]}
        return str(self._post("experiments/create", body)["experiment_id"])

    def get_experiment(self, experiment_id: str) -> Experiment:
        return self._experiment(self._get("experiments/get", experiment_id=str(experiment_id))["experiment"])

    def _experiment(self, body: dict[str, Any]) -> Experiment:
        experiment = experiment_from_json(body)
        experiment.artifact_location = absolute_artifact_uri(self.uri, experiment.artifact_location)
        return experiment

    def _run(self, body: dict[str, Any]) -> Run:
        run = run_from_json(body)
        run.info.artifact_uri = absolute_artifact_uri(self.uri, run.info.artifact_uri)
        return run

    def _run_info(self, body: dict[str, Any]) -> RunInfo:
        info = run_info_from_json(body)
        info.artifact_uri = absolute_artifact_uri(self.uri, info.artifact_uri)
        return info

    def get_experiment_by_name(self, name: str) -> Optional[Experiment]:
        try:
            body = self._get("experiments/get-by-name", experiment_name=name)
        except ResourceNotFoundError:
            return None
        return self._experiment(body["experiment"])

    def search_experiments(self, view_type=ViewType.ACTIVE_ONLY, max_results=SEARCH_MAX_RESULTS_DEFAULT,
                           filter_string=None, order_by=None, page_token=None) -> PagedList:
        max_results = check_max_results(max_results, SEARCH_MAX_RESULTS_THRESHOLD)
        body = self._post("experiments/search", {
            "view_type": ViewType(view_type).name, "max_results": max_results, "filter": filter_string,
            "order_by": list(order_by or []), "page_token": page_token,
        })
        return PagedList([self._experiment(e) for e in body.get("experiments", ())], body.get("next_page_token"))

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        self._post("experiments/update", {"experiment_id": str(experiment_id), "new_name": new_name})

    def delete_experiment(self, experiment_id: str) -> None:
        self._post("experiments/delete", {"experiment_id": str(experiment_id)})

    def restore_experiment(self, experiment_id: str) -> None:
        self._post("experiments/restore", {"experiment_id": str(experiment_id)})

    def set_experiment_tag(self, experiment_id: str, key: str, value: str) -> None:
        self._post("experiments/set-experiment-tag", {"experiment_id": str(experiment_id), "key": key, "value": value})

    def delete_experiment_tag(self, experiment_id: str, key: str) -> None:
        self._post("experiments/delete-experiment-tag", {"experiment_id": str(experiment_id), "key": key})

    # -- runs ----------------------------------------------------------------
    def create_run(self, experiment_id, user_id, start_time, tags=(), run_name=None, status="RUNNING",
                   owner_id=None, run_id=None) -> Run:
        if run_id is not None:
            raise InvalidParameterError(f"Cannot choose run id {run_id!r} over HTTP: the server picks run ids")
        # A request token and the start time fixed here, so that a retry of this request (the
        # answer lost) gets the run the first attempt made rather than a second one.
        token = {"key": REQUEST_ID_TAG, "value": uuid.uuid4().hex}
        body = self._post("runs/create", {
            "experiment_id": str(experiment_id), "user_id": user_id,
            "start_time": now_ms() if start_time is None else start_time,
            "run_name": run_name, "tags": [*({"key": t.key, "value": t.value} for t in tags), token],
            "mltrail_owner_id": owner_id,  # mltrail extension field: mlflow server ignores it
        })
        run = self._run(body["run"])
        if str(status) != "RUNNING":
            run.info = self.update_run_info(run.info.run_id, run_status=str(status))
        return run

    def get_run(self, run_id: str) -> Run:
        return self._run(self._get("runs/get", run_id=run_id)["run"])

    def update_run_info(self, run_id, run_status=None, end_time=None, run_name=None, owner_id=None) -> RunInfo:
        body = self._post("runs/update", {"run_id": run_id, "run_uuid": run_id,
                                          "status": None if run_status is None else str(run_status),
                                          "end_time": end_time, "run_name": run_name,
                                          "mltrail_owner_id": owner_id})
        return self._run_info(body["run_info"])

    def delete_run(self, run_id: str) -> None:
        self._post("runs/delete", {"run_id": run_id})

    def restore_run(self, run_id: str) -> None:
        self._post("runs/restore", {"run_id": run_id})

    def log_metric(self, run_id: str, metric: Metric) -> None:
        self._post("runs/log-metric", {"run_id": run_id, "run_uuid": run_id, **_metric(metric)})

    def log_param(self, run_id: str, param: Param) -> None:
        self._post("runs/log-parameter", {"run_id": run_id, "run_uuid": run_id, "key": param.key, "value": param.value})

    def set_tag(self, run_id: str, tag: RunTag) -> None:
        self._post("runs/set-tag", {"run_id": run_id, "run_uuid": run_id, "key": tag.key, "value": tag.value})

    def delete_tag(self, run_id: str, key: str) -> None:
        self._post("runs/delete-tag", {"run_id": run_id, "key": key})

    def _batch_requests(self, metrics: Sequence[Metric], params: Sequence[Param],
                        tags: Sequence[RunTag]) -> list[dict[str, Any]]:
        """log-batch bodies (without run_id) within the server's limits (1000 entries, of which at
        most 100 params and 100 tags), filled in order: params and tags first, then metrics; at least one."""
        metrics, params, tags = list(metrics), list(params), list(tags)
        chunks: list[tuple[Sequence[Metric], Sequence[Param], Sequence[RunTag]]] = []
        m = p = t = 0
        while not chunks or m < len(metrics) or p < len(params) or t < len(tags):
            p_end, t_end = min(p + BATCH_PARAMS_TAGS, len(params)), min(t + BATCH_PARAMS_TAGS, len(tags))
            m_end = min(m + BATCH_METRICS - (p_end - p) - (t_end - t), len(metrics))
            chunks.append((metrics[m:m_end], params[p:p_end], tags[t:t_end]))
            m, p, t = m_end, p_end, t_end
        return [{"metrics": [_metric(x) for x in cm], "params": [{"key": x.key, "value": x.value} for x in cp],
                 "tags": [{"key": x.key, "value": x.value} for x in ct]} for cm, cp, ct in chunks]

    def _extension(self, path: str, body: dict[str, Any], **options: Any) -> Optional[dict[str, Any]]:
        """POST to one of mltrail's extension endpoints; None when the server has none (``mlflow
        server`` answers 404), remembered for this server so later calls go straight to MLflow's."""
        if self._http.extensions is False:
            return None
        try:
            answer = self._post(path, body, **options)
        except ResourceNotFoundError as exc:
            if exc.error_code != "ENDPOINT_NOT_FOUND":
                raise
            self._http.extensions = False
            return None
        self._http.extensions = True
        return answer

    def log_batch(self, run_id, metrics=(), params=(), tags=(), datasets=()) -> None:
        """One request when the batch fits the server's limits (1000 metrics, 100 params, 100 tags),
        dataset inputs included (``runs/log-batch-inputs`` on mltrail server; ``log-batch`` then
        ``log-inputs`` on mlflow server); larger batches go in several requests, params and tags first."""
        requests = self._batch_requests(metrics, params, tags)
        *first, last = requests
        for body in first:
            self._post("runs/log-batch", {"run_id": run_id, **body})
        if datasets and self._extension("runs/log-batch-inputs", {
            "run_id": run_id, **last, "datasets": [dataset_input_to_json(d) for d in datasets]
        }) is not None:
            return
        if last["metrics"] or last["params"] or last["tags"]:
            self._post("runs/log-batch", {"run_id": run_id, **last})
        if datasets:
            self.log_inputs(run_id, datasets)

    def finish_run(self, run_id, status, end_time, metrics=(), params=(), tags=(), datasets=()) -> RunInfo:
        """A last batch (with dataset inputs) and the run's end in one request and one server
        transaction (``runs/finish``, an mltrail extension); against mlflow server, MLflow's
        log-batch, log-inputs and update calls. A batch over the limits sends its first parts first."""
        requests = self._batch_requests(metrics, params, tags)
        *first, last = requests
        for body in first:
            self._post("runs/log-batch", {"run_id": run_id, **body})
        answer = self._extension("runs/finish", {
            "run_id": run_id, **last, "datasets": [dataset_input_to_json(d) for d in datasets],
            "status": str(status), "end_time": end_time,
        })
        if answer is not None:
            return self._run_info(answer["run_info"])
        if last["metrics"] or last["params"] or last["tags"]:
            self._post("runs/log-batch", {"run_id": run_id, **last})
        if datasets:
            self.log_inputs(run_id, datasets)
        return self.update_run_info(run_id, run_status=status, end_time=end_time)

    def log_inputs(self, run_id: str, datasets: Sequence[DatasetInput]) -> None:
        self._post("runs/log-inputs", {"run_id": run_id, "datasets": [dataset_input_to_json(d) for d in datasets]})

    def get_metric_history(self, run_id: str, metric_key: str) -> list[Metric]:
        body = self._get("metrics/get-history", run_id=run_id, metric_key=metric_key)
        return [metric_from_json(m) for m in body.get("metrics", ())]

    def search_runs(self, experiment_ids, filter_string=None, run_view_type=ViewType.ACTIVE_ONLY,
                    max_results=SEARCH_MAX_RESULTS_DEFAULT, order_by=None, page_token=None) -> PagedList:
        max_results = check_max_results(max_results, SEARCH_MAX_RESULTS_THRESHOLD)
        body = self._post("runs/search", {
            "experiment_ids": [str(e) for e in experiment_ids], "filter": filter_string,
            "run_view_type": ViewType(run_view_type).name, "max_results": max_results,
            "order_by": list(order_by or []), "page_token": page_token,
        })
        return PagedList([self._run(r) for r in body.get("runs", ())], body.get("next_page_token"))

    def heartbeat_owner(self, owner_id: str, timeout_ms: int, host: str = "", pid: int = 0) -> bool:
        """``runs/heartbeat-owner`` (an mltrail extension); False against a server without it."""
        body = {"owner_id": owner_id, "timeout_ms": int(timeout_ms), "host": host, "pid": int(pid)}
        # not retried: the next heartbeat comes in timeout / 5 anyway
        beat = self._extension("runs/heartbeat-owner", body, retries=0, timeout=max(1.0, timeout_ms / 5000))
        return beat is not None

    def release_owner(self, owner_id: str) -> None:
        """``runs/release-owner`` (an mltrail extension); one short try (it runs at exit)."""
        self._extension("runs/release-owner", {"owner_id": owner_id}, retries=0, timeout=5.0)

    def close(self) -> None:
        """Release this process's run owner; the pooled HTTP client is shared by every store of the server."""
        liveness.release(self)
