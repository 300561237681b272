"""scikit-learn autologging: ``mltrail.sklearn.autolog()``.

Which calls are patched: ``fit``, ``fit_transform`` and ``fit_predict`` on
every class deriving ``sklearn.base.BaseEstimator`` that defines them itself
- sklearn's own estimators (everything ``sklearn.utils.all_estimators()``
lists) and the user's. Classes that exist when autologging starts are found
by walking ``BaseEstimator.__subclasses__()``; classes created later (a
sklearn module imported later, a user class defined after ``autolog()``)
are patched as they are created, from a ``BaseEstimator.__init_subclass__``
hook. No sklearn module is imported eagerly. Estimators of frameworks that
have their own integration (XGBoost's sklearn API...) are left to it.

What is not logged (as in MLflow): a fit of a preprocessing estimator on its
own (classes from ``sklearn.preprocessing``, ``sklearn.impute``,
``sklearn.feature_extraction``, ``sklearn.feature_selection`` and
``ColumnTransformer``; inside a Pipeline they are part of its run), unless
``log_transformers=True``; and a fit that sklearn's own code makes
(``classification_report`` fitting a LabelEncoder, ``cross_val_score``
fitting clones): such calls run with autologging suppressed inside them.

    import mltrail
    mltrail.sklearn.autolog(max_tuning_runs=3)
    Ridge(alpha=0.5).fit(X_train, y_train)     # one run: params, metrics, model
    mean_squared_error(y_val, model.predict(X_val))   # -> mean_squared_error_X_val
"""

from __future__ import annotations

import sys
from typing import Any, Optional

import wrapt

from mltrail.autologging import Integration, integration_modules

from . import _autolog_post_training as post_training

FIT_METHODS = ("fit", "fit_transform", "fit_predict")
#: Top-level modules whose estimators belong to another integration.
_ALWAYS_EXCLUDED = frozenset({"xgboost", "lightgbm", "catboost"})
#: MLflow's set of data-manipulation estimators that are not runs of their own (module prefixes, classes).
TRANSFORMER_MODULES = ("sklearn.preprocessing", "sklearn.impute", "sklearn.feature_extraction",
                       "sklearn.feature_selection")
TRANSFORMER_CLASSES = frozenset({"sklearn.compose._column_transformer.ColumnTransformer"})


def is_transformer_class(cls: type) -> bool:
    """True for the preprocessing classes autologging leaves alone unless ``log_transformers=True``.

    >>> from sklearn.preprocessing import StandardScaler
    >>> is_transformer_class(StandardScaler)
    True
    """
    module = getattr(cls, "__module__", "") or ""
    return module.startswith(TRANSFORMER_MODULES) or f"{module}.{cls.__name__}" in TRANSFORMER_CLASSES


def _all_subclasses(root: type) -> list[type]:
    seen: dict[type, None] = {}
    stack = [root]
    while stack:
        cls = stack.pop()
        for sub in type.__subclasses__(cls):
            if sub not in seen:
                seen[sub] = None
                stack.append(sub)
    return list(seen)


class SklearnIntegration(Integration):
    """The scikit-learn integration (``mltrail.sklearn.integration``)."""

    name = "sklearn"
    framework = "sklearn"
    distribution = "scikit-learn"
    min_version = "1.2"
    max_version = "1.9"
    config_defaults = {
        "max_tuning_runs": 5,
        "log_post_training_metrics": True,
        "serialization_format": "cloudpickle",
        "pos_label": None,
        "log_plots": True,
        "log_transformers": False,
    }
    library_callers = ("sklearn.",)

    def __init__(self) -> None:
        super().__init__()
        self._excluded_modules: frozenset[str] = _ALWAYS_EXCLUDED
        self._log_fit: Any = None
        self._metrics_hook_registered = False
        self._transformer_classes: dict[type, bool] = {}

    def skip_call(self, instance: Any, caller: Any) -> bool:
        """Transformers alone (unless ``log_transformers``) and fits made by sklearn's own code."""
        if instance is not None and not self._config.get("log_transformers", False):
            cls = type(instance)
            excluded = self._transformer_classes.get(cls)
            if excluded is None:
                excluded = self._transformer_classes[cls] = is_transformer_class(cls)
            if excluded:
                return True
        return super().skip_call(instance, caller)

    def patch(self, sklearn: Any) -> None:
        from sklearn.base import BaseEstimator

        from ._autolog_fit import log_fit  # numpy and friends load with sklearn, not before

        self._log_fit = log_fit

        others = set(integration_modules()) - {self.name}
        self._excluded_modules = _ALWAYS_EXCLUDED | others
        integration = self
        base_hook = BaseEstimator.__dict__.get("__init_subclass__")

        def __init_subclass__(cls: type, **kwargs: Any) -> None:
            if base_hook is None:
                super(BaseEstimator, cls).__init_subclass__(**kwargs)
            else:
                base_hook.__get__(None, cls)(**kwargs)
            if integration.patched:
                integration.patch_class(cls)

        self.replace(BaseEstimator, "__init_subclass__", classmethod(__init_subclass__))
        for cls in _all_subclasses(BaseEstimator):
            self.patch_class(cls)
        from sklearn.utils.parallel import Parallel

        from ._autolog_parallel import parallel_call_wrapper

        self.wrap_plain(Parallel, "__call__", parallel_call_wrapper)
        # sklearn.metrics is patched when it is imported (it costs a noticeable import of its own)
        if "sklearn.metrics" in sys.modules:
            post_training.patch_metric_functions(self)
        elif not self._metrics_hook_registered:
            self._metrics_hook_registered = True
            wrapt.register_post_import_hook(self._on_metrics_import, "sklearn.metrics")

    def _on_metrics_import(self, _module: Any) -> None:
        if self.patched:
            post_training.patch_metric_functions(self)

    def patch_class(self, cls: type) -> None:
        """Patch the fit methods (and prediction methods, for post-training metrics) ``cls`` defines."""
        module = getattr(cls, "__module__", "") or ""
        if module.split(".", 1)[0] in self._excluded_modules:
            return
        own = vars(cls)
        for attribute in FIT_METHODS:
            if attribute in own:
                self.wrap(cls, attribute, self._log_fit)
        post_training.patch_class(self, cls)

    def unpatch(self) -> None:
        super().unpatch()
        post_training.forget_all()


integration = SklearnIntegration()


def autolog(
    log_input_examples: bool = False,
    log_model_signatures: bool = True,
    log_models: bool = True,
    log_datasets: bool = True,
    disable: bool = False,
    exclusive: bool = False,
    disable_for_unsupported_versions: bool = False,
    silent: bool = False,
    max_tuning_runs: Optional[int] = 5,
    log_post_training_metrics: bool = True,
    serialization_format: str = "cloudpickle",
    registered_model_name: Optional[str] = None,
    pos_label: Any = None,
    extra_tags: Optional[dict[str, Any]] = None,
    log_plots: bool = True,
    log_transformers: bool = False,
) -> None:
    """Enable (or disable) and configure autologging for scikit-learn (MLflow's options, same defaults).

    Every ``fit``/``fit_transform``/``fit_predict`` of an estimator logs, in
    one run (the active one, else a new one): params from
    ``get_params(deep=True)``; training metrics from one prediction pass
    (classifiers: accuracy, weighted precision/recall/F1, log_loss and
    roc_auc with ``predict_proba``; regressors: mse, rmse, mae, r2;
    clusterers: silhouette when cheap) and ``training_score``; tags
    ``estimator_name``/``estimator_class``; the model (``log_models``) with
    signature and input example; for classifiers confusion-matrix, ROC and
    precision-recall PNGs (``log_plots``, when matplotlib is installed).
    ``GridSearchCV``/``RandomizedSearchCV`` get best params and score, the
    best estimator, ``cv_results.csv`` and child runs for the best
    ``max_tuning_runs`` candidates (None: all). With
    ``log_post_training_metrics``, sklearn.metrics calls and ``score`` on
    an autologged model's predictions log ``<metric>_<dataset variable>``.
    A preprocessing estimator fitted alone (``StandardScaler().fit(X)``,
    ``DictVectorizer().fit_transform(d)``) is not a run, as in MLflow;
    ``log_transformers=True`` (an mltrail option) logs those too.

        import mltrail
        mltrail.sklearn.autolog(log_input_examples=True, max_tuning_runs=3)
    """
    integration.autolog(
        log_input_examples=log_input_examples,
        log_model_signatures=log_model_signatures,
        log_models=log_models,
        log_datasets=log_datasets,
        disable=disable,
        exclusive=exclusive,
        disable_for_unsupported_versions=disable_for_unsupported_versions,
        silent=silent,
        max_tuning_runs=max_tuning_runs,
        log_post_training_metrics=log_post_training_metrics,
        serialization_format=serialization_format,
        registered_model_name=registered_model_name,
        pos_label=pos_label,
        extra_tags=extra_tags,
        log_plots=log_plots,
        log_transformers=log_transformers,
    )
