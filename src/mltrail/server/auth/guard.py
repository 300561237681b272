"""Who is calling, and may they: the server-side checks of ``mltrail server --auth``.

:meth:`Guard.authenticate` turns an ``Authorization`` header into a :class:`~mltrail.entities.User`
(argon2 only on a cache miss: results are cached for ``ttl`` seconds under the header's sha256);
:meth:`Guard.check` applies an endpoint's :class:`~.access.Access` before its handler and
:meth:`Guard.after` to its answer (searches filtered, creators made MANAGErs). Permission
levels are cached for the same TTL; which experiment a run or logged model belongs to never
changes and is cached longer::

    guard = Guard(SqlAuthStore(engine), default=Permission.READ, ttl=10)
    user = guard.authenticate("Bearer mlt_...")
    args = guard.check(user, on_run(EDIT), {"run_id": "abc..."})
"""

from __future__ import annotations

import hashlib
import time
from typing import Any, Optional

from ...entities import Permission, User
from ...exceptions import MltrailError, PermissionDeniedError, UnauthenticatedError
from .access import Access
from .cache import MISSING, TTLCache
from .credentials import parse_authorization

#: Seconds a checked credential or a permission level is trusted before it is read again.
DEFAULT_TTL_S = 10.0
#: run / logged model -> experiment entries kept (they never change; the cache is cleared when full)
OWNER_ENTRIES = 200_000

#: set in a request's args when a route may create the registered model it names (granted MANAGE after)
NEW_MODEL = "__new_registered_model__"
#: set in a request's args when a search was narrowed to nothing: its value is the answer's list key
NOTHING = "__nothing_readable__"
INVALID_CREDENTIALS = "Invalid credentials: wrong user name or password"
INVALID_TOKEN = "Invalid credentials: the token is unknown, revoked or expired"


def _key_of(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


class Guard:
    """Authentication and permission checks over an auth store (see the module docstring)."""

    def __init__(self, store: Any, default: Permission = Permission.READ, ttl: float = DEFAULT_TTL_S) -> None:
        self.store = store
        self.default = Permission.parse(default)
        self.ttl = ttl
        self._identities = TTLCache(ttl)
        self._levels = TTLCache(ttl)
        self._session_epochs = TTLCache(ttl)
        self._owners = TTLCache(float("inf"), OWNER_ENTRIES)
        #: whether the registry is in the same database (then a route may create a model it names)
        self.shared_registry = True

    # -- authentication -----------------------------------------------------------------------
    def cached_user(self, header: str) -> Optional[User]:
        """The user of an ``Authorization`` header checked less than ``ttl`` seconds ago, else None."""
        found = self._identities.get(_key_of(header))
        return None if found is MISSING else found

    def authenticate(self, header: str) -> User:
        """The user an ``Authorization`` header proves (UnauthenticatedError otherwise). Blocking: argon2."""
        key = _key_of(header)
        found = self._identities.get(key)
        if found is not MISSING:
            return found
        scheme, credential = parse_authorization(header)
        ttl = self.ttl
        if scheme == "basic":
            username, password = credential  # type: ignore[misc]
            user = self.store.authenticate_password(username, password)
            if user is None:
                raise UnauthenticatedError(INVALID_CREDENTIALS)
        else:
            found_token = self.store.authenticate_token(credential)
            if found_token is None:
                raise UnauthenticatedError(INVALID_TOKEN)
            user, expiry_ms = found_token
            if expiry_ms is not None:
                ttl = min(ttl, max(0.0, expiry_ms / 1000 - time.time()))
        self._identities.put(key, user, ttl)
        return user

    def session_user(self, user_id: int, signed_in_ms: int) -> Optional[User]:
        """The (still existing) user of a signed UI session signed in at ``signed_in_ms``; None when the
        user signed out (or changed password) since."""
        epoch = self._session_epochs.get(user_id)
        if epoch is MISSING:
            epoch = self.store.session_epoch(user_id)
            self._session_epochs.put(user_id, epoch)
        if signed_in_ms <= epoch:
            return None
        key = ("session", user_id)
        found = self._identities.get(key)
        if found is MISSING:
            found = self.store.get_user_by_id(user_id)
            self._identities.put(key, found)
        return found

    def end_sessions(self, user_id: int) -> None:
        """Sign the user out of every UI session (this process at once, others within the TTL)."""
        self.store.end_sessions(user_id)
        self._session_epochs.discard_where(lambda cached, _: cached == user_id)

    def login(self, username: str, password: str) -> Optional[User]:
        """The user if the password is right (the UI's sign-in form)."""
        return self.store.authenticate_password(username, password)

    # -- permissions --------------------------------------------------------------------------
    def level(self, user: User, kind: str, key: str) -> Permission:
        """The user's permission on an experiment id / registered model name (admins: MANAGE)."""
        if user.is_admin:
            return Permission.MANAGE
        cache_key = (user.id, kind, key)
        found = self._levels.get(cache_key)
        if found is MISSING:
            found = self.store.get_permission(kind, key, user.id) or self.default
            self._levels.put(cache_key, found)
        return found

    def forget(self, kind: str, key: str) -> None:
        """Drop what this process cached about the experiment / registered model ``key`` (after a
        grant, revoke, rename or delete) or, for kind ``"user"``, about that user (deleted, made
        admin or not). Other processes see the change within the TTL."""
        if kind == "user":
            self._identities.discard_where(lambda _, user: user is not None and user.username == key)
        else:
            self._levels.discard_where(lambda cached, _: cached[1:] == (kind, key))

    def _owner(self, kind: str, key: Any) -> Optional[str]:
        if not isinstance(key, str):
            return None
        found = self._owners.get((kind, key))
        if found is MISSING:
            lookup = self.store.experiment_of_run if kind == "run" else self.store.experiment_of_logged_model
            found = lookup(key)
            if found is not None:  # a missing one may be created later
                self._owners.put((kind, key), found)
        return found

    def require(self, user: User, kind: str, key: str, needed: Permission) -> None:
        """PermissionDeniedError unless ``user`` has ``needed`` on ``key``."""
        if not self.level(user, kind, key).allows(needed):
            what = "experiment" if kind == "experiment" else "registered model"
            raise PermissionDeniedError(
                f"Permission denied: user {user.username!r} needs {needed.name} on {what} {key!r}"
            )

    def readable(self, user: User, kind: str, key: str) -> bool:
        return self.level(user, kind, key).allows(Permission.READ)

    def check(self, user: User, access: Access, args: dict[str, Any]) -> dict[str, Any]:
        """Apply ``access`` to a request's ``args`` (returned, possibly narrowed) or raise PermissionDenied."""
        kind = access.kind
        if kind == "admin":
            if not user.is_admin:
                raise PermissionDeniedError(f"Permission denied: only an administrator may do this "
                                            f"(user {user.username!r} is not one)")
        elif kind == "experiment":
            self.require(user, "experiment", str(args.get(access.field) or "0"), access.level)
        elif kind in ("run", "logged_model"):
            experiment = self._owner(kind, args.get(access.field))
            if experiment is not None:  # no such run: the handler answers 404
                self.require(user, "experiment", experiment, access.level)
        elif kind == "experiments":
            for experiment_id in args.get(access.field) or ():
                self.require(user, "experiment", str(experiment_id), access.level)
        elif kind == "artifact":
            self._check_artifact(user, args.get(access.field) or "", access.level)
        elif kind == "source":
            self._check_source(user, str(args.get(access.field) or ""))
        elif kind == "runs":
            for run_id in args.get(access.field) or ():
                experiment = self._owner("run", run_id)
                if experiment is not None:
                    self.require(user, "experiment", experiment, access.level)
        elif kind == "registered_model":
            name = str(args.get(access.field, ""))
            if access.target == "or_new" and self.shared_registry and not self.store.registered_model_exists(name):
                args[NEW_MODEL] = name
            else:
                self.require(user, "registered_model", name, access.level)
        elif kind == "narrows" and not user.is_admin:
            ids = args.get(access.field) or []
            args[access.field] = [i for i in ids if self.readable(user, "experiment", str(i))]
            if not args[access.field]:
                args[NOTHING] = access.target
        elif kind == "self":
            name = args.get(access.field)
            if not name:
                args[access.field] = user.username
            elif name != user.username and not user.is_admin:
                raise PermissionDeniedError(
                    f"Permission denied: user {user.username!r} may only do this for themselves")
        elif kind == "grant":
            resource = "experiment" if access.target == "experiment" else "registered_model"
            if args.get("username") == user.username and not user.is_admin:
                raise PermissionDeniedError(
                    f"Permission denied: user {user.username!r} cannot change their own permissions")
            self.require(user, resource, str(args.get(access.field, "")), Permission.MANAGE)
        for extra in access.also:
            if args.get(extra.field):
                self.check(user, extra, args)
        return args

    def _check_artifact(self, user: User, raw: str, needed: Permission) -> None:
        """``<experiment id>/...`` needs ``needed`` on the experiment, ``models/<name>/...`` on the
        registered model; anything else (the root, the server's staging folder) is for admins."""
        from ..artifact_paths import safe_path

        try:
            parts = safe_path(raw).split("/")
        except MltrailError:
            return  # the proxy answers 400 for the path itself
        if parts[0].isdigit():
            self.require(user, "experiment", str(int(parts[0])), needed)
        elif parts[0] == "models" and len(parts) > 1:
            self.require(user, "registered_model", parts[1], needed)
        elif not user.is_admin:
            raise PermissionDeniedError(
                f"Permission denied: user {user.username!r} may only reach artifacts of experiments and "
                "registered models")

    def _check_source(self, user: User, source: str) -> None:
        """Registering copies ``source``: READ on the run, logged model, registered model or artifact
        path it names; other sources (server paths, other stores) only for admins."""
        if user.is_admin:
            return
        from ...models.uri import parse_models_uri

        if source.startswith("runs:"):
            experiment = self._owner("run", source[len("runs:"):].lstrip("/").split("/", 1)[0])
            if experiment is not None:
                self.require(user, "experiment", experiment, Permission.READ)
        elif source.startswith("models:"):
            try:
                parsed = parse_models_uri(source)
            except MltrailError:
                return  # the handler answers 400 for the URI itself
            if parsed.model_id:
                experiment = self._owner("logged_model", parsed.model_id)
                if experiment is not None:
                    self.require(user, "experiment", experiment, Permission.READ)
            else:
                self.require(user, "registered_model", parsed.name, Permission.READ)
        elif source.startswith("mlflow-artifacts:"):
            path = source[len("mlflow-artifacts:"):]
            if path.startswith("//"):  # mlflow-artifacts://<host>/<path>
                path = path[2:].partition("/")[2]
            self._check_artifact(user, path.lstrip("/"), Permission.READ)
        else:
            raise PermissionDeniedError(
                f"Permission denied: user {user.username!r} may register models only from runs:/, models:/ "
                "or mlflow-artifacts:/ sources (other locations are for administrators)")

    def call(self, user: Optional[User], access: Optional[Access], handler: Any, ctx: Any,
             args: dict[str, Any]) -> Any:
        """``handler(ctx, args)`` between :meth:`check` and :meth:`after` (what the route dispatcher runs)."""
        if user is None:
            raise UnauthenticatedError("Authentication required")
        if access is None:  # create_app refuses such a table; never serve an unchecked route
            raise PermissionDeniedError("Permission denied: this endpoint declares no permission rule")
        args = self.check(user, access, args)
        if NOTHING in args:
            return {args[NOTHING]: []}
        return self.after(user, access, args, handler(ctx, args))

    def after(self, user: User, access: Access, args: dict[str, Any], result: Any) -> Any:
        """Apply ``access`` to the handler's answer: filter a search, make a creator MANAGEr, check a lookup."""
        kind = access.kind
        if NEW_MODEL in args:
            self.store.set_permission("registered_model", args[NEW_MODEL], user.username, Permission.MANAGE)
            self.forget("registered_model", args[NEW_MODEL])
        elif kind == "creates" and isinstance(result, dict):
            key = result.get("experiment_id") if access.field == "experiment" else \
                (result.get("registered_model") or {}).get("name")
            if key is not None:
                self.store.set_permission(access.field, str(key), user.username, Permission.MANAGE)
                self.forget(access.field, str(key))
        elif kind == "filters" and isinstance(result, dict) and not user.is_admin:
            resource = access.field
            id_key = "experiment_id" if resource == "experiment" else "name"
            result[access.target] = [item for item in result.get(access.target, ())
                                     if self.readable(user, resource, str(item.get(id_key)))]
        elif kind == "answer" and isinstance(result, dict):
            experiment = (result.get(access.field) or {}).get("experiment_id")
            if experiment is not None:
                self.require(user, "experiment", str(experiment), access.level)
        return result
