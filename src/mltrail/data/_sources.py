"""Where a logged dataset came from: ``mltrail.data.get_source(dataset)`` (MLflow's function).

A dataset's ``source_type`` and ``source`` JSON (``{"uri": ...}`` for files
and URIs, ``{"tags": {...}}`` for code) become a :class:`DatasetSource`;
``load()`` fetches a URI source to a local path::

    dataset = mlflow.get_run(run_id).inputs.dataset_inputs[0].dataset
    source = mlflow.data.get_source(dataset)
    source.uri, source.load()   # ('/data/taxi-2023-01.parquet', '/data/taxi-2023-01.parquet')
"""

from __future__ import annotations

import json
import os
from typing import Any, Optional

from ..entities import Dataset, DatasetInput
from ..exceptions import InvalidParameterError


class DatasetSource:
    """A dataset's source: its type (``local``, ``s3``, ``code``...) and fields (``uri`` or ``tags``).

    >>> DatasetSource("local", {"uri": "/data/a.csv"}).uri
    '/data/a.csv'
    """

    def __init__(self, source_type: str, fields: dict[str, Any]) -> None:
        self.source_type = source_type
        self._fields = dict(fields)

    @property
    def uri(self) -> Optional[str]:
        """The file or URI the data came from (None for a ``code`` source)."""
        return self._fields.get("uri")

    @property
    def tags(self) -> dict[str, str]:
        """A ``code`` source's tags (the script that built the dataset)."""
        return dict(self._fields.get("tags") or {})

    def to_dict(self) -> dict[str, Any]:
        """The source's fields, as stored in the dataset's ``source`` JSON."""
        return dict(self._fields)

    def to_json(self) -> str:
        """The dataset's ``source`` JSON."""
        return json.dumps(self._fields)

    def load(self, dst_path: Optional[str] = None) -> str:
        """A local path of the source's data: the file itself, or a copy downloaded to ``dst_path``.

        >>> mlflow.data.get_source(dataset).load()
        '/data/taxi-2023-01.parquet'
        """
        if not self.uri:
            raise InvalidParameterError(f"Dataset source of type {self.source_type!r} has no URI to load")
        from ..artifacts import download_artifacts

        local = self.uri[len("file://"):] if self.uri.startswith("file://") else self.uri
        if "://" not in local and dst_path is None:
            if not os.path.exists(local):
                raise InvalidParameterError(f"Dataset source {self.uri!r} does not exist on this machine")
            return local
        return download_artifacts(artifact_uri=self.uri, dst_path=dst_path)

    def __repr__(self) -> str:
        return f"DatasetSource(source_type={self.source_type!r}, {self._fields!r})"


def get_source(dataset: Any) -> DatasetSource:
    """The :class:`DatasetSource` of a dataset (an entity from a run's inputs, a DatasetInput, or a built one).

    >>> source = mlflow.data.get_source(run.inputs.dataset_inputs[0])
    """
    if isinstance(dataset, DatasetInput):
        dataset = dataset.dataset
    if not isinstance(dataset, Dataset):
        raise InvalidParameterError(
            f"Cannot get the source of {type(dataset).__name__}: give a dataset (mltrail.data.from_*) "
            f"or an entry of run.inputs.dataset_inputs"
        )
    try:
        fields = json.loads(dataset.source) if dataset.source else {}
    except json.JSONDecodeError:
        fields = {"uri": dataset.source}
    if not isinstance(fields, dict):
        fields = {"uri": str(fields)}
    return DatasetSource(dataset.source_type, fields)


__all__ = ["DatasetSource", "get_source"]
