"""ASGI middleware of the server: one access-log line per request and the request-body size limit.

(Allowed hosts use Starlette's ``TrustedHostMiddleware``; see ``app.py``.)

- :class:`AccessLogMiddleware` logs ``<client> "<METHOD> <path>" <status> <bytes> <ms>`` on
  logger ``mltrail.server.access`` once the response is sent.
- :class:`BodyLimitMiddleware` answers 413 ``REQUEST_LIMIT_EXCEEDED`` when a request body is
  larger than the limit (declared by Content-Length or counted while streaming); artifact
  uploads (``/api/2.0/mlflow-artifacts/``) have their own, larger limit.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any, Awaitable, Callable, Optional

ASGIApp = Callable[[dict, Callable, Callable], Awaitable[None]]
access_logger = logging.getLogger("mltrail.server.access")
ARTIFACT_PREFIX = "/api/2.0/mlflow-artifacts/"


class AccessLogMiddleware:
    """One log line per HTTP request (method, path, status, response bytes, duration)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = [500]
        size = [0]

        async def logged_send(message: dict) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            elif message["type"] == "http.response.body":
                size[0] += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, logged_send)
        finally:
            client = scope.get("client") or ("-", 0)
            query = scope.get("query_string", b"")
            target = scope["path"] + ("?" + query.decode("latin-1") if query else "")
            access_logger.info(
                '%s "%s %s" %d %d %.1fms', client[0], scope["method"], target, status[0], size[0],
                (time.perf_counter() - start) * 1000,
            )


class BodyTooLarge(Exception):
    """Raised while reading a body past the limit; ``create_app`` answers it with 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"Request body too large: the limit is {limit} bytes")
        self.limit = limit


class BodyLimitMiddleware:
    """413 for bodies over ``max_bytes`` (``max_artifact_bytes`` for artifact uploads; None = no limit)."""

    def __init__(self, app: ASGIApp, max_bytes: int, max_artifact_bytes: Optional[int] = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_artifact_bytes = max_artifact_bytes

    async def _refuse(self, send: Callable, limit: int) -> None:
        body = json.dumps({
            "error_code": "REQUEST_LIMIT_EXCEEDED",
            "message": f"Request body too large: the limit is {limit} bytes",
        }).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_artifact_bytes if scope["path"].startswith(ARTIFACT_PREFIX) else self.max_bytes
        if limit is None:
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > limit:
                    await self._refuse(send, limit)
                    return
        seen = [0]

        async def counted_receive() -> Any:
            message = await receive()
            if message["type"] == "http.request":
                seen[0] += len(message.get("body", b""))
                if seen[0] > limit:
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, counted_receive, send)


class ArtifactDestinationMiddleware:
    """Within each request, ``mlflow-artifacts:`` URIs resolve to the server's artifact destination
    (so registering a version copies files directly, not through the server's own proxy)."""

    def __init__(self, app: ASGIApp, destination: Optional[str]) -> None:
        self.app = app
        self.destination = destination

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        from ..artifacts.proxied import serve_locally

        with serve_locally(self.destination):
            await self.app(scope, receive, send)
