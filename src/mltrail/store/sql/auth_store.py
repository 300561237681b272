"""Users, API tokens and permissions in the tracking database (tables of revision ``0009_auth``).

The server reads it on a cache miss (see :mod:`mltrail.server.auth`); ``mltrail users`` writes it
directly::

    store = SqlAuthStore(get_tracking_store("sqlite:///mlflow.db").engine)
    store.create_user("ana", "a long passphrase")
    token = store.create_token("ana", "laptop")          # shown once; only its sha256 is kept
    store.set_permission("experiment", "1", "ana", "EDIT")
    store.authenticate_token(token).username             # 'ana'
"""

from __future__ import annotations

import re
import secrets
from typing import Optional

import sqlalchemy as sa
from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Engine

from ...entities import ApiToken, Permission, User
from ...exceptions import InvalidParameterError, ResourceAlreadyExistsError, ResourceNotFoundError
from ..clock import now_ms
from .auth_secrets import burn_password_check, check_password, hash_password, new_token, token_digest
from .auth_tables import (
    MAX_TOKEN_NAME_LENGTH,
    MAX_USERNAME_LENGTH,
    auth_experiment_permissions,
    auth_registered_model_permissions,
    auth_settings,
    auth_tokens,
    auth_users,
)
from .core import SqlTransactions
from .logged_model_tables import logged_models
from .models import runs
from .registry_tables import SqlRegisteredModel

_USERNAME = re.compile(r"[A-Za-z0-9_.@+-]+")
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024
#: Resource kinds with per-user permissions: (table, key column).
_RESOURCES = {
    "experiment": (auth_experiment_permissions, auth_experiment_permissions.c.experiment_id),
    "registered_model": (auth_registered_model_permissions, auth_registered_model_permissions.c.name),
}


def validate_username(username: object) -> str:
    """``username`` if it is 1-255 letters, digits or ``_ . @ + -`` (no ``:``, which Basic auth splits on)."""
    if not isinstance(username, str) or not _USERNAME.fullmatch(username) or len(username) > MAX_USERNAME_LENGTH:
        raise InvalidParameterError(
            f"Invalid user name {username!r}: must be 1-{MAX_USERNAME_LENGTH} letters, digits or '_ . @ + -'"
        )
    return username


def validate_password(password: object) -> str:
    """``password`` if it is a string of 8-1024 characters (the message never repeats it)."""
    if not isinstance(password, str) or not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise InvalidParameterError(
            f"Invalid password: must be {MIN_PASSWORD_LENGTH}-{MAX_PASSWORD_LENGTH} characters"
        )
    if "\x00" in password:
        raise InvalidParameterError("Invalid password: must not contain a NUL character")
    return password


def _session_epoch_name(user_id: int) -> str:
    """The ``auth_settings`` row holding the time before which a user's UI sessions are void."""
    return f"session_epoch:{user_id}"


def _resource(kind: str) -> tuple[sa.Table, sa.Column]:
    try:
        return _RESOURCES[kind]
    except KeyError:
        raise InvalidParameterError(f"Invalid resource kind {kind!r}: must be one of {', '.join(_RESOURCES)}") from None


def _resource_key(kind: str, key: str) -> object:
    if kind == "experiment":
        try:
            return int(key)
        except (TypeError, ValueError):
            raise InvalidParameterError(f"Invalid experiment id {key!r}: must be an integer") from None
    if not isinstance(key, str) or not key:
        raise InvalidParameterError(f"Invalid registered model name {key!r}: must be a non-empty string")
    return key


class SqlAuthStore(SqlTransactions):
    """Auth records on ``engine`` (the tracking store's); transactions and error translation as every SQL store's."""

    _DATABASE = "Auth"

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # -- users --------------------------------------------------------------------------------
    def create_user(self, username: str, password: str, is_admin: bool = False) -> User:
        """A new user; ResourceAlreadyExistsError if the name is taken."""
        validate_username(username)
        digest = hash_password(validate_password(password))
        try:
            with self._write() as conn:
                result = conn.execute(insert(auth_users).values(
                    username=username, password_hash=digest, is_admin=bool(is_admin), creation_time=now_ms()))
                user_id = result.inserted_primary_key[0]
        except sa.exc.IntegrityError:
            raise ResourceAlreadyExistsError(f"User {username!r} already exists") from None
        return User(int(user_id), username, bool(is_admin))

    def _user_row(self, conn: sa.Connection, username: str) -> sa.Row:
        row = conn.execute(select(auth_users).where(auth_users.c.username == username)).first()
        if row is None:
            raise ResourceNotFoundError(f"User {username!r} does not exist")
        return row

    def get_user(self, username: str) -> User:
        """The user named ``username`` (ResourceNotFoundError if none)."""
        with self._read() as conn:
            row = self._user_row(conn, username)
        return User(row.id, row.username, bool(row.is_admin))

    def get_user_by_id(self, user_id: int) -> Optional[User]:
        """The user with that id, or None (deleted)."""
        with self._read() as conn:
            row = conn.execute(select(auth_users).where(auth_users.c.id == user_id)).first()
        return None if row is None else User(row.id, row.username, bool(row.is_admin))

    def list_users(self) -> list[User]:
        """Every user, by name."""
        with self._read() as conn:
            rows = conn.execute(select(auth_users).order_by(auth_users.c.username)).all()
        return [User(r.id, r.username, bool(r.is_admin)) for r in rows]

    def count_users(self) -> int:
        """How many users there are (0: the server warns that nobody can sign in)."""
        with self._read() as conn:
            return int(conn.execute(select(sa.func.count()).select_from(auth_users)).scalar() or 0)

    def delete_user(self, username: str) -> None:
        """Remove the user with their tokens and permissions (their runs and models stay)."""
        with self._write() as conn:
            user_id = self._user_row(conn, username).id
            for table in (auth_tokens, auth_experiment_permissions, auth_registered_model_permissions):
                conn.execute(delete(table).where(table.c.user_id == user_id))
            conn.execute(delete(auth_users).where(auth_users.c.id == user_id))
            conn.execute(delete(auth_settings).where(auth_settings.c.name == _session_epoch_name(user_id)))

    def set_password(self, username: str, password: str) -> None:
        """A new password; the user's UI sessions signed in before it end (see :meth:`end_sessions`)."""
        digest = hash_password(validate_password(password))
        with self._write() as conn:
            user_id = self._user_row(conn, username).id
            conn.execute(update(auth_users).where(auth_users.c.id == user_id).values(password_hash=digest))
            self._set_session_epoch(conn, user_id)

    def set_admin(self, username: str, is_admin: bool) -> None:
        with self._write() as conn:
            user_id = self._user_row(conn, username).id
            conn.execute(update(auth_users).where(auth_users.c.id == user_id).values(is_admin=bool(is_admin)))

    def authenticate_password(self, username: str, password: str) -> Optional[User]:
        """The user if ``password`` is theirs, else None (one argon2 check either way)."""
        with self._read() as conn:
            row = conn.execute(select(auth_users).where(auth_users.c.username == username)).first()
        if row is None:
            burn_password_check(password)
            return None
        if not check_password(row.password_hash, password):
            return None
        return User(row.id, row.username, bool(row.is_admin))

    # -- tokens -------------------------------------------------------------------------------
    def create_token(self, username: str, name: str, expires_in_s: Optional[float] = None) -> str:
        """A new API token of ``username`` (returned once: only its sha256 is stored)."""
        if not isinstance(name, str) or not name or len(name) > MAX_TOKEN_NAME_LENGTH:
            raise InvalidParameterError(f"Invalid token name {name!r}: must be 1-{MAX_TOKEN_NAME_LENGTH} characters")
        if expires_in_s is not None and not expires_in_s > 0:
            raise InvalidParameterError(f"Invalid token lifetime {expires_in_s!r}: must be a positive number of seconds")
        token = new_token()
        now = now_ms()
        with self._write() as conn:
            user_id = self._user_row(conn, username).id
            taken = conn.execute(select(auth_tokens.c.id).where(
                auth_tokens.c.user_id == user_id, auth_tokens.c.name == name)).first()
            if taken is not None:
                raise ResourceAlreadyExistsError(f"User {username!r} already has a token named {name!r}")
            conn.execute(insert(auth_tokens).values(
                user_id=user_id, name=name, token_sha256=token_digest(token), creation_time=now,
                expiry_time=None if expires_in_s is None else now + int(expires_in_s * 1000)))
        return token

    def list_tokens(self, username: str) -> list[ApiToken]:
        with self._read() as conn:
            user_id = self._user_row(conn, username).id
            rows = conn.execute(select(auth_tokens).where(auth_tokens.c.user_id == user_id)
                                .order_by(auth_tokens.c.creation_time)).all()
        return [ApiToken(r.id, username, r.name, r.creation_time, r.expiry_time) for r in rows]

    def revoke_token(self, username: str, name: str) -> None:
        """Delete the user's token named ``name`` (a server stops accepting it within its cache TTL)."""
        with self._write() as conn:
            user_id = self._user_row(conn, username).id
            gone = conn.execute(delete(auth_tokens).where(
                auth_tokens.c.user_id == user_id, auth_tokens.c.name == name)).rowcount
        if not gone:
            raise ResourceNotFoundError(f"User {username!r} has no token named {name!r}")

    def authenticate_token(self, token: str) -> Optional[tuple[User, Optional[int]]]:
        """``(user, expiry_time_ms)`` of a token that exists and has not expired, else None."""
        with self._read() as conn:
            row = conn.execute(
                select(auth_users.c.id, auth_users.c.username, auth_users.c.is_admin, auth_tokens.c.expiry_time)
                .join(auth_users, auth_users.c.id == auth_tokens.c.user_id)
                .where(auth_tokens.c.token_sha256 == token_digest(token))
            ).first()
        if row is None or (row.expiry_time is not None and row.expiry_time <= now_ms()):
            return None
        return User(row.id, row.username, bool(row.is_admin)), row.expiry_time

    # -- permissions --------------------------------------------------------------------------
    def set_permission(self, kind: str, key: str, username: str, permission: "str | Permission") -> None:
        """Give ``username`` ``permission`` on the experiment id / registered model name ``key``."""
        level = Permission.parse(permission)
        table, column = _resource(kind)
        value = _resource_key(kind, key)
        with self._write() as conn:
            user_id = self._user_row(conn, username).id
            where = (column == value, table.c.user_id == user_id)
            conn.execute(delete(table).where(*where))
            conn.execute(insert(table).values({column.name: value, "user_id": user_id, "permission": level.name}))

    def delete_permission(self, kind: str, key: str, username: str) -> None:
        """Remove ``username``'s own permission on ``key`` (the default applies again)."""
        table, column = _resource(kind)
        value = _resource_key(kind, key)
        with self._write() as conn:
            user_id = self._user_row(conn, username).id
            gone = conn.execute(delete(table).where(column == value, table.c.user_id == user_id)).rowcount
        if not gone:
            raise ResourceNotFoundError(f"User {username!r} has no permission of their own on {kind} {key!r}")

    def get_permission(self, kind: str, key: str, user_id: int) -> Optional[Permission]:
        """The user's own permission on ``key``, or None (then the server's default applies)."""
        table, column = _resource(kind)
        value = _resource_key(kind, key)
        with self._read() as conn:
            level = conn.execute(select(table.c.permission).where(
                column == value, table.c.user_id == user_id)).scalar()
        return None if level is None else Permission[level]

    def list_permissions(self, username: str) -> list[tuple[str, str, Permission]]:
        """``(kind, key, permission)`` of every permission the user holds."""
        out: list[tuple[str, str, Permission]] = []
        with self._read() as conn:
            user_id = self._user_row(conn, username).id
            for kind, (table, column) in _RESOURCES.items():
                for key, level in conn.execute(select(column, table.c.permission).where(table.c.user_id == user_id)):
                    out.append((kind, str(key), Permission[level]))
        return out

    def rename_registered_model(self, old: str, new: str) -> None:
        """Carry the permissions on a registered model over to its new name."""
        with self._write() as conn:
            conn.execute(update(auth_registered_model_permissions)
                         .where(auth_registered_model_permissions.c.name == old).values(name=new))

    def delete_resource(self, kind: str, key: str) -> None:
        """Forget every permission on a deleted registered model (so a new one of that name starts clean)."""
        table, column = _resource(kind)
        with self._write() as conn:
            conn.execute(delete(table).where(column == _resource_key(kind, key)))

    # -- what a permission is checked on ------------------------------------------------------
    def experiment_of_run(self, run_id: str) -> Optional[str]:
        """The experiment id of a run (None if there is no such run). A run never changes experiment."""
        with self._read() as conn:
            value = conn.execute(select(runs.c.experiment_id).where(runs.c.run_uuid == run_id)).scalar()
        return None if value is None else str(value)

    def experiment_of_logged_model(self, model_id: str) -> Optional[str]:
        """The experiment id of a logged model (None if there is no such model)."""
        with self._read() as conn:
            value = conn.execute(select(logged_models.c.experiment_id)
                                 .where(logged_models.c.model_id == model_id)).scalar()
        return None if value is None else str(value)

    def registered_model_exists(self, name: str) -> bool:
        """Whether a registered model of that name exists (in this database's registry)."""
        table = SqlRegisteredModel.__table__
        with self._read() as conn:
            return conn.execute(select(table.c.name).where(table.c.name == name)).first() is not None

    # -- UI sessions --------------------------------------------------------------------------
    def session_epoch(self, user_id: int) -> int:
        """Milliseconds since 1970: the user's UI sessions signed in at or before it are void (0: none ended).

        >>> store.session_epoch(user.id)
        0
        """
        with self._read() as conn:
            value = conn.execute(
                select(auth_settings.c.value).where(auth_settings.c.name == _session_epoch_name(user_id))
            ).scalar()
        return int(value) if value else 0

    def end_sessions(self, user_id: int) -> None:
        """End every UI session of the user signed in until now (sign-out, a new password): their
        cookies stop working on every worker and instance, whatever their expiry."""
        with self._write() as conn:
            self._set_session_epoch(conn, user_id)

    @staticmethod
    def _set_session_epoch(conn: sa.Connection, user_id: int) -> None:
        name, value = _session_epoch_name(user_id), str(now_ms())
        if conn.execute(update(auth_settings).where(auth_settings.c.name == name).values(value=value)).rowcount == 0:
            conn.execute(insert(auth_settings).values(name=name, value=value))

    # -- settings -----------------------------------------------------------------------------
    def secret(self, name: str) -> str:
        """The server-wide secret ``name`` (created at random on first use, shared by every worker)."""
        with self._read() as conn:
            value = conn.execute(select(auth_settings.c.value).where(auth_settings.c.name == name)).scalar()
        if value is not None:
            return value
        try:
            with self._write() as conn:
                conn.execute(insert(auth_settings).values(name=name, value=secrets.token_hex(32)))
        except sa.exc.IntegrityError:
            pass  # another worker made it first: use theirs
        with self._read() as conn:
            return conn.execute(select(auth_settings.c.value).where(auth_settings.c.name == name)).scalar()
