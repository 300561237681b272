"""``from_pandas``: a dataset of a pandas DataFrame, described by its columns and dtypes."""

from __future__ import annotations

from typing import Any, Optional

from ..entities import Dataset
from ..exceptions import InvalidParameterError
from ._fingerprint import hash_array, make_dataset, new_hasher, sample_rows

_KIND_TYPES = {"b": "boolean", "i": "long", "u": "long", "f": "double", "M": "datetime", "U": "string", "S": "binary"}


def column_type(dtype: Any) -> str:
    """MLflow's column type name for a pandas dtype (``string`` for objects and text)."""
    kind = getattr(dtype, "kind", "O")
    if kind == "i" and dtype.itemsize <= 4:
        return "integer"
    if kind == "f" and dtype.itemsize <= 4:
        return "float"
    return _KIND_TYPES.get(kind, "string")


class PandasDataset(Dataset):
    """A dataset built from a DataFrame (MLflow's ``PandasDataset``): the entity plus ``df``,
    ``targets`` and ``predictions`` (column names).

    >>> ds = mltrail.data.from_pandas(trips, targets="duration"); ds.df.shape
    (1000, 8)
    """

    __slots__ = ("_df", "_targets", "_predictions")

    @property
    def df(self) -> Any:
        """The DataFrame the dataset describes."""
        return self._df

    @property
    def targets(self) -> Optional[str]:
        """The name of the target column, or None."""
        return self._targets

    @property
    def predictions(self) -> Optional[str]:
        """The name of the predictions column, or None."""
        return self._predictions


def _check_column(df: Any, what: str, column: str) -> None:
    if column not in df.columns:
        raise InvalidParameterError(
            f"Invalid {what} {column!r}: no such column in the DataFrame (columns: {list(df.columns)[:20]})"
        )


def from_pandas(
    df: Any,
    source: Optional[str] = None,
    targets: Any = None,
    name: Optional[str] = None,
    digest: Optional[str] = None,
    predictions: Optional[str] = None,
) -> PandasDataset:
    """A dataset of a DataFrame: column names and types as the schema, rows and cells as the profile.

    ``targets`` names the target column of ``df`` (MLflow), or is a Series /
    array of targets aligned with ``df`` (hashed into the digest too);
    ``predictions`` names a predictions column; ``digest`` replaces the
    computed one. ``ds.df`` is the DataFrame.

    >>> ds = mltrail.data.from_pandas(trips, source="s3://bucket/taxi/2023-01.parquet", targets="duration")
    >>> ds.source_type
    's3'
    """
    import pandas as pd

    if not isinstance(df, pd.DataFrame):
        raise InvalidParameterError(f"Invalid DataFrame of type {type(df).__name__}: from_pandas takes a pandas DataFrame")
    n_rows, n_cols = df.shape
    dtypes = list(df.dtypes)
    hasher = new_hasher()
    hasher.update(f"{df.shape}|{list(df.columns)!r}|".encode())
    rows = sample_rows(n_rows, sum(int(getattr(t, "itemsize", 8)) for t in dtypes))
    sample = df if rows is None else df.iloc[rows]
    if dtypes and all(t == dtypes[0] and getattr(t, "kind", "O") in "biuf" for t in dtypes):
        hash_array(hasher, sample.to_numpy())  # one numeric block: no per-column work
    else:
        for position in range(n_cols):
            hash_array(hasher, sample.iloc[:, position].to_numpy())
    columns = [
        {"type": column_type(dtype), "name": str(column), "required": True} for column, dtype in zip(df.columns, dtypes)
    ]
    schema: dict[str, Any] = {"mlflow_colspec": columns}
    if isinstance(targets, str):
        _check_column(df, "targets", targets)
        schema["targets"] = targets
    elif targets is not None:
        import numpy as np

        values = targets.to_numpy() if hasattr(targets, "to_numpy") else np.asarray(targets)
        hasher.update(b"|targets|")
        hash_array(hasher, values)
        schema["targets"] = str(getattr(targets, "name", None) or "targets")
    if predictions is not None:
        _check_column(df, "predictions", predictions)
        schema["predictions"] = predictions
    if digest is not None and (not isinstance(digest, str) or not digest):
        raise InvalidParameterError(f"Invalid dataset digest {digest!r}: expected a non-empty string")
    profile = {"num_rows": int(n_rows), "num_elements": int(n_rows * n_cols)}
    entity = make_dataset(name, digest or hasher.hexdigest(), source, schema, profile)
    dataset = PandasDataset(
        entity.name, entity.digest, entity.source_type, entity.source, entity.schema, entity.profile
    )
    dataset._df = df
    dataset._targets = targets if isinstance(targets, str) else schema.get("targets")
    dataset._predictions = predictions
    return dataset
