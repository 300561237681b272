"""SQLAlchemy models of ``mltrail server --auth`` (created by the Alembic revision ``0009_auth``).

- ``auth_users``: one row per user: name, password hash (argon2, never the password), admin flag;
- ``auth_tokens``: API tokens, stored as the sha256 of the token (the token itself is shown once),
  with an optional expiry;
- ``auth_experiment_permissions`` / ``auth_registered_model_permissions``: a user's READ, EDIT
  or MANAGE on one experiment / registered model (MLflow's basic-auth names);
- ``auth_settings``: the server's own secrets (the key signing UI session cookies), shared by
  every worker and instance on the database.

They share :class:`~mltrail.store.sql.models.Base` with the tracking tables.

>>> from mltrail.store.sql.auth_tables import auth_users
>>> auth_users.name
'auth_users'
"""

from __future__ import annotations

from typing import Optional

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, PrimaryKeyConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from .models import CLUSTERED, MYSQL_TABLE_OPTIONS, Base

MAX_USERNAME_LENGTH = 255
MAX_HASH_LENGTH = 255
MAX_TOKEN_NAME_LENGTH = 255
MAX_MODEL_NAME_LENGTH = 256
PERMISSION_LENGTH = 32


class SqlUser(Base):
    """A user of an authenticated server."""

    __tablename__ = "auth_users"
    __table_args__ = ({"sqlite_autoincrement": True, **MYSQL_TABLE_OPTIONS},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(MAX_USERNAME_LENGTH), unique=True)
    password_hash: Mapped[str] = mapped_column(String(MAX_HASH_LENGTH))
    is_admin: Mapped[bool] = mapped_column(Boolean)
    creation_time: Mapped[int] = mapped_column(BigInteger)


class SqlToken(Base):
    """An API token of a user: only its sha256 is kept."""

    __tablename__ = "auth_tokens"
    __table_args__ = ({"sqlite_autoincrement": True, **MYSQL_TABLE_OPTIONS},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(Integer, ForeignKey("auth_users.id"))
    name: Mapped[str] = mapped_column(String(MAX_TOKEN_NAME_LENGTH))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    creation_time: Mapped[int] = mapped_column(BigInteger)
    expiry_time: Mapped[Optional[int]] = mapped_column(BigInteger)


Index("ix_auth_tokens_user_id", SqlToken.user_id)


class SqlExperimentPermission(Base):
    """A user's permission on one experiment."""

    __tablename__ = "auth_experiment_permissions"
    __table_args__ = (PrimaryKeyConstraint("experiment_id", "user_id"), CLUSTERED)

    experiment_id: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[int] = mapped_column(Integer, ForeignKey("auth_users.id"))
    permission: Mapped[str] = mapped_column(String(PERMISSION_LENGTH))


class SqlRegisteredModelPermission(Base):
    """A user's permission on one registered model (by name)."""

    __tablename__ = "auth_registered_model_permissions"
    __table_args__ = (PrimaryKeyConstraint("name", "user_id"), CLUSTERED)

    name: Mapped[str] = mapped_column(String(MAX_MODEL_NAME_LENGTH))
    user_id: Mapped[int] = mapped_column(Integer, ForeignKey("auth_users.id"))
    permission: Mapped[str] = mapped_column(String(PERMISSION_LENGTH))


class SqlAuthSetting(Base):
    """A server-wide secret or setting (``session_key``)."""

    __tablename__ = "auth_settings"
    __table_args__ = (MYSQL_TABLE_OPTIONS,)

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(255))


auth_users = SqlUser.__table__
auth_tokens = SqlToken.__table__
auth_experiment_permissions = SqlExperimentPermission.__table__
auth_registered_model_permissions = SqlRegisteredModelPermission.__table__
auth_settings = SqlAuthSetting.__table__
