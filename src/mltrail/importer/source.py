"""What an MLflow store looks like to the importer: records and the :class:`Source` interface.

Two sources implement it: :class:`~.sql_source.SqlSource` (MLflow's SQL schema)
and :class:`~.file_source.FileSource` (MLflow's ``./mlruns`` file store).
Rows are plain tuples and dicts shaped as mltrail's tables want them, so the
writer moves them without conversion; metric values are floats as logged
(NaN and +-inf included).

>>> source = mltrail.importer.open_source("sqlite:///mlflow.db")   # picks the implementation
>>> [e.name for e in source.experiments()]
['Default', 'nyc-taxi']
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator, Optional, Sequence

from ..exceptions import InvalidParameterError

#: Run ids handled per step: params, tags and metrics are read and written for this many runs at once.
RUN_CHUNK = 500

#: MLflow's run status numbers (file store, protobuf) to names.
RUN_STATUS_NAMES = {1: "RUNNING", 2: "SCHEDULED", 3: "FINISHED", 4: "FAILED", 5: "KILLED"}


class SourceError(InvalidParameterError):
    """The source cannot be imported as asked (not an MLflow store, unknown revision, changed meanwhile...)."""


@dataclass
class ExperimentRecord:
    """An experiment of the source store."""

    experiment_id: int
    name: str
    artifact_location: str
    lifecycle_stage: str
    creation_time: Optional[int]
    last_update_time: Optional[int]
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class LoggedModelRecord:
    """An MLflow 3 logged model; ``row`` is keyed by mltrail's ``logged_models`` columns."""

    row: dict[str, Any]
    params: dict[str, str]
    tags: dict[str, str]
    metrics: list[dict[str, Any]]


@dataclass
class RegisteredModelRecord:
    """A registered model with its tags, aliases and versions (rows keyed by mltrail's columns)."""

    row: dict[str, Any]
    tags: dict[str, str]
    aliases: dict[str, int]
    versions: list[tuple[dict[str, Any], dict[str, str]]]


@dataclass(frozen=True)
class SourceCounts:
    """What an experiment holds: compared before and after copying (changed source) and with the target."""

    runs: int
    params: int
    metrics: int
    tags: int
    logged_models: int


class Source:
    """An MLflow store read by the importer (see the module docstring)."""

    #: What the store is, for messages: "MLflow SQL store at revision ... (sqlite)", "MLflow file store".
    description: str = ""
    #: Where artifacts are when the recorded locations are not found (``--artifacts``, or the file store itself).
    artifact_root: Optional[str] = None

    def experiments(self) -> list[ExperimentRecord]:
        """Every experiment, deleted ones included."""
        raise NotImplementedError

    def run_ids(self, experiment_id: int) -> list[str]:
        """Ids of every run of the experiment, deleted ones included."""
        raise NotImplementedError

    def runs(self, run_ids: Sequence[str]) -> list[dict[str, Any]]:
        """Run rows keyed by :data:`~mltrail.store.sql.bulk_import.RUN_ROW_COLUMNS`."""
        raise NotImplementedError

    def params(self, run_ids: Sequence[str]) -> Iterator[tuple[str, str, str]]:
        """``(run_uuid, key, value)``."""
        raise NotImplementedError

    def tags(self, run_ids: Sequence[str]) -> Iterator[tuple[str, str, str]]:
        """``(run_uuid, key, value)``."""
        raise NotImplementedError

    def metrics(self, run_ids: Sequence[str]) -> Iterator[tuple[str, str, float, int, int]]:
        """``(run_uuid, key, value, timestamp, step)``: every logged row, streamed."""
        raise NotImplementedError

    def inputs(self, run_ids: Sequence[str]) -> list[tuple[str, dict[str, Any], dict[str, str]]]:
        """``(run_uuid, dataset row, input tags)`` of the runs' dataset inputs."""
        return []

    def logged_models(self, experiment_id: int) -> list[LoggedModelRecord]:
        """The experiment's logged models (MLflow 3)."""
        return []

    def run_outputs(self, run_ids: Sequence[str]) -> list[tuple[str, str, int]]:
        """``(run_uuid, model_id, step)``: models the runs logged (MLflow 3)."""
        return []

    def registered_models(self) -> list[RegisteredModelRecord]:
        """Every registered model with its versions."""
        return []

    def counts(self, experiment_id: int) -> SourceCounts:
        """What the experiment holds now."""
        raise NotImplementedError

    def close(self) -> None:
        """Release connections."""


__all__ = [
    "ExperimentRecord",
    "SourceError",
    "LoggedModelRecord",
    "RUN_CHUNK",
    "RegisteredModelRecord",
    "Source",
    "SourceCounts",
]
