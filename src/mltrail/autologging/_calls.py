"""One autologged call: the runtime rules every patch obeys, in one place.

An integration's hook receives an :class:`AutologCall` and calls the
framework through :meth:`AutologCall.call_original`::

    def _log_fit(call: AutologCall) -> None:
        call.log_params(call.instance.get_params())        # buffered
        model = call.call_original()                       # the user's fit
        call.log_metrics({"training_score": 0.93})         # buffered
        call.safely("log the model", log_my_model, model)  # a failure here is warned, not raised

The machinery around the hook implements DESIGN.md's runtime rules:

1. Errors in the hook (or in the store) are caught, reported once on logger
   ``mltrail.autologging`` and the original result is returned untouched; an
   error raised by the framework propagates unchanged and a run the call
   created ends FAILED.
2. The outermost call wins: while a call runs, patched calls inside it (on
   this thread / context) go straight to the original. :func:`new_scope`
   lets designed child runs (a hyperopt trial) autolog again inside it.
3. An active run is reused (unless ``exclusive=True`` and a user created it);
   otherwise the call starts its own run and ends it FINISHED or FAILED.
6. Params, metrics, tags and dataset inputs are buffered and written in one store
   transaction when the call ends: ``log_batch`` into a reused run, or
   ``finish_run`` (the batch and the run's end together) into a run the call
   started; :meth:`AutologCall.flush` writes a batch earlier (the buffer and
   its value conversion: :mod:`._batch`).
7. Every store write of the call (starting the run, batches, ending it, child
   runs) waits at most ``MLTRAIL_AUTOLOG_WRITE_TIMEOUT`` seconds (default 30;
   ``0`` waits as long as the store takes): past it the call notes the stall,
   leaves the run it started off the active-run stack and returns the
   training's result (see :mod:`._store_writes`). A batch or run end the store did
   not take (unavailable, stalled) is kept in memory and retried in the
   background; while the store is down new calls start no run and do not wait
   on it (see :mod:`._retry_buffer`: one warning per outage).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Mapping, Optional

from .. import _system_tags
from ..store.clock import now_ms
from . import background
from ._batch import MAX_PARAM_VALUE_LENGTH, PendingBatch, to_text
from ._reporting import describe_error, warn_once
from ._retry_buffer import is_retryable, retry_buffer
from ._scope import AUTOLOGGING_TAG, USER_OWNER, _current
from ._store_writes import CallStore

if TYPE_CHECKING:  # pragma: no cover
    from ._config import AutologConfig

#: Tag naming the parent run of a child run.
PARENT_RUN_TAG = _system_tags.PARENT_RUN_ID

_NOT_CALLED, _RETURNED, _RAISED = 0, 1, 2
#: ``Client.finish_run`` arguments of a run ended without a batch.
_NO_BATCH = {"metrics": (), "params": (), "tags": (), "datasets": ()}


class AutologCall:
    """The context of one outermost autologged call, handed to an integration's hook.

    Attributes: ``integration``, ``config`` (the AutologConfig in force),
    ``wrapped`` (the original callable, bound), ``instance`` (the object the
    method was called on, or None), ``args`` / ``kwargs`` (as the user passed
    them), ``run_id`` (the run being logged to), ``created_run`` (True when
    this call started that run), ``experiment_id``, ``artifact_uri``.
    """

    __slots__ = (
        "integration", "config", "wrapped", "instance", "args", "kwargs",
        "run_id", "experiment_id", "created_run", "notes", "artifact_uri", "_artifact_repo",
        "_state", "_result", "_error", "_pending", "_failures", "_store", "_later",
    )

    def __init__(
        self,
        integration: Any,  # the Integration (whose module builds on this one)
        config: "AutologConfig",
        wrapped: Callable[..., Any],
        instance: Any,
        args: tuple,
        kwargs: dict,
    ) -> None:
        self.integration = integration
        self.config = config
        self.wrapped = wrapped
        self.instance = instance
        self.args = args
        self.kwargs = kwargs
        self.run_id: Optional[str] = None
        self.experiment_id: Optional[str] = None
        self.created_run = False
        #: Artifact root of the run (from the run info fetched when the call found or started it).
        self.artifact_uri: Optional[str] = None
        self._artifact_repo = None
        #: Free-form notes the hook may keep between phases.
        self.notes: dict[str, Any] = {}
        self._state = _NOT_CALLED
        self._result: Any = None
        self._error: Optional[BaseException] = None
        self._pending = PendingBatch()
        self._failures: list[str] = []
        self._store = CallStore(integration.name, bool(config.get("silent")))
        self._later: list[tuple[str, Callable[[], Any]]] = []

    # -- the framework call -------------------------------------------------
    def call_original(self, *args: Any, **kwargs: Any) -> Any:
        """Run the framework's callable (with the user's arguments when none are given).

        Its result is what the user gets back, whatever the hook does later;
        its exception propagates to the user unchanged.
        """
        if not args and not kwargs:
            args, kwargs = self.args, self.kwargs
        try:
            result = self.wrapped(*args, **kwargs)
        except BaseException as exc:
            self._state = _RAISED
            self._error = exc
            raise
        self._state = _RETURNED
        self._result = result
        return result

    @property
    def original_called(self) -> bool:
        """True once :meth:`call_original` has run (returned or raised)."""
        return self._state != _NOT_CALLED

    @property
    def result(self) -> Any:
        """What the original returned (None before it returns)."""
        return self._result

    # -- buffered logging (one transaction at the end) -----------------------
    @property
    def pending_params(self) -> dict[str, str]:
        """The params this call logs and has not written yet (a copy).

        A model logged during the call carries them, with the run's, as MLflow 3's
        logged models do: ``flavor.log_model(m, name="model", params=call.pending_params)``.
        """
        return dict(self._pending.params)

    def log_params(self, params: Mapping[str, Any]) -> None:
        """Buffer params; values become strings, over-long ones are truncated with a note."""
        truncated = self._pending.add_params(params)
        if truncated:
            self.note(
                f"truncated the values of params {', '.join(truncated)} "
                f"to {MAX_PARAM_VALUE_LENGTH} characters (the value ends with a note saying so)"
            )

    def log_metrics(self, metrics: Mapping[str, Any], step: int = 0, timestamp: Optional[int] = None) -> None:
        """Buffer metrics (NaN and inf are kept; values that are not numbers are skipped with a note)."""
        skipped = self._pending.add_metrics(metrics, step, now_ms() if timestamp is None else timestamp)
        if skipped:
            self.note(f"skipped metrics {', '.join(skipped)} (their values are not numbers)")

    def set_tags(self, tags: Mapping[str, Any]) -> None:
        """Buffer tags (values become strings, over-long ones are truncated)."""
        self._pending.add_tags(tags)

    def log_input(self, dataset: Any, context: Optional[str] = None) -> None:
        """Buffer a dataset input (a ``mltrail.entities.Dataset``) used as ``context`` (``"train"``, ``"eval"``).

        Written with the call's params and metrics, in the same transaction.

        >>> call.log_input(mltrail.data.from_numpy(X, targets=y), "train")
        """
        self._pending.add_input(dataset, context)

    def flush(self) -> None:
        """Write the buffered params, metrics, tags and datasets now, in one ``log_batch`` transaction.

        Called automatically when the call ends; call it yourself to write
        periodic batches during a long call (per-iteration metrics).
        A failure is noted (warned at the end of the call), never raised.
        """
        if self.run_id is None or not self._pending:
            return
        self.safely("write params, metrics and tags", self._write_batch, self._pending.take())

    def _write_batch(self, batch: PendingBatch, end_status: Optional[str] = None) -> None:
        """One store transaction: ``log_batch``, or with ``end_status`` the batch plus the end of the run."""
        from ..exceptions import InvalidParameterError

        try:
            self._write(end_status, batch.entities())
        except InvalidParameterError as exc:
            if not batch.params or "param" not in str(exc).lower():
                raise
            # A reused run already holds some of these params with other values
            # (two fits in one user run): keep the metrics and tags at least.
            self._write(end_status, batch.without_params().entities())
            self.note_failure("log params (the run already has different values for them)", exc)

    def _write(self, end_status: Optional[str], entities: dict) -> None:
        if end_status is None:
            store, run_id = self._store, self.run_id
            store.write(lambda: store.client.log_batch(run_id, **entities), "log_batch", run_id, entities)
        else:
            self._store.end_run(self.run_id, end_status, entities)

    # -- helpers for hooks ------------------------------------------------------
    @property
    def client(self):
        """A ``mltrail.Client`` for this call's tracking URI (created once per call)."""
        return self._store.client

    def log_artifact_bytes(self, data: bytes, artifact_file: str) -> None:
        """Write ``data`` as the run's artifact ``artifact_file`` (no temp file, no run lookup).

            call.log_artifact_bytes(png_bytes, "training_roc_curve.png")
        """
        if self._artifact_repo is None:  # the run's artifact root is known since the call found or started it
            from ..artifacts import get_artifact_repository

            self._artifact_repo = get_artifact_repository(self.artifact_uri)
        self._artifact_repo.log_bytes(data, artifact_file)

    def log_artifacts_later(self, what: str, render: Callable[[], Optional[Mapping[str, bytes]]]) -> bool:
        """Have the background writer run ``render`` and store the ``{path: bytes}`` it returns in this run.

        ``render`` is handed over when the call ends (so that drawing does
        not compete with the rest of the call for the GIL) and runs on
        another thread: capture only what it needs (small arrays, strings),
        never the call, its arguments or the user's data. A failure is
        warned once on logger ``mltrail.autologging`` as ``could not <what>``.
        See ``mltrail.autologging.background`` for when the files are complete.

            counts = confusion(y, y_pred)
            call.log_artifacts_later("draw the confusion matrix", lambda: {"cm.png": draw(counts)})
        """
        if self.run_id is None:
            return False
        self._later.append((what, render))
        return True

    def _submit_later(self) -> None:
        if not self._later:
            return
        later, self._later = self._later, []
        name, silent = self.integration.name, self._store.silent
        key = self.client._tracking_uri
        for what, render in later:

            def on_error(exc: BaseException, what: str = what) -> None:
                if retry_buffer().covers(key, exc):
                    return
                warn_once(
                    f"mltrail autologging ({name}): could not {what}: {describe_error(exc)}. "
                    "The result of your call is unaffected.",
                    silent=silent,
                )

            background.submit(self.run_id, render, artifact_uri=self.artifact_uri, client=self._store.known_client,
                              on_error=on_error)

    def safely(self, what: str, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run one optional logging step; on error note ``what`` failed (and why) and return None.

        >>> call.safely("log the model", log_model, model, "model")
        """
        try:
            return function(*args, **kwargs)
        except Exception as exc:
            self.note_failure(what, exc)
            return None

    @property
    def skips_figures(self) -> bool:
        """True when the designed child-run policy in force (a hyperopt trial without
        ``log_trial_figures``) asks integrations to skip optional figures.

            if not call.skips_figures:
                call.log_artifacts_later("draw the plot", render)
        """
        from ._child_runs import skip_figures

        return skip_figures()

    def write_child_batch(
        self, run_id: str, params: Optional[dict] = None, metrics: Optional[dict] = None,
        tags: Optional[dict] = None, timestamp: Optional[int] = None, end_status: Optional[str] = None,
        end_time: Optional[int] = None,
    ) -> None:
        """Write params, metrics (step 0) and tags to the designed child run ``run_id`` in one
        transaction, ending it with ``end_status`` when given; failures are noted on this call.

            call.write_child_batch(trial_run_id, metrics={"loss": 0.3}, end_status="FINISHED")
        """
        from ._child_runs import write_child_batch

        write_child_batch(self, run_id, params, metrics, tags, timestamp, end_status, end_time)

    def note_failure(self, what: str, exc: BaseException) -> None:
        """Remember that ``what`` could not be done and why; reported in the call's one warning
        (unless the store is down and its outage was warned about)."""
        client = self._store.known_client
        if client is not None and retry_buffer().covers(client._tracking_uri, exc):
            return
        self._failures.append(f"could not {what}: {describe_error(exc)}")

    def note(self, text: str) -> None:
        """Add ``text`` to the call's one warning (something logged differently than asked)."""
        self._failures.append(text)

    def log_child_run(
        self,
        run_name: Optional[str] = None,
        params: Optional[Mapping[str, Any]] = None,
        metrics: Optional[Mapping[str, Any]] = None,
        tags: Optional[Mapping[str, Any]] = None,
        dataset: Any = None,
        start_time: Optional[int] = None,
    ) -> Optional[str]:
        """Create a finished child run of this call's run with params/metrics/tags; return its id.

        Used for designed child runs known after the call (one per
        GridSearchCV candidate). ``dataset`` (a ``mltrail.entities.Dataset``)
        is logged as its ``train`` input; ``start_time`` (epoch ms) backdates it.
        A failure is noted, never raised.
        """
        buffer, key = retry_buffer(), self.client._tracking_uri if self.run_id is not None else ""
        if self.run_id is None or buffer.holds(key) or buffer.down(key):
            return None  # the store is down: its outage warning covers what is not logged
        try:
            return self._create_child(run_name, params, metrics, tags, dataset, start_time)
        except Exception as exc:
            if is_retryable(exc):
                self._store.outage(key, exc, "create a child run")
            else:
                self.note_failure("create a child run", exc)
            return None

    def _create_child(self, run_name, params, metrics, tags, dataset=None, start_time=None) -> str:
        from ..entities import RunStatus

        from .._system_tags import run_context_tags

        child = AutologCall(self.integration, self.config, self.wrapped, None, (), {})
        # Same context tags (user, source, git commit) as every other run.
        child_tags = dict(run_context_tags())
        child_tags.update({PARENT_RUN_TAG: self.run_id, AUTOLOGGING_TAG: self.integration.name})
        child_tags.update(self.config.extra_tags or {})
        child_tags.update(tags or {})
        run = self._store.bounded(
            self.client.create_run,
            self.experiment_id,
            start_time=start_time,
            tags={k: to_text(v) for k, v in child_tags.items()},
            run_name=run_name,
        )
        child.run_id = run.info.run_id
        child._store = self._store.fork()
        child.log_params(params or {})
        child.log_metrics(metrics or {})
        if dataset is not None:
            child.log_input(dataset, "train")
        child._end_with_batch(RunStatus.FINISHED.value)  # the child's second and last transaction
        self._failures.extend(child._failures)
        return child.run_id

    # -- the machinery (called by the patch wrapper) ----------------------------
    def _execute(self, hook: Callable[["AutologCall"], Any]) -> Any:
        with background.busy():  # the artifact writer waits while training runs (GIL)
            return self._execute_hook(hook)

    def _execute_hook(self, hook: Callable[["AutologCall"], Any]) -> Any:
        token = _current.set(self)
        try:
            try:
                proceed = self._acquire_run()
            except Exception as exc:
                self.note_failure("start or find a run", exc)
                proceed = False
            if not proceed:
                self._report()
                return self.wrapped(*self.args, **self.kwargs)
            try:
                hook(self)
            except BaseException as exc:
                if self._state == _RAISED:
                    self._finish(failed=True)
                    if exc is self._error:
                        raise
                    raise self._error from None
                if not isinstance(exc, Exception):  # KeyboardInterrupt/SystemExit in our code
                    self._finish(failed=True)
                    raise
                self.note_failure("autolog", exc)
            if self._state == _RAISED:  # the hook swallowed the framework's error: re-raise it
                self._finish(failed=True)
                raise self._error
            if self._state == _NOT_CALLED:
                try:
                    self.call_original()
                except BaseException:
                    self._finish(failed=True)
                    raise
            self._finish(failed=False)
            return self._result
        finally:
            _current.reset(token)

    def _acquire_run(self) -> bool:
        from .. import fluent

        active = fluent.active_run()
        if active is not None:
            if self.config.exclusive and active.owner == USER_OWNER:
                return False  # leave the user's run alone
            self.created_run = False
        else:
            active = self._store.start_run()
            if active is None:
                return False  # the store is down: the training runs unlogged (warned once per outage)
            self.created_run = True
        self.run_id = active.info.run_id
        self.experiment_id = active.info.experiment_id
        self.artifact_uri = active.info.artifact_uri
        self._store.known_client = active.client
        # As in MLflow, only a run autologging created carries mlflow.autologging;
        # the user's runs and other integrations' runs (a hyperopt trial) keep their tags.
        tags = {}
        if self.created_run:
            tags[AUTOLOGGING_TAG] = self.integration.name
        if self.config.extra_tags:
            tags.update(self.config.extra_tags)
        self.set_tags(tags)
        return True

    def _finish(self, failed: bool) -> None:
        try:
            if self.created_run:
                self._end_with_batch("FAILED" if failed else "FINISHED")
            else:
                self.flush()  # a reused run stays open: one log_batch
        finally:
            try:
                self._submit_later()
            except Exception as exc:  # pragma: no cover - submit reports its own failures
                self.note_failure("hand figures to the background writer", exc)
            self._report()

    def _end_with_batch(self, status: str) -> None:
        """End the run this call started, with what is still buffered, in one store transaction.

        When that write fails (a value the store refuses, the store down) the
        failure is noted and the run is still ended, without the batch.
        """
        if not self._pending:
            self.safely("end the run", self._store.end_run, self.run_id, status, _NO_BATCH)
            return
        try:
            self._write_batch(self._pending.take(), end_status=status)
        except Exception as exc:
            self.note_failure("write params, metrics and tags", exc)
            self.safely("end the run", self._store.end_run, self.run_id, status, _NO_BATCH)

    def _report(self) -> None:
        if not self._failures:
            return
        failures, self._failures = self._failures, []
        warn_once(
            f"mltrail autologging ({self.integration.name}): "
            + "; ".join(dict.fromkeys(failures))
            + ". The result of your call is unaffected.",
            silent=self._store.silent,
        )
