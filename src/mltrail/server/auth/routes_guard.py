"""Permission checks for the routes outside the REST table: the UI's pages and JSON, and the
artifact proxy. Each route is wrapped with its :class:`~.access.Access` where it is declared::

    Route("/runs/{run_id}", guarded(on_run(READ), pages.run_page))
    Route(PREFIX + "/{artifact_path:path}", guarded(ARTIFACT, artifact))

The request's fields are its path parameters, query parameters (``experiments``, ``runs``, ``ids``
split on commas) and JSON body. Without ``--auth`` the wrapper calls the route directly.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from typing import Any, Awaitable, Callable, Optional

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from ...entities import Permission
from ...exceptions import MltrailError
from ..errors import error_response
from .access import Access
from .guard import NEW_MODEL

Endpoint = Callable[[Request], Awaitable[Response]]
LIST_FIELDS = ("experiments", "runs", "ids")
#: the artifact proxy: reading needs READ, writing EDIT, deleting MANAGE (MLflow's mapping)
ARTIFACT_LEVELS = {"GET": Permission.READ, "HEAD": Permission.READ, "PUT": Permission.EDIT,
                   "POST": Permission.EDIT, "DELETE": Permission.MANAGE}


def guard_of(request: Request) -> Any:
    """The app's :class:`~.guard.Guard`, or None when auth is off."""
    context = getattr(request.app.state, "context", None)
    return getattr(context, "auth", None)


def can_read(request: Request, kind: str, key: str) -> bool:
    """Whether the request's user may read the experiment id / registered model name (always, without auth).

    >>> [e for e in experiments if can_read(request, "experiment", e.experiment_id)]
    """
    guard = guard_of(request)
    if guard is None:
        return True
    user = request.scope.get("state", {}).get("user")
    return user is not None and guard.readable(user, kind, str(key))


async def _args(request: Request) -> dict[str, Any]:
    args: dict[str, Any] = dict(request.query_params)
    for name in LIST_FIELDS:
        if name in args:
            args[name] = [p for p in args[name].split(",") if p.strip()]
    if request.method == "POST" and request.headers.get("content-type", "").startswith("application/json"):
        try:
            body = await request.json()
        except ValueError:
            body = None
        if isinstance(body, dict):
            args.update(body)
    args.update(request.path_params)
    return args


def _denied(request: Request, exc: MltrailError) -> Response:
    if request.url.path.startswith(("/api/", "/ajax-api/")):
        return error_response(exc.error_code, exc.message)
    return PlainTextResponse(exc.message, status_code=exc.http_status)


def guarded(access: Access, endpoint: Endpoint) -> Endpoint:
    """``endpoint`` behind ``access`` (kind ``artifact``: the level follows the HTTP method)."""

    @functools.wraps(endpoint)
    async def wrapped(request: Request) -> Response:
        guard = guard_of(request)
        if guard is None:
            return await endpoint(request)
        user = request.scope.get("state", {}).get("user")
        rule: Optional[Access] = access
        if access.kind == "artifact":
            rule = dataclasses.replace(access, level=ARTIFACT_LEVELS.get(request.method, Permission.MANAGE))
        args = await _args(request)
        try:
            if user is None:
                raise MltrailError("Authentication required", "UNAUTHENTICATED")
            await run_in_threadpool(guard.check, user, rule, args)
        except MltrailError as exc:
            return _denied(request, exc)
        response = await endpoint(request)
        if (access.kind == "creates" or NEW_MODEL in args) and response.status_code == 200:
            body = json.loads(bytes(response.body))
            await run_in_threadpool(guard.after, user, access, args, body)
        return response

    return wrapped
