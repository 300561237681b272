"""MLflow 3 logged models on the wire: ``LoggedModel`` messages both ways.

MLflow's shape is ``{"info": {...}, "data": {"params": [...], "metrics": [...]}}``
with the status spelled as the proto enum (``LOGGED_MODEL_READY``). The sha256
of the model's MLmodel travels as ``info.mltrail_mlmodel_sha256``, a field
MLflow's client ignores::

    logged_model_to_json(model)["info"]["status"]   # 'LOGGED_MODEL_READY'
"""

from __future__ import annotations

from typing import Any, Optional

from ...entities import LoggedModel, LoggedModelStatus
from .wire import key_values_from_json, key_values_to_json, metric_from_json, metric_to_json, without_none

Json = dict[str, Any]

_STATUS_TO_PROTO = {
    LoggedModelStatus.UNSPECIFIED: "LOGGED_MODEL_STATUS_UNSPECIFIED",
    LoggedModelStatus.PENDING: "LOGGED_MODEL_PENDING",
    LoggedModelStatus.READY: "LOGGED_MODEL_READY",
    LoggedModelStatus.FAILED: "LOGGED_MODEL_UPLOAD_FAILED",
}
_PROTO_TO_STATUS = {v: k for k, v in _STATUS_TO_PROTO.items()}


def status_to_json(status: LoggedModelStatus) -> str:
    """The proto enum name of ``status``.

    >>> status_to_json(LoggedModelStatus.FAILED)
    'LOGGED_MODEL_UPLOAD_FAILED'
    """
    return _STATUS_TO_PROTO[LoggedModelStatus.from_string(status)]


def status_from_json(value: Any) -> LoggedModelStatus:
    """A status from its proto name, its number or mltrail's own name (READY, FAILED...).

    >>> status_from_json("LOGGED_MODEL_READY")
    <LoggedModelStatus.READY: 'READY'>
    """
    if isinstance(value, str) and value in _PROTO_TO_STATUS:
        return _PROTO_TO_STATUS[value]
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < len(LoggedModelStatus):
        return LoggedModelStatus.from_int(value)
    return LoggedModelStatus.from_string(value)


def logged_model_to_json(m: LoggedModel) -> Json:
    """A LoggedModel as MLflow's ``LoggedModel`` message."""
    return {
        "info": without_none({
            "model_id": m.model_id,
            "experiment_id": m.experiment_id,
            "name": m.name,
            "artifact_uri": m.artifact_location,
            "creation_timestamp_ms": m.creation_timestamp,
            "last_updated_timestamp_ms": m.last_updated_timestamp,
            "model_type": m.model_type,
            "source_run_id": m.source_run_id,
            "status": status_to_json(m.status),
            "status_message": m.status_message,
            "tags": key_values_to_json(m.tags),
            "mltrail_mlmodel_sha256": m.mlmodel_sha256,
        }),
        "data": {"params": key_values_to_json(m.params), "metrics": [metric_to_json(x) for x in m.metrics or ()]},
    }


def logged_model_from_json(body: Json, artifact_location: Optional[str] = None) -> LoggedModel:
    """The inverse of :func:`logged_model_to_json` (``artifact_location`` overrides the sent URI)."""
    info, data = body.get("info") or {}, body.get("data") or {}
    return LoggedModel(
        experiment_id=str(info.get("experiment_id", "")),
        model_id=info["model_id"],
        name=info.get("name", ""),
        artifact_location=artifact_location or info.get("artifact_uri", ""),
        creation_timestamp=int(info.get("creation_timestamp_ms", 0)),
        last_updated_timestamp=int(info.get("last_updated_timestamp_ms", 0)),
        model_type=info.get("model_type") or None,
        source_run_id=info.get("source_run_id") or None,
        status=status_from_json(info.get("status", "LOGGED_MODEL_STATUS_UNSPECIFIED")),
        status_message=info.get("status_message") or None,
        tags=key_values_from_json(info.get("tags")),
        params=key_values_from_json(data.get("params")),
        metrics=[metric_from_json(x) for x in data.get("metrics") or ()],
        mlmodel_sha256=info.get("mltrail_mlmodel_sha256") or None,
    )
