"""MLflow's ``mlflow.tracking.client`` module path, for scripts that import the client from there.

    from mltrail.tracking.client import MlflowClient
"""

from ..client import Client, MlflowClient

__all__ = ["Client", "MlflowClient"]
