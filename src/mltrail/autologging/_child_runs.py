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
from typing import Any, Callable, Iterator, Optional

# AutologCall (module _calls) reaches these functions through its methods, so this module names
# it in docstrings only: ``call`` / ``parent`` below are AutologCall objects.


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


def log_model_per_policy(call: Any, log: Callable[[], Any], what: str = "log the model") -> None:
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


def write_child_batch(
    parent: Any,
    run_id: str,
    params: Optional[dict] = None,
    metrics: Optional[dict] = None,
    tags: Optional[dict] = None,
    timestamp: Optional[int] = None,
    end_status: Optional[str] = None,
    end_time: Optional[int] = None,
) -> None:
    """Write params, metrics (step 0) and tags to the designed child ``run_id`` in one transaction.

    With ``end_status`` the same transaction ends the run (``Client.finish_run``;
    when ``run_id`` is the active run it also leaves the fluent stack).
    Values are converted and clipped as for the parent's own logging. When
    the child already holds some of these params with other values (the
    objective logged them itself), those keep their first value and the rest
    is written. Failures are noted on ``parent`` (one warning when it ends);
    a run to end is ended even when its batch cannot be written.

        call.write_child_batch(trial_run_id, params={"max_depth": 4}, metrics={"loss": 0.3})
        call.write_child_batch(trial_run_id, metrics={"loss": 0.3}, end_status="FINISHED")
    """
    from ..exceptions import InvalidParameterError

    child = type(parent)(parent.integration, parent.config, parent.wrapped, None, (), {})
    child.run_id = run_id
    child.experiment_id = parent.experiment_id
    child._store.known_client = parent.client
    child.log_params(params or {})
    child.log_metrics(metrics or {}, timestamp=timestamp)
    child.set_tags(tags or {})
    params_, metrics_, tags_ = child._pending.params, child._pending.metrics, child._pending.tags
    client = child.client

    def write(kept_params: dict, kept_metrics: list, kept_tags: dict) -> None:
        # through the child's store write: kept in memory and retried when the store is unavailable
        from .. import fluent
        from ..entities import Metric, Param, RunTag
        from ..store.clock import now_ms

        kwargs: dict = {"metrics": [Metric(k, v, ts, step) for k, v, ts, step in kept_metrics],
                        "params": [Param(k, v) for k, v in kept_params.items()],
                        "tags": [RunTag(k, v) for k, v in kept_tags.items()]}
        if end_status is not None:
            kwargs = {"status": end_status, "end_time": end_time or now_ms(), **kwargs}
        active = fluent.active_run()
        try:
            child._store.write(
                lambda: _write_batch(client, run_id, kept_params, kept_metrics, kept_tags, end_status, end_time),
                "log_batch" if end_status is None else "finish_run", run_id, kwargs)
        finally:
            if end_status is not None and active is not None and active.info.run_id == run_id:
                fluent.leave_active_run(active)  # buffered: the run must not stay active

    try:
        try:
            write(params_, metrics_, tags_)
        except InvalidParameterError as exc:
            if not params_ or "param" not in str(exc).lower():
                raise
            existing = client.get_run(run_id).data.params
            write({k: v for k, v in params_.items() if k not in existing}, metrics_, tags_)
    except Exception as exc:
        parent.note_failure(f"log to run {run_id}", exc)
        if end_status is not None:
            try:
                write({}, [], {})
            except Exception as end_exc:
                parent.note_failure(f"end run {run_id}", end_exc)
    parent._failures.extend(child._failures)


def _write_batch(
    client: Any, run_id: str, params: dict, metrics: list, tags: dict,
    end_status: Optional[str] = None, end_time: Optional[int] = None,
) -> None:
    from .. import fluent
    from ..entities import Metric, Param, RunTag

    metric_objs = [Metric(k, v, ts, step) for k, v, ts, step in metrics]
    param_objs = [Param(k, v) for k, v in params.items()]
    tag_objs = [RunTag(k, v) for k, v in tags.items()]
    if end_status is None:
        client.log_batch(run_id, metrics=metric_objs, params=param_objs, tags=tag_objs)
    elif end_time is None and fluent.active_run_id() == run_id:
        from ..fluent import finish_active_run

        finish_active_run(end_status, metric_objs, param_objs, tag_objs)  # leaves the stack even if it raises
    else:
        client.finish_run(run_id, end_status, end_time=end_time, metrics=metric_objs, params=param_objs,
                          tags=tag_objs)
