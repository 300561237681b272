"""Asynchronous logging: ``synchronous=False`` calls queue their data; a background thread writes it.

The worker takes everything queued so far, groups it per run and writes each
group with one ``log_batch`` transaction (split at MLflow's batch limits), so
a training loop logging thousands of values costs a few transactions. As in
MLflow, a failed write does not raise at the call site: the error is logged
on logger ``mltrail`` and raised by :meth:`RunOperations.wait`. A batch that
fails is written again call by call, so one bad value (a param re-logged with
another value) costs only its own call; everything else is stored.

Queued data is written before a run ends (``end_run`` flushes its run), at
:func:`flush_async_logging` and at interpreter exit::

    ops = client.log_metric(run_id, "loss", 0.3, step=1, synchronous=False)
    ops.wait()   # raises MlflowException if that write failed

Public for the fluent layer, which shares the client's queue:
:func:`is_synchronous` decides what ``synchronous=None`` means and
``async_queue().flush(run_id)`` writes a run's queued values before the run ends.
"""

from __future__ import annotations

import atexit
import concurrent.futures
import logging
import os
import threading
from collections import deque
from typing import Any, Callable, Iterable, Optional, Sequence

from ..entities import Metric, Param, RunTag
from ..exceptions import MltrailError

_logger = logging.getLogger("mltrail")

#: Environment variables that make ``synchronous=None`` mean asynchronous (MLflow's name first).
ASYNC_LOGGING_ENV = ("MLFLOW_ENABLE_ASYNC_LOGGING", "MLTRAIL_ENABLE_ASYNC_LOGGING")
#: Most entries of one kind written per transaction (MLflow's log_batch limits).
MAX_METRICS_PER_BATCH = 1000
MAX_PARAMS_PER_BATCH = 100
MAX_TAGS_PER_BATCH = 100
#: Most queued calls the worker takes at once.
MAX_CALLS_PER_DRAIN = 10_000


def async_logging_enabled() -> bool:
    """True when ``MLFLOW_ENABLE_ASYNC_LOGGING`` (or ``MLTRAIL_ENABLE_ASYNC_LOGGING``) is true.

    >>> os.environ["MLFLOW_ENABLE_ASYNC_LOGGING"] = "true"; async_logging_enabled()
    True
    """
    for name in ASYNC_LOGGING_ENV:
        value = os.environ.get(name)
        if value is not None and value.strip():
            return value.strip().lower() in ("1", "true", "yes", "on")
    return False


def is_synchronous(synchronous: Optional[bool]) -> bool:
    """What a ``synchronous`` argument means: None follows the environment (synchronous by default)."""
    return bool(synchronous) if synchronous is not None else not async_logging_enabled()


class RunOperations:
    """Handle of queued logging calls (MLflow's ``RunOperations``): ``wait()`` until they are written.

    >>> ops = mlflow.log_param("alpha", 0.1, synchronous=False)
    >>> ops.wait()   # raises MlflowException naming every failed write
    """

    def __init__(self, operation_futures: Optional[Iterable[concurrent.futures.Future]] = None) -> None:
        self._operation_futures = list(operation_futures or [])

    def wait(self, timeout: Optional[float] = None) -> None:
        """Block until every operation is written; raise MlflowException listing the failures."""
        failures = []
        for future in self._operation_futures:
            try:
                future.result(timeout=timeout)
            except Exception as exc:  # noqa: BLE001 - reported together below
                failures.append(exc)
        if failures:
            raise MltrailError(
                "The following failures occurred while performing one or more async logging "
                f"operations: {failures}"
            )


def get_combined_run_operations(run_operations_list: Sequence[Optional[RunOperations]]) -> RunOperations:
    """One handle over several (MLflow's helper of that name); None entries are skipped."""
    futures: list[concurrent.futures.Future] = []
    for ops in run_operations_list:
        if ops is not None:
            futures.extend(ops._operation_futures)
    return RunOperations(futures)


class _Call:
    """One queued call: what to write to which run, and the future its caller may wait on."""

    __slots__ = ("store", "run_id", "metrics", "params", "tags", "future")

    def __init__(self, store: Any, run_id: str, metrics: list, params: list, tags: list) -> None:
        self.store = store
        self.run_id = run_id
        self.metrics = metrics
        self.params = params
        self.tags = tags
        self.future: concurrent.futures.Future = concurrent.futures.Future()


def _batches(calls: list[_Call]) -> list[list[_Call]]:
    """Consecutive calls of one run cut into batches within the limits; a repeated param key starts a new batch.

    A param logged twice in one batch could not be told apart from a conflict, so the
    second one goes into the next batch (written after the first, compared with it).
    """
    batches: list[list[_Call]] = []
    current: list[_Call] = []
    counts = [0, 0, 0]
    params: set[str] = set()
    for call in calls:
        sizes = (len(call.metrics), len(call.params), len(call.tags))
        over = any(c + s > limit for c, s, limit in zip(counts, sizes, _LIMITS))
        repeated = any(p.key in params for p in call.params)
        if current and (over or repeated):
            batches.append(current)
            current, counts, params = [], [0, 0, 0], set()
        current.append(call)
        counts = [c + s for c, s in zip(counts, sizes)]
        params.update(p.key for p in call.params)
    if current:
        batches.append(current)
    return batches


_LIMITS = (MAX_METRICS_PER_BATCH, MAX_PARAMS_PER_BATCH, MAX_TAGS_PER_BATCH)


def _write(calls: list[_Call]) -> None:
    """Write one batch of one run in a transaction; if it fails, each call alone; settle the futures."""
    first = calls[0]
    try:
        first.store.log_batch(
            first.run_id,
            [m for c in calls for m in c.metrics],
            [p for c in calls for p in c.params],
            [t for c in calls for t in c.tags],
        )
    except Exception as exc:  # noqa: BLE001 - reported per call below
        if len(calls) == 1:
            _fail(first, exc)
            return
        for call in calls:
            _write([call])
        return
    for call in calls:
        call.future.set_result(None)


def _fail(call: _Call, exc: BaseException) -> None:
    _logger.error("Run Id %s: Failed to log run data: Exception: %s", call.run_id, exc)
    call.future.set_exception(exc)


class AsyncLoggingQueue:
    """The process's queue of asynchronous logging calls and the worker thread writing them."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._queue: deque[_Call] = deque()
        self._busy: list[_Call] = []
        self._thread: Optional[threading.Thread] = None
        self._pid = os.getpid()

    def submit(
        self,
        store: Any,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
    ) -> RunOperations:
        """Queue a write to ``run_id`` and return its handle at once."""
        call = _Call(store, run_id, list(metrics), list(params), list(tags))
        with self._cond:
            self._ensure_worker()
            self._queue.append(call)
            self._cond.notify_all()
        return RunOperations([call.future])

    def submit_checked(self, store: Any, run_id: str, build: Callable[[], tuple]) -> RunOperations:
        """Queue what ``build()`` returns (metrics, params, tags); an error building it fails the handle.

        The caller's values are checked at the call, but, as for a failed
        write, a bad value is logged and raised by ``wait()``, not at the call.
        """
        try:
            metrics, params, tags = build()
        except MltrailError as exc:
            call = _Call(store, run_id, [], [], [])
            _fail(call, exc)
            return RunOperations([call.future])
        return self.submit(store, run_id, metrics, params, tags)

    def flush(self, run_id: Optional[str] = None) -> None:
        """Wait until every queued call (of ``run_id`` only, when given) is written or failed."""
        with self._cond:
            if self._thread is None or self._pid != os.getpid():
                return
            self._cond.wait_for(lambda: not self._pending(run_id))

    def _pending(self, run_id: Optional[str]) -> bool:
        if run_id is None:
            return bool(self._queue or self._busy)
        return any(c.run_id == run_id for c in self._queue) or any(c.run_id == run_id for c in self._busy)

    def _ensure_worker(self) -> None:
        if self._pid != os.getpid():  # forked: the parent's thread and queue are not ours
            self._queue.clear()
            self._busy = []
            self._thread = None
            self._pid = os.getpid()
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._work, name="mltrail-async-logging", daemon=True)
            self._thread.start()

    def _work(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: bool(self._queue))
                taken = [self._queue.popleft() for _ in range(min(len(self._queue), MAX_CALLS_PER_DRAIN))]
                self._busy = taken
            try:
                groups: dict[tuple[int, str], list[_Call]] = {}
                for call in taken:
                    groups.setdefault((id(call.store), call.run_id), []).append(call)
                for calls in groups.values():
                    for batch in _batches(calls):
                        _write(batch)
            except BaseException as exc:  # pragma: no cover - a bug here must not hang flush()
                for call in taken:
                    if not call.future.done():
                        _fail(call, exc)
            finally:
                with self._cond:
                    self._busy = []
                    self._cond.notify_all()


_queue = AsyncLoggingQueue()


def async_queue() -> AsyncLoggingQueue:
    """The process-wide asynchronous logging queue."""
    return _queue


def flush_async_logging() -> None:
    """Wait until every asynchronously logged value is written (MLflow's ``mlflow.flush_async_logging``).

    >>> mlflow.log_metric("loss", 0.3, synchronous=False)
    >>> mlflow.flush_async_logging()
    """
    _queue.flush()


atexit.register(flush_async_logging)
