"""``mltrail.pyfunc``: load any logged model and predict with it (MLflow's ``mlflow.pyfunc``).

>>> import mltrail
>>> model = mltrail.pyfunc.load_model(f"runs:/{run_id}/model")
>>> model.predict(df_val)

Custom models subclass :class:`PythonModel` and are saved with
``mltrail.pyfunc.log_model(python_model=...)``. The implementation lives in
:mod:`mltrail.models.pyfunc_model` and :mod:`mltrail.models.python_model`.
"""

from __future__ import annotations

from .models.pyfunc_model import (
    FLAVOR_NAME,
    PyFuncModel,
    get_default_conda_env,
    get_default_pip_requirements,
    get_model_dependencies,
    load_model,
    load_pyfunc,
)
from .models.python_model import PythonModel, PythonModelContext, log_model, save_model

__all__ = [
    "FLAVOR_NAME",
    "PyFuncModel",
    "PythonModel",
    "PythonModelContext",
    "get_default_conda_env",
    "get_default_pip_requirements",
    "get_model_dependencies",
    "load_model",
    "load_pyfunc",
    "log_model",
    "save_model",
]
