"""Which autologged call is running in this context, and scopes that change it.

Rule 2 (the outermost call wins) rests on one ``ContextVar``: while an
autologged call runs, it holds that call and every patched call inside goes
straight to the original. :func:`new_scope` clears it for designed child runs,
:func:`suppressed` fills it for code autologging runs on the user's behalf::

    with new_scope():          # a hyperopt trial: fits inside log to the trial's run
        objective(params)
    with suppressed():         # a metric function that fits a helper: not a user fit
        value = metric(y_true, y_pred)
"""

from __future__ import annotations

import contextlib
import contextvars
from typing import Any, Iterator, Optional

from .. import _system_tags

#: Tag set on runs autologging writes to (value: the integration name).
AUTOLOGGING_TAG = _system_tags.AUTOLOGGING
#: ``ActiveRun.owner`` of runs the user started (mltrail.fluent's convention).
USER_OWNER = "user"

#: The autologged call running in this context (an ``AutologCall``: that module builds on this
#: one, so the class is not named here), the :data:`_SUPPRESSED` marker, or None.
_current: contextvars.ContextVar[Optional[Any]] = contextvars.ContextVar(
    "mltrail_autolog_call", default=None
)




def current_call() -> Optional[Any]:
    """The autologged call (an :class:`~mltrail.autologging.AutologCall`) running in this context, or None.

    >>> current_call() is None   # outside any autologged call
    True
    """
    call = _current.get()
    return None if call is _SUPPRESSED else call


def in_autologged_call() -> bool:
    """True while an autologged call runs in this context (inner patched calls then do nothing)."""
    return _current.get() is not None


@contextlib.contextmanager
def new_scope() -> Iterator[None]:
    """Let autologged calls inside the block act as outermost calls (designed child runs).

    A hyperopt integration wraps each trial in ``new_scope()`` after starting
    the trial's run, so that an autologged ``fit`` in the objective logs to
    that trial's run instead of being swallowed by the ``fmin`` call::

        with mltrail.start_run(nested=True):
            with new_scope():
                model.fit(X, y)      # autologged into the nested run
    """
    token = _current.set(None)
    try:
        yield
    finally:
        _current.reset(token)


class _Suppressed:
    """Marker set as the current call by :func:`suppressed` (not a real call)."""


_SUPPRESSED = _Suppressed()


@contextlib.contextmanager
def suppressed() -> Iterator[None]:
    """Run framework code without autologging it (patched calls inside go straight to the original).

    For code autologging runs on the user's behalf outside an autologged
    call, such as a metric function that fits a helper estimator::

        with suppressed():
            value = original_metric(y_true, y_pred)
    """
    token = _current.set(_SUPPRESSED)  # type: ignore[arg-type]
    try:
        yield
    finally:
        _current.reset(token)


def is_autolog_run_active() -> bool:
    """True when the active run was started by autologging (not by the user).

    >>> is_autolog_run_active()   # no run active
    False
    """
    from .. import fluent

    owner = fluent.active_run_owner()
    return owner is not None and owner != USER_OWNER


def start_autolog_run(integration_name: str, *, silent: bool = False, **start_run_kwargs: Any):
    """``mltrail.start_run(**start_run_kwargs)`` for a run owned by autologging.

    The run is tagged ``mlflow.autologging=<integration_name>`` and its
    fluent owner is the integration, so ``exclusive=True`` still logs to it.
    Use it for designed child runs (a hyperopt trial); end it with
    ``mltrail.end_run``. While the tracking store is down (see
    :mod:`._retry_buffer`) it raises StoreUnavailableError at once instead of
    waiting on the store; the outage is warned about once (logged at DEBUG level
    only with ``silent=True``).

        run = start_autolog_run("hyperopt", nested=True, run_name="trial-3")
    """
    from .. import fluent
    from .._http import limit_retries
    from ..config import get_tracking_uri
    from ..exceptions import StoreUnavailableError
    from ._retry_buffer import is_retryable, retry_buffer

    tags = dict(start_run_kwargs.pop("tags", None) or {})
    tags.setdefault(AUTOLOGGING_TAG, integration_name)
    start_run_kwargs.setdefault("owner", integration_name)
    buffer, key = retry_buffer(), get_tracking_uri()
    if buffer.down(key):
        raise StoreUnavailableError(f"the tracking store at {key} is down: no run started")
    try:
        with limit_retries(buffer.retries(key)):
            run = fluent.start_run(tags=tags, **start_run_kwargs)
    except Exception as exc:
        if is_retryable(exc):
            buffer.failed(key, exc, "start or find a run", integration_name, silent=silent)
        raise
    buffer.succeeded(key)
    return run
