"""The tracking tables as SQLAlchemy 2 typed declarative models.

These describe the schema the Alembic revisions in ``migrations/versions``
create (a test compares the two). Queries go through SQLAlchemy Core on
``Model.__table__``; the classes are the single description of each table.

Conventions:

- experiment ids are integers inside the database and strings outside; the
  "Default" experiment has id 0 and is created with the schema;
- run ids are 32-character uuid4 hex strings;
- times are epoch milliseconds (``BIGINT``);
- NaN metric values are stored as ``value = 0, is_nan = true`` (SQLite turns a
  NaN into NULL); +-inf is stored natively on SQLite and PostgreSQL and as
  +-1.7976931348623157e308 on MySQL/MariaDB, whose DOUBLE has no infinity
  (read back as +-inf);
- on MySQL/MariaDB every table uses ``utf8mb4_bin`` so keys, names and values
  compare case-sensitively as on the other backends.

Another engineer's revision (the model registry) adds its own models module on
the same :class:`Base`.

>>> from mltrail.store.sql.models import SqlRun
>>> SqlRun.__tablename__
'runs'
"""

from __future__ import annotations

from typing import Optional

from sqlalchemy import (
    BigInteger,
    Boolean,
    Double,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from ..._system_tags import PARENT_RUN_ID
from ..validation import (
    MAX_EXPERIMENT_NAME_LENGTH,
    MAX_EXPERIMENT_TAG_VALUE_LENGTH,
    MAX_KEY_LENGTH,
    MAX_PARAM_VALUE_LENGTH,
    MAX_RUN_NAME_LENGTH,
    MAX_TAG_VALUE_LENGTH,
    MAX_USER_ID_LENGTH,
)

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: Table options for MySQL/MariaDB (ignored elsewhere): case-sensitive strings.
MYSQL_TABLE_OPTIONS = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}
#: Tables keyed by a composite primary key are clustered on it in SQLite (one b-tree per insert).
CLUSTERED = {**MYSQL_TABLE_OPTIONS, "sqlite_with_rowid": False}

#: Longest artifact location / URI stored.
MAX_ARTIFACT_URI_LENGTH = 1000


class Base(DeclarativeBase):
    """Declarative base of every mltrail table (tracking and registry)."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class SqlExperiment(Base):
    """An experiment. ``experiment_id`` 0 is the "Default" experiment."""

    __tablename__ = "experiments"
    __table_args__ = ({"sqlite_autoincrement": True, **MYSQL_TABLE_OPTIONS},)

    experiment_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(MAX_EXPERIMENT_NAME_LENGTH), unique=True)
    artifact_location: Mapped[str] = mapped_column(String(MAX_ARTIFACT_URI_LENGTH))
    lifecycle_stage: Mapped[str] = mapped_column(String(32))
    creation_time: Mapped[Optional[int]] = mapped_column(BigInteger)
    last_update_time: Mapped[Optional[int]] = mapped_column(BigInteger)


class SqlExperimentTag(Base):
    """A tag of an experiment."""

    __tablename__ = "experiment_tags"
    __table_args__ = (PrimaryKeyConstraint("experiment_id", "key"), CLUSTERED)

    experiment_id: Mapped[int] = mapped_column(Integer, ForeignKey("experiments.experiment_id"))
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH))
    value: Mapped[str] = mapped_column(String(MAX_EXPERIMENT_TAG_VALUE_LENGTH))


class SqlRun(Base):
    """A run. ``artifact_uri`` is ``<experiment artifact_location>/<run_uuid>/artifacts``."""

    __tablename__ = "runs"
    __table_args__ = (MYSQL_TABLE_OPTIONS,)

    run_uuid: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(MAX_RUN_NAME_LENGTH))
    user_id: Mapped[str] = mapped_column(String(MAX_USER_ID_LENGTH))
    status: Mapped[str] = mapped_column(String(20))
    start_time: Mapped[Optional[int]] = mapped_column(BigInteger)
    end_time: Mapped[Optional[int]] = mapped_column(BigInteger)
    deleted_time: Mapped[Optional[int]] = mapped_column(BigInteger)
    lifecycle_stage: Mapped[str] = mapped_column(String(32))
    artifact_uri: Mapped[str] = mapped_column(String(MAX_ARTIFACT_URI_LENGTH))
    experiment_id: Mapped[int] = mapped_column(Integer, ForeignKey("experiments.experiment_id"))
    #: the process that created (or resumed) the run, while it is RUNNING: see :class:`SqlRunOwner`
    #: (NULL for runs of clients without a heartbeat, such as the stock mlflow client)
    owner_id: Mapped[Optional[str]] = mapped_column(String(32), index=True)


# search's default order (start_time DESC, run_uuid) read straight off the index
Index("ix_runs_experiment_id_start_time_desc", SqlRun.experiment_id, SqlRun.start_time.desc(), SqlRun.run_uuid)


class SqlParam(Base):
    """A run parameter (immutable once logged)."""

    __tablename__ = "params"
    __table_args__ = (PrimaryKeyConstraint("run_uuid", "key"), CLUSTERED)

    run_uuid: Mapped[str] = mapped_column(String(32), ForeignKey("runs.run_uuid"))
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH))
    value: Mapped[str] = mapped_column(String(MAX_PARAM_VALUE_LENGTH))


#: params by key and the start of the value (revision 0007): ``params.x = 'v'`` reads the matching runs off
#: this index. Param values reach 6,000 characters, more than a PostgreSQL b-tree entry holds, so it holds
#: the first PARAM_INDEX_PREFIX characters: an expression on SQLite/PostgreSQL (the search compares
#: ``substr(value, 1, PARAM_INDEX_PREFIX)`` beside the value to use it), a prefix index on MySQL/MariaDB.
PARAM_INDEX_PREFIX = 200
#: (on MySQL/MariaDB the revision makes it ``(key, value(200))``; Alembic compares neither form)
Index("ix_params_key_value", SqlParam.key, func.substr(SqlParam.value, text("1"), text(str(PARAM_INDEX_PREFIX))))


class SqlTag(Base):
    """A run tag."""

    __tablename__ = "tags"
    __table_args__ = (PrimaryKeyConstraint("run_uuid", "key"), CLUSTERED)

    run_uuid: Mapped[str] = mapped_column(String(32), ForeignKey("runs.run_uuid"))
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH))
    value: Mapped[str] = mapped_column(String(MAX_TAG_VALUE_LENGTH))


#: the parent-run tags by value: a parent's children and child counts are index lookups (revision 0006).
#: Partial on SQLite/PostgreSQL (long tag values do not fit a PostgreSQL b-tree entry); queries must
#: compare ``key`` with the literal (see :data:`PARENT_TAG_LITERAL`) for SQLite to use it.
PARENT_TAG_LITERAL = f"'{PARENT_RUN_ID}'"
Index(
    "ix_tags_parent_run",
    SqlTag.key,
    SqlTag.value,
    mysql_length={"value": 191},
    sqlite_where=text(f"key = {PARENT_TAG_LITERAL}"),
    postgresql_where=text(f"key = {PARENT_TAG_LITERAL}"),
)


class SqlMetric(Base):
    """One logged value of a metric (the full history).

    The primary key is the whole row, as in MLflow: logging exactly the same
    (key, value, step, timestamp) twice keeps one row.
    """

    __tablename__ = "metrics"
    __table_args__ = (
        PrimaryKeyConstraint("run_uuid", "key", "step", "timestamp", "value", "is_nan"),
        CLUSTERED,
    )

    run_uuid: Mapped[str] = mapped_column(String(32), ForeignKey("runs.run_uuid"))
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH))
    value: Mapped[float] = mapped_column(Double)
    timestamp: Mapped[int] = mapped_column(BigInteger)
    step: Mapped[int] = mapped_column(BigInteger)
    is_nan: Mapped[bool] = mapped_column(Boolean)


class SqlLatestMetric(Base):
    """The latest value (highest step, then timestamp) of each metric of a run, for search.

    ``min_value`` / ``max_value``: the lowest and highest non-NaN value ever logged (NULL when all
    were NaN), kept by the same upsert (revision 0006), for the runs table's ``:min``/``:max`` columns.
    """

    __tablename__ = "latest_metrics"
    __table_args__ = (
        PrimaryKeyConstraint("run_uuid", "key"),
        # search: "metrics.x < 7 ORDER BY metrics.x" walks this index in value order and stops at the page end
        Index(None, "key", "is_nan", "value"),
        # the runs table's sorts on metrics.x:min / :max walk these (revision 0007)
        Index("ix_latest_metrics_key_min", "key", "min_value"),
        Index("ix_latest_metrics_key_max", "key", "max_value"),
        CLUSTERED,
    )

    run_uuid: Mapped[str] = mapped_column(String(32), ForeignKey("runs.run_uuid"))
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH))
    value: Mapped[float] = mapped_column(Double)
    timestamp: Mapped[int] = mapped_column(BigInteger)
    step: Mapped[int] = mapped_column(BigInteger)
    is_nan: Mapped[bool] = mapped_column(Boolean)
    min_value: Mapped[Optional[float]] = mapped_column(Double)
    max_value: Mapped[Optional[float]] = mapped_column(Double)


class SqlRunOwner(Base):
    """A process that owns runs, with its heartbeat (revision 0008): one row per process, not per run.

    Times come from the database's clock. A run whose owner's ``heartbeat_time + timeout_ms`` has
    passed is dead: it is marked KILLED (end time: the last heartbeat) and ``killed_time`` records
    that heartbeat, so an owner that comes back (a process resumed after SIGSTOP, a laptop waking
    up) can set those runs RUNNING again. See :mod:`.liveness_ops`.
    """

    __tablename__ = "run_owners"
    __table_args__ = (MYSQL_TABLE_OPTIONS,)

    owner_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    heartbeat_time: Mapped[int] = mapped_column(BigInteger)
    timeout_ms: Mapped[int] = mapped_column(BigInteger)
    killed_time: Mapped[Optional[int]] = mapped_column(BigInteger)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)


experiments = SqlExperiment.__table__
experiment_tags = SqlExperimentTag.__table__
runs = SqlRun.__table__
params = SqlParam.__table__
tags = SqlTag.__table__
metrics = SqlMetric.__table__
latest_metrics = SqlLatestMetric.__table__
run_owners = SqlRunOwner.__table__
