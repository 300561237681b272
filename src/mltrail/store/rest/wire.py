"""MLflow's REST wire format (proto3 JSON, snake_case) to and from mltrail's entities.

Both sides of the protocol use it: the server (``mltrail.server``) turns
entities into JSON bodies, ``store.rest`` turns the bodies back into
entities. Doubles that are not finite travel as ``"NaN"``, ``"Infinity"``
and ``"-Infinity"`` (proto3 JSON); int64 values as JSON numbers (strings are
accepted on input)::

    body = run_to_json(store.get_run(run_id))
    run = run_from_json(body)              # the same Run again
"""

from __future__ import annotations

import math
from typing import Any, Optional

from ..._system_tags import RUN_NAME
from ...entities import (
    Dataset,
    DatasetInput,
    Experiment,
    FileInfo,
    InputTag,
    LoggedModelOutput,
    Metric,
    ModelVersion,
    Param,
    RegisteredModel,
    Run,
    RunData,
    RunInfo,
    RunInputs,
    RunOutputs,
    RunTag,
)

Json = dict[str, Any]

#: Tag carrying the request token of a ``runs/create`` sent by mltrail's client: a retried create
#: with the same token returns the run the first attempt made. Stored with the run, never sent
#: back on the wire (``run_to_json`` leaves it out).
REQUEST_ID_TAG = "mltrail.requestId"


def double_to_json(value: float) -> Any:
    """A double as proto3 JSON: a number, or ``"NaN"`` / ``"Infinity"`` / ``"-Infinity"``.

    >>> double_to_json(float("inf"))
    'Infinity'
    """
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def double_from_json(value: Any) -> float:
    """The inverse of :func:`double_to_json` (numbers pass through).

    >>> double_from_json("-Infinity")
    -inf
    """
    return float(value)


def key_values_to_json(items: dict[str, str]) -> list[Json]:
    """A dict of tags or params as MLflow's list of ``{"key", "value"}`` messages.

    >>> key_values_to_json({"team": "growth"})
    [{'key': 'team', 'value': 'growth'}]
    """
    return [{"key": k, "value": v} for k, v in items.items()]


def key_values_from_json(items: Optional[list[Json]]) -> dict[str, str]:
    """The inverse of :func:`key_values_to_json` (a missing list or value reads as empty).

    >>> key_values_from_json([{"key": "team"}])
    {'team': ''}
    """
    return {t["key"]: t.get("value", "") for t in items or ()}


def without_none(body: Json) -> Json:
    """``body`` without its None fields (MLflow's messages leave unset fields out).

    >>> without_none({"name": "m", "description": None})
    {'name': 'm'}
    """
    return {k: v for k, v in body.items() if v is not None}


# -- tracking -----------------------------------------------------------------
def experiment_to_json(e: Experiment) -> Json:
    """An Experiment as MLflow's ``Experiment`` message."""
    return without_none(
        {
            "experiment_id": e.experiment_id,
            "name": e.name,
            "artifact_location": e.artifact_location,
            "lifecycle_stage": e.lifecycle_stage,
            "last_update_time": e.last_update_time,
            "creation_time": e.creation_time,
            "tags": key_values_to_json(e.tags),
        }
    )


def experiment_from_json(body: Json) -> Experiment:
    """The inverse of :func:`experiment_to_json`."""
    return Experiment(
        experiment_id=str(body["experiment_id"]),
        name=body.get("name", ""),
        artifact_location=body.get("artifact_location", ""),
        lifecycle_stage=body.get("lifecycle_stage", "active"),
        tags=key_values_from_json(body.get("tags")),
        creation_time=_int_or_none(body.get("creation_time")),
        last_update_time=_int_or_none(body.get("last_update_time")),
    )


def _int_or_none(value: Any) -> Optional[int]:
    return None if value is None else int(value)


def metric_to_json(m: Metric) -> Json:
    """A Metric as MLflow's ``Metric`` message."""
    return {"key": m.key, "value": double_to_json(m.value), "timestamp": m.timestamp, "step": m.step}


def metric_from_json(body: Json) -> Metric:
    """The inverse of :func:`metric_to_json`."""
    return Metric(
        body["key"], double_from_json(body.get("value", 0.0)), int(body.get("timestamp", 0)), int(body.get("step", 0))
    )


def run_info_to_json(info: RunInfo) -> Json:
    """A RunInfo as MLflow's ``RunInfo`` message (``run_uuid`` too, for old clients)."""
    return without_none(
        {
            "run_id": info.run_id,
            "run_uuid": info.run_id,
            "run_name": info.run_name,
            "experiment_id": info.experiment_id,
            "user_id": info.user_id,
            "status": info.status,
            "start_time": info.start_time,
            "end_time": info.end_time,
            "artifact_uri": info.artifact_uri,
            "lifecycle_stage": info.lifecycle_stage,
        }
    )


def run_info_from_json(body: Json) -> RunInfo:
    """The inverse of :func:`run_info_to_json`."""
    return RunInfo(
        run_id=body.get("run_id") or body["run_uuid"],
        experiment_id=str(body.get("experiment_id", "")),
        run_name=body.get("run_name", ""),
        user_id=body.get("user_id", ""),
        status=body.get("status", "RUNNING"),
        start_time=_int_or_none(body.get("start_time")),
        end_time=_int_or_none(body.get("end_time")),
        artifact_uri=body.get("artifact_uri", ""),
        lifecycle_stage=body.get("lifecycle_stage", "active"),
    )


def dataset_input_to_json(d: DatasetInput) -> Json:
    """A DatasetInput as MLflow's ``DatasetInput`` message."""
    ds = d.dataset
    return {
        "tags": [{"key": t.key, "value": t.value} for t in d.tags],
        "dataset": without_none(
            {
                "name": ds.name,
                "digest": ds.digest,
                "source_type": ds.source_type,
                "source": ds.source,
                "schema": ds.schema,
                "profile": ds.profile,
            }
        ),
    }


def dataset_input_from_json(body: Json) -> DatasetInput:
    """The inverse of :func:`dataset_input_to_json`."""
    ds = body.get("dataset") or {}
    dataset = Dataset(
        ds.get("name", ""), ds.get("digest", ""), ds.get("source_type", ""), ds.get("source", ""),
        ds.get("schema"), ds.get("profile"),
    )
    return DatasetInput(dataset, [InputTag(t["key"], t.get("value", "")) for t in body.get("tags") or ()])


def run_to_json(run: Run, metrics: Optional[list[Metric]] = None) -> Json:
    """A Run as MLflow's ``Run`` message. Latest metric values carry no timestamp in
    mltrail's entities, so ``metrics`` (full Metric rows) may be given to send them."""
    data = run.data
    if metrics is None:
        metric_list = [{"key": k, "value": double_to_json(v), "timestamp": 0, "step": 0} for k, v in data.metrics.items()]
    else:
        metric_list = [metric_to_json(m) for m in metrics]
    return {
        "info": run_info_to_json(run.info),
        "data": {
            "metrics": metric_list,
            "params": key_values_to_json(data.params),
            "tags": [{"key": k, "value": v} for k, v in data.tags.items() if k != REQUEST_ID_TAG],
        },
        "inputs": {"dataset_inputs": [dataset_input_to_json(d) for d in run.inputs.dataset_inputs]},
        "outputs": {"model_outputs": [{"model_id": o.model_id, "step": o.step}
                                      for o in (run.outputs.model_outputs if run.outputs else ())]},
    }


def run_from_json(body: Json) -> Run:
    """The inverse of :func:`run_to_json`."""
    data = body.get("data") or {}
    info = run_info_from_json(body.get("info") or {})
    tags = key_values_from_json(data.get("tags"))
    if not info.run_name:
        info.run_name = tags.get(RUN_NAME, "")
    return Run(
        info=info,
        data=RunData(
            metrics={m["key"]: double_from_json(m.get("value", 0.0)) for m in data.get("metrics") or ()},
            params=key_values_from_json(data.get("params")),
            tags=tags,
        ),
        inputs=RunInputs([dataset_input_from_json(d) for d in (body.get("inputs") or {}).get("dataset_inputs") or ()]),
        outputs=RunOutputs([LoggedModelOutput(o["model_id"], int(o.get("step") or 0))
                            for o in (body.get("outputs") or {}).get("model_outputs") or ()]),
    )


def param_from_json(body: Json) -> Param:
    return Param(body["key"], str(body.get("value", "")))


def tag_from_json(body: Json) -> RunTag:
    return RunTag(body["key"], str(body.get("value", "")))


def file_info_to_json(f: FileInfo) -> Json:
    """A FileInfo as MLflow's ``FileInfo`` message."""
    return without_none({"path": f.path, "is_dir": f.is_dir, "file_size": None if f.is_dir else f.file_size})


def file_info_from_json(body: Json) -> FileInfo:
    """The inverse of :func:`file_info_to_json`."""
    size = body.get("file_size")
    return FileInfo(body["path"], bool(body.get("is_dir", False)), None if size is None else int(size))


# -- registry -----------------------------------------------------------------
def model_version_to_json(mv: ModelVersion) -> Json:
    """A ModelVersion as MLflow's ``ModelVersion`` message."""
    return without_none(
        {
            "name": mv.name,
            "version": str(mv.version),  # a string on the wire (MLflow's proto)
            "creation_timestamp": mv.creation_timestamp,
            "last_updated_timestamp": mv.last_updated_timestamp,
            "user_id": mv.user_id,
            "current_stage": mv.current_stage,
            "description": mv.description,
            "source": mv.source,
            "run_id": mv.run_id,
            "status": mv.status,
            "status_message": mv.status_message,
            "tags": key_values_to_json(mv.tags),
            "run_link": mv.run_link,
            "aliases": list(mv.aliases),
            "model_id": mv.model_id,
        }
    )


def model_version_from_json(body: Json) -> ModelVersion:
    """The inverse of :func:`model_version_to_json`."""
    return ModelVersion(
        name=body["name"],
        version=int(body["version"]),
        creation_timestamp=int(body.get("creation_timestamp", 0)),
        last_updated_timestamp=_int_or_none(body.get("last_updated_timestamp")),
        description=body.get("description"),
        user_id=body.get("user_id", ""),
        current_stage=body.get("current_stage", "None"),
        source=body.get("source", ""),
        run_id=body.get("run_id") or None,
        status=body.get("status", "READY"),
        status_message=body.get("status_message", ""),
        tags=key_values_from_json(body.get("tags")),
        run_link=body.get("run_link") or None,
        aliases=list(body.get("aliases") or ()),
        model_id=body.get("model_id") or None,
    )


def registered_model_to_json(rm: RegisteredModel) -> Json:
    """A RegisteredModel as MLflow's ``RegisteredModel`` message."""
    return without_none(
        {
            "name": rm.name,
            "creation_timestamp": rm.creation_timestamp,
            "last_updated_timestamp": rm.last_updated_timestamp,
            "description": rm.description,
            "latest_versions": [model_version_to_json(v) for v in rm.latest_versions],
            "tags": key_values_to_json(rm.tags),
            "aliases": [{"alias": a, "version": str(v)} for a, v in rm.aliases.items()],
        }
    )


def registered_model_from_json(body: Json) -> RegisteredModel:
    """The inverse of :func:`registered_model_to_json`."""
    return RegisteredModel(
        name=body["name"],
        creation_timestamp=int(body.get("creation_timestamp", 0)),
        last_updated_timestamp=_int_or_none(body.get("last_updated_timestamp")),
        description=body.get("description"),
        latest_versions=[model_version_from_json(v) for v in body.get("latest_versions") or ()],
        tags=key_values_from_json(body.get("tags")),
        aliases={a["alias"]: int(a["version"]) for a in body.get("aliases") or ()},
    )


def absolute_artifact_uri(server: str, uri: str) -> str:
    """A server-relative ``mlflow-artifacts:/<path>`` made to name its server, so it resolves whatever
    the process's tracking URI is: ``mlflow-artifacts://host:port/<path>`` for an ``http://`` server,
    the proxy's full ``https://host/api/2.0/mlflow-artifacts/artifacts/<path>`` URL for ``https://``.
    Other URIs are returned unchanged.

    >>> absolute_artifact_uri("http://127.0.0.1:5000", "mlflow-artifacts:/1/abc/artifacts")
    'mlflow-artifacts://127.0.0.1:5000/1/abc/artifacts'
    """
    if not uri.startswith("mlflow-artifacts:") or uri.startswith("mlflow-artifacts://"):
        return uri
    path = uri[len("mlflow-artifacts:"):].lstrip("/")
    scheme, _, rest = server.partition("://")
    host, _, prefix = rest.partition("/")
    if scheme == "http" and not prefix:
        return f"mlflow-artifacts://{host}/{path}"
    return f"{server.rstrip('/')}/api/2.0/mlflow-artifacts/artifacts/{path}"
