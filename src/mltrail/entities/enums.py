"""Run statuses, view types, lifecycle stages and model-version stages."""

from __future__ import annotations

import enum


class RunStatus(str, enum.Enum):
    """Status of a run. Members compare equal to their names (``RunStatus.FINISHED == "FINISHED"``).

    >>> RunStatus.from_string("finished") is RunStatus.FINISHED
    True
    """

    RUNNING = "RUNNING"
    SCHEDULED = "SCHEDULED"
    FINISHED = "FINISHED"
    FAILED = "FAILED"
    KILLED = "KILLED"

    def __str__(self) -> str:
        return self.value

    @classmethod
    def from_string(cls, status: "str | RunStatus") -> "RunStatus":
        from ..exceptions import InvalidParameterError

        if isinstance(status, RunStatus):
            return status
        try:
            return cls[str(status).upper()]
        except KeyError:
            raise InvalidParameterError(
                f"Invalid run status {status!r}: must be one of "
                f"{', '.join(s.value for s in cls)}"
            ) from None

    @staticmethod
    def to_string(status: "str | RunStatus") -> str:
        return RunStatus.from_string(status).value

    @staticmethod
    def is_terminated(status: "str | RunStatus") -> bool:
        return RunStatus.from_string(status) in (RunStatus.FINISHED, RunStatus.FAILED, RunStatus.KILLED)

    @staticmethod
    def all_status() -> list["RunStatus"]:
        return list(RunStatus)


class ViewType(enum.IntEnum):
    """Which lifecycle stages a search returns (MLflow's numbering).

    >>> ViewType.from_string("active_only") is ViewType.ACTIVE_ONLY
    True
    """

    ACTIVE_ONLY = 1
    DELETED_ONLY = 2
    ALL = 3

    @classmethod
    def from_string(cls, view: "str | int | ViewType") -> "ViewType":
        from ..exceptions import InvalidParameterError

        if isinstance(view, ViewType):
            return view
        if isinstance(view, int):
            return cls(view)
        try:
            return cls[str(view).upper()]
        except KeyError:
            raise InvalidParameterError(
                f"Invalid view type {view!r}: must be one of ACTIVE_ONLY, DELETED_ONLY, ALL"
            ) from None

    @staticmethod
    def to_string(view: "ViewType") -> str:
        return ViewType(view).name

    @staticmethod
    def stages(view: "ViewType") -> tuple[str, ...]:
        view = ViewType(view)
        if view is ViewType.ACTIVE_ONLY:
            return (LifecycleStage.ACTIVE,)
        if view is ViewType.DELETED_ONLY:
            return (LifecycleStage.DELETED,)
        return (LifecycleStage.ACTIVE, LifecycleStage.DELETED)


class LifecycleStage:
    """Soft-delete state of experiments and runs."""

    ACTIVE = "active"
    DELETED = "deleted"


class ModelVersionStage:
    """Registry stages. Names are accepted in any case and canonicalised.

    >>> ModelVersionStage.canonical("production")
    'Production'
    """

    NONE = "None"
    STAGING = "Staging"
    PRODUCTION = "Production"
    ARCHIVED = "Archived"
    ALL = (NONE, STAGING, PRODUCTION, ARCHIVED)

    @classmethod
    def canonical(cls, stage: str) -> str:
        from ..exceptions import InvalidParameterError

        for s in cls.ALL:
            if str(stage).lower() == s.lower():
                return s
        raise InvalidParameterError(
            f"Invalid model version stage {stage!r}: must be one of {', '.join(cls.ALL)} (any case)"
        )


class ModelVersionStatus:
    PENDING_REGISTRATION = "PENDING_REGISTRATION"
    FAILED_REGISTRATION = "FAILED_REGISTRATION"
    READY = "READY"
