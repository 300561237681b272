"""The model-registry store over HTTP (``registered-models/...`` and ``model-versions/...``).

The server copies a new version's model into its registry storage itself, so
this store has no ``default_artifact_root`` and the client sends only the source URI::

    store = RestRegistryStore("http://127.0.0.1:5000")
    store.create_model_version("taxi", "runs:/<run_id>/model", run_id="<run_id>").status   # 'READY'
"""

from __future__ import annotations

from typing import Any, Optional

from ..._http import get_http_client
from ...entities import ModelVersion, PagedList, RegisteredModel, StageTransition
from ...exceptions import InvalidStateError, ResourceNotFoundError
from ..registry_base import (
    SEARCH_MODEL_VERSION_MAX_RESULTS_DEFAULT,
    SEARCH_REGISTERED_MODEL_MAX_RESULTS_DEFAULT,
    SEARCH_REGISTRY_MAX_RESULTS_THRESHOLD,
    RegistryStore,
)
from ..search.page_token import check_max_results
from .wire import absolute_artifact_uri, model_version_from_json, registered_model_from_json

API = "/api/2.0/mlflow/"


def _tags(tags: Optional[dict[str, Any]]) -> list[dict[str, str]]:
    return [{"key": k, "value": "" if v is None else str(v)} for k, v in (tags or {}).items()]


class RestRegistryStore(RegistryStore):
    """A :class:`RegistryStore` that is a client of ``mltrail server`` (or ``mlflow server``)."""

    default_artifact_root = None  # type: ignore[assignment]  # the server copies registered models

    def __init__(self, uri: str) -> None:
        self.uri = uri.rstrip("/")
        self._http = get_http_client(self.uri)

    def _call(self, method: str, path: str, **body: Any) -> dict[str, Any]:
        body = {k: v for k, v in body.items() if v is not None}
        if method == "GET":
            return self._http.call("GET", API + path, params=body)
        return self._http.call(method, API + path, json=body)

    # -- registered models ---------------------------------------------------
    def create_registered_model(self, name, tags=None, description=None) -> RegisteredModel:
        body = self._call("POST", "registered-models/create", name=name, tags=_tags(tags), description=description)
        return registered_model_from_json(body["registered_model"])

    def get_registered_model(self, name: str) -> RegisteredModel:
        return registered_model_from_json(self._call("GET", "registered-models/get", name=name)["registered_model"])

    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        body = self._call("POST", "registered-models/rename", name=name, new_name=new_name)
        return registered_model_from_json(body["registered_model"])

    def update_registered_model(self, name: str, description: Optional[str]) -> RegisteredModel:
        body = self._call("PATCH", "registered-models/update", name=name, description=description)
        return registered_model_from_json(body["registered_model"])

    def delete_registered_model(self, name: str) -> list[str]:
        self._call("DELETE", "registered-models/delete", name=name)
        return []  # the server removed the registered copies

    def search_registered_models(self, filter_string=None, max_results=SEARCH_REGISTERED_MODEL_MAX_RESULTS_DEFAULT,
                                 order_by=None, page_token=None) -> PagedList:
        max_results = check_max_results(max_results, SEARCH_REGISTRY_MAX_RESULTS_THRESHOLD)
        body = self._call("GET", "registered-models/search", filter=filter_string, max_results=max_results,
                          order_by=list(order_by or []) or None, page_token=page_token)
        return PagedList([registered_model_from_json(m) for m in body.get("registered_models", ())],
                         body.get("next_page_token"))

    def get_latest_versions(self, name, stages=None) -> list[ModelVersion]:
        body = self._call("POST", "registered-models/get-latest-versions", name=name, stages=list(stages or []))
        return [model_version_from_json(v) for v in body.get("model_versions", ())]

    def set_registered_model_tag(self, name: str, key: str, value: str) -> None:
        self._call("POST", "registered-models/set-tag", name=name, key=key, value=value)

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        self._call("DELETE", "registered-models/delete-tag", name=name, key=key)

    # -- model versions ------------------------------------------------------
    def create_model_version(self, name, source, run_id=None, tags=None, run_link=None, description=None,
                             user_id="", storage_root=None) -> ModelVersion:
        body = self._call("POST", "model-versions/create", name=name, source=source, run_id=run_id,
                          tags=_tags(tags), run_link=run_link, description=description)
        return model_version_from_json(body["model_version"])

    def set_model_version_status(self, name, version, status, status_message="") -> ModelVersion:
        raise InvalidStateError(
            f"Cannot set the status of version {version} of {name!r} over HTTP: the server registers versions itself"
        )

    def get_model_version(self, name, version) -> ModelVersion:
        return model_version_from_json(self._call("GET", "model-versions/get", name=name, version=str(version))["model_version"])

    def update_model_version(self, name, version, description) -> ModelVersion:
        body = self._call("PATCH", "model-versions/update", name=name, version=str(version), description=description)
        return model_version_from_json(body["model_version"])

    def delete_model_version(self, name, version) -> Optional[str]:
        self._call("DELETE", "model-versions/delete", name=name, version=str(version))
        return None  # the server removed the registered copy

    def get_model_version_download_uri(self, name, version) -> str:
        body = self._call("GET", "model-versions/get-download-uri", name=name, version=str(version))
        return absolute_artifact_uri(self.uri, body["artifact_uri"])

    def search_model_versions(self, filter_string=None, max_results=SEARCH_MODEL_VERSION_MAX_RESULTS_DEFAULT,
                              order_by=None, page_token=None) -> PagedList:
        max_results = check_max_results(max_results, SEARCH_REGISTRY_MAX_RESULTS_THRESHOLD)
        body = self._call("GET", "model-versions/search", filter=filter_string, max_results=max_results,
                          order_by=list(order_by or []) or None, page_token=page_token)
        return PagedList([model_version_from_json(v) for v in body.get("model_versions", ())],
                         body.get("next_page_token"))

    def transition_model_version_stage(self, name, version, stage, archive_existing_versions=False,
                                       user_id="") -> ModelVersion:
        body = self._call("POST", "model-versions/transition-stage", name=name, version=str(version), stage=stage,
                          archive_existing_versions=bool(archive_existing_versions), user_id=user_id or None)
        return model_version_from_json(body["model_version"])

    def get_model_version_stage_history(self, name, version) -> list[StageTransition]:
        body = self._call("GET", "model-versions/stage-history", name=name, version=str(version))
        return [StageTransition(t["name"], str(t["version"]), t["from_stage"], t["to_stage"], t.get("user_id", ""),
                                int(t["timestamp"])) for t in body.get("transitions", ())]

    def set_model_version_tag(self, name, version, key, value) -> None:
        self._call("POST", "model-versions/set-tag", name=name, version=str(version), key=key, value=value)

    def delete_model_version_tag(self, name, version, key) -> None:
        self._call("DELETE", "model-versions/delete-tag", name=name, version=str(version), key=key)

    # -- aliases -------------------------------------------------------------
    def set_registered_model_alias(self, name, alias, version) -> None:
        self._call("POST", "registered-models/alias", name=name, alias=alias, version=str(version))

    def delete_registered_model_alias(self, name, alias) -> None:
        self._call("DELETE", "registered-models/alias", name=name, alias=alias)

    def get_model_version_by_alias(self, name, alias) -> ModelVersion:
        return model_version_from_json(self._call("GET", "registered-models/alias", name=name, alias=alias)["model_version"])

    def get_model_version_mlmodel_sha256(self, name, version) -> Optional[str]:
        """The sha256 the server recorded for the version's MLmodel (mltrail's extension route).

        None when none was recorded, or when the server is a stock ``mlflow server`` (no such route).
        """
        try:
            body = self._call("GET", "model-versions/mlmodel-sha256", name=name, version=str(version))
        except ResourceNotFoundError as exc:
            if getattr(exc, "error_code", None) == "ENDPOINT_NOT_FOUND":
                return None
            raise
        return body.get("mlmodel_sha256") or None
