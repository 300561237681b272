"""The logged-model half of :class:`~mltrail.store.rest.tracking.RestTrackingStore` (MLflow 3's routes).

A mixin over the store's ``_get`` / ``_post``: create, get, finalize, tags,
params, search, outputs, and the newest model a run logged under a name
(what ``runs:/<run_id>/<name>`` loads), found with a search::

    store.create_logged_model("1", name="model", source_run_id=run_id).model_id   # 'm-6c0f...'
"""

from __future__ import annotations

import urllib.parse
from typing import Any, Mapping, Optional, Sequence, Union

from ...entities import LoggedModel, LoggedModelOutput, LoggedModelStatus, PagedList
from ..base import SEARCH_MAX_RESULTS_THRESHOLD
from ..search.page_token import check_max_results
from .logged_model_wire import logged_model_from_json, status_to_json
from .wire import absolute_artifact_uri

_PATH = "logged-models"


def _kv(items: Optional[Mapping[str, Any]]) -> list[dict[str, str]]:
    return [{"key": str(k), "value": str(v)} for k, v in (items or {}).items()]


def _quoted(model_id: str) -> str:
    return urllib.parse.quote(str(model_id), safe="")


class RestLoggedModelsMixin:
    """Logged models over HTTP; needs ``uri``, ``_get`` and ``_post`` from the store."""

    uri: str

    def _model(self, body: dict[str, Any]) -> LoggedModel:
        model = logged_model_from_json(body["model"] if "model" in body else body)
        model.artifact_location = absolute_artifact_uri(self.uri, model.artifact_location)
        return model

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
        body = {"experiment_id": str(experiment_id), "name": name, "source_run_id": source_run_id,
                "model_type": model_type, "tags": _kv(tags), "params": _kv(params)}
        model = self._model(self._post(_PATH, body))  # type: ignore[attr-defined]
        if source_run_id is not None and output_step is not None:
            self.log_outputs(source_run_id, [LoggedModelOutput(model.model_id, output_step)])
        return model

    def get_logged_model(self, model_id: str) -> LoggedModel:
        return self._model(self._get(f"{_PATH}/{_quoted(model_id)}"))  # type: ignore[attr-defined]

    def finalize_logged_model(
        self,
        model_id: str,
        status: Union[str, LoggedModelStatus],
        mlmodel_sha256: Optional[str] = None,
        status_message: Optional[str] = None,
    ) -> LoggedModel:
        body = {"model_id": model_id, "status": status_to_json(LoggedModelStatus.from_string(status)),
                "mltrail_mlmodel_sha256": mlmodel_sha256}
        return self._model(self._post(f"{_PATH}/{_quoted(model_id)}", body, method="PATCH"))  # type: ignore[attr-defined]

    def set_logged_model_tags(self, model_id: str, tags: Mapping[str, str]) -> None:
        self._post(f"{_PATH}/{_quoted(model_id)}/tags", {"tags": _kv(tags)}, method="PATCH")  # type: ignore[attr-defined]

    def delete_logged_model_tag(self, model_id: str, key: str) -> None:
        self._post(f"{_PATH}/{_quoted(model_id)}/tags/{_quoted(key)}", {}, method="DELETE")  # type: ignore[attr-defined]

    def log_logged_model_params(self, model_id: str, params: Mapping[str, str]) -> None:
        self._post(f"{_PATH}/{_quoted(model_id)}/params", {"params": _kv(params)})  # type: ignore[attr-defined]

    def delete_logged_model(self, model_id: str) -> None:
        self._post(f"{_PATH}/{_quoted(model_id)}", {}, method="DELETE")  # type: ignore[attr-defined]

    def log_outputs(self, run_id: str, models: Sequence[LoggedModelOutput]) -> None:
        self._post("runs/outputs", {"run_id": run_id, "models": [  # type: ignore[attr-defined]
            {"model_id": m.model_id, "step": int(m.step or 0)} for m in models]})

    def search_logged_models(
        self,
        experiment_ids: Sequence[str],
        filter_string: Optional[str] = None,
        datasets: Optional[Sequence[Mapping[str, Any]]] = None,
        max_results: Optional[int] = None,
        order_by: Optional[Sequence[Union[str, Mapping[str, Any]]]] = None,
        page_token: Optional[str] = None,
    ) -> PagedList:
        orders = []
        for o in order_by or ():
            if isinstance(o, str):  # "metrics.acc DESC" -> MLflow's message
                field, _, direction = o.strip().partition(" ")
                orders.append({"field_name": field, "ascending": direction.strip().upper() != "DESC"})
            else:
                orders.append(dict(o))
        if max_results is not None:
            max_results = check_max_results(max_results, SEARCH_MAX_RESULTS_THRESHOLD)
        body = {"experiment_ids": [str(e) for e in experiment_ids], "filter": filter_string,
                "datasets": [dict(d) for d in datasets or ()] or None, "max_results": max_results,
                "order_by": orders or None, "page_token": page_token}
        answer = self._post(f"{_PATH}/search", body)  # type: ignore[attr-defined]
        return PagedList([self._model(m) for m in answer.get("models", ())], answer.get("next_page_token") or None)

    def latest_logged_model_of_run(self, run_id: str, name: str) -> Optional[LoggedModel]:
        experiment_id = self.get_run(run_id).info.experiment_id  # type: ignore[attr-defined]
        name_literal = "'" + str(name).replace("'", "\\'") + "'"
        found = self.search_logged_models(
            [experiment_id], f"source_run_id = '{run_id}' AND name = {name_literal} AND status = 'READY'",
            max_results=1, order_by=[{"field_name": "creation_timestamp", "ascending": False}],
        )
        return found[0] if found else None
