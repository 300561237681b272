"""Authentication and permissions of ``mltrail server --auth``.

- :mod:`.access` - the permission rule each route declares (READ / EDIT / MANAGE on an experiment
  or registered model, admins, searches filtered);
- :mod:`.guard` - checks credentials (cached for a short TTL) and rules;
- :mod:`.middleware` - 401 / CSRF before any route runs; :mod:`.login` - the UI's sign-in;
- :mod:`.session` - the signed session cookie; :mod:`.routes_guard` - the UI's and the artifact
  proxy's routes behind their rules.

Users, tokens and permissions live in the tracking database
(:class:`mltrail.store.sql.auth_store.SqlAuthStore`)::

    app = create_app(backend_store_uri="postgresql://...", auth=True, auth_default_permission="READ")
"""

from __future__ import annotations

import logging
import os
from typing import Any

from ...entities import Permission

ADMIN_USERNAME_ENV = "MLTRAIL_ADMIN_USERNAME"
ADMIN_PASSWORD_ENV = "MLTRAIL_ADMIN_PASSWORD"
logger = logging.getLogger("mltrail.server.auth")


def auth_store_for(tracking_store: Any) -> Any:
    """The auth store on a SQL tracking store's database.

    >>> auth_store_for(get_tracking_store("sqlite:///mlflow.db")).list_users()
    """
    from ...exceptions import InvalidParameterError
    from ...store.sql.auth_store import SqlAuthStore

    engine = getattr(tracking_store, "engine", None)
    if engine is None:
        raise InvalidParameterError("Authentication needs a database backend store (sqlite, postgresql, mysql)")
    return SqlAuthStore(engine)


def ensure_initial_admin(store: Any) -> None:
    """Create the admin named by ``MLTRAIL_ADMIN_USERNAME`` / ``MLTRAIL_ADMIN_PASSWORD`` if missing."""
    from ...exceptions import ResourceAlreadyExistsError, ResourceNotFoundError

    username, password = os.environ.get(ADMIN_USERNAME_ENV), os.environ.get(ADMIN_PASSWORD_ENV)
    if username and password:
        try:
            store.get_user(username)
        except ResourceNotFoundError:
            try:
                store.create_user(username, password, is_admin=True)
                logger.info("created the administrator %r (from %s)", username, ADMIN_USERNAME_ENV)
            except ResourceAlreadyExistsError:
                pass  # another worker made it at the same moment
    elif not store.count_users():
        logger.warning("authentication is on but there are no users: create an administrator with "
                       "`mltrail users create NAME --admin` or %s / %s", ADMIN_USERNAME_ENV, ADMIN_PASSWORD_ENV)


def enable(tracking_store: Any, default_permission: str, ttl: float) -> tuple[Any, Any]:
    """``(guard, session_signer)`` for a server over ``tracking_store``'s database."""
    from .guard import Guard
    from .session import SessionSigner

    store = auth_store_for(tracking_store)
    ensure_initial_admin(store)
    guard = Guard(store, Permission.parse(default_permission), ttl)
    return guard, SessionSigner(store.secret("session_key"))
