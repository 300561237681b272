"""GridSearchCV under sklearn autolog: a parent run and one child run per candidate."""
import mlflow
import mlflow.sklearn
from sklearn.datasets import make_classification
from sklearn.model_selection import GridSearchCV
from sklearn.svm import SVC

X, y = make_classification(n_samples=150, n_features=4, random_state=0)
mlflow.set_experiment("parity-grid")
mlflow.sklearn.autolog(max_tuning_runs=None)
with mlflow.start_run(run_name="grid"):
    GridSearchCV(SVC(random_state=0), {"C": [0.1, 1.0], "kernel": ["linear", "rbf"]}, cv=3).fit(X, y)
