"""A custom PythonModel whose artifacts include another logged model, loaded back with pyfunc."""
import mlflow
import mlflow.pyfunc
import mlflow.sklearn
from sklearn.datasets import make_regression
from sklearn.linear_model import LinearRegression

X, y = make_regression(n_samples=50, n_features=2, random_state=0)


class Doubler(mlflow.pyfunc.PythonModel):
    def load_context(self, context):
        self.inner = mlflow.sklearn.load_model(context.artifacts["inner"])

    def predict(self, context, model_input, params=None):
        return self.inner.predict(model_input) * 2


mlflow.set_experiment("parity-pyfunc")
with mlflow.start_run(run_name="wrapper") as run:
    inner = mlflow.sklearn.log_model(LinearRegression().fit(X, y), name="inner")
    info = mlflow.pyfunc.log_model(name="doubler", python_model=Doubler(), artifacts={"inner": inner.model_uri})
loaded = mlflow.pyfunc.load_model(info.model_uri)
assert abs(loaded.predict(X[:1])[0] - 2 * LinearRegression().fit(X, y).predict(X[:1])[0]) < 1e-6
