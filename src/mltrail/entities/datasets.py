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
from typing import Optional

#: Input tag naming what a run used a dataset for (``train``, ``eval``, ``test``...).
DATASET_CONTEXT_TAG = "mlflow.data.context"  # = mltrail._system_tags.DATASET_CONTEXT


@dataclass(slots=True)
class Dataset:
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


@dataclass(slots=True)
class InputTag:
    """A key/value tag on a run's use of a dataset.

    >>> InputTag("mlflow.data.context", "train").value
    'train'
    """

    key: str
    value: str


@dataclass(slots=True)
class DatasetInput:
    """A dataset a run consumed, with the tags of that use.

    >>> DatasetInput(Dataset("d", "ab", "code", "{}"), [InputTag("mlflow.data.context", "eval")]).tags[0].value
    'eval'
    """

    dataset: Dataset
    tags: list[InputTag] = field(default_factory=list)
