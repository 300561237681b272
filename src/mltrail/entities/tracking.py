"""Tracking entities: experiments, runs and what is logged to them.

Plain dataclasses with MLflow's attribute names, so code reading
``run.info.run_id`` or ``run.data.metrics["rmse"]`` works unchanged::

    run = client.get_run(run_id)
    print(run.info.status, run.data.params["alpha"])
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from typing import TYPE_CHECKING

from .datasets import DatasetInput
from .enums import LifecycleStage

if TYPE_CHECKING:
    from .logged_model import RunOutputs


@dataclass(slots=True)
class Metric:
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


@dataclass(slots=True)
class Param:
    """A run parameter; the value is always stored as a string."""

    key: str
    value: str


@dataclass(slots=True)
class RunTag:
    """A run tag (key/value strings)."""

    key: str
    value: str


@dataclass(slots=True)
class ExperimentTag:
    """An experiment tag (key/value strings)."""

    key: str
    value: str


@dataclass(slots=True)
class Experiment:
    """An experiment: a named group of runs. ``experiment_id`` is a string."""

    experiment_id: str
    name: str
    artifact_location: str
    lifecycle_stage: str = LifecycleStage.ACTIVE
    tags: dict[str, str] = field(default_factory=dict)
    creation_time: Optional[int] = None
    last_update_time: Optional[int] = None


@dataclass(slots=True)
class RunInfo:
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


@dataclass(slots=True)
class RunData:
    """What was logged: latest value per metric, params and tags, as dicts."""

    metrics: dict[str, float] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class RunInputs:
    """Datasets a run consumed: ``run.inputs.dataset_inputs`` is a list of DatasetInput."""

    dataset_inputs: list[DatasetInput] = field(default_factory=list)


@dataclass(slots=True)
class Run:
    """A run: ``info`` (RunInfo), ``data`` (RunData) and ``inputs`` (RunInputs)."""

    info: RunInfo
    data: RunData
    inputs: RunInputs = field(default_factory=RunInputs)
    #: MLflow 3: the models the run logged (``RunOutputs``; filled by ``get_run``).
    outputs: Optional["RunOutputs"] = None


@dataclass(slots=True)
class FileInfo:
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
