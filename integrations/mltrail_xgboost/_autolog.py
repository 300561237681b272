"""XGBoost autologging: ``xgboost.train`` and the sklearn API (XGBRegressor, XGBClassifier, XGBRanker).

    import mltrail
    mltrail.xgboost.autolog(importance_types=["weight", "gain"])
    from xgboost import train          # bound before or after autolog(): both are logged
    booster = train(params, dtrain, num_boost_round=100, evals=[(dvalid, "validation")],
                    early_stopping_rounds=10)

Each training gets one run (or logs into the active run) with MLflow's data:
the ``params`` given to ``train`` as given (for the sklearn API, the params
it hands to ``train``: ``learning_rate``, ``random_state``...) plus
``train``'s other arguments (``num_boost_round``, ``early_stopping_rounds``,
``maximize``, ``verbose_eval``, ``custom_metric``); the booster's full
configuration as the artifact ``booster_config.json``; every eval set's
metrics per boosting round as ``<eval name>-<metric>`` (step = iteration),
written in one batch at the end (long trainings flush every
``metrics_flush_seconds``); with early stopping, ``stopped_iteration`` and
``best_iteration`` (step 0) and the best iteration's metrics again at step
``stopped_iteration + 1``, so each metric's latest value is the best model's;
``dtrain`` and the eval sets as dataset inputs (contexts ``train`` / ``eval``,
with ``log_datasets``, in the same store transaction as the params);
feature importance per ``importance_types`` as JSON plus a PNG bar plot
(when Pillow is installed; drawn by the background writer, see
:func:`wait_for_figures`); the model in xgboost's native format through
``mltrail.xgboost.log_model``.

How calls are seen (DESIGN.md rule 4): every training, whatever name the
caller bound, builds an ``xgboost.callback.CallbackContainer``. Its methods
are patched at class level, so ``from xgboost import train`` done before
``autolog()`` is still tracked. ``xgboost.train`` and the sklearn-API ``fit``
methods are wrapped too, which gives those calls a run from their start and
a FAILED run when xgboost raises. A training reached only through an early
bound name is logged when it ends (its run is created then); when it raises
(in ``Booster.update``, patched too, or in a callback) it gets a FAILED run
with its params and the rounds that finished.
"""

from __future__ import annotations

import contextvars
import sys
import time
from typing import Any, Optional

import wrapt

from mltrail.autologging import AutologCall, Integration, current_call, in_autologged_call

from ._examples import remember_input_dtypes
from ._figures import wait_for_figures
from ._post_training import check_importance_types, log_training
from ._tracked_training import RECORD_ATTR, TrackedTraining, buffer_metrics
from ._training_record import TrainingRecord, train_arguments

__all__ = ["XGBoostIntegration", "autolog", "integration", "wait_for_figures"]

_SKLEARN_CLASSES = ("XGBModel", "XGBClassifier", "XGBRegressor", "XGBRanker", "XGBRFClassifier", "XGBRFRegressor")
#: The (args, kwargs) of the ``xgboost.train`` call running in this context (set by its patch,
#: also when that call is inside another autologged call such as the sklearn API's ``fit``).
_train_call: contextvars.ContextVar[Optional[tuple]] = contextvars.ContextVar("mltrail_xgboost_train", default=None)
class XGBoostIntegration(Integration):
    """Patches xgboost's CallbackContainer, ``xgboost.train`` and the sklearn-API ``fit`` methods."""

    name = "xgboost"
    framework = "xgboost"
    min_version = "1.7"
    max_version = "3.2"
    config_defaults = {
        "importance_types": ("weight",),
        "metrics_flush_seconds": 10.0,
    }

    def __init__(self) -> None:
        super().__init__()
        self._train_code: Any = None

    def configure(self, config: Any, explicit: bool) -> None:
        if "importance_types" in config:  # mltrail.autolog(importance_types="gain") arrives here unchecked too
            config = {**config, "importance_types": check_importance_types(config["importance_types"])}
        super().configure(config, explicit)

    # -- patching ---------------------------------------------------------------------
    def patch(self, xgboost: Any) -> None:
        import inspect

        from xgboost import callback, core, sklearn, training

        self._train_code = inspect.unwrap(training.train).__code__
        container = callback.CallbackContainer
        for attribute, wrapper in (
            ("__init__", self._container_init),
            ("before_training", self._container_before_training),
            ("after_iteration", self._container_after_iteration),
            ("after_training", self._container_after_training),
        ):
            self.replace(container, attribute, wrapt.FunctionWrapper(vars(container)[attribute], wrapper))
        self.wrap_plain(core.Booster, "update", self._booster_update)
        self.wrap_plain(core.DMatrix, "__init__", remember_input_dtypes)
        train_wrapper = self._train_wrapper()
        self.wrap_plain(training, "train", train_wrapper)
        for module in (xgboost, sklearn):  # names bound with ``from .training import train``
            if vars(module).get("train") is training.train.__wrapped__:
                self.wrap_plain(module, "train", train_wrapper)
        for class_name in _SKLEARN_CLASSES:
            cls = getattr(sklearn, class_name, None)
            if cls is not None and "fit" in vars(cls):
                self.wrap(cls, "fit", self._log_fit)

    def _train_wrapper(self) -> Any:
        """``xgboost.train``'s patch: note the call's arguments, then the usual autologged call."""
        logged = self.make_wrapper(self._log_train)

        def wrapper(wrapped: Any, instance: Any, args: tuple, kwargs: dict) -> Any:
            token = _train_call.set((wrapped, args, kwargs))
            try:
                return logged(wrapped, instance, args, kwargs)
            finally:
                _train_call.reset(token)

        return wrapper

    # -- hooks for wrapped entry points (a run exists from the start) -------------------
    def _log_train(self, call: AutologCall) -> None:
        booster = self._call_framework(call)
        training: Optional[TrackedTraining] = call.notes.get("training")
        if training is None:
            return
        log_training(call, training, booster, booster, None, self._config.importance_types)

    @staticmethod
    def _call_framework(call: AutologCall) -> Any:
        """Run xgboost; when it raises, keep what is known (params, rounds done) before re-raising."""
        try:
            return call.call_original()
        except BaseException:
            training: Optional[TrackedTraining] = call.notes.get("training")
            if training is not None:
                call.safely("log the params", lambda: call.log_params(training.record.params()))
                call.safely("log the metrics", lambda: buffer_metrics(call, training.remaining_rows()))
            raise

    def _log_fit(self, call: AutologCall) -> None:
        estimator = call.instance
        call.safely("tag the estimator", self._tag_estimator, call, estimator)
        self._call_framework(call)
        training: Optional[TrackedTraining] = call.notes.get("training")
        if training is None:
            return
        booster = call.safely("read the booster", estimator.get_booster)
        X = call.args[0] if call.args else call.kwargs.get("X")
        log_training(call, training, booster, estimator, X, self._config.importance_types)

    @staticmethod
    def _tag_estimator(call: AutologCall, estimator: Any) -> None:
        # params come from the train() call the estimator makes (as MLflow logs them)
        call.set_tags({"estimator_name": type(estimator).__name__,
                       "estimator_class": f"{type(estimator).__module__}.{type(estimator).__qualname__}"})

    # -- CallbackContainer patches (every call path crosses these) ----------------------
    def _container_init(self, wrapped: Any, instance: Any, args: tuple, kwargs: dict) -> None:
        wrapped(*args, **kwargs)
        config = self._config
        if config.disable or getattr(instance, "is_cv", False):
            return
        try:
            call = current_call()
            if call is not None and (call.integration is not self or "training" in call.notes):
                return  # inside another integration's call, or a second training in one call
            if call is None and in_autologged_call():
                return  # autologging is suppressed here (a fit made by library code)
            frame_locals = self._train_locals()
            if frame_locals is None:
                return
            noted = _train_call.get()
            if noted is not None:
                arguments = train_arguments(*noted)
            else:  # a train bound before autolog(): its arguments as the frame holds them
                train = inspect_unwrap(sys.modules["xgboost.training"].train)
                names = _train_parameters(train)
                arguments = train_arguments(train, (), {k: frame_locals[k] for k in names if k in frame_locals})
            record = TrainingRecord.from_train_call(arguments)
            training = TrackedTraining(
                record, call, frame_locals.get("dtrain"), instance, float(config.metrics_flush_seconds)
            )
            training.evals = frame_locals.get("evals")
            setattr(instance, RECORD_ATTR, training)
            if call is not None:
                call.notes["training"] = training
        except Exception as exc:  # never break training
            self.warn(f"could not prepare logging of an xgboost training: {exc!r}")

    def _train_locals(self) -> Optional[dict]:
        frame = sys._getframe(1)
        for _ in range(6):
            if frame is None:
                return None
            if frame.f_code is self._train_code:
                return frame.f_locals
            frame = frame.f_back
        return None

    def _container_before_training(self, wrapped: Any, instance: Any, args: tuple, kwargs: dict) -> Any:
        model = wrapped(*args, **kwargs)
        training = instance.__dict__.get(RECORD_ATTR)
        if training is not None and training.call is None:
            # an early-bound train has no run yet: let Booster.update find the training if it raises
            try:
                vars(model)[RECORD_ATTR] = training
                training.booster = model
            except TypeError:
                pass
        return model

    def _booster_update(self, wrapped: Any, instance: Any, args: tuple, kwargs: dict) -> Any:
        try:
            return wrapped(*args, **kwargs)
        except BaseException as exc:
            training = getattr(instance, "__dict__", {}).get(RECORD_ATTR)
            if training is not None:
                self._log_failed_training(training, exc)
            raise

    def _container_after_iteration(self, wrapped: Any, instance: Any, args: tuple, kwargs: dict) -> bool:
        # per boosting round: one dict lookup and one append when tracked, one lookup when not
        training = instance.__dict__.get(RECORD_ATTR)
        try:
            stop = wrapped(*args, **kwargs)
        except BaseException as exc:  # a user callback raised
            if training is not None:
                self._log_failed_training(training, exc)
            raise
        if training is not None:
            record = training.record
            if record.first_iteration is None:
                record.first_iteration = args[1] if len(args) > 1 else kwargs.get("epoch", 0)
                record.note_history_start(instance.history)
            record.timestamps.append(time.time())
            if training.call is not None and time.monotonic() > training.flush_at:
                self._flush_rounds(training, instance.history)
        return stop

    def _flush_rounds(self, training: TrackedTraining, history: Any) -> None:
        call = training.call
        try:
            rows = training.record.metrics(history, since=training.flushed_rounds)
            training.flushed_rounds = len(training.record.timestamps)
            buffer_metrics(call, rows)
            call.flush()
        except Exception as exc:
            call.note_failure("write per-iteration metrics", exc)
        training.flush_at = time.monotonic() + training.flush_every

    def _container_after_training(self, wrapped: Any, instance: Any, args: tuple, kwargs: dict) -> Any:
        model = wrapped(*args, **kwargs)
        training = getattr(instance, RECORD_ATTR, None)
        if training is None or training.finished:
            return model
        training.finished = True
        training.detach()
        try:
            training.remaining_rows(model)
        except Exception as exc:
            self.warn(f"could not read the per-iteration metrics: {exc!r}")
            training.rows = []
        if training.call is None:
            # Reached through an early-bound name: log everything now, in a run of its own
            # (or the active run), through the same runtime rules as a wrapped call.
            try:
                self.make_wrapper(lambda call: self._log_unwrapped(call, training))(
                    lambda: model, None, (), {}
                )
            except Exception as exc:  # pragma: no cover - make_wrapper already guards
                self.warn(f"could not log an xgboost training: {exc!r}")
        return model

    def _log_failed_training(self, training: TrackedTraining, exc: BaseException) -> None:
        """A training reached through an early-bound name raised: log it in a FAILED run (or the active run).

        The exception itself is the user's: it propagates unchanged, traceback included.
        """
        if training.finished or training.call is not None:
            return  # a wrapped call ends its own run FAILED
        training.finished = True
        training.detach()
        traceback = exc.__traceback__

        def fail() -> None:
            raise exc

        def log(call: AutologCall) -> None:
            call.safely("log the params", lambda: call.log_params(training.record.params()))
            call.safely("log the metrics", lambda: buffer_metrics(call, training.remaining_rows()))
            call.call_original()

        try:
            self.make_wrapper(log)(fail, None, (), {})
        except BaseException as raised:
            if raised is not exc:  # pragma: no cover - make_wrapper re-raises the framework's error only
                self.warn(f"could not log a failed xgboost training: {raised!r}")
        finally:
            exc.__traceback__ = traceback

    def _log_unwrapped(self, call: AutologCall, training: TrackedTraining) -> None:
        booster = call.call_original()
        log_training(call, training, booster, booster, None, self._config.importance_types)


_parameters_cache: dict[Any, tuple[str, ...]] = {}


def inspect_unwrap(function: Any) -> Any:
    """``function`` without our patch (and any functools.wraps layers)."""
    import inspect

    return inspect.unwrap(function)


def _train_parameters(train: Any) -> tuple[str, ...]:
    names = _parameters_cache.get(train)
    if names is None:
        import inspect

        names = _parameters_cache[train] = tuple(inspect.signature(train).parameters)
    return names


integration = XGBoostIntegration()


def autolog(
    importance_types: Any = ("weight",),
    log_models: bool = True,
    log_input_examples: bool = False,
    log_model_signatures: bool = True,
    log_datasets: bool = True,
    disable: bool = False,
    exclusive: bool = False,
    disable_for_unsupported_versions: bool = False,
    silent: bool = False,
    extra_tags: Optional[dict] = None,
    registered_model_name: Optional[str] = None,
    metrics_flush_seconds: float = 10.0,
) -> None:
    """Enable (or with ``disable=True`` undo) XGBoost autologging.

    ``importance_types``: which ``Booster.get_score`` types to log (JSON +
    PNG each); ``metrics_flush_seconds``: how often a long training writes
    its per-iteration metrics (short ones write once, at the end).

        import mltrail
        mltrail.xgboost.autolog(importance_types=["weight", "gain"], log_input_examples=True)
    """
    integration.autolog(
        importance_types=importance_types,
        log_models=log_models,
        log_input_examples=log_input_examples,
        log_model_signatures=log_model_signatures,
        log_datasets=log_datasets,
        disable=disable,
        exclusive=exclusive,
        disable_for_unsupported_versions=disable_for_unsupported_versions,
        silent=silent,
        extra_tags=extra_tags,
        registered_model_name=registered_model_name,
        metrics_flush_seconds=metrics_flush_seconds,
    )
