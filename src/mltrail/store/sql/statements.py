"""Pre-compiled statements for the hot write paths, run on the pool's DBAPI connection.

Each statement is built once with SQLAlchemy Core for the engine's dialect
(so the SQL is right for SQLite, PostgreSQL and MySQL alike) and compiled to
the driver's SQL string; a call then costs one ``cursor.execute`` with no ORM
or statement-compilation work. Values must already be plain Python types the
driver accepts (see :func:`metric_to_db`).

>>> hot = HotStatements(engine)
>>> cursor.execute(hot.insert_metric_if_active.sql, hot.insert_metric_if_active.args(row))
"""

from __future__ import annotations

import math
from typing import Any, Iterable, Mapping, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ...entities import LifecycleStage
from .models import experiments, latest_metrics, metrics, params, runs, tags

#: MySQL/MariaDB DOUBLE has no infinity: +-inf is stored as the largest finite double.
MYSQL_INFINITY = 1.7976931348623157e308

#: Column order of metric rows handed to :meth:`Prepared.rows`.
METRIC_COLUMNS = ("run_uuid", "key", "value", "timestamp", "step", "is_nan")

#: Column order of ``latest_metrics`` rows handed to :attr:`HotStatements.upsert_latest_metric`.
LATEST_METRIC_COLUMNS = (*METRIC_COLUMNS, "min_value", "max_value")

#: The columns a :class:`~mltrail.entities.RunInfo` is built from (see ``run_reader.run_info_from_row``).
RUN_COLUMNS = (
    runs.c.run_uuid,
    runs.c.experiment_id,
    runs.c.name,
    runs.c.user_id,
    runs.c.status,
    runs.c.start_time,
    runs.c.end_time,
    runs.c.artifact_uri,
    runs.c.lifecycle_stage,
)

#: Run columns :meth:`HotStatements.update_run` may set.
RUN_UPDATE_FIELDS = ("status", "end_time", "name", "owner_id")


class Prepared:
    """A statement compiled for one dialect: ``sql`` plus a way to order its parameters."""

    __slots__ = ("sql", "_names", "_defaults")

    def __init__(self, statement: sa.sql.ClauseElement, engine: Engine) -> None:
        compiled = statement.compile(dialect=engine.dialect)
        self.sql = str(compiled)
        self._defaults = {k: v for k, v in compiled.params.items() if v is not None}
        self._names: Sequence[str] | None = tuple(compiled.positiontup) if compiled.positional else None

    def args(self, values: Mapping[str, Any]) -> Any:
        """Driver parameters for one execution."""
        if self._defaults:
            values = {**self._defaults, **values}
        if self._names is None:
            return values
        return tuple(values[name] for name in self._names)

    def many(self, rows: Iterable[Mapping[str, Any]]) -> list[Any]:
        """Driver parameters for ``executemany``."""
        return [self.args(row) for row in rows]

    def rows(self, columns: Sequence[str], tuples: list[tuple]) -> list[Any]:
        """Driver parameters for ``executemany`` from tuples ordered as ``columns``.

        On positional drivers (SQLite) whose statement takes exactly these
        columns in this order, the tuples are used as they are.
        """
        if self._names is not None and not self._defaults and tuple(self._names) == tuple(columns):
            return tuples
        return self.many(dict(zip(columns, row)) for row in tuples)


def _bind(name: str, type_: Any) -> sa.BindParameter:
    return sa.bindparam(name, type_=type_)


def _dialect_insert(engine: Engine, table: sa.Table) -> Any:
    name = engine.dialect.name
    if name == "mysql":
        from sqlalchemy.dialects.mysql import insert
    elif name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert  # type: ignore[assignment]
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    return insert(table)


def insert_ignoring_duplicates(engine: Engine, table: sa.Table, keys: Sequence[str]) -> Any:
    """``INSERT`` that silently keeps the existing row when the primary key is taken."""
    stmt = _dialect_insert(engine, table)
    if engine.dialect.name == "mysql":
        # a no-op update (INSERT IGNORE would also hide unrelated errors)
        return stmt.on_duplicate_key_update([(keys[0], table.c[keys[0]])])
    return stmt.on_conflict_do_nothing(index_elements=list(keys))


def upsert(engine: Engine, table: sa.Table, keys: Sequence[str], update: Sequence[str]) -> Any:
    """``INSERT ... ON CONFLICT/DUPLICATE KEY UPDATE`` for ``table``'s dialect: an incoming row whose
    ``keys`` are taken overwrites the ``update`` columns of the stored one."""
    stmt = _dialect_insert(engine, table)
    if engine.dialect.name == "mysql":
        return stmt.on_duplicate_key_update([(c, stmt.inserted[c]) for c in update])
    return stmt.on_conflict_do_update(index_elements=list(keys), set_={c: stmt.excluded[c] for c in update})


def _newer_metric(new: Mapping[str, Any], old: Any) -> Any:
    """The latest value of a metric is the one with the highest step, then timestamp (ties: last logged)."""
    return sa.or_(new["step"] > old.step, sa.and_(new["step"] == old.step, new["timestamp"] >= old.timestamp))


def upsert_latest_metric(engine: Engine) -> Any:
    """Keep a metric's ``latest_metrics`` row from one logged value, in one statement.

    The latest value (see :func:`_newer_metric`) replaces the stored one only
    when it is newer; ``min_value``/``max_value`` (the lowest/highest non-NaN
    value of the rows being logged, NULL when all are NaN) replace the stored
    ones when lower/higher. Parameters are :data:`LATEST_METRIC_COLUMNS`.
    """
    stmt = _dialect_insert(engine, latest_metrics).values({c: sa.bindparam(c) for c in LATEST_METRIC_COLUMNS})
    old = latest_metrics.c
    mysql = engine.dialect.name == "mysql"
    new = {c: (stmt.inserted if mysql else stmt.excluded)[c] for c in latest_metrics.c.keys()}

    def extreme(column: str, lower: bool) -> Any:
        wins = new[column] < old[column] if lower else new[column] > old[column]
        return sa.case((sa.or_(old[column].is_(None), wins), new[column]), else_=old[column])

    newer = _newer_metric(new, old)
    # MySQL assigns left to right and later assignments see earlier ones: the extremes read only
    # themselves, and the columns the "newer" condition reads (timestamp, step) come last
    assignments = [("min_value", extreme("min_value", True)), ("max_value", extreme("max_value", False))]
    assignments += [(c, sa.case((newer, new[c]), else_=old[c])) for c in ("value", "is_nan", "timestamp", "step")]
    if mysql:
        return stmt.on_duplicate_key_update(assignments)
    return stmt.on_conflict_do_update(index_elements=["run_uuid", "key"], set_=dict(assignments))


class HotStatements:
    """The statements of log_metric, log_batch, create_run and run updates for one engine."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        #: True when ``UPDATE ... RETURNING`` exists (SQLite >= 3.35, PostgreSQL; not MySQL/MariaDB).
        self.update_returning = bool(engine.dialect.update_returning)
        self._run_updates: dict[tuple[str, ...], Prepared] = {}
        active_run = (
            sa.select(sa.literal_column("1"))
            .where(
                runs.c.run_uuid == _bind("run_uuid", sa.String),
                runs.c.lifecycle_stage == sa.literal_column(f"'{LifecycleStage.ACTIVE}'"),
            )
            .exists()
        )
        values = sa.select(
            _bind("run_uuid", sa.String),
            _bind("key", sa.String),
            _bind("value", sa.Double),
            _bind("timestamp", sa.BigInteger),
            _bind("step", sa.BigInteger),
            _bind("is_nan", sa.Boolean),
        ).where(active_run)
        metric_pk = [c.name for c in metrics.primary_key.columns]
        self.insert_metric_if_active = Prepared(
            insert_ignoring_duplicates(engine, metrics, metric_pk).from_select(list(METRIC_COLUMNS), values), engine
        )
        self.insert_metric = Prepared(
            insert_ignoring_duplicates(engine, metrics, metric_pk).values({c: sa.bindparam(c) for c in METRIC_COLUMNS}),
            engine,
        )
        self.upsert_latest_metric = Prepared(upsert_latest_metric(engine), engine)
        self.insert_param = Prepared(params.insert().values(run_uuid=sa.bindparam("run_uuid"), key=sa.bindparam("key"), value=sa.bindparam("value")), engine)
        #: Core form, for SQLAlchemy connections: ``conn.execute(upsert_tag_core, {...})``.
        self.upsert_tag_core = upsert(engine, tags, ("run_uuid", "key"), ("value",))
        self.upsert_tag = Prepared(
            self.upsert_tag_core.values(
                run_uuid=sa.bindparam("run_uuid"), key=sa.bindparam("key"), value=sa.bindparam("value")
            ),
            engine,
        )
        self.run_state = Prepared(
            sa.select(runs.c.lifecycle_stage).where(runs.c.run_uuid == sa.bindparam("run_uuid")), engine
        )
        self.run_params = Prepared(
            sa.select(params.c.key, params.c.value).where(params.c.run_uuid == sa.bindparam("run_uuid")), engine
        )
        self.experiment_for_run = Prepared(
            sa.select(experiments.c.artifact_location, experiments.c.lifecycle_stage).where(
                experiments.c.experiment_id == sa.bindparam("experiment_id")
            ),
            engine,
        )
        self.insert_run = Prepared(
            runs.insert().values(
                {
                    c: sa.bindparam(c)
                    for c in (
                        "run_uuid", "name", "user_id", "status", "start_time", "end_time",
                        "lifecycle_stage", "artifact_uri", "experiment_id", "owner_id",
                    )
                }
            ),
            engine,
        )
        self.rename_run = Prepared(
            runs.update().where(runs.c.run_uuid == sa.bindparam("run_uuid")).values(name=sa.bindparam("name")),
            engine,
        )
        self.run_info = Prepared(sa.select(*RUN_COLUMNS).where(runs.c.run_uuid == sa.bindparam("run_uuid")), engine)

    def update_run(self, fields: tuple[str, ...]) -> Prepared:
        """``UPDATE runs SET <fields> WHERE run_uuid = :run_uuid AND lifecycle_stage = 'active'``.

        ``fields`` is a tuple of :data:`RUN_UPDATE_FIELDS` (in that order). The
        row count says whether the run was active. Where the dialect has it
        (:attr:`update_returning`) the statement returns the updated row's
        :data:`RUN_COLUMNS`, saving the read that would follow. Built on first
        use per set of fields (at most sixteen), then reused.
        """
        prepared = self._run_updates.get(fields)
        if prepared is None:
            stmt = (
                runs.update()
                .where(
                    runs.c.run_uuid == sa.bindparam("run_uuid"),
                    runs.c.lifecycle_stage == sa.literal_column(f"'{LifecycleStage.ACTIVE}'"),
                )
                .values({field: sa.bindparam(field) for field in fields} or {"status": runs.c.status})
            )
            if self.update_returning:
                stmt = stmt.returning(*RUN_COLUMNS)
            prepared = self._run_updates[fields] = Prepared(stmt, self._engine)
        return prepared


def metric_to_db(value: float, mysql: bool) -> tuple[float, bool]:
    """``(stored value, is_nan)`` for a metric value (see :mod:`.models` for the encoding)."""
    if value != value:  # NaN
        return 0.0, True
    if mysql and math.isinf(value):
        return (MYSQL_INFINITY if value > 0 else -MYSQL_INFINITY), False
    return value, False


def metric_from_db(value: float, is_nan: Any, mysql: bool) -> float:
    """The logged value back from ``(stored value, is_nan)``."""
    if is_nan:
        return math.nan
    value = float(value)
    if mysql and abs(value) == MYSQL_INFINITY:
        return math.inf if value > 0 else -math.inf
    return value
