"""hyperopt autologging: every ``fmin`` becomes a parent run with one child run per trial.

    from hyperopt import fmin, tpe, hp, Trials      # imported before autolog(): fine
    import mltrail
    mltrail.autolog()                               # or mltrail.hyperopt.autolog(max_trial_models=5)
    best = fmin(objective, space, algo=tpe.suggest, max_evals=50, trials=Trials())

What is logged
--------------
Parent run (the active run when there is one, else a new run):
tags ``algorithm`` and ``max_evals``; artifact ``search_space.json`` (every
hyperparameter with its distribution and bounds, and the space's structure);
metrics ``best_loss``, ``n_trials``, ``n_failed_trials``; tag
``best_trial_run_id``; the best trial's params prefixed ``best_``.

Trial runs ``trial-<tid>`` (children of the parent): params = the point the
objective received (nested dicts as ``a.b``, list positions as ``a.0``); metrics
``loss``, ``duration_seconds`` and every other numeric key of the result dict;
FINISHED for ``STATUS_OK``, FAILED for ``STATUS_FAIL`` or an exception (which
still propagates as hyperopt expects). The trial's run is the active run while
the objective runs, so xgboost / sklearn autologging there logs into it, and a
run the objective opens itself (``with mlflow.start_run():`` or MLflow's
documented ``start_run(nested=True)`` under a parent run around ``fmin``) *is*
that trial's run: it gets the trial's params, loss and tags, with no extra
``trial-<tid>`` layer (its ``run_name`` renames the trial's run). A second
nested run in the same objective is a child of the first while it is open, a
sibling after it was left.

Options: ``log_trial_models`` (default True: models that framework
autologging logs inside trials are kept); ``max_trial_models`` (default None =
all; N = only the N best trials' models are written, at the end of the
sweep); ``log_trial_figures`` (default False: trials skip optional figures
such as importance plots, which would cost more than the trial's tracking).

How calls are seen (DESIGN.md rule 4): ``FMinIter.exhaust`` and
``Domain.evaluate`` are patched on the classes, which every path crosses:
``fmin(...)``, ``Trials().fmin(...)``, ``trials=None``, a name bound with
``from hyperopt import fmin`` before ``autolog()``.

SparkTrials and MongoTrials
---------------------------
Both keep working unchanged. Their trials run in other processes (Spark
executors, ``hyperopt-mongo-worker``), where this process's patches do not
exist, so:

- the parent run, its tags, search space and summary are logged by the
  driver as usual;
- each finished trial gets its child run ``trial-<tid>`` from the driver when
  ``fmin`` returns, built from hyperopt's trial document: params (the point,
  rebuilt with ``space_eval``), ``loss``, other numeric result keys,
  ``duration_seconds`` (book time to refresh time), FINISHED / FAILED and the
  error text;
- framework autologging inside the objective (models, per-iteration metrics)
  only happens if the objective itself calls ``mltrail.autolog()`` and the
  worker can reach the tracking server: set ``MLTRAIL_TRACKING_URI`` (or
  ``MLFLOW_TRACKING_URI``) on the workers to an ``http://`` server URI (a
  SQLite file on the driver's disk is not reachable from other machines).
  Such runs are separate top-level runs; log to the trial explicitly with
  ``mltrail.start_run(run_id=...)`` if you pass the id yourself.

SparkTrials is exercised for real with a local master in
tests/integrations/hyperopt (skipped when pyspark or Java is missing; Spark's
Python workers need ``PYSPARK_PYTHON`` pointing at an interpreter that has
hyperopt). MongoTrials follows the same driver-side path; it is tested through
a Trials subclass that evaluates documents the way those workers do.
"""

from __future__ import annotations

import importlib
from typing import Any, Optional

import wrapt

from mltrail import fluent
from mltrail.autologging import AutologCall, Integration
from mltrail.exceptions import InvalidParameterError

from ._sweep import TRIAL_OWNER, Sweep

__all__ = ["HyperoptIntegration", "autolog", "integration"]


class HyperoptIntegration(Integration):
    """Patches ``FMinIter.exhaust`` (one parent run per fmin) and ``Domain.evaluate`` (a run per trial)."""

    name = "hyperopt"
    framework = "hyperopt"
    min_version = "0.2.7"
    max_version = "0.3"
    config_defaults = {
        "log_trial_models": True,
        "max_trial_models": None,
        "log_trial_figures": False,
    }

    def __init__(self) -> None:
        super().__init__()
        self._sweeps: dict[int, Sweep] = {}
        self._evaluate: Any = None

    def configure(self, config: Any, explicit: bool) -> None:
        limit = config.get("max_trial_models")
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
            raise InvalidParameterError(
                f"max_trial_models={limit!r}: expected None (keep every trial's model) or an integer >= 0"
            )
        super().configure(config, explicit)

    def patch(self, hyperopt: Any) -> None:
        fmin_module = importlib.import_module("hyperopt.fmin")
        base = importlib.import_module("hyperopt.base")
        self._evaluate = vars(base.Domain)["evaluate"]
        self.wrap(fmin_module.FMinIter, "exhaust", self._log_sweep)
        self.replace(base.Domain, "evaluate", wrapt.FunctionWrapper(self._evaluate, self._evaluate_trial))
        fluent.set_joinable_owner(TRIAL_OWNER)

    def unpatch(self) -> None:
        fluent.set_joinable_owner(TRIAL_OWNER, False)
        super().unpatch()

    # -- one fmin call ------------------------------------------------------------------------
    def _log_sweep(self, call: AutologCall) -> None:
        sweep = Sweep(call, call.instance)
        call.safely("describe the sweep", sweep.begin)
        key = id(sweep.trials)
        self._sweeps[key] = sweep
        try:
            call.call_original()
        finally:
            if self._sweeps.get(key) is sweep:
                del self._sweeps[key]
            call.safely("summarize the sweep", sweep.finish)

    # -- one trial -------------------------------------------------------------------------------
    def _evaluate_trial(self, wrapped: Any, instance: Any, args: tuple, kwargs: dict) -> Any:
        ctrl = args[1] if len(args) > 1 else kwargs.get("ctrl")
        sweep = self._sweeps.get(id(getattr(ctrl, "trials", None))) if ctrl is not None else None
        doc = getattr(ctrl, "current_trial", None)
        if sweep is None or not isinstance(doc, dict) or instance is None:
            return wrapped(*args, **kwargs)
        return sweep.run_trial(self._evaluate, instance, args, kwargs, doc)


integration = HyperoptIntegration()


def autolog(
    log_trial_models: bool = True,
    max_trial_models: Optional[int] = None,
    log_trial_figures: bool = False,
    disable: bool = False,
    exclusive: bool = False,
    disable_for_unsupported_versions: bool = False,
    silent: bool = False,
    extra_tags: Optional[dict] = None,
    log_models: bool = True,
    log_input_examples: bool = False,
    log_model_signatures: bool = True,
    log_datasets: bool = True,
    registered_model_name: Optional[str] = None,
) -> None:
    """Enable (or with ``disable=True`` undo) sweep tracking for hyperopt's ``fmin``.

    ``log_trial_models=False`` drops the models framework autologging would log
    inside trials; ``max_trial_models=N`` keeps only the N best trials' models
    (written when fmin returns). Enable the framework's autologging too
    (``mltrail.autolog()`` does all) to get its metrics and models per trial.

        import mltrail
        mltrail.hyperopt.autolog(max_trial_models=5)
        mltrail.xgboost.autolog()
    """
    integration.autolog(
        log_trial_models=log_trial_models,
        max_trial_models=max_trial_models,
        log_trial_figures=log_trial_figures,
        disable=disable,
        exclusive=exclusive,
        disable_for_unsupported_versions=disable_for_unsupported_versions,
        silent=silent,
        extra_tags=extra_tags,
        log_models=log_models,
        log_input_examples=log_input_examples,
        log_model_signatures=log_model_signatures,
        log_datasets=log_datasets,
        registered_model_name=registered_model_name,
    )
