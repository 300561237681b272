"""Tracking entities: experiments, runs and what is logged to them.

Plain dataclasses with MLflow's attribute names, so code reading
``run.info.run_id`` or ``run.data.metrics["rmse"]`` works unchanged::

    run = client.get_run(run_id)
    print(run.info.status, run.data.params["alpha"])
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Optional

from .datasets import DatasetInput
from ._mlflow_object import MlflowObject
from .enums import LifecycleStage

@dataclass(slots=True)
class Metric(MlflowObject):
    """One logged value of a metric: ``Metric("rmse", 6.9, timestamp_ms, step)``."""

    key: str
    value: float
    timestamp: int
    step: int = 0
    #: MLflow 3: the logged model (and the dataset) this value was measured for, if any.
    model_id: Optional[str] = None
    dataset_name: Optional[str] = None
    dataset_digest: Optional[str] = None
    run_id: Optional[str] = None

    def to_dictionary(self) -> dict[str, Any]:
        """The metric as a dict (MLflow's layout).

        >>> Metric("rmse", 6.9, 1700000000000, 3).to_dictionary()["step"]
        3
        """
        return dict(self)


@dataclass(slots=True)
class Param(MlflowObject):
    """A run parameter; the value is always stored as a string."""

    key: str
    value: str


@dataclass(slots=True)
class RunTag(MlflowObject):
    """A run tag (key/value strings)."""

    key: str
    value: str


@dataclass(slots=True)
class ExperimentTag(MlflowObject):
    """An experiment tag (key/value strings)."""

    key: str
    value: str


@dataclass(slots=True)
class Experiment(MlflowObject):
    """An experiment: a named group of runs. ``experiment_id`` is a string."""

    experiment_id: str
    name: str
    artifact_location: str
    lifecycle_stage: str = LifecycleStage.ACTIVE
    tags: dict[str, str] = field(default_factory=dict)
    creation_time: Optional[int] = None
    last_update_time: Optional[int] = None

    def to_dictionary(self) -> dict[str, Any]:
        """The experiment as a dict of its properties (``Experiment.from_dictionary`` reads it back).

        >>> mlflow.get_experiment("0").to_dictionary()["name"]
        'Default'
        """
        return dict(self)


@dataclass(slots=True)
class RunInfo(MlflowObject):
    """Run metadata. ``status`` is a RunStatus name such as ``"FINISHED"``."""

    run_id: str
    experiment_id: str
    run_name: str
    user_id: str
    status: str
    start_time: Optional[int]
    end_time: Optional[int]
    artifact_uri: str
    lifecycle_stage: str = LifecycleStage.ACTIVE

    @property
    def run_uuid(self) -> str:
        """MLflow's older name for ``run_id``."""
        return self.run_id

    def to_dictionary(self) -> dict[str, Any]:
        """The run info as a dict (the ``"info"`` part of :meth:`Run.to_dictionary`).

        >>> run.info.to_dictionary()["status"]
        'FINISHED'
        """
        return dict(self)


@dataclass(slots=True)
class RunData(MlflowObject):
    """What was logged: latest value per metric, params and tags, as dicts."""

    metrics: dict[str, float] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)

    def to_dictionary(self) -> dict[str, Any]:
        """``{"metrics": ..., "params": ..., "tags": ...}`` (MLflow's layout).

        >>> run.data.to_dictionary()["params"]
        {'alpha': '0.01'}
        """
        return {"metrics": dict(self.metrics), "params": dict(self.params), "tags": dict(self.tags)}


@dataclass(slots=True)
class RunInputs(MlflowObject):
    """Datasets a run consumed: ``run.inputs.dataset_inputs`` is a list of DatasetInput."""

    dataset_inputs: list[DatasetInput] = field(default_factory=list)

    def to_dictionary(self) -> dict[str, Any]:
        """``{"model_inputs": [], "dataset_inputs": [...]}`` (MLflow's layout)."""
        return {"model_inputs": [], "dataset_inputs": [d.to_dictionary() for d in self.dataset_inputs]}

    @classmethod
    def from_dictionary(cls, the_dict: Mapping[str, Any]) -> "RunInputs":
        """Read back :meth:`to_dictionary`'s layout."""
        return cls([DatasetInput.from_dictionary(d) for d in the_dict.get("dataset_inputs") or ()])


@dataclass(slots=True)
class LoggedModelOutput:
    """A model a run logged (``run.outputs.model_outputs``), with the step it was logged at."""

    model_id: str
    step: int = 0


@dataclass(slots=True)
class LoggedModelInput:
    """A model a run used as input."""

    model_id: str


@dataclass(slots=True)
class RunOutputs:
    """What a run produced: ``model_outputs`` is a list of :class:`LoggedModelOutput`."""

    model_outputs: list[LoggedModelOutput] = field(default_factory=list)


@dataclass(slots=True)
class Run(MlflowObject):
    """A run: ``info`` (RunInfo), ``data`` (RunData) and ``inputs`` (RunInputs)."""

    info: RunInfo
    data: RunData
    inputs: RunInputs = field(default_factory=RunInputs)
    #: MLflow 3: the models the run logged (``RunOutputs``; filled by ``get_run``).
    outputs: Optional["RunOutputs"] = None

    @property
    def _info(self) -> RunInfo:
        """MLflow's private name for ``info`` (its own examples read ``run._info``)."""
        return self.info

    @property
    def _data(self) -> RunData:
        """MLflow's private name for ``data``."""
        return self.data

    def to_dictionary(self) -> dict[str, Any]:
        """``{"info": {...}, "data": {...}, "inputs": {...}}`` as MLflow's ``Run.to_dictionary``.

        >>> mlflow.get_run(run_id).to_dictionary()["data"]["metrics"]
        {'rmse': 6.9}
        """
        out = {"info": dict(self.info), "data": self.data.to_dictionary(), "inputs": self.inputs.to_dictionary()}
        if self.outputs is not None and self.outputs.model_outputs:  # MLflow 3: the models the run logged
            out["outputs"] = {"model_outputs": [{"model_id": o.model_id, "step": o.step}
                                                for o in self.outputs.model_outputs]}
        return out

    @classmethod
    def from_dictionary(cls, the_dict: Mapping[str, Any]) -> "Run":
        """Build a run back from :meth:`to_dictionary`'s layout.

        >>> Run.from_dictionary(run.to_dictionary()) == run
        True
        """
        inputs = the_dict.get("inputs")
        outputs = (the_dict.get("outputs") or {}).get("model_outputs") or []
        return cls(
            RunInfo.from_dictionary(the_dict["info"]),
            RunData.from_dictionary(the_dict.get("data") or {}),
            RunInputs.from_dictionary(inputs) if inputs else RunInputs(),
            RunOutputs([LoggedModelOutput(o["model_id"], int(o.get("step") or 0)) for o in outputs]),
        )


@dataclass(slots=True)
class FileInfo(MlflowObject):
    """An entry of an artifact listing; ``path`` is relative to the run's artifact root."""

    path: str
    is_dir: bool
    file_size: Optional[int] = None


class PagedList(list):
    """A list of results plus the ``token`` of the next page (None on the last page).

    >>> page = PagedList([1, 2], token="abc"); page.token
    'abc'
    """

    def __init__(self, items=(), token: Optional[str] = None) -> None:
        super().__init__(items)
        self.token = token
