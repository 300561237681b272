"""Policy for designed child runs: who decides when a framework's model is logged.

An integration that creates many small child runs (a hyperopt trial per
evaluation) sets a :class:`ChildRunPolicy` around each child. Framework
integrations running inside it (xgboost, sklearn) then hand their model
logging to :func:`log_model_per_policy` instead of writing the model at once,
and skip figures when the policy says so. The policy may log the model now,
later (keeping only the best N of a sweep), or never::

    class KeepBest(ChildRunPolicy):
        def take_model(self, run_id, log):      # log() writes the model to run_id
            self.pending[run_id] = log
            return True                          # taken over: do not log now

    with child_run_policy(KeepBest()):
        objective(params)                        # xgboost autolog defers its model

Outside any policy, :func:`log_model_per_policy` logs immediately.
"""

from __future__ import annotations

import contextlib
import contextvars
from typing import TYPE_CHECKING, Any, Callable, Iterator, Optional

if TYPE_CHECKING:  # pragma: no cover
    from ._calls import AutologCall


class ChildRunPolicy:
    """Default policy: models are logged at once, figures are drawn.

    Subclass and override :meth:`take_model` / set :attr:`skip_figures`.
    """

    #: True: integrations skip optional figures (importance plots...) in these runs.
    skip_figures: bool = False

    def take_model(self, run_id: str, log: Callable[[], Any]) -> bool:
        """Return True to take over logging ``run_id``'s model (call ``log()`` later, or never)."""
        return False


_policy: contextvars.ContextVar[Optional[ChildRunPolicy]] = contextvars.ContextVar(
    "mltrail_child_run_policy", default=None
)


def current_child_run_policy() -> Optional[ChildRunPolicy]:
    """The policy in force in this context, or None outside designed child runs.

    >>> current_child_run_policy() is None
    True
    """
    return _policy.get()


@contextlib.contextmanager
def child_run_policy(policy: Optional[ChildRunPolicy]) -> Iterator[None]:
    """Put ``policy`` in force for the block (None: no policy)."""
    token = _policy.set(policy)
    try:
        yield
    finally:
        _policy.reset(token)


def skip_figures() -> bool:
    """True when the child-run policy in force asks integrations to skip optional figures."""
    policy = _policy.get()
    return bool(policy is not None and policy.skip_figures)


def log_model_per_policy(call: "AutologCall", log: Callable[[], Any], what: str = "log the model") -> None:
    """Log a model with ``log()`` now, unless the policy in force takes it over.

    ``log`` must write to ``call.run_id`` explicitly (it may run after the
    call ended). Failures are noted on ``call`` (one warning), never raised.

        log_model_per_policy(call, lambda: flavor.log_model(m, "model", run_id=call.run_id))
    """
    policy = _policy.get()
    if policy is not None and call.run_id is not None:
        try:
            if policy.take_model(call.run_id, log):
                return
        except Exception as exc:
            call.note_failure("hand the model to the child-run policy", exc)
    call.safely(what, log)
