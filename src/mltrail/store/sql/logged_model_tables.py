"""SQLAlchemy models of MLflow 3's logged models (created by the Alembic revision ``0005_logged_models``).

- ``logged_models``: one row per model: id (``m-<32 hex>``), experiment,
  name, artifact location, timestamps, status, model type, source run, the
  sha256 of its final ``MLmodel`` file (``mlmodel_sha256``, checked when the
  model is loaded by URI) and a lifecycle stage (deleted models are hidden);
- ``logged_model_params``, ``logged_model_tags``;
- ``logged_model_metrics``: metric values linked to a model (also in the
  run's own metrics), with the run and the dataset they were measured on;
- ``run_outputs``: which models a run logged, at which step.

``model_versions`` gains ``model_id`` and ``mlmodel_sha256`` (see
:mod:`.registry_tables`). They share :class:`~mltrail.store.sql.models.Base`.

>>> from mltrail.store.sql.logged_model_tables import logged_models
>>> logged_models.name
'logged_models'
"""

from __future__ import annotations

from typing import Optional

from sqlalchemy import BigInteger, Boolean, Double, ForeignKey, Index, Integer, PrimaryKeyConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from ..validation import MAX_KEY_LENGTH, MAX_PARAM_VALUE_LENGTH, MAX_TAG_VALUE_LENGTH
from .models import CLUSTERED, MAX_ARTIFACT_URI_LENGTH, MYSQL_TABLE_OPTIONS, Base

#: ``m-`` + 32 hex characters.
MODEL_ID_LENGTH = 34
MAX_LOGGED_MODEL_NAME_LENGTH = 500
MAX_MODEL_TYPE_LENGTH = 500
MAX_STATUS_MESSAGE_LENGTH = 1000
MAX_DATASET_NAME_LENGTH = 500
MAX_DATASET_DIGEST_LENGTH = 36


class SqlLoggedModel(Base):
    """A logged model (MLflow 3's LoggedModel)."""

    __tablename__ = "logged_models"
    __table_args__ = (MYSQL_TABLE_OPTIONS,)

    model_id: Mapped[str] = mapped_column(String(MODEL_ID_LENGTH), primary_key=True)
    experiment_id: Mapped[int] = mapped_column(Integer, ForeignKey("experiments.experiment_id"))
    name: Mapped[str] = mapped_column(String(MAX_LOGGED_MODEL_NAME_LENGTH))
    artifact_location: Mapped[str] = mapped_column(String(MAX_ARTIFACT_URI_LENGTH))
    creation_timestamp_ms: Mapped[int] = mapped_column(BigInteger)
    last_updated_timestamp_ms: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(20))
    lifecycle_stage: Mapped[str] = mapped_column(String(32))
    model_type: Mapped[Optional[str]] = mapped_column(String(MAX_MODEL_TYPE_LENGTH))
    source_run_id: Mapped[Optional[str]] = mapped_column(String(32))
    status_message: Mapped[Optional[str]] = mapped_column(String(MAX_STATUS_MESSAGE_LENGTH))
    mlmodel_sha256: Mapped[Optional[str]] = mapped_column(String(64))


# search's default order (creation time, newest first) per experiment; runs:/<run>/<name> lookups
Index("ix_logged_models_experiment_id_creation", SqlLoggedModel.experiment_id, SqlLoggedModel.creation_timestamp_ms)
Index("ix_logged_models_source_run_id_name", SqlLoggedModel.source_run_id, SqlLoggedModel.name)


class SqlLoggedModelParam(Base):
    """A parameter of a logged model."""

    __tablename__ = "logged_model_params"
    __table_args__ = (PrimaryKeyConstraint("model_id", "key"), CLUSTERED)

    model_id: Mapped[str] = mapped_column(String(MODEL_ID_LENGTH), ForeignKey("logged_models.model_id"))
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH))
    value: Mapped[str] = mapped_column(String(MAX_PARAM_VALUE_LENGTH))


class SqlLoggedModelTag(Base):
    """A tag of a logged model."""

    __tablename__ = "logged_model_tags"
    __table_args__ = (PrimaryKeyConstraint("model_id", "key"), CLUSTERED)

    model_id: Mapped[str] = mapped_column(String(MODEL_ID_LENGTH), ForeignKey("logged_models.model_id"))
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH))
    value: Mapped[str] = mapped_column(String(MAX_TAG_VALUE_LENGTH))


class SqlLoggedModelMetric(Base):
    """One metric value linked to a logged model (the run keeps it in ``metrics`` too)."""

    __tablename__ = "logged_model_metrics"
    __table_args__ = (Index(None, "model_id", "key"), MYSQL_TABLE_OPTIONS)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    model_id: Mapped[str] = mapped_column(String(MODEL_ID_LENGTH), ForeignKey("logged_models.model_id"))
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH))
    value: Mapped[float] = mapped_column(Double)
    is_nan: Mapped[bool] = mapped_column(Boolean)
    timestamp: Mapped[int] = mapped_column(BigInteger)
    step: Mapped[int] = mapped_column(BigInteger)
    run_uuid: Mapped[Optional[str]] = mapped_column(String(32))
    dataset_name: Mapped[Optional[str]] = mapped_column(String(MAX_DATASET_NAME_LENGTH))
    dataset_digest: Mapped[Optional[str]] = mapped_column(String(MAX_DATASET_DIGEST_LENGTH))


class SqlRunOutput(Base):
    """A run logged a model (``run.outputs.model_outputs``)."""

    __tablename__ = "run_outputs"
    __table_args__ = (PrimaryKeyConstraint("run_uuid", "model_id"), CLUSTERED)

    run_uuid: Mapped[str] = mapped_column(String(32), ForeignKey("runs.run_uuid"))
    model_id: Mapped[str] = mapped_column(String(MODEL_ID_LENGTH), ForeignKey("logged_models.model_id"))
    step: Mapped[int] = mapped_column(BigInteger)


logged_models = SqlLoggedModel.__table__
logged_model_params = SqlLoggedModelParam.__table__
logged_model_tags = SqlLoggedModelTag.__table__
logged_model_metrics = SqlLoggedModelMetric.__table__
run_outputs = SqlRunOutput.__table__
