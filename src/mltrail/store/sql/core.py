"""What every part of the SQL tracking store shares: the engine, transactions, error translation.

:class:`SqlStoreCore` opens the engine, brings the schema to head and offers
these kinds of transaction:

- :meth:`SqlStoreCore._raw_write` - a DBAPI cursor in one write transaction
  (the hot paths, with :class:`~.statements.HotStatements`);
- :meth:`SqlStoreCore._raw_read` - a DBAPI cursor for a one-statement read;
- :meth:`SqlStoreCore._write` / :meth:`SqlStoreCore._read` - SQLAlchemy Core
  connections in a write / read transaction.

Driver errors are translated in one place (:mod:`.db_errors`): "cannot reach
or use the database" becomes :class:`~mltrail.exceptions.StoreUnavailableError`,
a value or query the database refuses becomes
:class:`~mltrail.exceptions.InvalidParameterError`.
"""

from __future__ import annotations

import contextlib
import functools
import os
import threading
import weakref
from typing import Any, Iterator, NoReturn, Optional

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ... import config
from ...entities import LifecycleStage
from ...exceptions import InvalidStateError, ResourceNotFoundError, StoreUnavailableError
from .. import liveness
from .db_errors import VALUE_ERRORS, is_driver_error, translate
from .engine import (
    create_sql_engine,
    is_mysql,
    new_sqlite_connection,
    read_connection,
    redact,
    sqlite_path,
    write_connection,
)
from .schema import ensure_schema
from .statements import HotStatements


class SqlTransactions:
    """SQLAlchemy Core transactions over ``self.engine``; driver errors become mltrail errors.

    The one write/read path of the SQL stores: the tracking store
    (:class:`SqlStoreCore`) and the registry store share it; ``_DATABASE``
    names the database in messages ("Tracking", "Registry").

    >>> with store._write() as conn:       # doctest: +SKIP
    ...     conn.execute(update(...))
    """

    _DATABASE = "Tracking"
    engine: sa.engine.Engine

    @property
    def _uri_in_messages(self) -> Any:
        """The URI named in error messages (redacted before it is shown)."""
        return self.engine.url

    def _write(self) -> contextlib.AbstractContextManager[Connection]:
        """A Core connection in one write transaction, committed when the block ends."""
        return self._transaction(write_connection)

    def _read(self) -> contextlib.AbstractContextManager[Connection]:
        """A Core connection in one read transaction."""
        return self._transaction(read_connection)

    @contextlib.contextmanager
    def _transaction(self, open_connection: Any) -> Iterator[Connection]:
        try:
            with open_connection(self.engine) as conn:
                yield conn
        except (sa.exc.DBAPIError, *VALUE_ERRORS) as exc:
            self._raise_driver_error(exc)
            raise

    def _raise_driver_error(self, exc: BaseException) -> None:
        """Raise the mltrail error for a driver error (see :mod:`.db_errors`); return for any other."""
        if is_driver_error(exc, self.engine.dialect.dbapi.Error):  # type: ignore[union-attr]
            error = translate(exc, self._uri_in_messages, self._DATABASE)
            if error is not None:
                raise error from exc

    def _unavailable(self, exc: BaseException) -> NoReturn:
        """Raise StoreUnavailableError for ``exc``, an error met while reaching the database."""
        detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        raise StoreUnavailableError(
            f"{self._DATABASE} database {redact(self._uri_in_messages)} failed: "
            f"{detail[0] if detail else type(exc).__name__}"
        ) from exc


class _ThreadConnection:
    """One thread's SQLite connection for the hot paths (closed with it when the thread ends)."""

    __slots__ = ("connection", "cursor", "pid", "__weakref__")

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.cursor = connection.cursor()
        self.pid = os.getpid()


class SqlStoreCore(SqlTransactions):
    """Engine, schema and transactions of a SQL store (see the module docstring)."""

    def __init__(self, db_uri: str, artifact_root: Optional[str] = None) -> None:
        self.db_uri = db_uri
        root = artifact_root if artifact_root is not None else config.default_artifact_root(db_uri)
        if "://" not in root:
            root = os.path.abspath(root)
        self.default_artifact_root = root.rstrip("/") or "/"
        self._engine = create_sql_engine(db_uri)
        try:
            ensure_schema(self._engine, self.default_artifact_root)
        except BaseException:
            self._engine.dispose()
            raise
        self._mysql = is_mysql(self._engine)
        self._sqlite = self._engine.dialect.name == "sqlite"
        file_backed = self._sqlite and sqlite_path(self._engine.url) is not None
        self._thread_connections: Optional[threading.local] = threading.local() if file_backed else None
        self._thread_connections_lock = threading.Lock()
        # weak: a thread's connection closes when the thread ends; close() closes the rest
        self._open_connections: weakref.WeakSet[_ThreadConnection] = weakref.WeakSet()
        dbapi = self._engine.dialect.dbapi
        self._dbapi_error: type[BaseException] = dbapi.Error  # type: ignore[union-attr]
        self._dbapi_integrity_error: type[BaseException] = dbapi.IntegrityError  # type: ignore[union-attr]
        self._dbapi_operational_error: type[BaseException] = dbapi.OperationalError  # type: ignore[union-attr]

    @functools.cached_property
    def _hot(self) -> HotStatements:
        """The hot-path statements, compiled on first use (keeps store start-up to a few ms)."""
        return HotStatements(self._engine)

    @property
    def engine(self) -> sa.engine.Engine:  # type: ignore[override]
        """The SQLAlchemy engine (shared with the registry store on the same URI)."""
        return self._engine

    @property
    def _uri_in_messages(self) -> Any:
        return self.db_uri

    def close(self) -> None:
        """Dispose of the engine's connections.

        >>> store.close()
        """
        liveness.release(self)  # this process's runs still RUNNING are not presumed dead
        with self._thread_connections_lock:
            for held in list(self._open_connections):
                try:
                    held.connection.close()
                except self._dbapi_error:  # type: ignore[misc]  # pragma: no cover - closing is best effort
                    pass
            self._open_connections.clear()
            if self._thread_connections is not None:
                self._thread_connections = threading.local()
        self._engine.dispose()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({redact(self.db_uri)!r})"

    # -- transactions ---------------------------------------------------------------
    @contextlib.contextmanager
    def _raw_write(self) -> Iterator[Any]:
        """A DBAPI cursor inside one write transaction, committed when the block ends.

        For a SQLite file each thread keeps its own connection outside the
        pool (checking one out of the pool costs more than the commit).
        """
        if self._thread_connections is not None:
            conn, cursor = self._thread_connection()
            try:
                cursor.execute("BEGIN IMMEDIATE")
                yield cursor
                conn.commit()
            except BaseException as exc:
                self._rollback_quietly(conn)
                self._raise_driver_error(exc)
                raise
            return
        conn = self._pooled_connection()
        try:
            cursor = conn.cursor()
            try:
                if self._sqlite:
                    cursor.execute("BEGIN IMMEDIATE")
                yield cursor
                conn.commit()
            except BaseException as exc:
                self._rollback_quietly(conn)
                self._raise_driver_error(exc)
                raise
            finally:
                self._close_quietly(cursor)
        finally:
            self._close_quietly(conn)

    @contextlib.contextmanager
    def _raw_read(self) -> Iterator[Any]:
        """A DBAPI cursor for a read of one statement (no explicit transaction on SQLite)."""
        if self._thread_connections is not None:
            _, cursor = self._thread_connection()
            try:
                yield cursor
            except BaseException as exc:
                self._raise_driver_error(exc)
                raise
            return
        conn = self._pooled_connection()
        try:
            cursor = conn.cursor()
            try:
                yield cursor
            except BaseException as exc:
                self._raise_driver_error(exc)
                raise
            finally:
                self._close_quietly(cursor)
        finally:
            self._close_quietly(conn)  # back to the pool, which ends (rolls back) the read transaction

    def _pooled_connection(self) -> Any:
        """A DBAPI connection from the engine's pool; StoreUnavailableError when the database cannot be reached."""
        try:
            return self._engine.raw_connection()
        except (sa.exc.DBAPIError, self._dbapi_error) as exc:  # type: ignore[misc]
            self._unavailable(exc)

    def _rollback_quietly(self, conn: Any) -> None:
        try:
            conn.rollback()
        except self._dbapi_error:  # type: ignore[misc]
            pass

    def _close_quietly(self, resource: Any) -> None:
        """Close a cursor or connection whose link may be gone (the original error matters more)."""
        try:
            resource.close()
        except (self._dbapi_error, sa.exc.DBAPIError):  # type: ignore[misc]
            pass

    def _thread_connection(self) -> tuple[Any, Any]:
        local = self._thread_connections
        held = getattr(local, "held", None)
        if held is None or held.pid != os.getpid():  # first use in this thread, or inherited through fork
            try:
                held = _ThreadConnection(new_sqlite_connection(self._engine))
            except self._dbapi_error as exc:  # type: ignore[misc]
                self._unavailable(exc)
            local.held = held
            with self._thread_connections_lock:
                self._open_connections.add(held)
        return held.connection, held.cursor

    # -- shared checks ----------------------------------------------------------------
    def _check_run_writable(self, cursor: Any, run_id: str) -> None:
        """Raise unless the run exists and is active (the run-state row, read with ``cursor``)."""
        cursor.execute(self._hot.run_state.sql, self._hot.run_state.args({"run_uuid": run_id}))
        row = cursor.fetchone()
        self._raise_for_run_state(run_id, row[0] if row else None)

    @staticmethod
    def _raise_for_run_state(run_id: str, stage: Optional[str]) -> None:
        if stage is None:
            raise ResourceNotFoundError(f"Run with id {run_id!r} not found")
        if stage != LifecycleStage.ACTIVE:
            raise InvalidStateError(
                f"Run {run_id!r} is deleted (lifecycle_stage {stage!r}): a deleted run accepts no "
                f"metrics, params or tags; restore it first"
            )

    @staticmethod
    def _experiment_key(experiment_id: Any) -> int:
        """The integer key of an experiment id given as a string; unknown shapes are 'not found'."""
        text = str(experiment_id).strip() if experiment_id is not None else ""
        if not (text.isascii() and text.isdigit()) or len(text) > 18:
            raise ResourceNotFoundError(f"No experiment with id {experiment_id!r}")
        return int(text)
