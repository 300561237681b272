"""Reading registry rows into entities, with tags and aliases loaded in batches.

>>> with read_connection(engine) as conn:
...     [mv] = load_model_versions(conn, [("nyc-taxi", 3)])
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Iterable, Optional, Sequence

from sqlalchemy import and_, func, or_, select
from sqlalchemy.engine import Connection

from ...entities import ModelVersion, ModelVersionStage, RegisteredModel, StageTransition
from .registry_tables import (
    SqlModelVersion,
    SqlModelVersionStageTransition,
    SqlModelVersionTag,
    SqlRegisteredModel,
    SqlRegisteredModelAlias,
    SqlRegisteredModelTag,
)

registered_models = SqlRegisteredModel.__table__
registered_model_tags = SqlRegisteredModelTag.__table__
registered_model_aliases = SqlRegisteredModelAlias.__table__
model_versions = SqlModelVersion.__table__
model_version_tags = SqlModelVersionTag.__table__
stage_transitions = SqlModelVersionStageTransition.__table__

#: Columns of ``model_versions`` read into a ModelVersion (storage_location is not part of it).
_VERSION_COLUMNS = [c for c in model_versions.c if c.name not in ("storage_location", "mlmodel_sha256")]


def _version_key_clause(table: Any, keys: Sequence[tuple[str, int]]) -> Any:
    """WHERE (name, version) IN keys on ``table``, portable to SQLite, PostgreSQL and MySQL."""
    by_name: dict[str, list[int]] = defaultdict(list)
    for name, version in keys:
        by_name[name].append(version)
    return or_(*(and_(table.c.name == name, table.c.version.in_(vs)) for name, vs in by_name.items()))


def _rows_to_versions(conn: Connection, rows: Sequence[Any]) -> list[ModelVersion]:
    if not rows:
        return []
    keys = [(r.name, r.version) for r in rows]
    names = sorted({r.name for r in rows})
    tags: dict[tuple[str, int], dict[str, str]] = defaultdict(dict)
    for t in conn.execute(select(model_version_tags).where(_version_key_clause(model_version_tags, keys))):
        tags[(t.name, t.version)][t.key] = t.value or ""
    aliases: dict[tuple[str, int], list[str]] = defaultdict(list)
    for a in conn.execute(
        select(registered_model_aliases)
        .where(registered_model_aliases.c.name.in_(names))
        .order_by(registered_model_aliases.c.alias)
    ):
        aliases[(a.name, a.version)].append(a.alias)
    return [
        ModelVersion(
            name=r.name,
            version=int(r.version),
            creation_timestamp=r.creation_time,
            last_updated_timestamp=r.last_updated_time,
            description=r.description,
            user_id=r.user_id or "",
            current_stage=r.current_stage,
            source=r.source,
            run_id=r.run_id,
            status=r.status,
            status_message=r.status_message or "",
            tags=tags.get((r.name, r.version), {}),
            run_link=r.run_link,
            aliases=aliases.get((r.name, r.version), []),
            model_id=r.model_id,
        )
        for r in rows
    ]


def load_model_versions(conn: Connection, keys: Sequence[tuple[str, int]]) -> list[ModelVersion]:
    """The versions named by ``(name, version)`` keys, in the order given (missing ones skipped)."""
    if not keys:
        return []
    rows = conn.execute(select(*_VERSION_COLUMNS).where(_version_key_clause(model_versions, keys))).all()
    by_key = {(r.name, r.version): r for r in rows}
    ordered = [by_key[k] for k in keys if k in by_key]
    return _rows_to_versions(conn, ordered)


def select_versions(conn: Connection, where: Iterable[Any], order: Sequence[Any], limit: int, offset: int) -> list[ModelVersion]:
    """Versions matching ``where``, ordered, one page."""
    stmt = select(*_VERSION_COLUMNS).where(*where).order_by(*order).limit(limit).offset(offset)
    return _rows_to_versions(conn, conn.execute(stmt).all())


def latest_versions(
    conn: Connection, names: Sequence[str], stages: Optional[Sequence[str]] = None
) -> dict[str, list[ModelVersion]]:
    """For each model name, its newest version in each stage (all stages when ``stages`` is empty)."""
    if not names:
        return {}
    wanted = list(stages) if stages else list(ModelVersionStage.ALL)
    newest = (
        select(
            model_versions.c.name,
            model_versions.c.current_stage,
            func.max(model_versions.c.version).label("version"),
            func.min(model_versions.c.version).label("first"),
        )
        .where(model_versions.c.name.in_(names), model_versions.c.current_stage.in_(wanted))
        .group_by(model_versions.c.name, model_versions.c.current_stage)
    )
    rows = conn.execute(newest).all()
    # MLflow's order: stages in the order their first version reached them (lowest version first)
    rows.sort(key=lambda r: (r.name, r.first))
    versions = load_model_versions(conn, [(r.name, r.version) for r in rows])
    out: dict[str, list[ModelVersion]] = {n: [] for n in names}
    for mv in versions:
        out[mv.name].append(mv)
    return out


def load_registered_models(conn: Connection, names: Sequence[str]) -> list[RegisteredModel]:
    """The models named, in the order given, with tags, aliases and latest versions."""
    if not names:
        return []
    rows = {r.name: r for r in conn.execute(select(registered_models).where(registered_models.c.name.in_(names)))}
    tags: dict[str, dict[str, str]] = defaultdict(dict)
    for t in conn.execute(select(registered_model_tags).where(registered_model_tags.c.name.in_(names))):
        tags[t.name][t.key] = t.value or ""
    aliases: dict[str, dict[str, int]] = defaultdict(dict)
    for a in conn.execute(
        select(registered_model_aliases)
        .where(registered_model_aliases.c.name.in_(names))
        .order_by(registered_model_aliases.c.alias)
    ):
        aliases[a.name][a.alias] = int(a.version)
    latest = latest_versions(conn, names)
    return [
        RegisteredModel(
            name=rows[n].name,
            creation_timestamp=rows[n].creation_time,
            last_updated_timestamp=rows[n].last_updated_time,
            description=rows[n].description,
            latest_versions=latest.get(n, []),
            tags=tags.get(n, {}),
            aliases=aliases.get(n, {}),
        )
        for n in names
        if n in rows
    ]


def load_stage_history(conn: Connection, name: str, version: int) -> list[StageTransition]:
    """Every recorded transition of one version, oldest first."""
    rows = conn.execute(
        select(stage_transitions)
        .where(stage_transitions.c.name == name, stage_transitions.c.version == version)
        .order_by(stage_transitions.c.timestamp, stage_transitions.c.id)
    )
    return [
        StageTransition(
            name=r.name,
            version=int(r.version),
            from_stage=r.from_stage,
            to_stage=r.to_stage,
            user_id=r.user_id or "",
            timestamp=r.timestamp,
        )
        for r in rows
    ]
