"""Models logged by mltrail load in a plain MLflow environment: the stock client's
``mlflow.pyfunc.load_model`` and flavor loaders, from a folder and through ``mltrail server``.

mltrail writes MLflow's loader module names (``mlflow.sklearn``, ``mlflow.xgboost``) in MLmodel,
and MLflow's flavor keys, so MLflow needs nothing of mltrail to load them.
"""

from __future__ import annotations

import uuid

import numpy as np
import pytest

mlflow = pytest.importorskip("mlflow")
import mlflow.pyfunc  # noqa: E402
import mlflow.sklearn  # noqa: E402
import mlflow.xgboost  # noqa: E402

import mltrail  # noqa: E402


@pytest.fixture
def data():
    rng = np.random.default_rng(7)
    X = rng.normal(size=(60, 3))
    return X, X @ np.array([1.0, -2.0, 0.5]) + 4.0


def _models(X, y):
    import xgboost as xgb
    from sklearn.linear_model import Ridge

    return {
        "ridge": (mltrail.sklearn, Ridge(alpha=0.5).fit(X, y)),
        "xgb_sklearn": (mltrail.xgboost, xgb.XGBRegressor(n_estimators=4, max_depth=2).fit(X, y)),
        "booster": (mltrail.xgboost, xgb.train({"max_depth": 2}, xgb.DMatrix(X, label=y), 4)),
    }


def _predict(model, X):
    import xgboost as xgb

    return model.predict(xgb.DMatrix(X)) if isinstance(model, xgb.Booster) else model.predict(X)


# Run by a fresh interpreter in which mltrail and its plugins cannot be imported: a plain MLflow environment.
_LOAD_WITHOUT_MLTRAIL = """
import sys, json
for name in ("mltrail", "mltrail_sklearn", "mltrail_xgboost", "mltrail_hyperopt"):
    sys.modules[name] = None  # import mltrail -> ImportError
import numpy as np, xgboost as xgb, mlflow.pyfunc, mlflow.sklearn, mlflow.xgboost
folder, flavor, X = sys.argv[1], sys.argv[2], np.array(json.loads(sys.argv[3]))
native = getattr(mlflow, flavor).load_model(folder)
native_pred = native.predict(xgb.DMatrix(X)) if isinstance(native, xgb.Booster) else native.predict(X)
print(json.dumps({"pyfunc": np.asarray(mlflow.pyfunc.load_model(folder).predict(X)).tolist(),
                  "native": np.asarray(native_pred).tolist(), "type": type(native).__name__}))
"""


def test_stock_mlflow_loads_mltrail_models_without_mltrail_installed(sqlite_uri, data):
    import json
    import subprocess
    import sys

    X, y = data
    mltrail.set_tracking_uri(sqlite_uri)
    with mltrail.start_run():
        for name, (flavor, model) in _models(X, y).items():
            info = flavor.log_model(model, name=name)
            folder = mltrail.artifacts.download_artifacts(artifact_uri=info.model_uri)
            out = subprocess.run(
                [sys.executable, "-c", _LOAD_WITHOUT_MLTRAIL, folder, flavor.__name__.split("_")[-1],
                 json.dumps(X[:5].tolist())],
                capture_output=True, text=True, timeout=300,
            )
            assert out.returncode == 0, f"{name}: {out.stderr[-2000:]}"
            loaded = json.loads(out.stdout.strip().splitlines()[-1])
            expected = _predict(model, X[:5])
            np.testing.assert_allclose(loaded["pyfunc"], expected, rtol=1e-6)
            np.testing.assert_allclose(loaded["native"], expected, rtol=1e-6)
            assert loaded["type"] == type(model).__name__


def test_stock_mlflow_loads_a_version_registered_through_mltrail_server(live_server, data):
    X, y = data
    name = f"ridge-{uuid.uuid4().hex[:8]}"
    mltrail.set_tracking_uri(live_server)
    _, model = _models(X, y)["ridge"]
    with mltrail.start_run():
        mltrail.sklearn.log_model(model, name="model", registered_model_name=name)
    mlflow.set_tracking_uri(live_server)
    mlflow.set_registry_uri(live_server)
    try:
        loaded = mlflow.pyfunc.load_model(f"models:/{name}/1")
    finally:
        mlflow.set_tracking_uri(None)
    np.testing.assert_allclose(loaded.predict(X[:5]), model.predict(X[:5]), rtol=1e-9)
