"""Model-version operations of :class:`~mltrail.store.sql.registry_store.SqlRegistryStore`.

Every write transaction starts by updating the registered model's row
(:func:`lock_model`). That first statement takes the row lock on
PostgreSQL/MariaDB and SQLite's write lock (``BEGIN IMMEDIATE``), so
concurrent writers to one model queue up: version numbers come from the
``last_version`` counter incremented under that lock, hence unique and
gap-free across processes, and a stage change with
``archive_existing_versions`` sees every other version's current stage.

>>> store.create_model_version("nyc-taxi", "runs:/abc/model", run_id="abc").version
'1'
"""

from __future__ import annotations

import uuid
from typing import Optional, Sequence

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection

from ...entities import ModelVersion, ModelVersionStage, ModelVersionStatus, PagedList, StageTransition
from ...exceptions import InvalidParameterError, InvalidStateError, ResourceNotFoundError
from ..registry_base import (
    SEARCH_MODEL_VERSION_MAX_RESULTS_DEFAULT,
    SEARCH_REGISTRY_MAX_RESULTS_THRESHOLD,
    Version,
)
from ..registry_validation import (
    validate_description,
    validate_model_name,
    validate_stage,
    validate_tag,
    validate_tags,
    validate_version,
)
from ..clock import now_ms
from .core import SqlTransactions
from .registry_rows import (
    load_model_versions,
    load_stage_history,
    model_version_tags,
    model_versions,
    registered_model_aliases,
    registered_models,
    select_versions,
    stage_transitions,
)
from ..search import check_max_results, decode_page_token, encode_page_token
from .registry_search import VERSION_SPEC, filter_clauses, order_columns, order_terms, version_comparisons

MAX_URI_LENGTH = 1000
MAX_RUN_ID_LENGTH = 32
_ACTIVE_STAGES = (ModelVersionStage.STAGING, ModelVersionStage.PRODUCTION)


def lock_model(conn: Connection, name: str, now: int) -> None:
    """Touch the model's row (taking its lock); raise ResourceNotFoundError if there is none."""
    result = conn.execute(
        update(registered_models).where(registered_models.c.name == name).values(last_updated_time=now)
    )
    if result.rowcount == 0:
        raise model_not_found(name)


def model_not_found(name: str) -> ResourceNotFoundError:
    return ResourceNotFoundError(f"Registered model {name!r} does not exist")


def model_exists(conn: Connection, name: str) -> bool:
    return conn.execute(select(registered_models.c.name).where(registered_models.c.name == name)).first() is not None


def version_not_found(conn: Connection, name: str, version: int) -> ResourceNotFoundError:
    """The right error for a missing version: the model's absence, or the version's."""
    if not model_exists(conn, name):
        return model_not_found(name)
    return ResourceNotFoundError(f"Model version {version} of registered model {name!r} does not exist")


def require_version(conn: Connection, name: str, version: int) -> tuple[str, str]:
    """The (current_stage, storage_location) of a version; raise if it does not exist."""
    row = conn.execute(
        select(model_versions.c.current_stage, model_versions.c.storage_location).where(
            model_versions.c.name == name, model_versions.c.version == version
        )
    ).first()
    if row is None:
        raise version_not_found(conn, name, version)
    return row.current_stage, row.storage_location


def _check_uri(value: Optional[str], what: str, required: bool = False) -> Optional[str]:
    if value is None or value == "":
        if required:
            raise InvalidParameterError(f"{what} {value!r} is invalid: it must be a non-empty string")
        return None
    if not isinstance(value, str) or len(value) > MAX_URI_LENGTH:
        raise InvalidParameterError(
            f"{what} {str(value)[:60]!r} is invalid: it must be a string of at most {MAX_URI_LENGTH} characters"
        )
    return value


class ModelVersionOps(SqlTransactions):
    """Model-version half of the SQL registry store (mixed into SqlRegistryStore)."""

    _DATABASE = "Registry"

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
        validate_model_name(name)
        source = _check_uri(source, "Model version source", required=True)  # type: ignore[assignment]
        run_link = _check_uri(run_link, "Run link")
        if run_id is not None and (not isinstance(run_id, str) or len(run_id) > MAX_RUN_ID_LENGTH):
            raise InvalidParameterError(
                f"Run id {run_id!r} is invalid: it must be a string of at most {MAX_RUN_ID_LENGTH} characters"
            )
        checked_tags = validate_tags(tags)
        description = validate_description(description)
        now = now_ms()
        with self._write() as conn:
            bumped = conn.execute(
                update(registered_models)
                .where(registered_models.c.name == name)
                .values(last_version=registered_models.c.last_version + 1, last_updated_time=now)
            )
            if bumped.rowcount == 0:
                raise ResourceNotFoundError(
                    f"Registered model {name!r} does not exist: create it first "
                    "(create_registered_model, or mltrail.register_model which creates it)"
                )
            version = conn.execute(
                select(registered_models.c.last_version).where(registered_models.c.name == name)
            ).scalar_one()
            location = self._storage_location(conn, storage_root, name, version) if storage_root else source
            conn.execute(
                insert(model_versions).values(
                    name=name,
                    version=version,
                    creation_time=now,
                    last_updated_time=now,
                    description=description,
                    user_id=user_id or None,
                    current_stage=ModelVersionStage.NONE,
                    source=source,
                    storage_location=location,
                    run_id=run_id or None,
                    run_link=run_link,
                    status=ModelVersionStatus.PENDING_REGISTRATION if storage_root else ModelVersionStatus.READY,
                    status_message=None,
                )
            )
            if checked_tags:
                conn.execute(
                    insert(model_version_tags),
                    [{"name": name, "version": version, "key": k, "value": v} for k, v in checked_tags.items()],
                )
            return load_model_versions(conn, [(name, version)])[0]

    @staticmethod
    def _storage_location(conn: Connection, storage_root: str, name: str, version: int) -> str:
        """``<storage_root>/<name>/<version>``, or with a suffix if a renamed model's version holds it."""
        location = f"{storage_root.rstrip('/')}/{name}/{version}"
        taken = conn.execute(
            select(model_versions.c.version).where(model_versions.c.storage_location == location)
        ).first()
        return location if taken is None else f"{location}-{uuid.uuid4().hex[:8]}"

    def set_model_version_status(
        self, name: str, version: Version, status: str, status_message: str = ""
    ) -> ModelVersion:
        number = validate_version(version)
        if status not in (ModelVersionStatus.READY, ModelVersionStatus.FAILED_REGISTRATION):
            raise InvalidParameterError(
                f"Model version status {status!r} is invalid: it must be READY or FAILED_REGISTRATION"
            )
        with self._write() as conn:
            now = now_ms()
            lock_model(conn, name, now)
            require_version(conn, name, number)
            updated = conn.execute(
                update(model_versions)
                .where(
                    model_versions.c.name == name,
                    model_versions.c.version == number,
                    model_versions.c.status == ModelVersionStatus.PENDING_REGISTRATION,
                )
                .values(status=status, status_message=(status_message or "")[:500] or None, last_updated_time=now)
            )
            if updated.rowcount == 0:  # expired meanwhile (see expire_pending_model_versions), or done already
                current = load_model_versions(conn, [(name, number)])[0]
                raise InvalidStateError(
                    f"Cannot mark version {number} of registered model {name!r} {status}: it is "
                    f"{current.status}, not PENDING_REGISTRATION ({current.status_message or 'no message'})"
                )
            return load_model_versions(conn, [(name, number)])[0]

    def expire_pending_model_versions(self, older_than_ms: int) -> list[ModelVersion]:
        """Mark versions PENDING_REGISTRATION for more than ``older_than_ms`` FAILED_REGISTRATION; return them.

        >>> [mv.version for mv in store.expire_pending_model_versions(600_000)]
        ['3']
        """
        cutoff = now_ms() - int(older_than_ms)
        pending = (
            model_versions.c.status == ModelVersionStatus.PENDING_REGISTRATION,
            model_versions.c.last_updated_time < cutoff,
        )
        with self._read() as conn:  # the common case: nothing to expire, no write lock taken
            if conn.execute(select(model_versions.c.name).where(*pending).limit(1)).first() is None:
                return []
        seconds = int(older_than_ms) / 1000
        message = (
            f"registration did not finish within {seconds:g} s (the registering process probably stopped "
            "mid-copy); its partial copy is removed"
        )
        with self._write() as conn:
            now = now_ms()
            found = conn.execute(select(model_versions.c.name, model_versions.c.version).where(*pending)).all()
            keys = sorted((row.name, row.version) for row in found)
            for model in sorted({name for name, _ in keys}):
                lock_model(conn, model, now)  # the lock order every version write uses
            expired = []
            for name, version in keys:
                done = conn.execute(
                    update(model_versions)
                    .where(model_versions.c.name == name, model_versions.c.version == version, *pending)
                    .values(status=ModelVersionStatus.FAILED_REGISTRATION, status_message=message, last_updated_time=now)
                )
                if done.rowcount:
                    expired.append((name, version))
            return load_model_versions(conn, expired) if expired else []

    def failed_model_versions(self) -> list[ModelVersion]:
        """Every version whose registration failed (FAILED_REGISTRATION), oldest first.

        >>> [mv.status for mv in store.failed_model_versions()]
        ['FAILED_REGISTRATION']
        """
        with self._read() as conn:
            keys = conn.execute(
                select(model_versions.c.name, model_versions.c.version)
                .where(model_versions.c.status == ModelVersionStatus.FAILED_REGISTRATION)
                .order_by(model_versions.c.creation_time, model_versions.c.name, model_versions.c.version)
            ).all()
            return load_model_versions(conn, [(k.name, k.version) for k in keys]) if keys else []

    def get_model_version(self, name: str, version: Version) -> ModelVersion:
        number = validate_version(version)
        with self._read() as conn:
            found = load_model_versions(conn, [(name, number)])
            if not found:
                raise version_not_found(conn, name, number)
            return found[0]

    def update_model_version(self, name: str, version: Version, description: Optional[str]) -> ModelVersion:
        number = validate_version(version)
        description = validate_description(description)
        with self._write() as conn:
            now = now_ms()
            lock_model(conn, name, now)
            require_version(conn, name, number)
            conn.execute(
                update(model_versions)
                .where(model_versions.c.name == name, model_versions.c.version == number)
                .values(description=description, last_updated_time=now)
            )
            return load_model_versions(conn, [(name, number)])[0]

    def delete_model_version(self, name: str, version: Version) -> Optional[str]:
        number = validate_version(version)
        with self._write() as conn:
            lock_model(conn, name, now_ms())
            _, location = require_version(conn, name, number)
            for table in (model_version_tags, stage_transitions, registered_model_aliases, model_versions):
                conn.execute(delete(table).where(table.c.name == name, table.c.version == number))
            return location

    def get_model_version_download_uri(self, name: str, version: Version) -> str:
        number = validate_version(version)
        with self._read() as conn:
            return require_version(conn, name, number)[1]

    def search_model_versions(
        self,
        filter_string: Optional[str] = None,
        max_results: int = SEARCH_MODEL_VERSION_MAX_RESULTS_DEFAULT,
        order_by: Optional[Sequence[str]] = None,
        page_token: Optional[str] = None,
    ) -> PagedList:
        max_results = check_max_results(max_results, SEARCH_REGISTRY_MAX_RESULTS_THRESHOLD)
        where = filter_clauses(version_comparisons(filter_string), model_versions, model_version_tags)
        # MLflow's default: last_updated_timestamp DESC, name ASC, version_number DESC
        order_by = order_by or ["last_updated_timestamp DESC", "name ASC", "version_number DESC"]
        columns = order_columns(order_by, VERSION_SPEC)
        # MLflow's natural order breaks ties: name ascending, newest version first
        ties = [(col, asc) for col, asc in (("name", True), ("version", False)) if all(c != col for c, _ in columns)]
        order = order_terms(model_versions, columns + ties, self.engine.dialect.name)
        offset = decode_page_token(page_token)
        with self._read() as conn:
            page = select_versions(conn, where, order, max_results + 1, offset)
        token = encode_page_token(offset + max_results) if len(page) > max_results else None
        return PagedList(page[:max_results], token)

    def transition_model_version_stage(
        self,
        name: str,
        version: Version,
        stage: str,
        archive_existing_versions: bool = False,
        user_id: str = "",
    ) -> ModelVersion:
        number = validate_version(version)
        target = validate_stage(stage)
        if archive_existing_versions and target not in _ACTIVE_STAGES:
            raise InvalidParameterError(
                f"archive_existing_versions=True is invalid with stage {target!r}: "
                f"it only applies to {' and '.join(_ACTIVE_STAGES)}"
            )
        with self._write() as conn:
            now = now_ms()
            lock_model(conn, name, now)
            from_stage, _ = require_version(conn, name, number)
            moves = [(number, from_stage, target)]
            if archive_existing_versions:
                others = conn.execute(
                    select(model_versions.c.version).where(
                        model_versions.c.name == name,
                        model_versions.c.current_stage == target,
                        model_versions.c.version != number,
                    )
                ).scalars()
                moves += [(other, target, ModelVersionStage.ARCHIVED) for other in others]
            for moved, old, new in moves:
                conn.execute(
                    update(model_versions)
                    .where(model_versions.c.name == name, model_versions.c.version == moved)
                    .values(current_stage=new, last_updated_time=now)
                )
            conn.execute(
                insert(stage_transitions),
                [
                    {"name": name, "version": v, "from_stage": old, "to_stage": new, "user_id": user_id or None, "timestamp": now}
                    for v, old, new in moves
                ],
            )
            return load_model_versions(conn, [(name, number)])[0]

    def get_model_version_stage_history(self, name: str, version: Version) -> list[StageTransition]:
        number = validate_version(version)
        with self._read() as conn:
            require_version(conn, name, number)
            return load_stage_history(conn, name, number)

    def set_model_version_tag(self, name: str, version: Version, key: str, value: str) -> None:
        number = validate_version(version)
        key, value = validate_tag(key, value)
        with self._write() as conn:
            lock_model(conn, name, now_ms())
            require_version(conn, name, number)
            where = (
                model_version_tags.c.name == name,
                model_version_tags.c.version == number,
                model_version_tags.c.key == key,
            )
            if conn.execute(update(model_version_tags).where(*where).values(value=value)).rowcount == 0:
                conn.execute(insert(model_version_tags).values(name=name, version=number, key=key, value=value))

    def delete_model_version_tag(self, name: str, version: Version, key: str) -> None:
        number = validate_version(version)
        with self._write() as conn:
            lock_model(conn, name, now_ms())
            require_version(conn, name, number)
            deleted = conn.execute(
                delete(model_version_tags).where(
                    model_version_tags.c.name == name,
                    model_version_tags.c.version == number,
                    model_version_tags.c.key == key,
                )
            )
            if deleted.rowcount == 0:
                raise ResourceNotFoundError(
                    f"Model version {number} of registered model {name!r} has no tag {key!r}"
                )
