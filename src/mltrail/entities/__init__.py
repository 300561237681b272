"""Plain data classes shared by every layer (MLflow's names).

>>> from mltrail.entities import ViewType, RunStatus, Metric
"""

from .auth import ApiToken, Permission, User
from .datasets import DATASET_CONTEXT_TAG, Dataset, DatasetInput, InputTag
from .enums import LifecycleStage, ModelVersionStage, ModelVersionStatus, RunStatus, ViewType
from .logged_model import (
    LoggedModel,
    LoggedModelParameter,
    LoggedModelStatus,
    LoggedModelTag,
)
from .registry import ModelVersion, RegisteredModel, StageTransition
from .tracking import (
    Experiment,
    ExperimentTag,
    FileInfo,
    LoggedModelInput,
    LoggedModelOutput,
    Metric,
    PagedList,
    Param,
    Run,
    RunData,
    RunInfo,
    RunInputs,
    RunOutputs,
    RunTag,
)

__all__ = [
    "ApiToken",
    "Permission",
    "User",
    "DATASET_CONTEXT_TAG",
    "Dataset",
    "DatasetInput",
    "Experiment",
    "ExperimentTag",
    "FileInfo",
    "InputTag",
    "LifecycleStage",
    "LoggedModel",
    "LoggedModelInput",
    "LoggedModelOutput",
    "LoggedModelParameter",
    "LoggedModelStatus",
    "LoggedModelTag",
    "Metric",
    "ModelVersion",
    "ModelVersionStage",
    "ModelVersionStatus",
    "PagedList",
    "Param",
    "RegisteredModel",
    "Run",
    "RunData",
    "RunInfo",
    "RunInputs",
    "RunOutputs",
    "RunStatus",
    "RunTag",
    "StageTransition",
    "ViewType",
]
