"""This process's heartbeat: what lets readers tell a crashed run (KILLED) from a running one.

The first run a process creates in a store registers the process as an
*owner* there (one write, once per process and store) and starts one daemon
thread per process that refreshes the owner's heartbeat every
``timeout / 5`` seconds (one small write per process, never per run or per
logged value). Runs carry their owner's id, written by the same INSERT that
creates them, so ``log_metric``, ``log_batch``, ``create_run`` and
``finish_run`` cost no extra statement. A process that dies without a clean
exit (SIGKILL, OOM, a lost machine) stops heartbeating, and once its
timeout has passed readers report its RUNNING runs KILLED (see
:mod:`mltrail.store.sql.liveness_ops`). At a clean exit (or ``store.close()``)
the process releases its runs: any still RUNNING stay RUNNING, as in MLflow.

``MLTRAIL_RUN_HEARTBEAT_TIMEOUT`` (seconds, default 30; 0 turns ownership off)
is read when a process registers, and stored with its owner row, so readers
judge each process by its own setting.

>>> owner_id = owner_for(store)          # registers this process, starts the heartbeat thread
>>> run = store.create_run("1", "ana", None, owner_id=owner_id)
"""

from __future__ import annotations

import atexit
import logging
import os
import socket
import threading
import time
import uuid
import weakref
from dataclasses import dataclass
from typing import Any, Optional

from ..env_numbers import NumberRule, env_number

HEARTBEAT_TIMEOUT_ENV = "MLTRAIL_RUN_HEARTBEAT_TIMEOUT"
#: Seconds without a heartbeat after which a process's RUNNING runs are reported KILLED.
DEFAULT_HEARTBEAT_TIMEOUT_S = 30.0
#: Heartbeats per timeout: a process must miss this many in a row before its runs look dead.
BEATS_PER_TIMEOUT = 5
#: What ``MLTRAIL_RUN_HEARTBEAT_TIMEOUT`` accepts.
HEARTBEAT_TIMEOUT_RULE = NumberRule("seconds", minimum=0, note="0: off")

_log = logging.getLogger(__name__)


def heartbeat_timeout() -> float:
    """Seconds from ``MLTRAIL_RUN_HEARTBEAT_TIMEOUT`` (default 30; 0: no ownership, runs never presumed dead).

    >>> heartbeat_timeout()
    30.0
    """
    return env_number(HEARTBEAT_TIMEOUT_ENV, DEFAULT_HEARTBEAT_TIMEOUT_S, HEARTBEAT_TIMEOUT_RULE, strict=True)


@dataclass
class _Owner:
    store: "weakref.ref[Any]"
    owner_id: Optional[str]  # None: the store keeps no owners (an older server)
    pid: int
    timeout_ms: int


_lock = threading.Lock()
_owners: dict[int, _Owner] = {}
_thread_pid: Optional[int] = None
_HOST = socket.gethostname()


def owner_for(store: Any) -> Optional[str]:
    """This process's owner id in ``store``, registered (one heartbeat) on first use; None when off.

    >>> run = store.create_run("1", "ana", None, owner_id=owner_for(store))
    """
    pid = os.getpid()
    found = _owners.get(id(store))
    if found is not None and found.pid == pid and found.store() is store:
        return found.owner_id
    timeout = heartbeat_timeout()
    if not timeout:
        return None
    with _lock:
        found = _owners.get(id(store))
        if found is not None and found.pid == pid and found.store() is store:
            return found.owner_id
        timeout_ms = max(1, int(timeout * 1000))
        owner_id = uuid.uuid4().hex
        try:
            supported = store.heartbeat_owner(owner_id, timeout_ms, _HOST, pid)
        except Exception as exc:  # noqa: BLE001 - this run gets no owner; the next create tries again
            _log.debug("Could not register run owner in %s: %s", store, exc)
            return None
        _owners[id(store)] = _Owner(weakref.ref(store), owner_id if supported else None, pid, timeout_ms)
        if supported:
            _start_thread(pid)
    return owner_id if supported else None


def release(store: Any) -> None:
    """Forget this process's owner in ``store`` (runs still RUNNING stay so); ``store.close()`` calls it."""
    with _lock:
        found = _owners.get(id(store))
        if found is None or found.store() is not store:
            return
        del _owners[id(store)]
    if found.owner_id is not None and found.pid == os.getpid():
        try:
            store.release_owner(found.owner_id)
        except Exception as exc:  # noqa: BLE001 - the runs then end KILLED after the timeout
            _log.debug("Could not release run owner %s in %s: %s", found.owner_id, store, exc)


def _start_thread(pid: int) -> None:
    """Start the heartbeat thread of this process (after a fork the child needs its own)."""
    global _thread_pid
    if _thread_pid == pid:
        return
    _thread_pid = pid
    threading.Thread(target=_beat_forever, name="mltrail-heartbeat", daemon=True).start()


def _beat_forever() -> None:
    pid = os.getpid()
    while _thread_pid == pid:
        owners = [o for o in list(_owners.values()) if o.pid == pid and o.owner_id is not None]
        interval = min((o.timeout_ms for o in owners), default=DEFAULT_HEARTBEAT_TIMEOUT_S * 1000) / 1000
        time.sleep(interval / BEATS_PER_TIMEOUT)
        for owner in owners:
            store = owner.store()
            if store is None or _owners.get(id(store)) is not owner:
                continue
            try:
                store.heartbeat_owner(owner.owner_id, owner.timeout_ms, _HOST, pid)
            except Exception as exc:  # noqa: BLE001 - the store is down: the next beat tries again
                _log.debug("Heartbeat of run owner %s in %s failed: %s", owner.owner_id, store, exc)


def _release_all_at_exit() -> None:
    """A clean exit: release every owner of this process (its RUNNING runs are not presumed dead)."""
    for owner in list(_owners.values()):
        store = owner.store()
        if store is not None:
            release(store)


atexit.register(_release_all_at_exit)
