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


def from_pandas(
    df: Any, source: Optional[str] = None, targets: Any = None, name: Optional[str] = None
) -> Dataset:
    """A dataset of a DataFrame: column names and types as the schema, rows and cells as the profile.

    ``targets`` names the target column of ``df`` (MLflow), or is a Series /
    array of targets aligned with ``df`` (hashed into the digest too).

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
        if targets not in df.columns:
            raise InvalidParameterError(
                f"Invalid targets {targets!r}: no such column in the DataFrame (columns: {list(df.columns)[:20]})"
            )
        schema["targets"] = targets
    elif targets is not None:
        import numpy as np

        values = targets.to_numpy() if hasattr(targets, "to_numpy") else np.asarray(targets)
        hasher.update(b"|targets|")
        hash_array(hasher, values)
        schema["targets"] = str(getattr(targets, "name", None) or "targets")
    profile = {"num_rows": int(n_rows), "num_elements": int(n_rows * n_cols)}
    return make_dataset(name, hasher.hexdigest(), source, schema, profile)
