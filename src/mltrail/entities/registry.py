"""Model registry entities: registered models, their versions and stage transitions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from .enums import ModelVersionStage, ModelVersionStatus


@dataclass(slots=True)
class ModelVersion:
    """One immutable version of a registered model."""

    name: str
    version: str
    creation_timestamp: int
    last_updated_timestamp: Optional[int] = None
    description: str = ""
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


@dataclass(slots=True)
class RegisteredModel:
    """A named model in the registry with its latest version per stage."""

    name: str
    creation_timestamp: int
    last_updated_timestamp: Optional[int] = None
    description: str = ""
    latest_versions: list[ModelVersion] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class StageTransition:
    """A recorded stage change of a model version: who, when, from, to."""

    name: str
    version: str
    from_stage: str
    to_stage: str
    user_id: str
    timestamp: int
