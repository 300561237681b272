"""Describe training and evaluation data as datasets a run consumed (MLflow's ``mlflow.data``).

A dataset carries a name, a digest of its content (a fast fingerprint:
shape, dtypes and a bounded sample of rows), where it came from, its schema
and a profile (``num_rows``, ``num_elements``)::

    import mltrail as mlflow
    train = mlflow.data.from_numpy(X_train, targets=y_train, source="/data/taxi-2023-01.parquet")
    with mlflow.start_run():
        mlflow.log_input(train, context="train")

numpy and pandas are imported only when these functions run.
"""

from ._fingerprint import from_description
from ._numpy import from_numpy
from ._pandas import PandasDataset, from_pandas
from ._sources import DatasetSource, get_source

__all__ = ["DatasetSource", "PandasDataset", "from_description", "from_numpy", "from_pandas", "get_source"]
