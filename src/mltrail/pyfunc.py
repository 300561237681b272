"""``mltrail.pyfunc``: load any logged model and predict with it (MLflow's ``mlflow.pyfunc``).

>>> import mltrail
>>> model = mltrail.pyfunc.load_model(f"runs:/{run_id}/model")
>>> model.predict(df_val)

The implementation lives in :mod:`mltrail.models.pyfunc_model`.
"""

from __future__ import annotations

from .models.pyfunc_model import FLAVOR_NAME, PyFuncModel, get_model_dependencies, load_model

__all__ = ["FLAVOR_NAME", "PyFuncModel", "get_model_dependencies", "load_model"]
