"""Engines for the SQL stores: SQLite tuning, connect timeouts, readable connection errors.

SQLite connections run in WAL mode (set once with the schema) with
``synchronous=NORMAL``, a 30 s busy timeout and case-sensitive ``LIKE`` (as
on PostgreSQL and, with ``utf8mb4_bin``, MariaDB). The driver's own
transaction handling is switched off and the engine emits ``BEGIN`` itself:
``BEGIN IMMEDIATE`` for every transaction except those of
:func:`read_connection`, so a writer takes SQLite's write lock up front
(waiting on the busy timeout) instead of failing with "database is locked"
when it upgrades a read lock. Code sharing the engine (the registry store)
gets the safe behaviour with a plain ``engine.begin()``.

>>> engine = create_sql_engine("sqlite:///mlflow.db")
>>> with write_connection(engine) as conn:
...     conn.exec_driver_sql("SELECT 1")
"""

from __future__ import annotations

import contextlib
import os
from typing import Any, Iterator

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Engine, make_url

from ...exceptions import InvalidParameterError, StoreUnavailableError

#: Seconds to wait for a network database to accept a connection.
CONNECT_TIMEOUT_S = 5
#: Seconds a SQLite writer waits for another process's write lock.
SQLITE_BUSY_TIMEOUT_S = 30
#: WAL size (pages) that triggers an automatic checkpoint.
SQLITE_WAL_AUTOCHECKPOINT_PAGES = 4000

_READ_OPTION = "mltrail_read_only"


def redact(uri: "str | URL") -> str:
    """The URI with its password replaced by ``***`` (for messages).

    >>> redact("postgresql://bob:secret@db/mlflow")
    'postgresql://bob:***@db/mlflow'
    """
    try:
        return make_url(uri).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - a URI we cannot parse is shown without its userinfo
        text = str(uri)
        if "@" in text and "://" in text:
            scheme, rest = text.split("://", 1)
            return f"{scheme}://***@{rest.split('@', 1)[1]}"
        return text


def sqlite_path(url: URL) -> str | None:
    """The file path of a SQLite URL (None for an in-memory database)."""
    if url.get_backend_name() != "sqlite":
        return None
    database = url.database
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        return None
    return os.path.abspath(database)


def create_sql_engine(uri: str) -> Engine:
    """Create the engine for ``uri`` with mltrail's connection settings.

    Plain ``postgresql://`` and ``mysql://`` URIs get the psycopg (v3) and
    PyMySQL drivers.
    """
    try:
        url = make_url(uri)
    except Exception as exc:  # noqa: BLE001
        raise InvalidParameterError(f"Invalid database URI {redact(uri)!r}: {exc}") from None
    backend = url.get_backend_name()
    if backend == "postgres":
        url = url.set(drivername="postgresql")
        backend = "postgresql"
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    elif url.drivername in ("mysql", "mariadb"):
        url = url.set(drivername=f"{url.drivername}+pymysql")

    kwargs: dict[str, Any] = {"future": True}
    if backend == "sqlite":
        path = sqlite_path(url)
        if path is not None:
            os.makedirs(os.path.dirname(path), exist_ok=True)
        kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False}
        if path is None:
            kwargs["poolclass"] = sa.pool.StaticPool
    elif backend == "postgresql":
        kwargs["connect_args"] = {"connect_timeout": CONNECT_TIMEOUT_S}
        kwargs["pool_pre_ping"] = True
    elif backend in ("mysql", "mariadb"):
        kwargs["connect_args"] = {"connect_timeout": CONNECT_TIMEOUT_S, "charset": "utf8mb4"}
        kwargs["pool_pre_ping"] = True
        kwargs["pool_recycle"] = 3600
    try:
        engine = sa.create_engine(url, **kwargs)
    except Exception as exc:  # noqa: BLE001 - missing driver, bad options
        raise StoreUnavailableError(f"Cannot use database {redact(url)!r}: {exc}") from None
    if backend == "sqlite":
        _tune_sqlite(engine)
    return engine


def tune_sqlite_connection(dbapi_connection: Any) -> None:
    """Apply mltrail's per-connection SQLite settings to a ``sqlite3`` connection."""
    dbapi_connection.isolation_level = None  # we emit BEGIN ourselves (see module docstring)
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_S * 1000}")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA case_sensitive_like = ON")
        # Checkpoint the WAL every ~16 MB rather than every 4 MB: fewer fsyncs under steady logging.
        cursor.execute(f"PRAGMA wal_autocheckpoint = {SQLITE_WAL_AUTOCHECKPOINT_PAGES}")
    finally:
        cursor.close()


def new_sqlite_connection(engine: Engine) -> Any:
    """A DBAPI connection to the engine's SQLite file, outside the pool, tuned like pooled ones."""
    cargs, cparams = engine.dialect.create_connect_args(engine.url)
    cparams.update(timeout=SQLITE_BUSY_TIMEOUT_S, check_same_thread=False)
    connection = engine.dialect.loaded_dbapi.connect(*cargs, **cparams)
    tune_sqlite_connection(connection)
    return connection


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        tune_sqlite_connection(dbapi_connection)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        read_only = conn.get_execution_options().get(_READ_OPTION)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


@contextlib.contextmanager
def write_connection(engine: Engine) -> Iterator[Connection]:
    """A connection in a write transaction, committed on success, rolled back on error."""
    with engine.connect() as conn:
        with conn.begin():
            yield conn


@contextlib.contextmanager
def read_connection(engine: Engine) -> Iterator[Connection]:
    """A connection in a read transaction (a consistent snapshot on every backend).

    On SQLite it starts with a plain ``BEGIN``: readers never wait for writers.
    """
    with engine.connect() as conn:
        conn = conn.execution_options(**{_READ_OPTION: True})
        with conn.begin():
            yield conn


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def is_mysql(engine: Engine) -> bool:
    return engine.dialect.name in ("mysql", "mariadb")
