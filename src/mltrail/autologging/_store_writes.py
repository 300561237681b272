"""The tracking store as one autologged call writes to it: bounded, and kept for retry when down.

Rule 7 of DESIGN.md: every store write of a call (starting its run, batches,
ending the run, child runs) waits at most ``MLTRAIL_AUTOLOG_WRITE_TIMEOUT``
seconds (see :mod:`._bounded`); once one write outlasted the bound, the
call's later writes fail at once. A batch or run end the store did not take
(unavailable, stalled) is kept in memory and retried in the background, and
while the store is known to be down no call starts a run or waits on it
(see :mod:`._retry_buffer`: one warning per outage)::

    store = CallStore("sklearn", silent=False)
    run = store.start_run()                     # None while the store is down
    store.write(lambda: store.client.log_batch(run_id, **kwargs), "log_batch", run_id, kwargs)
"""

from __future__ import annotations

import copy
from typing import Any, Callable, Optional

from .._http import limit_retries
from ._bounded import StoreStalled, run_bounded, write_timeout
from ._retry_buffer import PROBE_BOUND_S, is_retryable, retry_buffer
from ._scope import start_autolog_run


class CallStore:
    """The store writes of one autologged call (and of the child runs it writes).

    ``client`` is the ``mltrail.Client`` written to: the active run's when the
    call found or started one, else one for the tracking URI (created once).
    ``stalled`` is set once a write outlasted the bound.
    """

    __slots__ = ("integration_name", "silent", "known_client", "stalled")

    def __init__(self, integration_name: str, silent: bool) -> None:
        self.integration_name = integration_name
        self.silent = silent
        #: The client once known (``client`` resolves it on first use).
        self.known_client: Any = None
        #: Set once a store write outlasted the bound: later writes of this call are skipped.
        self.stalled: Optional[StoreStalled] = None

    @property
    def client(self) -> Any:
        """A ``mltrail.Client`` for this call's tracking URI (created once per call)."""
        if self.known_client is None:
            from .. import fluent
            from ..client import Client

            active = fluent.active_run()
            self.known_client = active.client if active is not None else Client()
        return self.known_client

    def fork(self) -> "CallStore":
        """A store for a child run's writes: the same client and, when known, the same stall."""
        return copy.copy(self)

    def is_local(self) -> bool:
        """Whether this call writes to an embedded SQLite store (its own busy timeout bounds it)."""
        engine = getattr(getattr(self.client, "_tracking_store", None), "engine", None)
        return engine is not None and engine.dialect.name == "sqlite"

    def bounded(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """``function(*args, **kwargs)``, a store write, bounded by MLTRAIL_AUTOLOG_WRITE_TIMEOUT.

        Raises :class:`StoreStalled` past the bound, and at once for every
        later write of this call (the store is known to hang).
        """
        if self.stalled is not None:
            raise self.stalled
        if self.is_local():  # a SQLite file cannot stall on a network: no thread handoff (~2.5 ms a call)
            return function(*args, **kwargs)
        try:
            return run_bounded(function, args, kwargs, write_timeout())
        except StoreStalled as exc:
            self.stalled = exc
            raise

    def write(self, write: Callable[[], Any], method: str, run_id: Optional[str], kwargs: dict) -> None:
        """``write()``, a data write (``client.<method>(run_id, **kwargs)``), bounded; kept in memory
        and retried in the background when the store is unavailable (or already holding writes
        back: their order is kept). Other errors propagate."""
        buffer, key = retry_buffer(), self.client._tracking_uri
        if not (buffer.holds(key) or buffer.down(key)):
            try:
                with limit_retries(buffer.retries(key)):
                    self.bounded(write)
            except Exception as exc:
                if not is_retryable(exc):
                    raise
                self.outage(key, exc, "write params, metrics and tags")
            else:
                buffer.succeeded(key)
                return
        buffer.add(key, self.client, method, run_id, kwargs)

    def outage(self, key: str, exc: BaseException, what: str) -> None:
        """Tell the retry buffer that store ``key`` is unavailable (it warns once per outage)."""
        retry_buffer().failed(key, exc, what, self.integration_name, silent=self.silent)

    def start_run(self) -> Any:
        """Start the call's run (an ``ActiveRun``); None, without waiting, while the store is known
        to be down or when it turns out unavailable now (warned once per outage)."""
        from ..config import get_tracking_uri

        key = get_tracking_uri()
        if retry_buffer().down(key):
            return None
        try:
            if key in retry_buffer().outages() and not self.is_local():  # probing a store that was down
                bound = min(write_timeout() or PROBE_BOUND_S, PROBE_BOUND_S)
                return run_bounded(start_autolog_run, (self.integration_name,), {"silent": self.silent}, bound)
            return self.bounded(start_autolog_run, self.integration_name, silent=self.silent)
        except Exception as exc:
            if not is_retryable(exc):
                raise
            self.outage(key, exc, "start or find a run")  # warned once (a stall is only known here)
            return None

    def end_run(self, run_id: Optional[str], status: str, batch: dict) -> None:
        """End run ``run_id`` with ``status``, writing ``batch`` (``Client.finish_run`` keyword
        arguments) in the same transaction. When it is the active run it leaves the active-run
        stack, even when its end is only kept for a retry."""
        from .. import fluent
        from ..store.clock import now_ms

        active = fluent.active_run()
        kwargs = {"status": status, "end_time": now_ms(), **batch}
        if active is not None and active.info.run_id == run_id:
            try:  # also leaves the fluent stack
                finish = lambda: fluent.finish_active_run(status, **batch)  # noqa: E731
                self.write(finish, "finish_run", run_id, kwargs)
            finally:
                fluent.leave_active_run(active)  # buffered or stalled: the run must not stay active
        else:
            self.write(lambda: self.client.finish_run(run_id, **kwargs), "finish_run", run_id, kwargs)
