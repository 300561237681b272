"""SQLAlchemy models of the model-registry tables (created by the Alembic revision
``add_model_registry_tables``).

Tables, all keyed by the registered model's name (as MLflow's are):

- ``registered_models``: name, timestamps, description, and ``last_version``,
  the counter that hands out version numbers (incremented under the row's
  lock, so numbers are unique and gap-free and never reused after a delete);
- ``registered_model_tags``, ``registered_model_aliases``;
- ``model_versions``: one row per version, with its source, lineage
  (run_id, run_link), stage, status and ``storage_location`` (the immutable
  copy the registry downloads from);
- ``model_version_tags``;
- ``model_version_stage_transitions``: who moved which version from which
  stage to which, and when.

The classes share the tracking tables' :class:`~mltrail.store.sql.models.Base`
(one MetaData for the whole schema). Names, aliases and tag keys compare
case-sensitively on every database (``utf8mb4_bin`` on MySQL/MariaDB), so
``Model`` and ``model`` are two models everywhere.

>>> from mltrail.store.sql.registry_tables import SqlRegisteredModel
>>> SqlRegisteredModel.__tablename__
'registered_models'
"""

from __future__ import annotations

from typing import Optional

from sqlalchemy import (
    BigInteger,
    ForeignKeyConstraint,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from .models import MYSQL_TABLE_OPTIONS, Base

NAME = String(256)
TAG_KEY = String(250)
ALIAS = String(255)
TEXT_5000 = String(5000)
STAGE = String(20)

class SqlRegisteredModel(Base):
    __tablename__ = "registered_models"
    __table_args__ = (MYSQL_TABLE_OPTIONS,)

    name: Mapped[str] = mapped_column(NAME, primary_key=True)
    creation_time: Mapped[int] = mapped_column(BigInteger, nullable=False)
    last_updated_time: Mapped[int] = mapped_column(BigInteger, nullable=False)
    description: Mapped[Optional[str]] = mapped_column(TEXT_5000, nullable=True)
    last_version: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class SqlRegisteredModelTag(Base):
    __tablename__ = "registered_model_tags"
    __table_args__ = (
        PrimaryKeyConstraint("name", "key"),
        ForeignKeyConstraint(
            ["name"], ["registered_models.name"], onupdate="CASCADE", ondelete="CASCADE"
        ),
        MYSQL_TABLE_OPTIONS,
    )

    name: Mapped[str] = mapped_column(NAME)
    key: Mapped[str] = mapped_column(TAG_KEY)
    value: Mapped[Optional[str]] = mapped_column(TEXT_5000, nullable=True)


class SqlRegisteredModelAlias(Base):
    __tablename__ = "registered_model_aliases"
    __table_args__ = (
        PrimaryKeyConstraint("name", "alias"),
        ForeignKeyConstraint(
            ["name"], ["registered_models.name"], onupdate="CASCADE", ondelete="CASCADE"
        ),
        MYSQL_TABLE_OPTIONS,
    )

    name: Mapped[str] = mapped_column(NAME)
    alias: Mapped[str] = mapped_column(ALIAS)
    version: Mapped[int] = mapped_column(Integer, nullable=False)


class SqlModelVersion(Base):
    __tablename__ = "model_versions"
    __table_args__ = (
        PrimaryKeyConstraint("name", "version"),
        ForeignKeyConstraint(
            ["name"], ["registered_models.name"], onupdate="CASCADE", ondelete="CASCADE"
        ),
        MYSQL_TABLE_OPTIONS,
    )

    name: Mapped[str] = mapped_column(NAME)
    version: Mapped[int] = mapped_column(Integer)
    creation_time: Mapped[int] = mapped_column(BigInteger, nullable=False)
    last_updated_time: Mapped[int] = mapped_column(BigInteger, nullable=False)
    description: Mapped[Optional[str]] = mapped_column(TEXT_5000, nullable=True)
    user_id: Mapped[Optional[str]] = mapped_column(String(256), nullable=True)
    current_stage: Mapped[str] = mapped_column(STAGE, nullable=False)
    source: Mapped[str] = mapped_column(String(1000), nullable=False)
    storage_location: Mapped[str] = mapped_column(String(1000), nullable=False)
    run_id: Mapped[Optional[str]] = mapped_column(String(32), nullable=True)
    run_link: Mapped[Optional[str]] = mapped_column(String(1000), nullable=True)
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    status_message: Mapped[Optional[str]] = mapped_column(String(500), nullable=True)
    # revision 0005_logged_models: the logged model it was registered from and its MLmodel's sha256
    model_id: Mapped[Optional[str]] = mapped_column(String(34), nullable=True)
    mlmodel_sha256: Mapped[Optional[str]] = mapped_column(String(64), nullable=True)


class SqlModelVersionTag(Base):
    __tablename__ = "model_version_tags"
    __table_args__ = (
        PrimaryKeyConstraint("name", "version", "key"),
        ForeignKeyConstraint(
            ["name", "version"],
            ["model_versions.name", "model_versions.version"],
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        MYSQL_TABLE_OPTIONS,
    )

    name: Mapped[str] = mapped_column(NAME)
    version: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(TAG_KEY)
    value: Mapped[Optional[str]] = mapped_column(TEXT_5000, nullable=True)


class SqlModelVersionStageTransition(Base):
    __tablename__ = "model_version_stage_transitions"
    __table_args__ = (
        Index(None, "name", "version"),
        ForeignKeyConstraint(
            ["name", "version"],
            ["model_versions.name", "model_versions.version"],
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        MYSQL_TABLE_OPTIONS,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(NAME, nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    from_stage: Mapped[str] = mapped_column(STAGE, nullable=False)
    to_stage: Mapped[str] = mapped_column(STAGE, nullable=False)
    user_id: Mapped[Optional[str]] = mapped_column(String(256), nullable=True)
    timestamp: Mapped[int] = mapped_column(BigInteger, nullable=False)


REGISTRY_TABLES = (
    SqlRegisteredModel.__table__,
    SqlRegisteredModelTag.__table__,
    SqlRegisteredModelAlias.__table__,
    SqlModelVersion.__table__,
    SqlModelVersionTag.__table__,
    SqlModelVersionStageTransition.__table__,
)
