"""The background artifact writer: optional artifacts drawn and stored off the training thread.

Drawing a plot or sklearn's ``estimator.html`` costs a few to ten
milliseconds, as much as all the rest of autologging a small fit. An
integration captures what the artifact needs *now* (small arrays, a
string, never a reference to the user's training data) and hands a
``render`` function to :func:`submit`; one daemon thread runs the renders in
submission order and writes the files into the run's artifact folder::

    from mltrail.autologging import background

    counts = confusion_matrix(y, y_pred)                      # captured on the caller's thread
    background.submit(run_id, lambda: {"confusion.png": draw(counts)}, artifact_uri=uri)
    ...
    background.flush(run_id)                                  # True: every file of run_id is stored

When are the files there? Autologging returns from the user's call (and ends
a run it created) without waiting; the artifacts follow shortly after (see
below). They are complete, in this process, when

- ``mltrail.flush_artifacts()`` (or :func:`flush`) returns True;
- ``Client.list_artifacts`` / ``Client.download_artifacts`` of that run
  return (they wait for its pending writes first);
- ``mltrail.end_run()`` returns or a ``with mltrail.start_run():`` block
  is left (the owner of a run ends it: its artifacts are waited for);
- the interpreter exits normally (pending writes are finished first).

When does the writer draw? Rendering is pure Python: on a thread it competes
with the training thread for the GIL, and every time the training thread
does I/O it may wait a whole switch interval (5 ms) to get the GIL back. So
the writer starts a task only when no autologged call is running
(:func:`busy`) and nothing was submitted for :data:`QUIET_SECONDS`, or at
once when someone waits for it (:func:`flush`, the flush points above) or
:data:`HIGH_WATER` tasks are queued. A loop of quick fits therefore runs
undisturbed and the figures are drawn right after it.

Rules kept (DESIGN.md, autologging): a failing render or write is reported
through ``on_error`` (autologging warns once) and never reaches the user's
code; every wait is bounded (``timeout``, :data:`SUBMIT_TIMEOUT` when the
queue of :data:`MAX_QUEUED` tasks is full, :data:`EXIT_TIMEOUT` at exit).
"""

from __future__ import annotations

import atexit
import collections
import os
import threading
import time
from typing import Any, Callable, Mapping, Optional

from ..artifacts import pending as _pending_artifacts

#: Tasks waiting to be drawn before :func:`submit` blocks (at most :data:`SUBMIT_TIMEOUT` s).
MAX_QUEUED = 256
SUBMIT_TIMEOUT = 10.0
#: Default bound of :func:`flush`, and of the wait at interpreter exit.
FLUSH_TIMEOUT = 30.0
EXIT_TIMEOUT = 30.0
#: The writer waits this long after the last submit, and for running autologged calls to end...
QUIET_SECONDS = 0.05
#: ...unless this many tasks are queued (or someone flushes).
HIGH_WATER = 64
#: An idle writer polls (no wake-up costs for the submitting thread) this long before it sleeps.
IDLE_POLL_SECONDS = 5.0

#: What a render returns: artifact path (inside the run's folder) -> file contents; None = nothing.
Rendered = Optional[Mapping[str, bytes]]


class _Task:
    __slots__ = ("run_id", "render", "artifact_uri", "client", "on_error")

    def __init__(self, run_id: str, render: Callable[[], Rendered], artifact_uri: Optional[str],
                 client: Any, on_error: Optional[Callable[[BaseException], None]]) -> None:
        self.run_id = run_id
        self.render = render
        self.artifact_uri = artifact_uri
        self.client = client
        self.on_error = on_error


_condition = threading.Condition()
_tasks: "collections.deque[_Task]" = collections.deque()
_pending: dict[str, int] = {}  # run id -> tasks submitted and not finished
_thread: Optional[threading.Thread] = None
_hooks_installed = False
_sleeping = False  # the writer waits without timeout: a submit must wake it
_busy = 0  # autologged calls running (any thread)
_flushing = 0  # threads waiting in flush()
_space_waiters = 0  # submitters waiting for room in a full queue
_last_submit = 0.0
_repositories: dict[str, Any] = {}  # artifact URI -> repository (writer thread only)


def submit(
    run_id: str,
    render: Callable[[], Rendered],
    *,
    artifact_uri: Optional[str] = None,
    client: Any = None,
    on_error: Optional[Callable[[BaseException], None]] = None,
) -> bool:
    """Queue ``render`` for run ``run_id``; its ``{path: bytes}`` are written to the run's artifacts.

    ``artifact_uri`` is the run's artifact root (looked up through
    ``client``, or a default ``mltrail.Client()``, when omitted). ``render``
    runs on the writer thread: it must only use what it captured. A
    failure in ``render`` or in the write is passed to ``on_error``.
    Returns False (and reports to ``on_error``) when the queue stayed full
    for :data:`SUBMIT_TIMEOUT` seconds.

    >>> submit(run.info.run_id, lambda: {"notes.txt": b"drawn later"}, artifact_uri=run.info.artifact_uri)
    True
    """
    global _last_submit, _space_waiters
    _ensure_started()
    task = _Task(run_id, render, artifact_uri, client, on_error)
    with _condition:
        if len(_tasks) >= MAX_QUEUED:
            deadline = time.monotonic() + SUBMIT_TIMEOUT
            _space_waiters += 1
            _condition.notify_all()  # the writer drains a full queue at once
            try:
                while len(_tasks) >= MAX_QUEUED and time.monotonic() < deadline:
                    _condition.wait(min(0.5, max(deadline - time.monotonic(), 0.001)))
            finally:
                _space_waiters -= 1
        full = len(_tasks) >= MAX_QUEUED
        if not full:
            _tasks.append(task)
            _pending[run_id] = _pending.get(run_id, 0) + 1
            _last_submit = time.monotonic()
            if _sleeping:
                _condition.notify_all()
    if full:
        _report(task, TimeoutError(f"the background artifact queue stayed full for {SUBMIT_TIMEOUT:g} s"))
        return False
    return True


def flush(run_id: Optional[str] = None, timeout: Optional[float] = FLUSH_TIMEOUT) -> bool:
    """Wait until every task submitted for ``run_id`` (for any run when None) is written.

    Returns True when nothing is pending any more, False when ``timeout``
    seconds passed first (None waits without bound). Called from the
    writer thread itself it does not wait.

    >>> background.flush(run_id, timeout=5.0)
    True
    """
    global _flushing
    if threading.current_thread() is _thread:
        return pending(run_id) == 0
    deadline = None if timeout is None else time.monotonic() + timeout
    with _condition:
        if not _count(run_id):
            return True
        _flushing += 1
        _condition.notify_all()
        try:
            while _count(run_id):
                if _thread is None or not _thread.is_alive():
                    return False  # nothing will ever finish them (the writer died, or this is a forked child)
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                _condition.wait(0.5 if left is None else min(left, 0.5))
            return True
        finally:
            _flushing -= 1


def discard_queued() -> int:
    """Forget the tasks not started yet (the one being written goes on); returns how many.

    For a process that gives up on what it queued, such as a test whose tracking server is gone:
    nothing is written or reported for them.

    >>> background.discard_queued()
    0
    """
    with _condition:
        dropped = list(_tasks)
        _tasks.clear()
        for task in dropped:
            _uncount(task.run_id)
        _condition.notify_all()
    return len(dropped)


def pending(run_id: Optional[str] = None) -> int:
    """Tasks submitted for ``run_id`` (for any run when None) and not written yet.

    >>> background.pending()
    0
    """
    with _condition:
        return _count(run_id)


class busy:
    """Context manager: autologged training runs; the writer does not start tasks meanwhile.

    Entered by every autologged call (``AutologCall``); nests and counts
    across threads. A :func:`flush` still gets its tasks written at once.

    >>> with background.busy():
    ...     train()
    """

    __slots__ = ()

    def __enter__(self) -> "busy":
        global _busy
        with _condition:
            _busy += 1
        return self

    def __exit__(self, *exc: Any) -> None:
        global _busy
        with _condition:  # no notify: waking the writer now would cost this thread a thread switch
            _busy -= 1


def _count(run_id: Optional[str]) -> int:
    return sum(_pending.values()) if run_id is None else _pending.get(run_id, 0)


def _report(task: _Task, exc: BaseException) -> None:
    if task.on_error is not None:
        try:
            task.on_error(exc)
        except Exception:  # the reporter itself failed: nothing sensible is left to do
            pass


def _repository(task: _Task) -> Any:
    from ..artifacts import get_artifact_repository

    uri = task.artifact_uri
    if uri is None:
        client = task.client
        if client is None:
            from ..client import Client

            client = Client()
        uri = client.get_run(task.run_id).info.artifact_uri
    repository = _repositories.get(uri)
    if repository is None:
        if len(_repositories) >= 64:
            _repositories.pop(next(iter(_repositories)))
        repository = _repositories[uri] = get_artifact_repository(uri)
    return repository


def _run(task: _Task) -> None:
    files = task.render()
    if not files:
        return
    repository = _repository(task)
    for path, data in files.items():
        repository.log_bytes(data, path)


def _next_task() -> _Task:
    """The next task, once the training thread is quiet (see the module docstring) or someone waits for it."""
    global _sleeping
    idle_since = time.monotonic()
    with _condition:
        while True:
            now = time.monotonic()
            if _tasks and (_flushing or _space_waiters or len(_tasks) >= HIGH_WATER
                           or (not _busy and now - _last_submit >= QUIET_SECONDS)):
                return _tasks.popleft()
            if _tasks or now - idle_since < IDLE_POLL_SECONDS:
                _condition.wait(QUIET_SECONDS)
            else:
                _sleeping = True
                try:
                    _condition.wait()
                finally:
                    _sleeping = False
                idle_since = time.monotonic()


def _uncount(run_id: str) -> None:
    """One task of ``run_id`` is no longer pending (call with ``_condition`` held)."""
    left = _pending.get(run_id, 0) - 1
    if left > 0:
        _pending[run_id] = left
    else:
        _pending.pop(run_id, None)


def _finish(task: _Task) -> None:
    with _condition:
        _uncount(task.run_id)
        _condition.notify_all()


def _worker() -> None:
    while True:
        task = _next_task()
        try:
            _run(task)
        except BaseException as exc:  # the writer thread must survive anything a task does
            _report(task, exc)
        finally:
            task.render = None  # type: ignore[assignment]  # drop what it captured now
            _finish(task)


def _ensure_started() -> None:
    global _thread, _hooks_installed
    if _thread is not None and _thread.is_alive():
        return
    with _condition:
        if _thread is None or not _thread.is_alive():
            _thread = threading.Thread(target=_worker, name="mltrail-artifact-writer", daemon=True)
            _thread.start()
        if not _hooks_installed:
            _hooks_installed = True
            _pending_artifacts.register_waiter(flush)
            atexit.register(flush, None, EXIT_TIMEOUT)


def _forget_after_fork() -> None:
    """In a forked child the writer thread does not exist: start afresh (the parent writes its own tasks)."""
    global _thread, _condition, _busy, _flushing, _space_waiters, _sleeping
    _thread = None
    _condition = threading.Condition()
    _busy = _flushing = _space_waiters = 0
    _sleeping = False
    _tasks.clear()
    _pending.clear()
    _repositories.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_after_fork)
