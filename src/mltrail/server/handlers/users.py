"""User and permission endpoints of ``mltrail server --auth`` (MLflow's basic-auth paths):
``users/create|get|update-password|update-admin|delete``, ``experiments/permissions/...`` and
``registered-models/permissions/...``, plus mltrail's ``users/tokens/create|delete``.

Who may call them is declared in the route table (admins manage users; a user may change
their own password and tokens; MANAGE on a resource lets one grant on it, never to oneself).
Without ``--auth`` they answer ENDPOINT_NOT_FOUND.
"""

from __future__ import annotations

from typing import Any

from ...entities import Permission
from ...exceptions import InvalidParameterError, ResourceNotFoundError

Req = dict[str, Any]


def _auth(ctx) -> Any:
    guard = getattr(ctx, "auth", None)
    if guard is None:
        raise ResourceNotFoundError("Authentication is off on this server (start it with --auth)",
                                    "ENDPOINT_NOT_FOUND")
    return guard


def _user_json(store, username: str) -> Req:
    user = store.get_user(username)
    perms = store.list_permissions(username)
    return {"user": {
        "id": user.id, "username": user.username, "is_admin": user.is_admin,
        "experiment_permissions": [{"experiment_id": k, "user_id": user.id, "permission": p.name}
                                   for kind, k, p in perms if kind == "experiment"],
        "registered_model_permissions": [{"name": k, "user_id": user.id, "permission": p.name}
                                         for kind, k, p in perms if kind == "registered_model"],
    }}


def create_user(ctx, r: Req) -> Req:
    store = _auth(ctx).store
    store.create_user(r["username"], r["password"])
    return _user_json(store, r["username"])


def get_user(ctx, r: Req) -> Req:
    return _user_json(_auth(ctx).store, r["username"])


def update_password(ctx, r: Req) -> Req:
    guard = _auth(ctx)
    guard.store.set_password(r["username"], r["password"])
    guard.forget("user", r["username"])  # the old password stops working here at once
    return {}


def update_admin(ctx, r: Req) -> Req:
    guard = _auth(ctx)
    guard.store.set_admin(r["username"], r["is_admin"])
    guard.forget("user", r["username"])
    return {}


def delete_user(ctx, r: Req) -> Req:
    guard = _auth(ctx)
    guard.store.delete_user(r["username"])
    guard.forget("user", r["username"])
    return {}


def create_token(ctx, r: Req) -> Req:
    """mltrail extension: a new API token of the caller (or, for an admin, of ``username``), shown once."""
    expires = r.get("expires_in_seconds")
    if expires is not None and expires <= 0:
        raise InvalidParameterError(f"Invalid expires_in_seconds {expires}: must be a positive number of seconds")
    token = _auth(ctx).store.create_token(r["username"], r["name"], expires)
    return {"token": token, "name": r["name"], "username": r["username"]}


def delete_token(ctx, r: Req) -> Req:
    _auth(ctx).store.revoke_token(r["username"], r["name"])
    return {}


def _permission_handlers(kind: str, field: str) -> tuple:
    """create/get/update/delete handlers of ``<kind>/permissions/...`` (``field`` names the resource)."""
    body_key = f"{kind}_permission"

    def _answer(store, r: Req) -> Req:
        user = store.get_user(r["username"])
        level = store.get_permission(kind, r[field], user.id)
        if level is None:
            raise ResourceNotFoundError(f"User {r['username']!r} has no permission of their own on {kind} {r[field]!r}")
        return {body_key: {field: r[field], "user_id": user.id, "permission": level.name}}

    def create(ctx, r: Req) -> Req:
        guard = _auth(ctx)
        guard.store.set_permission(kind, r[field], r["username"], Permission.parse(r["permission"]))
        guard.forget(kind, r[field])
        return _answer(guard.store, r)

    def get(ctx, r: Req) -> Req:
        return _answer(_auth(ctx).store, r)

    def delete(ctx, r: Req) -> Req:
        guard = _auth(ctx)
        guard.store.delete_permission(kind, r[field], r["username"])
        guard.forget(kind, r[field])
        return {}

    return create, get, create, delete


(create_experiment_permission, get_experiment_permission, update_experiment_permission,
 delete_experiment_permission) = _permission_handlers("experiment", "experiment_id")
(create_model_permission, get_model_permission, update_model_permission,
 delete_model_permission) = _permission_handlers("registered_model", "name")
