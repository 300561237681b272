"""mltrail's xgboost integration: the model flavor (save/log/load) and autologging.

Reached as ``mltrail.xgboost``::

    import mltrail
    mltrail.xgboost.log_model(model, artifact_path="model")
    mltrail.xgboost.autolog()

Names load lazily so that ``import mltrail.xgboost`` stays cheap.
"""

from __future__ import annotations

from mltrail.lazy_names import lazy_getattr

_LAZY = {
    # flavor: save/log/load (module _flavor)
    "save_model": "._flavor",
    "log_model": "._flavor",
    "load_model": "._flavor",
    "FLAVOR_NAME": "._flavor",
    "get_default_conda_env": "._flavor",
    "get_default_pip_requirements": "._flavor",
    "_load_pyfunc": "._flavor",  # pyfunc loader (MLmodel loader_module "mlflow.xgboost" -> mltrail.xgboost)
    # autologging (module _autolog)
    "integration": "._autolog",
    "autolog": "._autolog",
    "wait_for_figures": "._autolog",
}


__getattr__ = lazy_getattr(__name__, _LAZY)


__all__ = list(_LAZY)
