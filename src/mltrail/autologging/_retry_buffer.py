"""Autologging writes the tracking store did not take, kept in memory and retried (issue 13).

When a store write of an autologged call fails because the store is unavailable (a
server down, restarting or stalled, a database that cannot be reached, a full disk),
the write (``log_batch`` or ``finish_run`` with its metrics, params, tags and dataset
inputs) is handed to this process's :class:`RetryBuffer` and the training goes on. A
background thread sends the buffered writes again, in order, one attempt at a time,
until the store takes them or they outlive the bound:

- ``MLTRAIL_AUTOLOG_BUFFER_SECONDS`` - how long a write is retried (default 300; 0: never buffer)
- ``MLTRAIL_AUTOLOG_BUFFER_SIZE`` - most metric and param values held (default 100,000);
  past it the oldest writes are dropped

Writes dropped (too old, over the size, refused on retry, or still held at exit after
waiting up to 10 s) are counted, and one warning per outage on ``mltrail.autologging``
says how many. A retry that follows a request that did arrive writes nothing twice: the
store keeps a metric row repeated exactly once, a param re-logged with the same value is
accepted and ending a run again changes nothing.

While a store is down, autologged calls do not wait on it: a new call starts no run
(its training runs unlogged) until :data:`COOL_DOWN_S` seconds have passed, then one
call tries again with a single attempt, waiting at most :data:`PROBE_BOUND_S`; writes of runs already started join the buffer
behind the ones waiting, so their order is kept. The user sees one warning when the
outage starts::

    buffer = retry_buffer()
    buffer.add(client, "log_batch", run_id, {"metrics": metrics}, error)
    buffer.wait(10)  # True once everything buffered is written (or dropped)
"""

from __future__ import annotations

import atexit
import os
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Optional

from ..env_numbers import NumberRule, env_number
from ..exceptions import MltrailError, StoreUnavailableError
from ._reporting import describe_error, logger

SECONDS_ENV = "MLTRAIL_AUTOLOG_BUFFER_SECONDS"
SIZE_ENV = "MLTRAIL_AUTOLOG_BUFFER_SIZE"
DEFAULT_SECONDS = 300.0
DEFAULT_SIZE = 100_000
#: Seconds after a failure during which new autologged calls start no run.
COOL_DOWN_S = 5.0
#: Most seconds the call trying a down store again waits for it (a stalled store costs this, not the full bound).
PROBE_BOUND_S = 2.0
#: Most seconds the interpreter waits at exit for buffered writes.
EXIT_WAIT_S = 10.0
#: Retries of an autologged call's own request while the store is up (the buffer does the rest).
FOREGROUND_RETRIES = 2
_RETRY_PAUSE_S = (0.2, 5.0)  # first pause between background attempts, doubled up to the second
_RETRYABLE_CODES = frozenset({"TEMPORARILY_UNAVAILABLE", "INTERNAL_ERROR"})


def _env_number(name: str, default: float) -> float:
    return env_number(name, default, NumberRule(minimum=0), strict=False)  # never breaks training over a typo


def is_retryable(exc: BaseException) -> bool:
    """Whether a store error means "try again later" (unavailable, stalled, a server error).

    >>> is_retryable(StoreUnavailableError("down"))
    True
    """
    return isinstance(exc, StoreUnavailableError) or (
        isinstance(exc, MltrailError) and exc.error_code in _RETRYABLE_CODES
    )


@dataclass
class _Write:
    """One buffered store write: ``getattr(client, method)(run_id, **kwargs)``."""

    client: Any
    method: str
    run_id: str
    kwargs: dict
    since: float
    size: int


@dataclass
class _Outage:
    """What one store's outage cost so far."""

    until: float  # monotonic time before which new calls start no run
    dropped: dict = field(default_factory=lambda: {"writes": 0, "metrics": 0, "params": 0, "tags": 0})
    runs: set = field(default_factory=set)
    reason: str = ""


def _size(kwargs: dict) -> int:
    return sum(len(kwargs.get(k) or ()) for k in ("metrics", "params"))


class RetryBuffer:
    """The process's buffered autologging writes, per tracking store, and the thread retrying them."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._writes: dict[str, deque[_Write]] = {}
        self._outages: dict[str, _Outage] = {}
        self._held = 0
        self._thread: Optional[threading.Thread] = None
        self._pid = os.getpid()

    # -- what autologged calls ask --------------------------------------------
    def holds(self, key: str) -> bool:
        """Whether writes to store ``key`` are waiting (a new write must queue behind them)."""
        return bool(self._writes.get(key))

    def down(self, key: str) -> bool:
        """Whether store ``key`` failed less than :data:`COOL_DOWN_S` seconds ago (new calls start no run)."""
        outage = self._outages.get(key)
        return outage is not None and time.monotonic() < outage.until

    def covers(self, key: str, exc: BaseException) -> bool:
        """Whether ``exc`` is the store ``key`` being unavailable during an outage already warned about
        (a figure or model that could not be stored then is not warned about again)."""
        return key in self._outages and is_retryable(exc)

    def outages(self) -> frozenset:
        """The stores (keys) that failed and have not answered since."""
        return frozenset(self._outages)

    def retries(self, key: str) -> int:
        """How many retries a call's own request to ``key`` gets: none while an outage lasts."""
        return 0 if key in self._outages else FOREGROUND_RETRIES

    def failed(self, key: str, exc: BaseException, what: str, integration: str = "", silent: bool = False) -> None:
        """Note that a write to ``key`` failed with a retryable error; warn when an outage starts."""
        with self._cond:
            outage = self._outages.get(key)
            starts = outage is None
            if starts:
                outage = self._outages[key] = _Outage(0.0, reason=describe_error(exc))
            outage.until = time.monotonic() + COOL_DOWN_S
        if starts:
            seconds = _env_number(SECONDS_ENV, DEFAULT_SECONDS)
            who = f" ({integration})" if integration else ""
            message = (
                f"mltrail autologging{who}: could not {what}: {describe_error(exc)}. Until the tracking store "
                f"answers again, new autologged calls are not logged and the writes of runs already "
                f"started are kept in memory and retried for up to {seconds:g} s ({SECONDS_ENV}); "
                "figures and models they could not store are not retried. The result of your call is unaffected."
            )
            logger.log(10 if silent else 30, message)

    def succeeded(self, key: str) -> None:
        """A call's own write to ``key`` went through: the outage (if any, and nothing is held) is over."""
        if key in self._outages and not self.holds(key):
            with self._cond:
                self._end_outage(key)

    def add(self, key: str, client: Any, method: str, run_id: str, kwargs: dict) -> bool:
        """Buffer ``client.<method>(run_id, **kwargs)``; False (nothing kept) when buffering is off."""
        seconds = _env_number(SECONDS_ENV, DEFAULT_SECONDS)
        if seconds <= 0:
            with self._cond:
                self._drop(key, _Write(client, method, run_id, kwargs, time.monotonic(), _size(kwargs)))
                if not self.holds(key):
                    self._report(key)
            return False
        write = _Write(client, method, run_id, kwargs, time.monotonic(), _size(kwargs))
        limit = int(_env_number(SIZE_ENV, DEFAULT_SIZE))
        with self._cond:
            self._ensure_worker()
            self._outages.setdefault(key, _Outage(time.monotonic() + COOL_DOWN_S))
            queue = self._writes.setdefault(key, deque())
            queue.append(write)
            self._held += write.size
            while self._held > limit:
                oldest_key, oldest = min(((k, q) for k, q in self._writes.items() if q), key=lambda kq: kq[1][0].since)
                dropped = oldest.popleft()
                self._held -= dropped.size
                self._drop(oldest_key, dropped)
            self._cond.notify_all()
        return True

    def pending(self) -> int:
        """How many writes are waiting, over every store."""
        return sum(len(q) for q in self._writes.values())

    def wait(self, timeout: Optional[float] = None) -> bool:
        """Wait until every buffered write is written or dropped; False when ``timeout`` ran out first."""
        with self._cond:
            return self._cond.wait_for(lambda: not self.pending(), timeout)

    def reset(self) -> None:
        """Forget every outage and held write, silently (for tests: each starts with the store up)."""
        with self._cond:
            self._writes, self._outages, self._held = {}, {}, 0
            self._cond.notify_all()

    # -- the worker -------------------------------------------------------------
    def _drop(self, key: str, write: _Write) -> None:
        outage = self._outages.setdefault(key, _Outage(0.0))
        outage.dropped["writes"] += 1
        for kind in ("metrics", "params", "tags"):
            outage.dropped[kind] += len(write.kwargs.get(kind) or ())
        outage.runs.add(write.run_id)

    def _end_outage(self, key: str) -> None:
        self._report(key)
        self._outages.pop(key, None)
        self._writes.pop(key, None)
        self._cond.notify_all()

    def _report(self, key: str) -> None:
        outage = self._outages.get(key)
        if outage is None or not outage.dropped["writes"]:
            return
        d = outage.dropped
        logger.warning(
            f"mltrail autologging: dropped {d['metrics']} metrics, {d['params']} params and {d['tags']} tags "
            f"({d['writes']} writes to {len(outage.runs)} runs) that the tracking store at {key} did not take "
            f"in time ({outage.reason or 'it was unavailable'}; {SECONDS_ENV}, {SIZE_ENV})."
        )
        outage.dropped = {"writes": 0, "metrics": 0, "params": 0, "tags": 0}
        outage.runs = set()

    def _ensure_worker(self) -> None:
        if self._pid != os.getpid():  # forked: the parent's thread and writes are not ours
            self._writes, self._outages, self._held, self._thread = {}, {}, 0, None
            self._pid = os.getpid()
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._work, name="mltrail-autolog-retry", daemon=True)
            self._thread.start()

    def _next(self) -> Optional[tuple[str, _Write]]:
        """The oldest write still in time (dropping expired ones); None when nothing is held."""
        seconds = _env_number(SECONDS_ENV, DEFAULT_SECONDS)
        for key in list(self._writes):
            queue = self._writes[key]
            while queue and time.monotonic() - queue[0].since > seconds:
                self._held -= queue[0].size
                self._drop(key, queue.popleft())
            if not queue:
                self._end_outage(key)
        heads = [(k, q[0]) for k, q in self._writes.items() if q]
        return min(heads, key=lambda kw: kw[1].since) if heads else None

    def _work(self) -> None:
        from .._http import limit_retries

        pause = _RETRY_PAUSE_S[0]
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._next() is not None)
                key, write = self._next()  # type: ignore[misc]
            try:
                with limit_retries(0):
                    getattr(write.client, write.method)(write.run_id, **write.kwargs)
                error: Optional[BaseException] = None
            except Exception as exc:  # noqa: BLE001 - decided below
                error = exc
            with self._cond:
                queue = self._writes.get(key)
                if error is not None and is_retryable(error):
                    self._outages.setdefault(key, _Outage(0.0)).reason = describe_error(error)
                    self._outages[key].until = time.monotonic() + COOL_DOWN_S
                    self._cond.wait(pause)
                    pause = min(pause * 2, _RETRY_PAUSE_S[1])
                    continue
                pause = _RETRY_PAUSE_S[0]
                if queue and queue[0] is write:
                    queue.popleft()
                    self._held -= write.size
                    if error is not None:  # refused for good (the run was deleted meanwhile...)
                        self._outages.setdefault(key, _Outage(0.0)).reason = describe_error(error)
                        self._drop(key, write)
                if not self.holds(key):
                    self._end_outage(key)
                self._cond.notify_all()

    def _at_exit(self) -> None:
        if self._pid == os.getpid() and self.pending():
            self.wait(min(EXIT_WAIT_S, _env_number(SECONDS_ENV, DEFAULT_SECONDS)))
            with self._cond:
                for key, queue in self._writes.items():
                    while queue:
                        write = queue.popleft()
                        self._held -= write.size
                        self._drop(key, write)
                    self._report(key)


_buffer = RetryBuffer()
atexit.register(_buffer._at_exit)


def retry_buffer() -> RetryBuffer:
    """The process-wide buffer of autologging writes waiting for their store."""
    return _buffer
