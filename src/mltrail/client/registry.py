"""Model-registry methods of :class:`mltrail.client.Client` (MLflow's names and semantics).

``Client`` inherits from :class:`RegistryClientMixin`, so the tracking client
module stays about tracking::

    client = MlflowClient("sqlite:///mlflow.db")
    client.create_registered_model("nyc-taxi-regressor")
    mv = client.create_model_version("nyc-taxi-regressor", f"runs:/{run_id}/model", run_id=run_id)
    client.transition_model_version_stage("nyc-taxi-regressor", mv.version, "Staging",
                                          archive_existing_versions=False)
    client.set_registered_model_alias("nyc-taxi-regressor", "champion", mv.version)
    client.get_model_version_by_alias("nyc-taxi-regressor", "champion").version   # 1

Immutability: a registered version is a *copy*. ``create_model_version``
copies the model folder named by ``source`` into the registry's storage,
``<artifact root>/models/<name>/<version>/``, and the version downloads
from there (``get_model_version_download_uri``), so deleting or rewriting
the run's artifacts later does not change a registered version. Deleting a
version or a model deletes its copies.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any, Optional, Sequence, Union

from .._system_tags import current_user
from ..entities import ModelVersion, PagedList, RegisteredModel, StageTransition
from ..exceptions import InvalidParameterError, ResourceNotFoundError
from ..store import get_registry_store
from ..store.registry_base import (
    SEARCH_MODEL_VERSION_MAX_RESULTS_DEFAULT,
    SEARCH_REGISTERED_MODEL_MAX_RESULTS_DEFAULT,
    RegistryStore,
)
from . import registry_storage

if TYPE_CHECKING:
    from ..entities import Run

Version = Union[int, str]


class RegistryClientMixin:
    """Registry operations of the client; uses ``self._registry_uri`` and ``self.get_run``."""

    _registry_uri: str
    _tracking_uri: str

    def get_run(self, run_id: str) -> "Run":  # provided by Client
        raise NotImplementedError

    @functools.cached_property
    def _registry_store(self) -> RegistryStore:
        return get_registry_store(self._registry_uri)

    @property
    def registry_store(self) -> RegistryStore:
        """The model-registry store behind this client (see :attr:`Client.tracking_store`).

        >>> Client("sqlite:///mlflow.db").registry_store.get_registered_model("taxi").name
        'taxi'
        """
        return self._registry_store

    # -- registered models ---------------------------------------------------
    def create_registered_model(
        self,
        name: str,
        tags: Optional[dict[str, Any]] = None,
        description: Optional[str] = None,
    ) -> RegisteredModel:
        """Create an empty registered model; the name must be unique.

        >>> client.create_registered_model("nyc-taxi-regressor", tags={"team": "growth"})
        """
        return self._registry_store.create_registered_model(name, tags=tags, description=description)

    def get_registered_model(self, name: str) -> RegisteredModel:
        """The model with its tags, aliases and latest version per stage.

        >>> client.get_registered_model("nyc-taxi-regressor").aliases
        {'champion': 4}
        """
        return self._registry_store.get_registered_model(name)

    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        """Rename a model (its versions, tags, aliases and history follow).

        >>> client.rename_registered_model("nyc-taxi", "nyc-taxi-regressor")
        """
        return self._registry_store.rename_registered_model(name, new_name)

    def update_registered_model(self, name: str, description: Optional[str] = None) -> RegisteredModel:
        """Replace the model's description.

        >>> client.update_registered_model("nyc-taxi-regressor", description="trip duration, minutes")
        """
        return self._registry_store.update_registered_model(name, description)

    def delete_registered_model(self, name: str) -> None:
        """Delete the model, all its versions and their copies in the registry's storage.

        >>> client.delete_registered_model("old-model")
        """
        locations = self._registry_store.delete_registered_model(name)
        for location in locations:
            registry_storage.remove_copy(self._registry_store, location)

    def search_registered_models(
        self,
        filter_string: Optional[str] = None,
        max_results: int = SEARCH_REGISTERED_MODEL_MAX_RESULTS_DEFAULT,
        order_by: Optional[Sequence[str]] = None,
        page_token: Optional[str] = None,
    ) -> PagedList:
        """Models matching a filter (``name = / != / LIKE / ILIKE``, ``tags.<key>``), paged.

        >>> page = client.search_registered_models("name LIKE 'nyc-%'", order_by=["name DESC"])
        >>> page.token   # pass as page_token for the next page (None on the last page)
        """
        return self._registry_store.search_registered_models(filter_string, max_results, order_by, page_token)

    def get_latest_versions(self, name: str, stages: Optional[Sequence[str]] = None) -> list[ModelVersion]:
        """The newest version in each requested stage (every stage when None), in MLflow's order:
        stages in the order their lowest version reached them.

        >>> [(v.version, v.current_stage) for v in client.get_latest_versions("nyc-taxi-regressor")]
        [(4, 'Production'), (5, 'None')]
        """
        return self._registry_store.get_latest_versions(name, stages)

    def set_registered_model_tag(self, name: str, key: str, value: Any) -> None:
        """Set a tag on a model.

        >>> client.set_registered_model_tag("nyc-taxi-regressor", "team", "growth")
        """
        self._registry_store.set_registered_model_tag(name, key, "" if value is None else str(value))

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        """Delete a tag of a model (an unknown key raises ResourceNotFoundError).

        >>> client.delete_registered_model_tag("nyc-taxi-regressor", "team")
        """
        self._registry_store.delete_registered_model_tag(name, key)

    # -- model versions ------------------------------------------------------
    def create_model_version(
        self,
        name: str,
        source: str,
        run_id: Optional[str] = None,
        tags: Optional[dict[str, Any]] = None,
        run_link: Optional[str] = None,
        description: Optional[str] = None,
        await_registration_for: int = 0,
    ) -> ModelVersion:
        """Register the model at ``source`` as the next version of ``name`` (READY on return).

        ``source`` is a model URI: ``runs:/<run_id>/<path>``, a local path or
        ``file://`` URI, or an artifact-store URI (``s3://...``). It must hold
        an ``MLmodel`` file. The folder is copied into the registry's storage
        (see the module docstring). ``run_id`` defaults to the run of a
        ``runs:/`` URI or the ``run_id`` recorded in the MLmodel file.
        ``await_registration_for`` is accepted for MLflow compatibility
        (registration completes before this returns).

        >>> mv = client.create_model_version("nyc-taxi-regressor", f"runs:/{run_id}/model", run_id=run_id)
        >>> mv.version, mv.status
        (1, 'READY')
        """
        return registry_storage.register_version(
            self, name, source, run_id=run_id, tags=tags, run_link=run_link, description=description
        )

    def get_model_version(self, name: str, version: Version) -> ModelVersion:
        """One version (``3`` or ``"3"``).

        >>> client.get_model_version("nyc-taxi-regressor", 3).current_stage
        'Staging'
        """
        return self._registry_store.get_model_version(name, version)

    def update_model_version(self, name: str, version: Version, description: Optional[str] = None) -> ModelVersion:
        """Replace a version's description.

        >>> client.update_model_version("nyc-taxi-regressor", 4, description="transitioned to Staging")
        """
        return self._registry_store.update_model_version(name, version, description)

    def delete_model_version(self, name: str, version: Version) -> None:
        """Delete a version, its tags, aliases, history and its copy in the registry's storage.

        Version numbers are not reused: the next registration gets max + 1.

        >>> client.delete_model_version("nyc-taxi-regressor", 2)
        """
        location = self._registry_store.delete_model_version(name, version)
        if location:
            registry_storage.remove_copy(self._registry_store, location)

    def search_model_versions(
        self,
        filter_string: Optional[str] = None,
        max_results: int = SEARCH_MODEL_VERSION_MAX_RESULTS_DEFAULT,
        order_by: Optional[Sequence[str]] = None,
        page_token: Optional[str] = None,
    ) -> PagedList:
        """Versions matching a filter (``name``, ``version_number``, ``run_id``, ``source_path``,
        ``current_stage``, ``tags.<key>``); MLflow's default order: ``last_updated_timestamp DESC,
        name ASC, version_number DESC``.

        >>> client.search_model_versions(f"run_id = '{run_id}'")
        >>> client.search_model_versions("name = 'nyc-taxi-regressor'", order_by=["version_number DESC"])
        """
        return self._registry_store.search_model_versions(filter_string, max_results, order_by, page_token)

    def get_model_version_download_uri(self, name: str, version: Version) -> str:
        """Where the version's files are: its immutable copy in the registry's storage.

        >>> client.get_model_version_download_uri("nyc-taxi-regressor", 1)
        '/work/mltrail-artifacts/models/nyc-taxi-regressor/1'
        """
        return self._registry_store.get_model_version_download_uri(name, version)

    def get_model_version_mlmodel_sha256(self, name: str, version: Version) -> Optional[str]:
        """The sha256 of the version's MLmodel recorded at registration (None when none was recorded).

        Loading ``models:/<name>/<version>`` refuses a copy whose MLmodel no longer matches it.

        >>> client.get_model_version_mlmodel_sha256("nyc-taxi-regressor", 1)
        '9f86d08...'
        """
        return self._registry_store.get_model_version_mlmodel_sha256(name, version)

    def transition_model_version_stage(
        self,
        name: str,
        version: Version,
        stage: str,
        archive_existing_versions: bool = False,
    ) -> ModelVersion:
        """Move a version to None/Staging/Production/Archived (any case); with
        ``archive_existing_versions`` the other versions in that stage move to Archived.

        Each move is recorded (see :meth:`get_model_version_stage_history`).

        >>> client.transition_model_version_stage("nyc-taxi-regressor", 4, "Production",
        ...                                       archive_existing_versions=True).current_stage
        'Production'
        """
        return self._registry_store.transition_model_version_stage(
            name, version, stage, bool(archive_existing_versions), current_user()
        )

    def get_model_version_stage_history(self, name: str, version: Version) -> list[StageTransition]:
        """Every stage transition of a version, oldest first: who, when, from, to.

        >>> [(t.from_stage, t.to_stage, t.user_id) for t in client.get_model_version_stage_history("m", 1)]
        [('None', 'Staging', 'ana'), ('Staging', 'Production', 'ana')]
        """
        return self._registry_store.get_model_version_stage_history(name, version)

    def _version_in_stage(self, name: str, version: Optional[Version], stage: Optional[str], what: str) -> Version:
        """``version``, or with ``stage`` the latest version in that stage (MLflow's deprecated form)."""
        if stage is not None:
            if version is not None:
                raise InvalidParameterError(
                    f"{what}: give version or stage, not both (got version={version!r}, stage={stage!r})"
                )
            latest = self.get_latest_versions(name, stages=[stage])
            if not latest:
                raise ResourceNotFoundError(f"{what}: registered model {name!r} has no version in stage {stage!r}")
            return latest[0].version
        if version is None:
            raise InvalidParameterError(f"{what}: give the version (or the stage) of model {name!r}")
        return version

    def set_model_version_tag(
        self,
        name: str,
        version: Optional[Version] = None,
        key: Optional[str] = None,
        value: Any = None,
        stage: Optional[str] = None,
    ) -> None:
        """Set a tag on a version; ``stage=`` instead of ``version`` tags the latest version in that stage.

        >>> client.set_model_version_tag("nyc-taxi-regressor", 4, "validated", "true")
        >>> client.set_model_version_tag("nyc-taxi-regressor", key="validated", value="true", stage="Staging")
        """
        version = self._version_in_stage(name, version, stage, "set_model_version_tag")
        self._registry_store.set_model_version_tag(name, version, key, "" if value is None else str(value))

    def delete_model_version_tag(
        self, name: str, version: Optional[Version] = None, key: Optional[str] = None, stage: Optional[str] = None
    ) -> None:
        """Delete a tag of a version (or of the latest version in ``stage``); an unknown key raises.

        >>> client.delete_model_version_tag("nyc-taxi-regressor", 4, "validated")
        """
        version = self._version_in_stage(name, version, stage, "delete_model_version_tag")
        self._registry_store.delete_model_version_tag(name, version, key)

    def copy_model_version(self, src_model_uri: str, dst_name: str) -> ModelVersion:
        """Copy a registered version (``models:/<name>/<version|stage|latest>`` or ``models:/<name>@<alias>``)
        to the next version of ``dst_name``, created if missing.

        The copy gets the source's files, tags, description, run and run link;
        its ``source`` is ``models:/<src name>/<src version>``, as in MLflow.

        >>> mv = client.copy_model_version("models:/nyc-taxi-regressor@champion", "nyc-taxi-prod")
        >>> mv.version, mv.source
        (1, 'models:/nyc-taxi-regressor/4')
        """
        from .models_uri import parse_models_uri

        if not isinstance(src_model_uri, str) or not src_model_uri.startswith("models:"):
            raise InvalidParameterError(
                f"Unsupported source model URI: {src_model_uri!r}. The `copy_model_version` API only copies "
                f"models stored in the 'models:/' scheme."
            )
        src = self._find_version(parse_models_uri(src_model_uri), src_model_uri)
        return registry_storage.register_version(
            self,
            dst_name,
            self.get_model_version_download_uri(src.name, src.version),
            run_id=src.run_id,
            tags=dict(src.tags),
            run_link=src.run_link,
            description=src.description,
            create_model=True,
            recorded_source=f"models:/{src.name}/{src.version}",
        )

    def _find_version(self, ref: Any, uri: str) -> ModelVersion:
        """The registered version a parsed ``models:/`` URI names, in this client's registry."""
        if ref.alias is not None:
            return self.get_model_version_by_alias(ref.name, ref.alias)
        if ref.version is not None:
            return self.get_model_version(ref.name, ref.version)
        found = self.get_latest_versions(ref.name, [ref.stage] if ref.stage is not None else None)
        if not found:
            raise ResourceNotFoundError(f"Model URI {uri!r}: registered model {ref.name!r} has no such version")
        return max(found, key=lambda v: int(v.version))

    # -- aliases -------------------------------------------------------------
    def set_registered_model_alias(self, name: str, alias: str, version: Version) -> None:
        """Point ``alias`` at a version (``models:/<name>@<alias>`` then loads it).

        >>> client.set_registered_model_alias("nyc-taxi-regressor", "champion", 4)
        """
        self._registry_store.set_registered_model_alias(name, alias, version)

    def delete_registered_model_alias(self, name: str, alias: str) -> None:
        """Remove an alias (an unknown alias raises ResourceNotFoundError).

        >>> client.delete_registered_model_alias("nyc-taxi-regressor", "champion")
        """
        self._registry_store.delete_registered_model_alias(name, alias)

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        """The version an alias points at.

        >>> client.get_model_version_by_alias("nyc-taxi-regressor", "champion").version
        4
        """
        return self._registry_store.get_model_version_by_alias(name, alias)
