"""MLflow's ``mlflow.tracking`` names: the client and the tracking-URI functions.

    from mltrail.tracking import MlflowClient
    client = MlflowClient(tracking_uri="sqlite:///mlflow.db")
"""

from ..client import Client, MlflowClient
from ..config import get_tracking_uri, set_tracking_uri

__all__ = ["Client", "MlflowClient", "get_tracking_uri", "set_tracking_uri"]
