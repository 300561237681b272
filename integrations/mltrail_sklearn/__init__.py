"""mltrail's sklearn integration: the model flavor (save/log/load) and autologging.

Reached as ``mltrail.sklearn``::

    import mltrail
    mltrail.sklearn.log_model(model, artifact_path="model")
    mltrail.sklearn.autolog()

Names load lazily so that ``import mltrail.sklearn`` stays cheap.
"""

from __future__ import annotations

from mltrail.lazy_names import lazy_getattr

_LAZY = {
    # flavor: save/log/load (module _flavor)
    "save_model": "._flavor",
    "log_model": "._flavor",
    "load_model": "._flavor",
    "FLAVOR_NAME": "._flavor",
    "SERIALIZATION_FORMAT_CLOUDPICKLE": "._flavor",
    "SERIALIZATION_FORMAT_PICKLE": "._flavor",
    "SERIALIZATION_FORMAT_SKOPS": "._flavor",
    "SUPPORTED_SERIALIZATION_FORMATS": "._flavor",
    "get_default_conda_env": "._flavor",
    "get_default_pip_requirements": "._flavor",
    "_load_pyfunc": "._flavor",  # pyfunc loader (MLmodel loader_module "mlflow.sklearn" -> mltrail.sklearn)
    # autologging (module _autolog)
    "integration": "._autolog",
    "autolog": "._autolog",
}


__getattr__ = lazy_getattr(__name__, _LAZY)


__all__ = list(_LAZY)
