"""Register a logged model, move it through stages, alias it, tag it and load it back by URI."""
import mlflow
import mlflow.sklearn
from mlflow import MlflowClient
from sklearn.datasets import make_regression
from sklearn.linear_model import Lasso

X, y = make_regression(n_samples=100, n_features=3, random_state=0)
mlflow.set_experiment("parity-registry")
with mlflow.start_run(run_name="lasso") as run:
    mlflow.log_param("alpha", 0.1)
    mlflow.sklearn.log_model(Lasso(alpha=0.1).fit(X, y), name="model")
client = MlflowClient()
mv = mlflow.register_model(f"runs:/{run.info.run_id}/model", "parity-regressor")
client.update_registered_model("parity-regressor", description="taxi duration")
client.transition_model_version_stage("parity-regressor", mv.version, "Staging")
client.set_registered_model_alias("parity-regressor", "champion", mv.version)
client.set_model_version_tag("parity-regressor", mv.version, "validated", "yes")
mv2 = mlflow.register_model(f"runs:/{run.info.run_id}/model", "parity-regressor")
client.transition_model_version_stage("parity-regressor", mv2.version, "Production", archive_existing_versions=True)
model = mlflow.pyfunc.load_model("models:/parity-regressor@champion")
assert model.predict(X[:2]).shape == (2,)
