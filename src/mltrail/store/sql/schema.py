"""Create or upgrade the schema with Alembic, once, under a lock.

Start-up fast path: read the ``alembic_version`` row and compare it with the
newest revision file's id (see ``migrations/__init__.py`` for the naming
rule); when they match nothing else runs, so opening a store costs a few
milliseconds. Otherwise the upgrade runs under a lock so many processes
starting at once do not race:

- SQLite: an exclusive ``fcntl`` lock on the sidecar file ``<db file>.lock``
  (not on the database file itself: SQLite's own POSIX locks would be dropped);
- PostgreSQL: ``pg_advisory_lock``; MySQL/MariaDB: ``GET_LOCK``.

After taking the lock the version is read again, so only the first process
upgrades and the others find the schema at head.

>>> ensure_schema(create_sql_engine("sqlite:///mlflow.db"), "/abs/mltrail-artifacts")
"""

from __future__ import annotations

import contextlib
import os
import re
from typing import Iterator, Optional

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ...exceptions import StoreUnavailableError
from .engine import read_connection, redact, sqlite_path, unbounded

MIGRATIONS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "migrations")
_REVISION_FILE = re.compile(r"(\d{4})_[A-Za-z0-9_]+\.py")
_LOCK_ID = 0x6D6C7472  # "mltr"
_LOCK_NAME = "mltrail_schema_upgrade"
_LOCK_WAIT_S = 300


def head_revision() -> str:
    """The id of the newest revision (the highest-numbered file in ``versions/``).

    >>> head_revision()
    '0001_tracking_tables'
    """
    names = [n for n in os.listdir(os.path.join(MIGRATIONS_DIR, "versions")) if _REVISION_FILE.fullmatch(n)]
    return max(names)[:-3]


def known_revisions() -> set[str]:
    """Ids of every revision this mltrail ships."""
    return {n[:-3] for n in os.listdir(os.path.join(MIGRATIONS_DIR, "versions")) if _REVISION_FILE.fullmatch(n)}


def current_revision(conn: Connection) -> Optional[str]:
    """The revision recorded in ``alembic_version``, or None on an empty database."""
    if not sa.inspect(conn).has_table("alembic_version"):
        return None
    return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()


def _fast_revision(engine: Engine) -> Optional[str]:
    """Read the version row without inspection; None when the table is missing."""
    try:
        with read_connection(engine) as conn:
            return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    except sa.exc.DBAPIError as exc:
        if exc.connection_invalidated or _is_connection_error(exc):
            raise
        return None


def _is_connection_error(exc: sa.exc.DBAPIError) -> bool:
    text = str(exc.orig).lower()
    return isinstance(exc, sa.exc.OperationalError) and (
        "no such table" not in text and "doesn't exist" not in text and "does not exist" not in text
    )


def ensure_schema(engine: Engine, default_artifact_root: str) -> None:
    """Bring the database to the head revision (creating it, with the "Default" experiment).

    Raises :class:`StoreUnavailableError` naming the file or URI when the
    database cannot be reached or is not a database.
    """
    head = head_revision()
    try:
        current = _fast_revision(engine)
        if current == head:
            return
        with _upgrade_lock(engine):
            with engine.connect() as conn:
                current = current_revision(conn)
                conn.rollback()
                if current == head:
                    return
                if current is not None and current not in known_revisions():
                    raise StoreUnavailableError(
                        f"Database {_describe(engine)} has schema revision {current!r}, which this mltrail "
                        f"does not know (its newest is {head!r}): the database was made by a newer mltrail "
                        f"(upgrade mltrail) or by another tool such as MLflow (use a new database)"
                    )
                _set_wal(engine, conn)
                with unbounded(conn):
                    _alembic_upgrade(conn, default_artifact_root)
                    conn.commit()
    except StoreUnavailableError:
        raise
    except sa.exc.DBAPIError as exc:
        raise _unavailable(engine, exc) from None


def _unavailable(engine: Engine, exc: Exception) -> StoreUnavailableError:
    detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    path = sqlite_path(engine.url)
    if path is not None and "not a database" in detail:
        return StoreUnavailableError(
            f"{path} is not a SQLite database (file is not a database); "
            f"point the tracking URI at a mltrail/MLflow database file or a new path"
        )
    return StoreUnavailableError(f"Cannot reach the tracking database {_describe(engine)}: {detail}")


def _describe(engine: Engine) -> str:
    path = sqlite_path(engine.url)
    return path if path is not None else redact(engine.url)


def _set_wal(engine: Engine, conn: Connection) -> None:
    if engine.dialect.name == "sqlite" and sqlite_path(engine.url) is not None:
        # Outside any transaction (SQLite refuses the switch inside one): use the DBAPI connection.
        conn.connection.driver_connection.execute("PRAGMA journal_mode = WAL")


def _alembic_upgrade(conn: Connection, default_artifact_root: str) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", MIGRATIONS_DIR)
    config.attributes["connection"] = conn
    config.attributes["default_artifact_root"] = default_artifact_root
    command.upgrade(config, "head")


@contextlib.contextmanager
def _upgrade_lock(engine: Engine) -> Iterator[None]:
    name = engine.dialect.name
    if name == "sqlite":
        path = sqlite_path(engine.url)
        if path is None:
            yield
            return
        with _file_lock(path + ".lock"):
            yield
    elif name == "postgresql":
        with engine.connect() as conn, unbounded(conn):  # waits for another process's upgrade
            conn.exec_driver_sql(f"SELECT pg_advisory_lock({_LOCK_ID})")
            conn.commit()
            try:
                yield
            finally:
                conn.exec_driver_sql(f"SELECT pg_advisory_unlock({_LOCK_ID})")
                conn.commit()
    elif name == "mysql":
        with engine.connect() as conn, unbounded(conn):  # waits for another process's upgrade
            got = conn.exec_driver_sql(f"SELECT GET_LOCK('{_LOCK_NAME}', {_LOCK_WAIT_S})").scalar()
            if got != 1:
                raise StoreUnavailableError(
                    f"Timed out after {_LOCK_WAIT_S} s waiting for another process to upgrade the schema "
                    f"of {redact(engine.url)}"
                )
            try:
                yield
            finally:
                conn.exec_driver_sql(f"SELECT RELEASE_LOCK('{_LOCK_NAME}')")
    else:
        yield


@contextlib.contextmanager
def _file_lock(path: str) -> Iterator[None]:
    try:
        import fcntl
    except ImportError:  # Windows: no fcntl; Alembic's own transaction is the only guard
        yield
        return
    try:
        handle = open(path, "a+")
    except OSError as exc:
        raise StoreUnavailableError(f"Cannot create the schema lock file {path}: {exc.strerror}") from None
    with handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
