"""The SQL model-registry store (SQLite, PostgreSQL, MySQL/MariaDB).

It works on the tracking store's engine for the same URI: the registry tables
live in the tracking database and come with its Alembic revisions
(``0002_model_registry``). Version operations are in
:mod:`.registry_versions`; this module holds registered models, their tags and
aliases, and search::

    from mltrail.store import get_registry_store
    store = get_registry_store("sqlite:///mlflow.db")
    store.create_registered_model("nyc-taxi-regressor", tags={"team": "growth"})
    store.search_registered_models("name LIKE 'nyc-%'", order_by=["name DESC"])
"""

from __future__ import annotations

from typing import Optional, Sequence

import sqlalchemy as sa
from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Engine

from ...entities import ModelVersion, PagedList, RegisteredModel
from ...exceptions import ResourceAlreadyExistsError, ResourceNotFoundError
from ..registry_base import (
    SEARCH_REGISTERED_MODEL_MAX_RESULTS_DEFAULT,
    SEARCH_REGISTRY_MAX_RESULTS_THRESHOLD,
    RegistryStore,
    Version,
)
from ..registry_validation import (
    validate_alias,
    validate_description,
    validate_model_name,
    validate_stage,
    validate_tag,
    validate_tags,
    validate_version,
)
from .engine import redact
from .registry_rows import (
    latest_versions,
    load_model_versions,
    load_registered_models,
    model_version_tags,
    model_versions,
    registered_model_aliases,
    registered_model_tags,
    registered_models,
    stage_transitions,
)
from ..search import check_max_results, decode_page_token, encode_page_token
from .logged_model_registry import ModelVersionOriginOps
from .registry_search import MODEL_SPEC, filter_clauses, model_comparisons, order_columns, order_terms
from ..clock import now_ms
from .registry_versions import (
    ModelVersionOps,
    lock_model,
    model_exists,
    model_not_found,
    require_version,
)

#: Tables keyed by the model name, children first (the order deletes and renames use).
_CHILD_TABLES = (model_version_tags, stage_transitions, registered_model_aliases, registered_model_tags, model_versions)


def _already_exists(name: str) -> ResourceAlreadyExistsError:
    return ResourceAlreadyExistsError(
        f"Registered model {name!r} already exists: model names must be unique "
        "(add a version to it with create_model_version / register_model)"
    )


class SqlRegistryStore(ModelVersionOriginOps, ModelVersionOps, RegistryStore):
    """Registry records in the tracking database behind ``engine``.

    ``default_artifact_root`` is the tracking store's: the client copies each
    registered version's files under ``<default_artifact_root>/models``.

    >>> store = SqlRegistryStore(tracking_store.engine, tracking_store.default_artifact_root)
    """

    def __init__(self, engine: Engine, default_artifact_root: str) -> None:
        self.engine = engine
        self.default_artifact_root = default_artifact_root

    def __repr__(self) -> str:
        return f"{type(self).__name__}({redact(self.engine.url)!r})"

    # -- registered models ---------------------------------------------------
    def create_registered_model(
        self,
        name: str,
        tags: Optional[dict[str, str]] = None,
        description: Optional[str] = None,
    ) -> RegisteredModel:
        validate_model_name(name)
        checked_tags = validate_tags(tags)
        description = validate_description(description)
        now = now_ms()
        try:
            with self._write() as conn:
                if model_exists(conn, name):
                    raise _already_exists(name)
                conn.execute(
                    insert(registered_models).values(
                        name=name, creation_time=now, last_updated_time=now, description=description, last_version=0
                    )
                )
                if checked_tags:
                    conn.execute(
                        insert(registered_model_tags),
                        [{"name": name, "key": k, "value": v} for k, v in checked_tags.items()],
                    )
                return load_registered_models(conn, [name])[0]
        except sa.exc.IntegrityError:
            # Another process created the same name between our check and insert.
            raise _already_exists(name) from None

    def get_registered_model(self, name: str) -> RegisteredModel:
        with self._read() as conn:
            found = load_registered_models(conn, [name])
        if not found:
            raise model_not_found(name)
        return found[0]

    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        validate_model_name(new_name, "New registered model name")
        if new_name == name:
            return self.get_registered_model(name)
        try:
            with self._write() as conn:
                lock_model(conn, name, now_ms())
                if model_exists(conn, new_name):
                    raise ResourceAlreadyExistsError(
                        f"Cannot rename registered model {name!r} to {new_name!r}: a model named {new_name!r} "
                        "already exists and model names must be unique"
                    )
                # Databases that enforce the foreign keys cascade the parent's new name;
                # SQLite (foreign keys off) needs the explicit child updates, a no-op elsewhere.
                conn.execute(update(registered_models).where(registered_models.c.name == name).values(name=new_name))
                for table in reversed(_CHILD_TABLES):
                    conn.execute(update(table).where(table.c.name == name).values(name=new_name))
                return load_registered_models(conn, [new_name])[0]
        except sa.exc.IntegrityError:
            raise ResourceAlreadyExistsError(
                f"Cannot rename registered model {name!r} to {new_name!r}: that name was just taken"
            ) from None

    def update_registered_model(self, name: str, description: Optional[str]) -> RegisteredModel:
        description = validate_description(description)
        with self._write() as conn:
            now = now_ms()
            lock_model(conn, name, now)
            conn.execute(
                update(registered_models).where(registered_models.c.name == name).values(description=description)
            )
            return load_registered_models(conn, [name])[0]

    def delete_registered_model(self, name: str) -> list[str]:
        with self._write() as conn:
            lock_model(conn, name, now_ms())
            locations = list(
                conn.execute(
                    select(model_versions.c.storage_location)
                    .where(model_versions.c.name == name)
                    .order_by(model_versions.c.version)
                ).scalars()
            )
            for table in _CHILD_TABLES:
                conn.execute(delete(table).where(table.c.name == name))
            conn.execute(delete(registered_models).where(registered_models.c.name == name))
            return locations

    def search_registered_models(
        self,
        filter_string: Optional[str] = None,
        max_results: int = SEARCH_REGISTERED_MODEL_MAX_RESULTS_DEFAULT,
        order_by: Optional[Sequence[str]] = None,
        page_token: Optional[str] = None,
    ) -> PagedList:
        max_results = check_max_results(max_results, SEARCH_REGISTRY_MAX_RESULTS_THRESHOLD)
        where = filter_clauses(model_comparisons(filter_string), registered_models, registered_model_tags)
        columns = order_columns(order_by, MODEL_SPEC) + [("name", True)]  # ties: by name
        order = order_terms(registered_models, columns, self.engine.dialect.name)
        offset = decode_page_token(page_token)
        with self._read() as conn:
            names = list(
                conn.execute(
                    select(registered_models.c.name).where(*where).order_by(*order).limit(max_results + 1).offset(offset)
                ).scalars()
            )
            models = load_registered_models(conn, names[:max_results])
        token = encode_page_token(offset + max_results) if len(names) > max_results else None
        return PagedList(models, token)

    def get_latest_versions(self, name: str, stages: Optional[Sequence[str]] = None) -> list[ModelVersion]:
        if isinstance(stages, str):
            stages = [stages]
        canonical = [validate_stage(s) for s in stages or ()]
        with self._read() as conn:
            if not model_exists(conn, name):
                raise model_not_found(name)
            return latest_versions(conn, [name], canonical)[name]

    def set_registered_model_tag(self, name: str, key: str, value: str) -> None:
        key, value = validate_tag(key, value)
        with self._write() as conn:
            lock_model(conn, name, now_ms())
            where = (registered_model_tags.c.name == name, registered_model_tags.c.key == key)
            if conn.execute(update(registered_model_tags).where(*where).values(value=value)).rowcount == 0:
                conn.execute(insert(registered_model_tags).values(name=name, key=key, value=value))

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        with self._write() as conn:
            lock_model(conn, name, now_ms())
            deleted = conn.execute(
                delete(registered_model_tags).where(
                    registered_model_tags.c.name == name, registered_model_tags.c.key == key
                )
            )
            if deleted.rowcount == 0:
                raise ResourceNotFoundError(f"Registered model {name!r} has no tag {key!r}")

    # -- aliases -------------------------------------------------------------
    def set_registered_model_alias(self, name: str, alias: str, version: Version) -> None:
        alias = validate_alias(alias)
        number = validate_version(version)
        with self._write() as conn:
            lock_model(conn, name, now_ms())
            require_version(conn, name, number)
            where = (registered_model_aliases.c.name == name, registered_model_aliases.c.alias == alias)
            if conn.execute(update(registered_model_aliases).where(*where).values(version=number)).rowcount == 0:
                conn.execute(insert(registered_model_aliases).values(name=name, alias=alias, version=number))

    def delete_registered_model_alias(self, name: str, alias: str) -> None:
        with self._write() as conn:
            lock_model(conn, name, now_ms())
            deleted = conn.execute(
                delete(registered_model_aliases).where(
                    registered_model_aliases.c.name == name, registered_model_aliases.c.alias == alias
                )
            )
            if deleted.rowcount == 0:
                raise ResourceNotFoundError(f"Registered model {name!r} has no alias {alias!r}")

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        with self._read() as conn:
            number = conn.execute(
                select(registered_model_aliases.c.version).where(
                    registered_model_aliases.c.name == name, registered_model_aliases.c.alias == alias
                )
            ).scalar()
            if number is None:
                if not model_exists(conn, name):
                    raise model_not_found(name)
                raise ResourceNotFoundError(f"Registered model {name!r} has no alias {alias!r}")
            return load_model_versions(conn, [(name, number)])[0]


__all__ = ["SqlRegistryStore"]
