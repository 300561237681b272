"""Engines for the SQL stores: SQLite tuning, timeouts, readable connection errors.

Every call on a network database is bounded in time (environment variables,
read when the engine is created):

=================================  ========  ==========================================
variable                           default   bounds
=================================  ========  ==========================================
``MLTRAIL_SQL_CONNECT_TIMEOUT``    10 s      opening a connection (TCP + handshake)
``MLTRAIL_SQL_STATEMENT_TIMEOUT``  30 s      one store call on a pooled connection,
                                             its liveness ping included
=================================  ========  ==========================================

PostgreSQL gets a server-side ``statement_timeout``, TCP keepalives and
``tcp_user_timeout``, plus a client-side watchdog (:mod:`.watchdog`): a call
still waiting past the bound (a partition where no byte moves and no error
comes back) has its socket shut down, so it fails with
:class:`~mltrail.exceptions.StoreUnavailableError` instead of hanging.
MySQL/MariaDB get PyMySQL's read and write timeouts, which bound the ping too.

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

from ...env_numbers import NumberRule, env_number
from ...exceptions import InvalidParameterError, StoreUnavailableError
from .watchdog import Watchdog

#: Seconds to wait for a network database to accept a connection (``MLTRAIL_SQL_CONNECT_TIMEOUT``).
CONNECT_TIMEOUT_S = 10
#: Seconds one store call may wait on a network database (``MLTRAIL_SQL_STATEMENT_TIMEOUT``).
STATEMENT_TIMEOUT_S = 30
CONNECT_TIMEOUT_ENV = "MLTRAIL_SQL_CONNECT_TIMEOUT"
STATEMENT_TIMEOUT_ENV = "MLTRAIL_SQL_STATEMENT_TIMEOUT"
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


#: What a timeout variable accepts (a bad one stops the store from opening: see :mod:`mltrail.env_numbers`).
TIMEOUT_RULE = NumberRule("seconds", positive=True)


def timeouts() -> tuple[float, float]:
    """``(connect, statement)`` timeouts in seconds, from the environment or the defaults.

    >>> timeouts()
    (10, 30)
    """
    return (
        env_number(CONNECT_TIMEOUT_ENV, CONNECT_TIMEOUT_S, TIMEOUT_RULE, strict=True),
        env_number(STATEMENT_TIMEOUT_ENV, STATEMENT_TIMEOUT_S, TIMEOUT_RULE, strict=True),
    )


def _postgres_args(url: URL, connect_s: float, statement_s: float) -> dict[str, Any]:
    options = str(url.query.get("options", "") or "")
    statement_ms = int(statement_s * 1000)
    return {
        "connect_timeout": max(1, int(round(connect_s))),
        # the server cancels a statement running past the bound (psycopg then raises QueryCanceled)
        "options": f"{options} -c statement_timeout={statement_ms}".strip(),
        "keepalives": 1,
        "keepalives_idle": max(1, int(min(statement_s, 30))),
        "keepalives_interval": max(1, int(min(statement_s, 30)) // 3),
        "keepalives_count": 3,
        "tcp_user_timeout": statement_ms,  # sent data unacknowledged this long: the link is dead
    }


def create_sql_engine(uri: str) -> Engine:
    """Create the engine for ``uri`` with mltrail's connection settings.

    Plain ``postgresql://`` and ``mysql://`` URIs get the psycopg (v3) and
    PyMySQL drivers; ``mariadb://`` (``mariadb+<driver>://``) URIs reach MariaDB
    through SQLAlchemy's ``mysql`` dialect, the one mltrail's schema is made for.
    """
    try:
        url = make_url(uri)
    except Exception as exc:  # noqa: BLE001
        raise InvalidParameterError(f"Invalid database URI {redact(uri)!r}: {exc}") from None
    backend = url.get_backend_name()
    if backend == "postgres":
        url = url.set(drivername="postgresql")
        backend = "postgresql"
    if backend == "mariadb":  # SQLAlchemy's mariadb dialect: the same server through the mysql one
        driver = url.drivername.partition("+")[2] or "pymysql"  # (mltrail's schema targets that one)
        url = url.set(drivername=f"mysql+{driver}")
        backend = "mysql"
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    elif url.drivername == "mysql":
        url = url.set(drivername="mysql+pymysql")

    kwargs: dict[str, Any] = {"future": True}
    connect_s, statement_s = timeouts() if backend != "sqlite" else (0.0, 0.0)
    if backend == "sqlite":
        path = sqlite_path(url)
        if path is not None:
            os.makedirs(os.path.dirname(path), exist_ok=True)
        kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False}
        if path is None:
            kwargs["poolclass"] = sa.pool.StaticPool
    elif backend == "postgresql":
        kwargs["connect_args"] = _postgres_args(url, connect_s, statement_s)
        # no pool_pre_ping: its ping would run before the watchdog is armed (see _bound_postgres)
    elif backend == "mysql":
        kwargs["connect_args"] = {
            "connect_timeout": connect_s,
            "read_timeout": statement_s,
            "write_timeout": statement_s,
            "charset": "utf8mb4",
        }
        kwargs["pool_pre_ping"] = True
        kwargs["pool_recycle"] = 3600
    try:
        engine = sa.create_engine(url, **kwargs)
    except Exception as exc:  # noqa: BLE001 - missing driver, bad options
        raise StoreUnavailableError(f"Cannot use database {redact(url)!r}: {exc}") from None
    if backend == "sqlite":
        _tune_sqlite(engine)
    elif backend == "postgresql":
        _bound_postgres(engine, statement_s)
    else:
        _bound_mysql(engine, statement_s)
    return engine


def _bound_mysql(engine: Engine, statement_s: float) -> None:
    """Server-side bounds for each new MySQL/MariaDB connection.

    The server stops a statement running past the bound (MariaDB's
    ``max_statement_time``; MySQL's ``max_execution_time`` covers SELECTs), so
    a query the client gave up on does not keep running there; and the join
    order search is automatic (the default exhaustive search takes minutes to
    plan a search joining dozens of metric/param/tag tables).
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        mariadb = "mariadb" in str(dbapi_connection.get_server_info()).lower()
        limit = f"max_statement_time = {statement_s:g}" if mariadb else f"max_execution_time = {int(statement_s * 1000)}"
        variable = limit.split(" = ")[0]
        _record.info["mltrail_bounds"] = (f"SET SESSION {variable} = 0", f"SET SESSION {limit}")
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"SET SESSION optimizer_search_depth = 0, SESSION {limit}")
        finally:
            cursor.close()


def _bound_postgres(engine: Engine, statement_s: float) -> None:
    """Arm the watchdog for each checkout (the ping included), disarm it at checkin.

    The watchdog allows a few seconds more than the server's own
    ``statement_timeout``, which ends a slow query more gracefully when the
    server can still be reached.
    """
    watchdog = Watchdog(statement_s + min(5.0, statement_s))
    engine.dialect.mltrail_watchdog = watchdog  # type: ignore[attr-defined]

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        watchdog.arm(record, dbapi_connection.fileno())
        fresh = record.info.pop("mltrail_fresh", False)
        if not fresh:
            try:
                engine.dialect.do_ping(dbapi_connection)
            except Exception as exc:  # noqa: BLE001 - any failure: the pool retries with a new connection
                watchdog.disarm(record)
                raise sa.exc.DisconnectionError(f"ping failed: {exc}") from exc

    @event.listens_for(engine, "connect")
    def _on_connect(_dbapi_connection: Any, record: Any) -> None:
        record.info["mltrail_fresh"] = True  # just opened (bounded by connect_timeout): no ping needed

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        watchdog.disarm(record)


@contextlib.contextmanager
def unbounded(conn: Connection) -> Iterator[None]:
    """Lift the statement bounds on ``conn`` inside the block (schema upgrades and their lock waits).

    >>> with engine.connect() as conn, unbounded(conn):
    ...     upgrade(conn)
    """
    name = conn.engine.dialect.name
    if name == "postgresql":
        watchdog = conn.engine.dialect.mltrail_watchdog  # type: ignore[attr-defined]
        watchdog.disarm(conn.connection._connection_record)  # type: ignore[union-attr]
        lift, restore = "SET statement_timeout = 0", "RESET statement_timeout"
    elif name == "mysql":
        dbapi_connection = conn.connection.dbapi_connection
        saved = dbapi_connection._read_timeout, dbapi_connection._write_timeout  # type: ignore[union-attr]
        dbapi_connection._read_timeout = dbapi_connection._write_timeout = None  # type: ignore[union-attr]
        lift, restore = conn.connection.info["mltrail_bounds"]
    else:
        yield
        return
    conn.exec_driver_sql(lift)
    try:
        yield
    finally:
        try:
            conn.exec_driver_sql(restore)
            conn.commit()  # SET and RESET are transactional on PostgreSQL
        except sa.exc.DBAPIError:
            pass
        if name != "postgresql":
            dbapi_connection._read_timeout, dbapi_connection._write_timeout = saved  # type: ignore[union-attr]


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
    """MySQL or MariaDB (an engine of :func:`create_sql_engine` is never of the ``mariadb`` dialect)."""
    return engine.dialect.name == "mysql"
