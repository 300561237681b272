"""MLflow 3's logged models: a model logged by ``log_model`` is an entity of its own.

A :class:`LoggedModel` belongs to an experiment, has an id ``m-<32 hex>``,
lives at ``<experiment artifact location>/models/<model_id>/artifacts``
and carries params, tags, metrics and a status; ``source_run_id`` names
the run that logged it (None when it was logged outside any run)::

    model = client.get_logged_model("m-6c0f...")
    model.status, model.model_uri          # ('READY', 'models:/m-6c0f...')
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Iterator, Optional

from .tracking import Metric

MODEL_ID_PREFIX = "m-"


class LoggedModelStatus(str, enum.Enum):
    """Status of a logged model (MLflow's names). Members compare equal to their names.

    >>> LoggedModelStatus.from_string("ready") is LoggedModelStatus.READY
    True
    """

    UNSPECIFIED = "UNSPECIFIED"
    PENDING = "PENDING"
    READY = "READY"
    FAILED = "FAILED"

    def __str__(self) -> str:
        return self.value

    @classmethod
    def from_string(cls, status: "str | LoggedModelStatus") -> "LoggedModelStatus":
        """The member named ``status`` (any case); InvalidParameterError otherwise."""
        from ..exceptions import InvalidParameterError

        if isinstance(status, LoggedModelStatus):
            return status
        try:
            return cls[str(status).upper()]
        except KeyError:
            raise InvalidParameterError(
                f"Invalid logged model status {status!r}: must be one of {', '.join(s.value for s in cls)}"
            ) from None

    def to_int(self) -> int:
        """MLflow's wire number: UNSPECIFIED 0, PENDING 1, READY 2, FAILED 3."""
        return list(LoggedModelStatus).index(self)

    @classmethod
    def from_int(cls, number: int) -> "LoggedModelStatus":
        """The member with MLflow's wire number ``number``."""
        return list(LoggedModelStatus)[number]

    def is_finalized(self) -> bool:
        """READY or FAILED: the model's files are complete (or never will be)."""
        return self in (LoggedModelStatus.READY, LoggedModelStatus.FAILED)


@dataclass(slots=True)
class LoggedModelParameter:
    """A parameter of a logged model (value stored as a string)."""

    key: str
    value: str


@dataclass(slots=True)
class LoggedModelTag:
    """A tag of a logged model."""

    key: str
    value: str


@dataclass(slots=True)
class LoggedModel:
    """A logged model: id, where its files are, lineage, status, params, tags and metrics.

    >>> model = mltrail.get_logged_model(info.model_id)
    >>> model.params["alpha"], model.source_run_id == run.info.run_id
    ('0.5', True)
    """

    experiment_id: str
    model_id: str
    name: str
    artifact_location: str
    creation_timestamp: int
    last_updated_timestamp: int
    model_type: Optional[str] = None
    source_run_id: Optional[str] = None
    status: LoggedModelStatus = LoggedModelStatus.PENDING
    status_message: Optional[str] = None
    tags: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    metrics: Optional[list[Metric]] = None
    mlmodel_sha256: Optional[str] = None

    @property
    def model_uri(self) -> str:
        """``models:/<model_id>``: loads this model."""
        return f"models:/{self.model_id}"

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        """``dict(model)`` gives its fields, as MLflow's entities iterate as key/value pairs."""
        for name in LoggedModel.__dataclass_fields__:
            if name != "mlmodel_sha256":
                yield name, getattr(self, name)
        yield "model_uri", self.model_uri

    def to_dictionary(self) -> dict[str, Any]:
        """The model's fields as a plain dict (status as MLflow's number, metrics as dicts), as MLflow's."""
        out = dict(self)
        del out["model_uri"]
        out["status"] = self.status.to_int()
        out["metrics"] = None if self.metrics is None else [
            {f: getattr(m, f) for f in m.__dataclass_fields__} for m in self.metrics
        ]
        return out


__all__ = [
    "MODEL_ID_PREFIX",
    "LoggedModel",
    "LoggedModelParameter",
    "LoggedModelStatus",
    "LoggedModelTag",
]
