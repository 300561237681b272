"""Crashed-run detection in the SQL store: run owners, their heartbeats, and dead runs marked KILLED.

A process that creates runs through mltrail registers an *owner* row in
``run_owners`` once and refreshes its ``heartbeat_time`` every few seconds
from a daemon thread (:mod:`mltrail.store.liveness`); runs it creates carry
its ``owner_id`` in the same INSERT, so logging costs no extra statement.
Every time is the database's clock, so writers on machines whose clocks
disagree are judged alike.

A RUNNING run whose owner's ``heartbeat_time + timeout_ms`` has passed
belongs to a process that died (SIGKILL, OOM, a lost machine): readers
(:meth:`LivenessOps.reap_dead_runs`, run at most once a second by ``get_run``
and ``search_runs``, by the web UI's runs table and by ``mltrail gc``) mark it
KILLED with the last heartbeat as its end time, and record that heartbeat as
the owner's ``killed_time``. If the owner heartbeats again later (a process
paused with SIGSTOP, a suspended laptop), those runs become RUNNING again.
Runs without an owner (the stock mlflow client's, runs a process left
RUNNING at a clean exit) are never touched.

>>> store.heartbeat_owner("5f0c...", timeout_ms=30000, host="gpu-1", pid=4242)
True
>>> store.reap_dead_runs()
0
"""

from __future__ import annotations

import logging
import time
from typing import Any

import sqlalchemy as sa

from ...entities import RunStatus
from ...exceptions import InvalidParameterError
from ..validation import validate_owner_id
from .core import SqlStoreCore
from .models import run_owners, runs

_log = logging.getLogger(__name__)

#: Longest heartbeat timeout a process may declare (a week).
MAX_TIMEOUT_MS = 7 * 24 * 3600 * 1000
#: Seconds between two dead-run checks made by the readers of one store.
REAP_CHECK_INTERVAL_S = 1.0


def db_now_ms(dialect: str) -> Any:
    """The database's current time in epoch milliseconds, as a SQL expression."""
    if dialect == "postgresql":
        return sa.literal_column("CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)")
    if dialect == "mysql":
        return sa.literal_column("CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED)")
    return sa.literal_column("CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)")


class LivenessOps(SqlStoreCore):
    """Owners of runs, their heartbeats, and KILLED for runs whose owner died."""

    _next_reap_check = 0.0
    #: The heartbeat's transactions: ``_write`` under its own name, because they belong to the
    #: process (a daemon thread, every few seconds), not to whatever call is running meanwhile.
    _owner_write = SqlStoreCore._write

    def _now(self) -> Any:
        return db_now_ms(self._engine.dialect.name)

    def heartbeat_owner(self, owner_id: str, timeout_ms: int, host: str = "", pid: int = 0) -> bool:
        """Record that process ``owner_id`` is alive (registering it the first time).

        If its runs were marked KILLED meanwhile (it stopped heartbeating for
        longer than ``timeout_ms`` and came back), they are RUNNING again.

        >>> store.heartbeat_owner(owner_id, timeout_ms=30000, host="gpu-1", pid=4242)
        True
        """
        validate_owner_id(owner_id)
        if isinstance(timeout_ms, bool) or not isinstance(timeout_ms, int) or not 0 < timeout_ms <= MAX_TIMEOUT_MS:
            raise InvalidParameterError(
                f"Invalid heartbeat timeout {timeout_ms!r} ms: must be an integer from 1 to {MAX_TIMEOUT_MS}"
            )
        owner = run_owners.c
        with self._owner_write() as conn:
            beat = run_owners.update().values(heartbeat_time=self._now(), timeout_ms=int(timeout_ms))
            if conn.execute(beat.where(owner.owner_id == owner_id, owner.killed_time.is_(None))).rowcount:
                return True  # the usual beat: one statement
            # no lock on a missing row (MySQL's gap locks would make registrations deadlock)
            killed_time = conn.execute(sa.select(owner.killed_time).where(owner.owner_id == owner_id)).first()
            if killed_time is None:
                conn.execute(
                    run_owners.insert().values(
                        owner_id=owner_id, heartbeat_time=self._now(), timeout_ms=int(timeout_ms),
                        killed_time=None, host=host[:255], pid=int(pid),
                    )
                )
                return True
            # back from the dead (it had stopped heartbeating): its runs were only presumed killed
            revived = beat.where(owner.owner_id == owner_id, owner.killed_time == killed_time[0]).values(killed_time=None)
            if conn.execute(revived).rowcount:
                conn.execute(
                    runs.update()
                    .where(
                        runs.c.owner_id == owner_id,
                        runs.c.status == RunStatus.KILLED.value,
                        runs.c.end_time == killed_time[0],
                    )
                    .values(status=RunStatus.RUNNING.value, end_time=None)
                )
        return True

    def release_owner(self, owner_id: str) -> None:
        """A clean end of process ``owner_id``: its runs still RUNNING stay so, with no owner.

        >>> store.release_owner(owner_id)
        """
        with self._write() as conn:
            conn.execute(
                runs.update()
                .where(runs.c.owner_id == owner_id, runs.c.status == RunStatus.RUNNING.value)
                .values(owner_id=None)
            )
            conn.execute(run_owners.delete().where(run_owners.c.owner_id == owner_id))

    def reap_dead_runs(self) -> int:
        """Mark KILLED every RUNNING run whose owner's heartbeat is older than its timeout.

        Returns the number of runs marked. The end time of each is its owner's
        last heartbeat.

        >>> store.reap_dead_runs()
        1
        """
        owner = run_owners.c
        stale = sa.select(owner.owner_id, owner.heartbeat_time).where(
            owner.killed_time.is_(None), owner.heartbeat_time + owner.timeout_ms < self._now()
        )
        with self._read() as conn:
            dead = conn.execute(stale).all()
        killed = 0
        for owner_id, heartbeat in dead:
            with self._write() as conn:
                # only if it did not heartbeat since we looked (the row is locked until commit)
                claimed = conn.execute(
                    run_owners.update()
                    .where(owner.owner_id == owner_id, owner.heartbeat_time == heartbeat, owner.killed_time.is_(None))
                    .values(killed_time=heartbeat)
                ).rowcount
                if claimed:
                    killed += conn.execute(
                        runs.update()
                        .where(runs.c.owner_id == owner_id, runs.c.status == RunStatus.RUNNING.value)
                        .values(status=RunStatus.KILLED.value, end_time=heartbeat)
                    ).rowcount
        return killed

    def reap_dead_runs_if_due(self) -> None:
        """:meth:`reap_dead_runs` at most once per :data:`REAP_CHECK_INTERVAL_S` (readers call it).

        >>> store.reap_dead_runs_if_due()

        A reader that may not write (a read-only database user) keeps reporting
        what is stored.
        """
        now = time.monotonic()
        if now < self._next_reap_check:
            return
        self._next_reap_check = now + REAP_CHECK_INTERVAL_S
        try:
            self.reap_dead_runs()
        except Exception as exc:  # noqa: BLE001 - a failed check must not fail the read
            _log.debug("Could not check for runs of dead processes in %s: %s", self, exc)
