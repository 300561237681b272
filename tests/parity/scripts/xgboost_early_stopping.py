"""xgboost.train with early stopping under xgboost autolog."""
import mlflow
import mlflow.xgboost
import numpy as np
import xgboost as xgb

rng = np.random.default_rng(0)
X = rng.normal(size=(400, 5))
y = X[:, 0] * 2 + rng.normal(scale=0.5, size=400)
dtrain = xgb.DMatrix(X[:300], label=y[:300])
dval = xgb.DMatrix(X[300:], label=y[300:])
mlflow.set_experiment("parity-xgboost")
mlflow.xgboost.autolog()
with mlflow.start_run(run_name="booster"):
    xgb.train(
        {"objective": "reg:squarederror", "max_depth": 3, "learning_rate": 0.3, "seed": 42, "nthread": 1},
        dtrain,
        num_boost_round=200,
        evals=[(dval, "validation")],
        early_stopping_rounds=5,
        verbose_eval=False,
    )
