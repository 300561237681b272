"""Artifact writes still in flight in this process, and waiting for them.

Some artifacts are written off the caller's thread (autologging draws its
plots and ``estimator.html`` in the background, see
``mltrail.autologging.background``). A writer registers a *waiter* here; the
places where a user expects a run's artifacts to be complete wait for it:

- :func:`flush_artifacts` (``mltrail.flush_artifacts()``), explicitly;
- ``Client.list_artifacts`` / ``Client.download_artifacts`` of that run;
- ``mltrail.end_run()`` and leaving a ``with mltrail.start_run():`` block;
- interpreter exit.

This module knows no writer; with none registered every call is a no-op
costing one list check::

    import mltrail
    model.fit(X, y)                      # autologged: plots drawn in the background
    mltrail.flush_artifacts()            # every artifact written so far is in place
"""

from __future__ import annotations

import threading
from typing import Callable, Optional

#: A waiter: ``wait(run_id, timeout) -> bool`` (True when nothing of ``run_id``, or of any run
#: when None, is still pending once it returns).
Waiter = Callable[[Optional[str], Optional[float]], bool]

_lock = threading.Lock()
_waiters: list[Waiter] = []


def register_waiter(waiter: Waiter) -> None:
    """Have :func:`flush_artifacts` (and the flush points above) call ``waiter``; registering twice is a no-op.

    >>> register_waiter(lambda run_id, timeout: True)
    """
    with _lock:
        if waiter not in _waiters:
            _waiters.append(waiter)


def unregister_waiter(waiter: Waiter) -> None:
    """Stop calling ``waiter`` (a no-op when it is not registered).

    >>> unregister_waiter(my_waiter)
    """
    with _lock:
        if waiter in _waiters:
            _waiters.remove(waiter)


def flush_artifacts(run_id: Optional[str] = None, timeout: Optional[float] = 30.0) -> bool:
    """Wait until the artifacts written in the background for ``run_id`` (every run when None) are stored.

    Returns True when none is pending any more, False when ``timeout``
    seconds (per writer) passed first; never raises for a writer's failure
    (writers report their own errors).

    >>> mltrail.flush_artifacts()
    True
    """
    if not _waiters:
        return True
    done = True
    for waiter in list(_waiters):
        try:
            done = bool(waiter(run_id, timeout)) and done
        except Exception:  # a broken waiter must not break the caller's read or end_run
            done = False
    return done


def flush_artifact_async_logging() -> None:
    """MLflow's name for :func:`flush_artifacts` (every run, default bound), so MLflow scripts run unchanged.

    >>> mltrail.flush_artifact_async_logging()
    """
    flush_artifacts()
