"""Model registry entities: registered models, their versions and stage transitions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Union

from ._mlflow_object import MlflowObject
from .enums import ModelVersionStage, ModelVersionStatus


@dataclass(slots=True)
class ModelVersion(MlflowObject):
    """One immutable version of a registered model; ``version`` is an int (as MLflow returns it).

    An unset description is None.
    """

    name: str
    version: int
    creation_timestamp: int
    last_updated_timestamp: Optional[int] = None
    description: Optional[str] = None
    user_id: str = ""
    current_stage: str = ModelVersionStage.NONE
    source: str = ""
    run_id: Optional[str] = None
    status: str = ModelVersionStatus.READY
    status_message: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    run_link: Optional[str] = None
    aliases: list[str] = field(default_factory=list)
    #: MLflow 3: the logged model (``m-...``) this version was registered from.
    model_id: Optional[str] = None

    def __post_init__(self) -> None:
        self.version = int(self.version)


@dataclass(slots=True)
class RegisteredModel(MlflowObject):
    """A named model in the registry with its latest version per stage.

    ``aliases`` maps each alias to its version number (an int); an unset description is None.
    """

    name: str
    creation_timestamp: int
    last_updated_timestamp: Optional[int] = None
    description: Optional[str] = None
    latest_versions: list[ModelVersion] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, Union[int, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.aliases = {alias: int(version) for alias, version in self.aliases.items()}


@dataclass(slots=True)
class StageTransition(MlflowObject):
    """A recorded stage change of a model version: who, when, from, to."""

    name: str
    version: int
    from_stage: str
    to_stage: str
    user_id: str
    timestamp: int
