"""The client: explicit-id access to the tracking store, artifacts and model registry.

    from mltrail.client import MlflowClient     # also mltrail.Client, mltrail.tracking.MlflowClient
    client = MlflowClient(tracking_uri="sqlite:///mlflow.db")
    run = client.create_run(client.create_experiment("demo"))
    client.log_param(run.info.run_id, "alpha", 0.01)
"""

from .async_logging import RunOperations, flush_async_logging
from ._client import Client, MlflowClient

__all__ = ["Client", "MlflowClient", "RunOperations", "flush_async_logging"]
