"""Experiment operations of the SQL tracking store: create, get, rename, delete/restore, tags."""

from __future__ import annotations

import os
from typing import Any, Iterable, Optional

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ...entities import Experiment, LifecycleStage
from ...exceptions import (
    InvalidParameterError,
    InvalidStateError,
    ResourceAlreadyExistsError,
    ResourceNotFoundError,
)
from ..validation import check_text, validate_experiment_name, validate_experiment_tag
from ..clock import now_ms
from .core import SqlStoreCore
from .models import MAX_ARTIFACT_URI_LENGTH, experiment_tags, experiments, runs
from .statements import upsert


def experiments_from_rows(conn: Connection, rows: list[Any]) -> list[Experiment]:
    """Experiment entities (with their tags, read in one query) from ``experiments`` rows."""
    if not rows:
        return []
    ids = [row.experiment_id for row in rows]
    tag_map: dict[int, dict[str, str]] = {i: {} for i in ids}
    for tag in conn.execute(
        sa.select(experiment_tags.c.experiment_id, experiment_tags.c.key, experiment_tags.c.value).where(
            experiment_tags.c.experiment_id.in_(ids)
        )
    ):
        tag_map[tag.experiment_id][tag.key] = tag.value
    return [
        Experiment(
            experiment_id=str(row.experiment_id),
            name=row.name,
            artifact_location=row.artifact_location,
            lifecycle_stage=row.lifecycle_stage,
            tags=tag_map[row.experiment_id],
            creation_time=row.creation_time,
            last_update_time=row.last_update_time,
        )
        for row in rows
    ]


class ExperimentOps(SqlStoreCore):
    """Experiments: a named group of runs with an artifact location."""

    def create_experiment(
        self, name: str, artifact_location: Optional[str] = None, tags: Optional[dict[str, str]] = None
    ) -> str:
        """Create an experiment and return its id.

        >>> store.create_experiment("nyc-taxi-experiment")
        '1'
        """
        name = validate_experiment_name(name)
        checked_tags = [validate_experiment_tag(k, v) for k, v in (tags or {}).items()]
        if artifact_location:
            check_text(str(artifact_location), "artifact location")
        location = self._normalise_location(artifact_location) if artifact_location else None
        try:
            return self._insert_experiment(name, location, checked_tags)
        except sa.exc.IntegrityError:  # created by another writer since our check
            raise ResourceAlreadyExistsError(
                f"Experiment {name!r} already exists; experiment names are unique, including deleted experiments"
            ) from None

    def _insert_experiment(self, name: str, location: Optional[str], checked_tags: list[tuple[str, str]]) -> str:
        now = now_ms()
        with self._write() as conn:
            existing = conn.execute(
                sa.select(experiments.c.experiment_id, experiments.c.lifecycle_stage).where(experiments.c.name == name)
            ).first()
            if existing is not None:
                raise ResourceAlreadyExistsError(
                    f"Experiment {name!r} already exists (id {existing[0]}, lifecycle_stage {existing[1]!r}); "
                    f"experiment names are unique, including deleted experiments"
                )
            result = conn.execute(
                experiments.insert().values(
                    name=name,
                    artifact_location=location or "",
                    lifecycle_stage=LifecycleStage.ACTIVE,
                    creation_time=now,
                    last_update_time=now,
                )
            )
            experiment_id = int(result.inserted_primary_key[0])
            if location is None:
                conn.execute(
                    experiments.update()
                    .where(experiments.c.experiment_id == experiment_id)
                    .values(artifact_location=f"{self.default_artifact_root}/{experiment_id}")
                )
            if checked_tags:
                conn.execute(
                    experiment_tags.insert(),
                    [{"experiment_id": experiment_id, "key": k, "value": v} for k, v in checked_tags],
                )
        return str(experiment_id)

    @staticmethod
    def _normalise_location(location: str) -> str:
        if not isinstance(location, str):
            raise InvalidParameterError(f"Invalid artifact location {location!r}: must be a string path or URI")
        if "://" not in location and not location.startswith("file:"):
            location = os.path.abspath(os.path.expanduser(location))
        location = location.rstrip("/") or location
        if len(location) > MAX_ARTIFACT_URI_LENGTH - 45:
            raise InvalidParameterError(
                f"Invalid artifact location {location[:60]!r}...: must be at most "
                f"{MAX_ARTIFACT_URI_LENGTH - 45} characters"
            )
        return location

    def get_experiment(self, experiment_id: str) -> Experiment:
        """The experiment with that id (active or deleted).

        >>> store.get_experiment("0").name
        'Default'
        """
        key = self._experiment_key(experiment_id)
        with self._read() as conn:
            found = self._load_experiments(conn, experiments.c.experiment_id == key)
        if not found:
            raise ResourceNotFoundError(f"No experiment with id {str(experiment_id)!r}")
        return found[0]

    def get_experiment_by_name(self, name: str) -> Optional[Experiment]:
        """The experiment with that name, active or deleted, or None.

        >>> store.get_experiment_by_name("Default").experiment_id
        '0'
        """
        with self._read() as conn:
            found = self._load_experiments(conn, experiments.c.name == name)
        return found[0] if found else None

    def _load_experiments(self, conn: Connection, where: Any, order_by: Iterable[Any] = ()) -> list[Experiment]:
        rows = conn.execute(sa.select(experiments).where(where).order_by(*order_by)).all()
        return experiments_from_rows(conn, rows)

    def _lock_experiment(self, conn: Connection, experiment_id: str) -> tuple[int, Any]:
        key = self._experiment_key(experiment_id)
        row = conn.execute(
            sa.select(experiments.c.lifecycle_stage, experiments.c.last_update_time, experiments.c.name).where(
                experiments.c.experiment_id == key
            )
        ).first()
        if row is None:
            raise ResourceNotFoundError(f"No experiment with id {str(experiment_id)!r}")
        return key, row

    def _require_active(self, experiment_id: str, row: Any, action: str) -> None:
        if row.lifecycle_stage != LifecycleStage.ACTIVE:
            raise InvalidStateError(
                f"Cannot {action} experiment {str(experiment_id)!r} ({row.name!r}): it is deleted; restore it first"
            )

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        """Rename an active experiment (names stay unique).

        >>> store.rename_experiment("1", "taxi-v2")
        """
        new_name = validate_experiment_name(new_name)
        with self._write() as conn:
            key, row = self._lock_experiment(conn, experiment_id)
            self._require_active(experiment_id, row, "rename")
            clash = conn.execute(
                sa.select(experiments.c.experiment_id).where(
                    experiments.c.name == new_name, experiments.c.experiment_id != key
                )
            ).first()
            if clash is not None:
                raise ResourceAlreadyExistsError(
                    f"Cannot rename experiment {str(experiment_id)!r} to {new_name!r}: experiment "
                    f"{clash[0]} already has that name"
                )
            conn.execute(
                experiments.update()
                .where(experiments.c.experiment_id == key)
                .values(name=new_name, last_update_time=now_ms())
            )

    def delete_experiment(self, experiment_id: str) -> None:
        """Soft-delete an experiment and its active runs (``restore_experiment`` undoes it).

        >>> store.delete_experiment("1")
        """
        now = now_ms()
        with self._write() as conn:
            key, row = self._lock_experiment(conn, experiment_id)
            if row.lifecycle_stage == LifecycleStage.DELETED:
                return
            # The runs deleted now carry the experiment's deletion time (restore brings back exactly
            # those): make it differ from any earlier run deletion in the same millisecond.
            latest = conn.execute(sa.select(sa.func.max(runs.c.deleted_time)).where(runs.c.experiment_id == key)).scalar()
            if latest is not None and latest >= now:
                now = latest + 1
            conn.execute(
                experiments.update()
                .where(experiments.c.experiment_id == key)
                .values(lifecycle_stage=LifecycleStage.DELETED, last_update_time=now)
            )
            conn.execute(
                runs.update()
                .where(runs.c.experiment_id == key, runs.c.lifecycle_stage == LifecycleStage.ACTIVE)
                .values(lifecycle_stage=LifecycleStage.DELETED, deleted_time=now)
            )

    def restore_experiment(self, experiment_id: str) -> None:
        """Restore a deleted experiment and the runs deleted with it (not runs deleted earlier).

        >>> store.restore_experiment("1")
        """
        with self._write() as conn:
            key, row = self._lock_experiment(conn, experiment_id)
            if row.lifecycle_stage == LifecycleStage.ACTIVE:
                return
            conn.execute(
                runs.update()
                .where(
                    runs.c.experiment_id == key,
                    runs.c.lifecycle_stage == LifecycleStage.DELETED,
                    runs.c.deleted_time == row.last_update_time,
                )
                .values(lifecycle_stage=LifecycleStage.ACTIVE, deleted_time=None)
            )
            conn.execute(
                experiments.update()
                .where(experiments.c.experiment_id == key)
                .values(lifecycle_stage=LifecycleStage.ACTIVE, last_update_time=now_ms())
            )

    def set_experiment_tag(self, experiment_id: str, key: str, value: str) -> None:
        """Set (or overwrite) a tag of an active experiment.

        >>> store.set_experiment_tag("1", "team", "forecasting")
        """
        key, value = validate_experiment_tag(key, value)
        with self._write() as conn:
            exp_key, row = self._lock_experiment(conn, experiment_id)
            self._require_active(experiment_id, row, "tag")
            conn.execute(
                upsert(self._engine, experiment_tags, ("experiment_id", "key"), ("value",)).values(
                    experiment_id=exp_key, key=key, value=value
                )
            )

    def delete_experiment_tag(self, experiment_id: str, key: str) -> None:
        """Remove a tag of an active experiment (ResourceNotFoundError when it has no such tag).

        >>> store.delete_experiment_tag("1", "team")
        """
        with self._write() as conn:
            exp_key, row = self._lock_experiment(conn, experiment_id)
            self._require_active(experiment_id, row, "untag")
            deleted = conn.execute(
                experiment_tags.delete().where(experiment_tags.c.experiment_id == exp_key, experiment_tags.c.key == key)
            )
            if deleted.rowcount == 0:
                raise ResourceNotFoundError(f"No tag with name: {key!r} in experiment with id {experiment_id}")
