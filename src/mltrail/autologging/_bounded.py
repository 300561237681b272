"""Store writes of autologging bounded in time (DESIGN.md runtime rule 7).

:func:`run_bounded` runs a write on a worker thread (a small pool of daemon
threads, reused: a SQLite store keeps one connection per thread) in a copy of
the caller's context, waits at most the bound and then raises
:class:`StoreStalled`; the write may still finish later on its thread. When
the write finishes in time, the context variables it changed (the active-run
stack) are set in the caller's context too, so ``start_run``/``end_run`` work
through it as if called directly.

The bound is ``MLTRAIL_AUTOLOG_WRITE_TIMEOUT`` seconds (default 30; ``0``
means no bound, the write runs on the caller's thread)::

    run = run_bounded(client.create_run, ("0",), {}, write_timeout())
"""

from __future__ import annotations

import contextvars
import os
import queue
import threading
from typing import Any, Callable, Optional

from ..env_numbers import NumberRule, env_number
from ..exceptions import StoreUnavailableError

WRITE_TIMEOUT_ENV = "MLTRAIL_AUTOLOG_WRITE_TIMEOUT"
#: Seconds an autologged call waits for one store write by default.
DEFAULT_WRITE_TIMEOUT_S = 30.0
_MAX_IDLE_WORKERS = 2
_MISSING = object()


#: What MLTRAIL_AUTOLOG_WRITE_TIMEOUT accepts; a bad value is warned about once and ignored.
WRITE_TIMEOUT_RULE = NumberRule("seconds", note="0 or less: no bound")


class StoreStalled(StoreUnavailableError):
    """The tracking store did not answer an autologging write within the bound."""


def write_timeout() -> Optional[float]:
    """The bound in seconds (None: unbounded), from ``MLTRAIL_AUTOLOG_WRITE_TIMEOUT``.

    >>> write_timeout()
    30.0
    """
    value = env_number(WRITE_TIMEOUT_ENV, DEFAULT_WRITE_TIMEOUT_S, WRITE_TIMEOUT_RULE, strict=False)
    return value if value > 0 else None


class _Workers:
    """Daemon threads running one job at a time; idle ones wait for the next job."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._idle: list[queue.SimpleQueue] = []
        self._pid = os.getpid()

    def submit(self, job: Callable[[], None]) -> None:
        with self._lock:
            if self._pid != os.getpid():  # forked: the parent's threads do not exist here
                self._idle, self._pid = [], os.getpid()
            jobs = self._idle.pop() if self._idle else None
        if jobs is None:
            jobs = queue.SimpleQueue()
            threading.Thread(target=self._serve, args=(jobs,), name="mltrail-autolog-writer", daemon=True).start()
        jobs.put(job)

    def _serve(self, jobs: queue.SimpleQueue) -> None:
        while True:
            jobs.get()()
            with self._lock:
                if len(self._idle) >= _MAX_IDLE_WORKERS:
                    return
                self._idle.append(jobs)


_workers = _Workers()


def run_bounded(function: Callable[..., Any], args: tuple, kwargs: dict, bound: Optional[float]) -> Any:
    """``function(*args, **kwargs)`` on a worker thread, waiting at most ``bound`` seconds.

    Returns its result or raises its exception; past the bound raises :class:`StoreStalled`.
    """
    if bound is None:
        return function(*args, **kwargs)
    context = contextvars.copy_context()
    outcome: dict[str, Any] = {}
    done = threading.Event()

    def job() -> None:
        try:
            outcome["value"] = context.run(function, *args, **kwargs)
        except BaseException as exc:  # handed to the caller
            outcome["error"] = exc
        finally:
            done.set()

    _workers.submit(job)
    if not done.wait(bound):
        raise StoreStalled(
            f"the tracking store did not answer within {bound:g} s ({WRITE_TIMEOUT_ENV})"
        )
    for var, value in context.items():  # what the write changed (the active-run stack) holds here too
        if var.get(_MISSING) is not value:
            var.set(value)
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")
