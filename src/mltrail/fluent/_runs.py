"""Fluent run lifecycle: start, end, resume, nest; the active run of this thread/context.

    import mltrail as mlflow
    with mlflow.start_run(run_name="baseline") as run:      # FINISHED on exit,
        mlflow.log_param("alpha", 0.01)                      # FAILED on an exception
        with mlflow.start_run(nested=True):                  # child: tag mlflow.parentRunId
            mlflow.log_metric("rmse", 6.9)

The stack of active runs lives in a ``ContextVar``: each thread and each
asyncio task has its own. Runs still active when the process exits are ended
(FINISHED; FAILED after an uncaught exception, KILLED after Ctrl-C). To see
the uncaught exception, the first run started puts a hook in front of
``sys.excepthook`` that records it and calls the hook that was there before;
when the last run ends the previous hook is put back (unless another library
has wrapped ours since: then the chain is left intact).
"""

from __future__ import annotations

import atexit
import logging
import os
import sys
import threading
from typing import Any, Mapping, Optional

from .._system_tags import NOTE_CONTENT, PARENT_RUN_ID, run_context_tags
from ..artifacts.pending import flush_artifacts
from ..client import Client
from ..client.async_logging import async_queue
from ..client.values import make_tags
from ..entities import LifecycleStage, Run, RunStatus
from ..exceptions import InvalidParameterError, InvalidStateError
from . import _state
from ._experiments import active_experiment_id

_logger = logging.getLogger("mltrail")

USER_OWNER = "user"
#: A run id in one of these makes a top-level start_run() resume that run (as MLflow does).
RUN_ID_ENV = ("MLTRAIL_RUN_ID", "MLFLOW_RUN_ID")


class ActiveRun(Run):
    """The run returned by :func:`start_run`; a context manager that ends it.

    Its ``info``/``data`` are a snapshot taken when the run started (use
    :func:`get_run` for fresh data). ``owner`` says who started it: ``"user"``,
    or the name an integration passed to ``start_run(owner=...)``.

    >>> with mlflow.start_run() as run:
    ...     print(run.info.run_id)
    """

    def __init__(self, run: Run, client: Client, owner: str = USER_OWNER) -> None:
        Run.__init__(self, run.info, run.data, run.inputs)
        self._client = client
        self._run_id = run.info.run_id
        self.owner = owner
        #: For a joinable run: how many start_run() blocks joined it so far, and how many are open.
        self._joins_total = 0
        self._joins_open = 0

    @property
    def client(self) -> Client:
        """The client (hence the tracking store) this run logs through.

        >>> with mlflow.start_run() as run:
        ...     run.client.get_run(run.info.run_id).info.status
        'RUNNING'
        """
        return self._client

    def __enter__(self) -> "ActiveRun":
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is None:
            _end(self, RunStatus.FINISHED.value, raise_errors=True)
        else:
            status = RunStatus.KILLED if issubclass(exc_type, KeyboardInterrupt) else RunStatus.FAILED
            _end(self, status.value, raise_errors=False)
        return False


#: Owners (``start_run(owner=...)``) whose active run a ``start_run()`` joins instead of failing or
#: nesting. hyperopt's integration registers its trial runs here, so a user's
#: ``with mlflow.start_run():`` or ``start_run(nested=True)`` inside the objective *is* the trial's
#: run (no duplicate run, no extra layer). Only the first nested ``start_run`` of a trial joins it;
#: later ones open while it is joined are its children, later ones after it was left are its siblings.
JOINABLE_OWNERS: set[str] = set()


def set_joinable_owner(owner: str, joinable: bool = True) -> None:
    """Let a plain ``start_run()`` join the active run when ``owner`` started it (or stop letting it).

    For integrations whose runs stand for the user's own: hyperopt's trials,
    so that ``with mlflow.start_run(nested=True):`` inside an objective *is*
    the trial's run (see :data:`JOINABLE_OWNERS`). Undo it in ``unpatch()``.

    >>> mltrail.fluent.set_joinable_owner("hyperopt-trial")          # in Integration.patch()
    >>> mltrail.fluent.set_joinable_owner("hyperopt-trial", False)   # in Integration.unpatch()
    """
    if joinable:
        JOINABLE_OWNERS.add(owner)
    else:
        JOINABLE_OWNERS.discard(owner)


class _JoinedRun(ActiveRun):
    """What ``start_run()`` returns inside a joinable run: that run; leaving the block leaves it running."""

    def __init__(self, top: ActiveRun) -> None:
        super().__init__(top, top._client, top.owner)
        self._top = top

    def __exit__(self, exc_type, exc, tb) -> bool:
        self._top._joins_open = max(0, self._top._joins_open - 1)
        return False


def _join(top: ActiveRun, run_name: Optional[str], tags: Optional[Mapping[str, Any]], description: Optional[str]) -> ActiveRun:
    extra = {t.key: t.value for t in make_tags(tags)}
    if description is not None:
        extra[NOTE_CONTENT] = str(description)
    if extra:
        top._client.log_batch(top._run_id, tags=make_tags(extra))
    if run_name is not None:
        top._client.update_run(top._run_id, name=run_name)
    top._joins_total += 1
    top._joins_open += 1
    return _JoinedRun(top)


# Runs active in any thread, by id: ended at process exit.
_live: dict[str, ActiveRun] = {}
_atexit_lock = threading.Lock()
_atexit_registered = False
_uncaught: Optional[type] = None
#: The ``sys.excepthook`` in place before ours, while ours is installed (None: ours is not).
_previous_excepthook: Optional[Any] = None


def _record_uncaught(exc_type, exc, tb) -> None:
    """mltrail's ``sys.excepthook`` while a run is live: note the uncaught exception (the runs
    still active at exit end FAILED, or KILLED after Ctrl-C), then hand over to the previous hook."""
    global _uncaught
    _uncaught = exc_type
    (_previous_excepthook or sys.__excepthook__)(exc_type, exc, tb)


def _register_exit_handler() -> None:
    """On the first live run: end live runs at exit, and chain :func:`_record_uncaught` in front of
    the current ``sys.excepthook`` (taken out again by :func:`_restore_excepthook`)."""
    global _atexit_registered, _previous_excepthook
    if _atexit_registered and _previous_excepthook is not None:
        return
    with _atexit_lock:
        if not _atexit_registered:
            atexit.register(_end_runs_at_exit)
            _atexit_registered = True
        if _previous_excepthook is None and _live:
            _previous_excepthook = sys.excepthook
            sys.excepthook = _record_uncaught


def _restore_excepthook() -> None:
    """When the last live run has ended, put the previous ``sys.excepthook`` back.

    If another library has since wrapped ours, the chain is left as it is
    (ours passes every exception on), so its hook keeps working.
    """
    global _previous_excepthook
    with _atexit_lock:
        if _live or _previous_excepthook is None or sys.excepthook is not _record_uncaught:
            return
        sys.excepthook = _previous_excepthook
        _previous_excepthook = None


def _end_runs_at_exit() -> None:
    status = RunStatus.FINISHED
    if _uncaught is not None:
        status = RunStatus.KILLED if issubclass(_uncaught, KeyboardInterrupt) else RunStatus.FAILED
    stack = _state.active_runs.get()
    leftovers = list(reversed(stack)) + [r for r in list(_live.values()) if all(r is not s for s in stack)]
    for run in leftovers:
        try:
            _end(run, status.value, raise_errors=False)
        except Exception:  # pragma: no cover - best effort at interpreter exit
            pass


def _end(
    run: ActiveRun, status: str, raise_errors: bool, last_batch: Optional[Mapping[str, Any]] = None,
    wait_for_artifacts: bool = True,
) -> None:
    """End ``run`` and any run nested above it in this context's stack.

    ``last_batch`` (``metrics``/``params``/``tags`` for ``Client.finish_run``) is
    written to ``run`` in the same store transaction that ends it. Artifacts
    still being written in the background for a run are waited for (bounded)
    before it ends, unless ``wait_for_artifacts`` is False (an autologged call
    ending the run it created: its figures follow, see ``mltrail.flush_artifacts``).
    """
    stack = _state.active_runs.get()
    position = next((i for i, r in enumerate(stack) if r is run), None)
    if position is None:
        to_end = [run]
    else:
        to_end = list(reversed(stack[position:]))
        _state.active_runs.set(stack[:position])
    error: Optional[BaseException] = None
    for r in to_end:
        _live.pop(r._run_id, None)
        async_queue().flush(r._run_id)  # values queued by synchronous=False calls land before the run ends
        if wait_for_artifacts:
            flush_artifacts(r._run_id)
        try:
            if last_batch is not None and r is run:
                r._client.finish_run(r._run_id, status, **last_batch)
            else:
                r._client.set_terminated(r._run_id, status)
        except Exception as exc:
            if raise_errors and error is None:
                error = exc
            else:
                _logger.warning("mltrail: could not end run %s: %s", r._run_id, exc)
    _state.last_run.set((run._client, run._run_id))
    if not _live and _previous_excepthook is not None:
        _restore_excepthook()
    if error is not None:
        raise error


def start_run(
    run_id: Optional[str] = None,
    experiment_id: Optional[str] = None,
    run_name: Optional[str] = None,
    nested: bool = False,
    parent_run_id: Optional[str] = None,
    tags: Optional[Mapping[str, Any]] = None,
    description: Optional[str] = None,
    log_system_metrics: Optional[bool] = None,
    *,
    owner: str = USER_OWNER,
) -> ActiveRun:
    """Start a run (or resume ``run_id``) and make it the active run of this thread/context.

    Starting a second run while one is active needs ``nested=True`` (the
    child gets tag ``mlflow.parentRunId``); ``parent_run_id`` names the
    parent explicitly. System tags (user, source, git commit, Python version)
    are set on new runs. ``owner`` lets integrations mark runs they started
    (see :func:`active_run_owner`); inside a run whose owner is in
    :data:`JOINABLE_OWNERS` (a hyperopt trial) a plain ``start_run()``
    returns that run, left running. ``log_system_metrics`` is accepted for
    MLflow compatibility and ignored.

    >>> with mlflow.start_run(run_name="baseline", tags={"team": "taxi"}) as run:
    ...     mlflow.log_metric("rmse", 6.9)
    """
    stack = _state.active_runs.get()
    top = stack[-1] if stack else None
    sibling_of_top = None
    if top is not None and run_id is None and top.owner in JOINABLE_OWNERS and parent_run_id is None:
        if not nested or top._joins_total == 0:
            return _join(top, run_name, tags, description)
        if top._joins_open == 0:  # a second run of the trial, after the first was left: a sibling
            sibling_of_top = top.data.tags.get(PARENT_RUN_ID)
    if stack and not nested and parent_run_id is None:
        raise InvalidStateError(
            f"Run with id {stack[-1]._run_id} is already active: end it with mltrail.end_run() before "
            f"starting another run, or start a child run with start_run(nested=True)"
        )
    parent = parent_run_id
    if parent is not None and stack and stack[-1]._run_id != parent:
        raise InvalidParameterError(
            f"parent_run_id {parent!r} does not match the active run {stack[-1]._run_id!r}: a child run "
            f"must be started under the active run (or with no run active)"
        )
    if parent is None and nested and stack:
        parent = sibling_of_top or stack[-1]._run_id
    if run_id is None and not stack:
        run_id = os.environ.get(RUN_ID_ENV[0]) or os.environ.get(RUN_ID_ENV[1]) or None
    client = _state.client_for()
    extra = {t.key: t.value for t in make_tags(tags)}
    if description is not None:
        extra[NOTE_CONTENT] = str(description)
    if run_id is not None:
        run = _resume(client, run_id, experiment_id, run_name, extra)
    else:
        exp_id = str(experiment_id) if experiment_id is not None else active_experiment_id(client)
        all_tags = run_context_tags()
        all_tags.update(extra)
        if parent is not None:
            if not stack:  # an explicit parent must exist (the active run is known to)
                client.get_run(parent)
            all_tags[PARENT_RUN_ID] = parent
        run = client.create_run(exp_id, tags=all_tags, run_name=run_name)
    active = ActiveRun(run, client, owner)
    _state.active_runs.set(stack + (active,))
    _live[active._run_id] = active
    _register_exit_handler()
    return active


def _resume(client: Client, run_id: str, experiment_id: Optional[str], run_name: Optional[str], tags: dict) -> Run:
    existing = client.get_run(run_id)
    if existing.info.lifecycle_stage == LifecycleStage.DELETED:
        raise InvalidStateError(
            f"Cannot resume run {run_id!r}: the run is deleted (restore it with "
            f"MlflowClient().restore_run({run_id!r}) first)"
        )
    if experiment_id is not None and str(experiment_id) != existing.info.experiment_id:
        raise InvalidParameterError(
            f"Cannot resume run {run_id!r} in experiment {str(experiment_id)!r}: the run belongs to "
            f"experiment {existing.info.experiment_id!r}"
        )
    client.update_run(run_id, RunStatus.RUNNING.value, name=run_name)
    if tags:
        client.log_batch(run_id, tags=make_tags(tags))
    return client.get_run(run_id)


def end_run(status: str = "FINISHED") -> None:
    """End the active run of this thread/context (no-op when none is active).

    >>> mlflow.start_run(); mlflow.end_run("KILLED")
    """
    stack = _state.active_runs.get()
    if stack:
        _end(stack[-1], RunStatus.to_string(status), raise_errors=True)


def finish_active_run(status: str, metrics: Any = (), params: Any = (), tags: Any = (), datasets: Any = ()) -> None:
    """End the active run with a last batch written in the same store transaction (``Client.finish_run``).

    For autologging, whose call ends the run it started; like :func:`end_run`
    the run leaves the stack even when the store write raises. Artifacts
    still drawn in the background are not waited for.

    >>> mltrail.fluent.finish_active_run("FINISHED", metrics=[Metric("rmse", 6.9, now_ms(), 0)])
    """
    stack = _state.active_runs.get()
    if stack:
        batch = {"metrics": metrics, "params": params, "tags": tags, "datasets": datasets}
        _end(stack[-1], RunStatus.to_string(status), raise_errors=True, last_batch=batch, wait_for_artifacts=False)


def leave_active_run(run: ActiveRun) -> None:
    """Take ``run`` (and any run nested above it) off this context's active-run stack without
    ending it or writing anything; no-op when ``run`` is not on the stack.

    For autologging, whose end of a run it started is kept in memory for a later
    retry (the store was unavailable or stalled): that run must not stay active.

    >>> run = mlflow.start_run(); mltrail.fluent.leave_active_run(run); mlflow.active_run() is None
    True
    """
    stack = _state.active_runs.get()
    position = next((i for i, r in enumerate(stack) if r is run), None)
    if position is not None:
        _state.active_runs.set(stack[:position])


def active_run() -> Optional[ActiveRun]:
    """The active run of this thread/context, or None.

    >>> mlflow.active_run() is None
    True
    """
    stack = _state.active_runs.get()
    return stack[-1] if stack else None


def active_run_id() -> Optional[str]:
    """Id of the active run, or None; cheap enough to call on every training step.

    >>> with mlflow.start_run() as run:
    ...     assert mltrail.fluent.active_run_id() == run.info.run_id
    """
    stack = _state.active_runs.get()
    return stack[-1]._run_id if stack else None


def active_run_owner() -> Optional[str]:
    """Who started the active run: ``"user"`` (start_run, or implicitly by a log_* call),
    an integration's ``owner`` name, or None when no run is active.

    >>> with mlflow.start_run():
    ...     mltrail.fluent.active_run_owner()
    'user'
    """
    stack = _state.active_runs.get()
    return stack[-1].owner if stack else None


def last_active_run() -> Optional[Run]:
    """The active run, else the run most recently ended in this context (fresh from the store).

    >>> with mlflow.start_run(): mlflow.log_metric("rmse", 6.9)
    >>> mlflow.last_active_run().data.metrics
    {'rmse': 6.9}
    """
    stack = _state.active_runs.get()
    if stack:
        return stack[-1]._client.get_run(stack[-1]._run_id)
    last = _state.last_run.get()
    if last is None:
        return None
    client, run_id = last
    return client.get_run(run_id)


def current_run() -> ActiveRun:
    """The active run, starting one implicitly (as MLflow's log_* calls do) when none is.

    >>> mltrail.fluent.current_run().info.status
    'RUNNING'
    """
    stack = _state.active_runs.get()
    if stack:
        return stack[-1]
    return start_run()


def get_run(run_id: str) -> Run:
    """A run by id, with its latest metrics, params and tags.

    >>> mlflow.get_run(run_id).data.params
    {'alpha': '0.01'}
    """
    return _state.client_for().get_run(run_id)


def get_parent_run(run_id: str) -> Optional[Run]:
    """The parent of a nested run, or None.

    >>> mlflow.get_parent_run(child_run_id).info.run_id
    '3c1e...'
    """
    return _state.client_for().get_parent_run(run_id)


def delete_run(run_id: str) -> None:
    """Soft-delete a run.

    >>> mlflow.delete_run(run_id)
    """
    _state.client_for().delete_run(run_id)


def restore_run(run_id: str) -> None:
    """Bring back a deleted run.

    >>> mlflow.restore_run(run_id)
    """
    _state.client_for().restore_run(run_id)
