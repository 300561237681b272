"""The documented hyperopt pattern: a parent run around fmin, a nested run opened by the objective."""
import mlflow
import numpy as np
from hyperopt import STATUS_OK, Trials, fmin, hp, tpe
from sklearn.datasets import make_regression
from sklearn.linear_model import Ridge
from sklearn.metrics import mean_squared_error

X, y = make_regression(n_samples=200, n_features=5, noise=5.0, random_state=0)
mlflow.set_experiment("parity-hyperopt")
mlflow.autolog()


def objective(params):
    with mlflow.start_run(nested=True):
        mlflow.log_params(params)
        model = Ridge(alpha=params["alpha"]).fit(X[:150], y[:150])
        rmse = float(np.sqrt(mean_squared_error(y[150:], model.predict(X[150:]))))
        mlflow.log_metric("rmse", rmse)
    return {"loss": rmse, "status": STATUS_OK}


with mlflow.start_run(run_name="sweep"):
    fmin(objective, {"alpha": hp.loguniform("alpha", -3, 2)}, algo=tpe.suggest, max_evals=4,
         trials=Trials(), rstate=np.random.default_rng(0), show_progressbar=False)
