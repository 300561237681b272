"""Dataset entities: what a run consumed (MLflow's names and fields).

A :class:`Dataset` is identified inside an experiment by its ``name`` and
``digest``; a run links to it through a :class:`DatasetInput` whose
:class:`InputTag` s say how it was used (``mlflow.data.context`` = ``train``,
``eval``...)::

    dataset = Dataset("taxi-2023-01", "3f2a9c1b", "local", '{"uri": "/data/jan.parquet"}')
    client.log_inputs(run_id, [DatasetInput(dataset, [InputTag("mlflow.data.context", "train")])])
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Optional

from ._mlflow_object import MlflowObject

#: Input tag naming what a run used a dataset for (``train``, ``eval``, ``test``...).
DATASET_CONTEXT_TAG = "mlflow.data.context"  # = mltrail._system_tags.DATASET_CONTEXT


@dataclass(slots=True)
class Dataset(MlflowObject):
    """A dataset: name, content digest, where it came from, and its schema and profile (JSON strings).

    >>> Dataset("dataset", "a1b2c3d4", "code", "{}").name
    'dataset'
    """

    name: str
    digest: str
    source_type: str
    source: str
    schema: Optional[str] = None
    profile: Optional[str] = None

    def to_dictionary(self) -> dict[str, Any]:
        """name, digest, source_type, source, schema and profile (MLflow's layout)."""
        return {
            "name": self.name,
            "digest": self.digest,
            "source_type": self.source_type,
            "source": self.source,
            "schema": self.schema,
            "profile": self.profile,
        }


@dataclass(slots=True)
class InputTag(MlflowObject):
    """A key/value tag on a run's use of a dataset.

    >>> InputTag("mlflow.data.context", "train").value
    'train'
    """

    key: str
    value: str


@dataclass(slots=True)
class DatasetInput(MlflowObject):
    """A dataset a run consumed, with the tags of that use.

    >>> DatasetInput(Dataset("d", "ab", "code", "{}"), [InputTag("mlflow.data.context", "eval")]).tags[0].value
    'eval'
    """

    dataset: Dataset
    tags: list[InputTag] = field(default_factory=list)

    def to_dictionary(self) -> dict[str, Any]:
        """``{"dataset": {...}, "tags": {key: value}}`` (MLflow's layout)."""
        return {"dataset": self.dataset.to_dictionary(), "tags": {t.key: t.value for t in self.tags}}

    @classmethod
    def from_dictionary(cls, the_dict: Mapping[str, Any]) -> "DatasetInput":
        """Read back :meth:`to_dictionary`'s layout."""
        tags = the_dict.get("tags") or {}
        return cls(Dataset.from_dictionary(the_dict["dataset"]), [InputTag(k, v) for k, v in tags.items()])
