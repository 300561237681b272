"""SQLAlchemy models of the dataset tables (created by the Alembic revision ``0003_dataset_inputs``).

- ``datasets``: one row per (experiment, name, digest): where the data came
  from, its schema and profile (JSON text). ``dataset_uuid`` is derived from
  those three values (:func:`dataset_uuid`), so logging the same dataset
  again in the experiment finds the same row without a read;
- ``run_inputs``: which runs consumed which datasets;
- ``run_input_tags``: tags of one run's use of one dataset
  (``mlflow.data.context`` = ``train``, ``eval``...).

They share :class:`~mltrail.store.sql.models.Base` with the other tables.

>>> from mltrail.store.sql.dataset_tables import datasets
>>> datasets.name
'datasets'
"""

from __future__ import annotations

import hashlib
from typing import Optional

from sqlalchemy import ForeignKey, ForeignKeyConstraint, Integer, PrimaryKeyConstraint, String, Text, UniqueConstraint
from sqlalchemy.dialects.mysql import MEDIUMTEXT
from sqlalchemy.orm import Mapped, mapped_column

from .models import CLUSTERED, MYSQL_TABLE_OPTIONS, Base

MAX_DATASET_NAME_LENGTH = 500
MAX_DATASET_DIGEST_LENGTH = 36
MAX_DATASET_SOURCE_TYPE_LENGTH = 36
#: Longest source, schema or profile text (MEDIUMTEXT on MySQL/MariaDB, TEXT elsewhere).
MAX_DATASET_TEXT_LENGTH = 1_000_000
MAX_INPUT_TAG_KEY_LENGTH = 255
MAX_INPUT_TAG_VALUE_LENGTH = 500

LONG_TEXT = Text().with_variant(MEDIUMTEXT(), "mysql", "mariadb")


def dataset_uuid(experiment_id: int, name: str, digest: str) -> str:
    """The 32-hex-character id of a dataset row: a hash of its experiment, name and digest.

    >>> len(dataset_uuid(0, "dataset", "a1b2c3"))
    32
    """
    return hashlib.blake2b(f"{experiment_id}\0{name}\0{digest}".encode(), digest_size=16).hexdigest()


class SqlDataset(Base):
    """A dataset of an experiment, unique by (experiment_id, name, digest)."""

    __tablename__ = "datasets"
    __table_args__ = (UniqueConstraint("experiment_id", "name", "digest"), MYSQL_TABLE_OPTIONS)

    dataset_uuid: Mapped[str] = mapped_column(String(32), primary_key=True)
    experiment_id: Mapped[int] = mapped_column(Integer, ForeignKey("experiments.experiment_id"))
    name: Mapped[str] = mapped_column(String(MAX_DATASET_NAME_LENGTH))
    digest: Mapped[str] = mapped_column(String(MAX_DATASET_DIGEST_LENGTH))
    dataset_source_type: Mapped[str] = mapped_column(String(MAX_DATASET_SOURCE_TYPE_LENGTH))
    dataset_source: Mapped[str] = mapped_column(LONG_TEXT)
    dataset_schema: Mapped[Optional[str]] = mapped_column(LONG_TEXT)
    dataset_profile: Mapped[Optional[str]] = mapped_column(LONG_TEXT)


class SqlRunInput(Base):
    """A run consumed a dataset."""

    __tablename__ = "run_inputs"
    __table_args__ = (PrimaryKeyConstraint("run_uuid", "dataset_uuid"), CLUSTERED)

    run_uuid: Mapped[str] = mapped_column(String(32), ForeignKey("runs.run_uuid"))
    dataset_uuid: Mapped[str] = mapped_column(String(32), ForeignKey("datasets.dataset_uuid"))


class SqlRunInputTag(Base):
    """A tag of one run's use of one dataset."""

    __tablename__ = "run_input_tags"
    __table_args__ = (
        PrimaryKeyConstraint("run_uuid", "dataset_uuid", "key"),
        ForeignKeyConstraint(["run_uuid", "dataset_uuid"], ["run_inputs.run_uuid", "run_inputs.dataset_uuid"]),
        CLUSTERED,
    )

    run_uuid: Mapped[str] = mapped_column(String(32))
    dataset_uuid: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(MAX_INPUT_TAG_KEY_LENGTH))
    value: Mapped[str] = mapped_column(String(MAX_INPUT_TAG_VALUE_LENGTH))


datasets = SqlDataset.__table__
run_inputs = SqlRunInput.__table__
run_input_tags = SqlRunInputTag.__table__
