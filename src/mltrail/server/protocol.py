"""The one declared route table and everything derived from it.

An :class:`Endpoint` declares (method, path, request shape, handler). From the
table :func:`build_routes` makes the Starlette routes (under ``/api/2.0/mlflow/``
and ``/ajax-api/2.0/mlflow/``), :func:`parse_request` turns a request into the
handler's arguments (proto3 JSON body, or the query string for GET; snake_case;
unknown fields ignored; int64 given as strings accepted), errors become
``{"error_code": ..., "message": ...}`` with MLflow's HTTP status, and
:func:`openapi` describes it all::

    Endpoint("POST", "runs/log-metric", (Field("run_id", STRING, required=True), ...), runs.log_metric)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Optional, Sequence

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..exceptions import MltrailError
from .errors import MALFORMED_REQUEST, error_response

STRING, INT64, DOUBLE, BOOL, MESSAGE = "string", "int64", "double", "bool", "message"
API_PREFIXES = ("/api/2.0/mlflow/", "/ajax-api/2.0/mlflow/")
_BODY_METHODS = ("POST", "PATCH", "PUT", "DELETE")


@dataclass(frozen=True)
class Field:
    """One field of a request message: its JSON name, type and whether it must be given.

    ``fields`` describes the members of a ``message`` field; ``aliases`` are older
    names accepted too (``run_uuid`` for ``run_id``).
    """

    name: str
    kind: str = STRING
    required: bool = False
    repeated: bool = False
    fields: tuple["Field", ...] = ()
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Endpoint:
    """A REST endpoint: ``handler(ctx, request_dict) -> response_dict``, run in a worker thread."""

    method: str
    path: str
    fields: tuple[Field, ...]
    handler: Callable[[Any, dict[str, Any]], dict[str, Any]]
    summary: str = ""
    prefixes: tuple[str, ...] = API_PREFIXES
    #: the permission rule on an authenticated server (:mod:`mltrail.server.auth.access`)
    access: Any = None


class RequestError(MltrailError):
    """A request that does not match its declared shape (MALFORMED_REQUEST / INVALID_PARAMETER_VALUE)."""

    default_error_code = "INVALID_PARAMETER_VALUE"


# -- parsing ------------------------------------------------------------------
def _scalar(f: Field, value: Any, where: str) -> Any:
    kind = f.kind
    if kind == STRING:
        if isinstance(value, str):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)  # proto3 JSON parsers accept numbers for string ids loosely
        raise RequestError(f"Invalid value {value!r} for field {where!r}: must be a string")
    if kind == INT64:
        if isinstance(value, bool):
            raise RequestError(f"Invalid value {value!r} for field {where!r}: must be an integer")
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            try:
                return int(value.strip())
            except ValueError:
                pass
        raise RequestError(f"Invalid value {value!r} for field {where!r}: must be an integer")
    if kind == DOUBLE:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                pass
        raise RequestError(f"Invalid value {value!r} for field {where!r}: must be a number")
    if kind == BOOL:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise RequestError(f"Invalid value {value!r} for field {where!r}: must be true or false")
    if kind == MESSAGE:
        if not isinstance(value, dict):
            raise RequestError(f"Invalid value {value!r} for field {where!r}: must be a JSON object")
        return parse_message(f.fields, value, where + ".")
    raise AssertionError(kind)


def parse_message(fields: Sequence[Field], data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Check ``data`` against ``fields``: types converted, unknown keys dropped, required ones present.

    >>> parse_message((Field("step", INT64),), {"step": "3", "other": 1})
    {'step': 3}
    """
    out: dict[str, Any] = {}
    for f in fields:
        value = data.get(f.name)
        if value is None:
            for alias in f.aliases:
                if data.get(alias) is not None:
                    value = data[alias]
                    break
        where = prefix + f.name
        if value is None:
            if f.required:
                raise RequestError(f"Missing value for required parameter {where!r}")
            continue
        if f.repeated:
            if not isinstance(value, list):
                raise RequestError(f"Invalid value {value!r} for field {where!r}: must be a list")
            out[f.name] = [_scalar(f, v, f"{where}[{i}]") for i, v in enumerate(value)]
            if f.required and not out[f.name]:
                raise RequestError(f"Missing value for required parameter {where!r}")
        else:
            out[f.name] = _scalar(f, value, where)
    return out


def _query_to_dict(fields: Sequence[Field], request: Request) -> dict[str, Any]:
    params = request.query_params
    data: dict[str, Any] = {}
    for f in fields:
        for name in (f.name, *f.aliases):
            if name in params:
                data[f.name] = params.getlist(name) if f.repeated else params[name]
                break
    return data


async def parse_request(endpoint: Endpoint, request: Request) -> dict[str, Any]:
    """The request's arguments as a dict, checked against ``endpoint.fields``.

    GET reads the query string; other methods read a JSON object body (an empty
    body counts as ``{}``; a DELETE may use the query string instead).
    """
    if request.method == "GET":
        return parse_message(endpoint.fields, _query_to_dict(endpoint.fields, request))
    raw = await request.body()
    if not raw.strip():
        data: Any = _query_to_dict(endpoint.fields, request)
    else:
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise RequestError(f"Malformed JSON request body: {exc}", MALFORMED_REQUEST) from None
        if not isinstance(data, dict):
            raise RequestError(
                f"Malformed request body: must be a JSON object, got {type(data).__name__}", MALFORMED_REQUEST
            )
    return parse_message(endpoint.fields, data)


# -- responses ----------------------------------------------------------------
def _json_default(value: Any) -> Any:
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


class ProtoJSONResponse(JSONResponse):
    """JSON with non-finite doubles already spelled as strings (see ``store.rest.wire``)."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False, separators=(",", ":"), allow_nan=False,
                          default=_json_default).encode("utf-8")


# -- routes -------------------------------------------------------------------
def _dispatcher(by_method: dict[str, Endpoint], ctx_of: Callable[[Request], Any]) -> Callable:
    allowed = ", ".join(sorted(by_method))

    async def endpoint(request: Request) -> Response:
        ep = by_method.get(request.method)
        if ep is None:
            return error_response(
                "BAD_REQUEST", f"Method {request.method} is not allowed on {request.url.path} (allowed: {allowed})",
                status=405, headers={"Allow": allowed},
            )
        try:
            args = await parse_request(ep, request)
            if request.path_params:
                args.update(request.path_params)
            ctx = ctx_of(request)
            guard = getattr(ctx, "auth", None)
            if guard is None:
                result = await run_in_threadpool(ep.handler, ctx, args)
            else:
                user = request.scope.get("state", {}).get("user")
                result = await run_in_threadpool(guard.call, user, ep.access, ep.handler, ctx, args)
        except MltrailError as exc:
            return error_response(exc.error_code, exc.message)
        if isinstance(result, Response):
            return result
        return ProtoJSONResponse(result)

    return endpoint


def build_routes(table: Sequence[Endpoint], ctx_of: Callable[[Request], Any]) -> list[Route]:
    """One Starlette route per (prefix, path), dispatching on the method to the declared endpoint."""
    grouped: dict[tuple[str, str], dict[str, Endpoint]] = {}
    for ep in table:
        for prefix in ep.prefixes:
            methods = grouped.setdefault((prefix, ep.path), {})
            if ep.method in methods:
                raise ValueError(f"route table declares {ep.method} {prefix}{ep.path} twice")
            methods[ep.method] = ep
    routes = []
    for (prefix, path), by_method in grouped.items():
        methods = sorted(set(by_method) | {"GET", "POST", "PUT", "PATCH", "DELETE"})
        routes.append(Route(prefix + path, _dispatcher(by_method, ctx_of), methods=methods))
    return routes


# -- OpenAPI ------------------------------------------------------------------
_OPENAPI_TYPES = {
    STRING: {"type": "string"},
    INT64: {"type": "integer", "format": "int64"},
    DOUBLE: {"type": "number", "format": "double"},
    BOOL: {"type": "boolean"},
}


def _schema(fields: Sequence[Field]) -> dict[str, Any]:
    props: dict[str, Any] = {}
    for f in fields:
        item = _schema(f.fields) if f.kind == MESSAGE else dict(_OPENAPI_TYPES[f.kind])
        props[f.name] = {"type": "array", "items": item} if f.repeated else item
    schema: dict[str, Any] = {"type": "object", "properties": props}
    required = [f.name for f in fields if f.required]
    if required:
        schema["required"] = required
    return schema


def openapi(table: Sequence[Endpoint], version: str, extra_paths: Optional[dict[str, Any]] = None) -> dict[str, Any]:
    """The OpenAPI 3 description of every endpoint in ``table`` (first prefix of each)."""
    error = {"description": "error", "content": {"application/json": {"schema": {
        "type": "object", "properties": {"error_code": {"type": "string"}, "message": {"type": "string"}}}}}}
    paths: dict[str, Any] = {}
    for ep in table:
        op: dict[str, Any] = {
            "summary": ep.summary or ep.path,
            "operationId": f"{ep.method.lower()}_{ep.path.replace('/', '_').replace('-', '_')}",
            "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}},
                          "400": error, "404": error},
        }
        if ep.method == "GET":
            op["parameters"] = [
                {"name": f.name, "in": "query", "required": f.required,
                 "schema": {"type": "array", "items": _OPENAPI_TYPES.get(f.kind, {"type": "string"})}
                 if f.repeated else _OPENAPI_TYPES.get(f.kind, {"type": "string"})}
                for f in ep.fields
            ]
        else:
            op["requestBody"] = {"content": {"application/json": {"schema": _schema(ep.fields)}}}
        path = ep.prefixes[0] + ep.path
        for segment in path.split("/"):
            if segment.startswith("{") and segment.endswith("}"):
                op.setdefault("parameters", []).append(
                    {"name": segment[1:-1].split(":")[0], "in": "path", "required": True, "schema": {"type": "string"}})
        paths.setdefault(path.replace(":path}", "}"), {})[ep.method.lower()] = op
    paths.update(extra_paths or {})
    return {"openapi": "3.0.3", "info": {"title": "mltrail tracking server", "version": version}, "paths": paths}


