"""sklearn autolog, then a manual log_model of the same estimator in the same run (MLflow 3 keeps both)."""
import mlflow
import mlflow.sklearn
from sklearn.datasets import make_regression
from sklearn.linear_model import Ridge

X, y = make_regression(n_samples=200, n_features=5, noise=0.1, random_state=0)
mlflow.set_experiment("parity-sklearn")
mlflow.sklearn.autolog()
with mlflow.start_run(run_name="ridge"):
    model = Ridge(alpha=0.5).fit(X, y)
    mlflow.sklearn.log_model(model, name="model")
