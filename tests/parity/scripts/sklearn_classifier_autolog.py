"""A classifier under mlflow.autolog() with a classification_report afterwards (a LabelEncoder fit inside sklearn)."""
import mlflow
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import classification_report
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

X, y = make_classification(n_samples=300, n_features=6, random_state=0)
mlflow.set_experiment("parity-classifier")
mlflow.autolog()
pipe = make_pipeline(StandardScaler(), LogisticRegression(C=0.5, max_iter=200))
pipe.fit(X, y)
classification_report(y, pipe.predict(X))
StandardScaler().fit(X)   # a bare preprocessing fit: no run in MLflow
