"""Rule 2 across sklearn's worker threads: inner fits in ``n_jobs`` threads are not separate runs.

The outermost-call guard lives in a ``ContextVar``, which a joblib worker
thread does not inherit: ``IsolationForest(n_jobs=2).fit`` or a
``GridSearchCV`` under joblib's threading backend would otherwise give each
inner fit its own run. sklearn dispatches that work through
``sklearn.utils.parallel.Parallel``; while an autologged call runs, the
patched ``Parallel.__call__`` marks each task to run with autologging
suppressed (a picklable marker, harmless in process-based workers).
"""

from __future__ import annotations

from typing import Any, Callable

from mltrail.autologging import in_autologged_call, suppressed


class _Suppressed:
    """A task function run with autologging suppressed (picklable when ``function`` is)."""

    __slots__ = ("function",)

    def __init__(self, function: Callable[..., Any]) -> None:
        self.function = function

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        with suppressed():
            return self.function(*args, **kwargs)

    def __reduce__(self):
        return (_Suppressed, (self.function,))


def _mark(tasks: Any) -> Any:
    for task in tasks:
        delayed_func, args, kwargs = task
        inner = getattr(delayed_func, "function", None)
        if inner is not None and not isinstance(inner, _Suppressed):
            delayed_func.function = _Suppressed(inner)  # sklearn's per-task _FuncWrapper
        elif inner is None:
            delayed_func = _Suppressed(delayed_func)
        yield delayed_func, args, kwargs


def parallel_call_wrapper(wrapped: Callable[..., Any], instance: Any, args: tuple, kwargs: dict) -> Any:
    """wrapt wrapper for ``sklearn.utils.parallel.Parallel.__call__``."""
    if not in_autologged_call():
        return wrapped(*args, **kwargs)
    if args:
        return wrapped(_mark(args[0]), *args[1:], **kwargs)
    if "iterable" in kwargs:
        kwargs = dict(kwargs, iterable=_mark(kwargs["iterable"]))
    return wrapped(*args, **kwargs)
