"""The model-registry store interface: registered models, versions, stages, aliases.

A registry store keeps the registry's *records*; copying model files into the
registry's storage is the client's job (:mod:`mltrail.client.registry`).
Stores validate every input before writing and raise
:class:`mltrail.exceptions.MltrailError` subclasses whose message names the
offending value and the rule it broke; a refused call changes nothing.

Versions are passed as ``int`` or ``str`` (``3`` or ``"3"``) and returned as
strings, as MLflow does. Stage names are accepted in any case::

    store = get_registry_store("sqlite:///mlflow.db")
    store.create_registered_model("nyc-taxi-regressor")
    mv = store.create_model_version("nyc-taxi-regressor", source="runs:/abc/model", run_id="abc")
    store.transition_model_version_stage("nyc-taxi-regressor", mv.version, "staging", False, "ana")
"""

from __future__ import annotations

import abc
from typing import Optional, Sequence, Union

from ..entities import ModelVersion, PagedList, RegisteredModel, StageTransition

#: Default page size of ``search_registered_models`` (MLflow's).
SEARCH_REGISTERED_MODEL_MAX_RESULTS_DEFAULT = 100
#: Default page size of ``search_model_versions`` (MLflow's).
SEARCH_MODEL_VERSION_MAX_RESULTS_DEFAULT = 10000
#: Upper bound of ``max_results`` for either search.
SEARCH_REGISTRY_MAX_RESULTS_THRESHOLD = 200000

Version = Union[int, str]


class RegistryStore(abc.ABC):
    """Registered models, their versions, stage transitions, tags and aliases."""

    #: Artifact root of the registry's database; registered copies go under ``<root>/models``.
    default_artifact_root: str

    # -- registered models ---------------------------------------------------
    @abc.abstractmethod
    def create_registered_model(
        self,
        name: str,
        tags: Optional[dict[str, str]] = None,
        description: Optional[str] = None,
    ) -> RegisteredModel:
        """Create a model; the name must be unique (ResourceAlreadyExistsError otherwise)."""

    @abc.abstractmethod
    def get_registered_model(self, name: str) -> RegisteredModel:
        """The model with its tags, aliases and latest version per stage."""

    @abc.abstractmethod
    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        """Rename; versions, tags, aliases and history follow. The new name must be free."""

    @abc.abstractmethod
    def update_registered_model(self, name: str, description: Optional[str]) -> RegisteredModel:
        """Replace the description."""

    @abc.abstractmethod
    def delete_registered_model(self, name: str) -> list[str]:
        """Delete the model and all its versions; return the versions' storage locations."""

    @abc.abstractmethod
    def search_registered_models(
        self,
        filter_string: Optional[str] = None,
        max_results: int = SEARCH_REGISTERED_MODEL_MAX_RESULTS_DEFAULT,
        order_by: Optional[Sequence[str]] = None,
        page_token: Optional[str] = None,
    ) -> PagedList:
        """Models matching ``name = / != / LIKE / ILIKE`` and ``tags.<key>`` filters, paged."""

    @abc.abstractmethod
    def get_latest_versions(
        self, name: str, stages: Optional[Sequence[str]] = None
    ) -> list[ModelVersion]:
        """The newest version in each stage (every stage when ``stages`` is None or empty)."""

    @abc.abstractmethod
    def set_registered_model_tag(self, name: str, key: str, value: str) -> None: ...

    @abc.abstractmethod
    def delete_registered_model_tag(self, name: str, key: str) -> None: ...

    # -- model versions ------------------------------------------------------
    @abc.abstractmethod
    def create_model_version(
        self,
        name: str,
        source: str,
        run_id: Optional[str] = None,
        tags: Optional[dict[str, str]] = None,
        run_link: Optional[str] = None,
        description: Optional[str] = None,
        user_id: str = "",
        storage_root: Optional[str] = None,
    ) -> ModelVersion:
        """Add the next version (1, 2, 3... gap-free even under concurrent callers).

        Without ``storage_root`` the version is READY and downloads from
        ``source``. With it, the version's storage location is
        ``<storage_root>/<name>/<version>`` and the version stays
        PENDING_REGISTRATION until :meth:`set_model_version_status` marks it
        READY once the caller has copied the model there.
        """

    @abc.abstractmethod
    def set_model_version_status(
        self, name: str, version: Version, status: str, status_message: str = ""
    ) -> ModelVersion:
        """Record the outcome of a registration (READY or FAILED_REGISTRATION)."""

    def expire_pending_model_versions(self, older_than_ms: int) -> list[ModelVersion]:
        """Mark versions PENDING_REGISTRATION for more than ``older_than_ms`` as FAILED_REGISTRATION.

        Returns the versions it marked (their copies are the caller's to remove).
        Stores whose server finishes registrations itself return [].
        """
        return []

    def failed_model_versions(self) -> list[ModelVersion]:
        """Versions whose registration failed (their copies may be removed); [] when not tracked here."""
        return []

    @abc.abstractmethod
    def get_model_version(self, name: str, version: Version) -> ModelVersion: ...

    @abc.abstractmethod
    def update_model_version(
        self, name: str, version: Version, description: Optional[str]
    ) -> ModelVersion:
        """Replace the description (the only mutable attribute besides stage, tags, aliases)."""

    @abc.abstractmethod
    def delete_model_version(self, name: str, version: Version) -> Optional[str]:
        """Delete one version (its tags, aliases, history); return its storage location.

        Numbers are never reused: the next version of the model is still max + 1
        of every number ever handed out.
        """

    @abc.abstractmethod
    def get_model_version_download_uri(self, name: str, version: Version) -> str:
        """Where the version's files are (its storage location)."""

    @abc.abstractmethod
    def search_model_versions(
        self,
        filter_string: Optional[str] = None,
        max_results: int = SEARCH_MODEL_VERSION_MAX_RESULTS_DEFAULT,
        order_by: Optional[Sequence[str]] = None,
        page_token: Optional[str] = None,
    ) -> PagedList:
        """Versions matching ``name``, ``version_number``, ``run_id``, ``source_path``,
        ``current_stage`` and ``tags.<key>`` filters, paged; ``order_by`` first, then (as
        MLflow) name ascending and newest version first."""

    @abc.abstractmethod
    def transition_model_version_stage(
        self,
        name: str,
        version: Version,
        stage: str,
        archive_existing_versions: bool = False,
        user_id: str = "",
    ) -> ModelVersion:
        """Move a version to a stage; optionally archive the others in that stage.

        Every move (including the archiving ones) is recorded with who and when.
        """

    @abc.abstractmethod
    def get_model_version_stage_history(self, name: str, version: Version) -> list[StageTransition]:
        """Every stage transition of a version, oldest first."""

    @abc.abstractmethod
    def set_model_version_tag(self, name: str, version: Version, key: str, value: str) -> None: ...

    @abc.abstractmethod
    def delete_model_version_tag(self, name: str, version: Version, key: str) -> None: ...

    # -- aliases -------------------------------------------------------------
    @abc.abstractmethod
    def set_registered_model_alias(self, name: str, alias: str, version: Version) -> None:
        """Point ``alias`` at a version (moving it if it pointed elsewhere)."""

    @abc.abstractmethod
    def delete_registered_model_alias(self, name: str, alias: str) -> None: ...

    @abc.abstractmethod
    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion: ...

    # -- what a version was registered from (MLflow 3 logged models) -------------
    def record_model_version_origin(
        self, name: str, version: Version, model_id: Optional[str], mlmodel_sha256: Optional[str]
    ) -> None:
        """Record the logged model a version came from and the sha256 of its MLmodel file.

        Stores that keep no such record ignore it (loading then relies on the per-file hashes).

        >>> store.record_model_version_origin("churn", 3, "m-6c0f...", "9f86d08...")
        """

    def get_model_version_mlmodel_sha256(self, name: str, version: Version) -> Optional[str]:
        """The sha256 recorded for the version's MLmodel file, or None when none was recorded.

        >>> store.get_model_version_mlmodel_sha256("churn", 3)
        '9f86d08...'
        """
        return None


__all__ = [
    "RegistryStore",
    "SEARCH_REGISTERED_MODEL_MAX_RESULTS_DEFAULT",
    "SEARCH_MODEL_VERSION_MAX_RESULTS_DEFAULT",
    "SEARCH_REGISTRY_MAX_RESULTS_THRESHOLD",
]
