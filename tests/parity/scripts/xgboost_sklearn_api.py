"""The XGBoost sklearn API under mlflow.autolog()."""
import mlflow
import numpy as np
from xgboost import XGBRegressor

rng = np.random.default_rng(1)
X = rng.normal(size=(200, 4))
y = X[:, 1] - X[:, 2] + rng.normal(scale=0.1, size=200)
mlflow.set_experiment("parity-xgb-sklearn")
mlflow.autolog()
XGBRegressor(n_estimators=20, max_depth=3, learning_rate=0.2, random_state=7, n_jobs=1).fit(X, y)
