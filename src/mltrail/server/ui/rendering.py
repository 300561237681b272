"""Templates, error pages and the two handler wrappers of the UI (pages and JSON).

A handler raises :class:`~mltrail.exceptions.MltrailError` for bad input;
the wrapper turns it into a page (or JSON body) with the error's HTTP status
and message -- never a stack trace. A filter error also carries the
character position the parser reported, so the page can point at it.

>>> @page_handler
... async def experiment(request): return render(request, "experiments.html", experiments=[])
"""

from __future__ import annotations

import datetime
import functools
import json
import logging
import re
from typing import Any, Awaitable, Callable, Optional

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from ...exceptions import InvalidParameterError, MltrailError

_log = logging.getLogger("mltrail.server.ui")
_POSITION = re.compile(r" at position (\d+)")
Handler = Callable[[Request], Awaitable[Response]]


@functools.lru_cache(maxsize=1)
def environment() -> Any:
    """The Jinja2 environment (autoescaping on) over the package's templates."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("mltrail.server.ui", "templates"),
        autoescape=jinja2.select_autoescape(default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["ms_time"] = format_time
    env.filters["duration"] = format_duration
    env.filters["tojson_attr"] = lambda value: json.dumps(value)
    return env


def format_time(ms: Optional[int]) -> str:
    """Epoch milliseconds as ``YYYY-MM-DD HH:MM:SS`` (UTC); '' for None."""
    if ms is None:
        return ""
    return datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def format_duration(ms: Optional[int]) -> str:
    """A duration in ms as ``1.2 s`` / ``3 min 4 s`` / ``2 h 5 min``; '' for None."""
    if ms is None or ms < 0:
        return ""
    seconds = ms / 1000
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, sec = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {sec} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """Render a template into an HTML response."""
    html = environment().get_template(template).render(request=request, **context)
    return HTMLResponse(html, status_code=status)


def error_position(message: str) -> Optional[int]:
    """The character position a filter error points at, if its message names one."""
    match = _POSITION.search(message)
    return int(match.group(1)) if match else None


def _status_and_message(exc: BaseException) -> tuple[int, str, str]:
    if isinstance(exc, MltrailError):
        return exc.http_status, exc.error_code, exc.message
    _log.exception("UI handler failed")
    return 500, "INTERNAL_ERROR", "The server could not complete this request; the error is in the server's log."


def page_handler(handler: Handler) -> Handler:
    """Wrap a page handler: an error becomes a readable page with the error's status."""

    @functools.wraps(handler)
    async def wrapped(request: Request) -> Response:
        try:
            return await handler(request)
        except Exception as exc:
            status, code, message = _status_and_message(exc)
            title = {404: "Not found", 400: "Bad request"}.get(status, "Error")
            return render(request, "error.html", status=status, title=title, code=code, message=message)

    return wrapped


def ajax_handler(handler: Handler) -> Handler:
    """Wrap a JSON handler: an error becomes ``{"error_code", "message", "position"}`` with its status."""

    @functools.wraps(handler)
    async def wrapped(request: Request) -> Response:
        try:
            return await handler(request)
        except Exception as exc:
            status, code, message = _status_and_message(exc)
            return JSONResponse(
                {"error_code": code, "message": message, "position": error_position(message)}, status_code=status
            )

    return wrapped


def int_arg(request: Request, name: str, default: int) -> int:
    """An integer query parameter; a non-integer raises InvalidParameterError naming it."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise InvalidParameterError(f"Invalid {name}={raw!r}: must be an integer") from None


def list_arg(request: Request, name: str) -> list[str]:
    """A comma-separated query parameter as a list (empty items dropped)."""
    return [part for part in request.query_params.get(name, "").split(",") if part.strip()]


async def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object body; anything else raises InvalidParameterError."""
    try:
        body = await request.json()
    except ValueError:
        raise InvalidParameterError("The request body must be a JSON object") from None
    if not isinstance(body, dict):
        raise InvalidParameterError("The request body must be a JSON object")
    return body


def required(body: dict[str, Any], name: str) -> str:
    """A non-empty string field of a JSON body."""
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise InvalidParameterError(f"Missing field {name!r}: expected a non-empty string")
    return value
