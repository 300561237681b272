"""The ASGI app of ``mltrail server`` / ``mltrail ui``: the REST API, the artifact proxy and the UI.

``create_app`` opens the stores, registers every route of the table in
:mod:`mltrail.server.routing` (under ``/api/2.0/mlflow/`` and ``/ajax-api/2.0/mlflow/``),
the artifact proxy, ``/health``, ``/version``, ``/api/3.0/mlflow/server-info`` and
``/openapi.json``, then the UI's routes when ``mltrail.server.ui`` is installed.
It puts ``tracking_store``, ``registry_store``, ``artifact_root`` and ``config``
on ``app.state``::

    import uvicorn
    from mltrail.server import create_app
    uvicorn.run(create_app(backend_store_uri="sqlite:///mlflow.db"), port=5000)
"""

from __future__ import annotations

from typing import Any, Optional

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from .. import config as mltrail_config
from ..version import VERSION as __version__
from . import artifacts_proxy
from .context import ServerConfig, ServerContext
from .errors import ENDPOINT_NOT_FOUND, error_response
from .middleware import AccessLogMiddleware, ArtifactDestinationMiddleware, BodyLimitMiddleware, BodyTooLarge
from .protocol import build_routes, openapi
from .routing import ENDPOINTS

#: Artifact root handed to the store when the server proxies artifacts: experiments get
#: ``mlflow-artifacts:/<id>`` (MLflow's URIs). Spelled with ``//`` so the SQL store keeps it as a
#: URI (it makes scheme-less roots absolute paths) and strips it to ``mlflow-artifacts:``.
PROXIED_ARTIFACT_ROOT = "mlflow-artifacts://"
_API_PATHS = ("/api/", "/ajax-api/")


def _resolve(cfg: ServerConfig) -> tuple[str, Optional[str], str]:
    """(backend URI, artifact destination, default artifact root) with the embedded defaults filled in."""
    backend = mltrail_config.normalise_uri(cfg.backend_store_uri or mltrail_config.DEFAULT_TRACKING_URI)
    destination = cfg.artifacts_destination or mltrail_config.default_artifact_root(backend)
    if "://" not in destination:
        import os

        destination = os.path.abspath(destination)
    if cfg.default_artifact_root and cfg.default_artifact_root.rstrip("/") != "mlflow-artifacts:":
        root = cfg.default_artifact_root
    elif cfg.serve_artifacts:
        root = PROXIED_ARTIFACT_ROOT
    else:
        root = destination
    return backend, (destination if cfg.serve_artifacts else None), root


def _context_of(request: Request) -> ServerContext:
    return request.app.state.context


async def _health(request: Request) -> Response:
    return PlainTextResponse("OK")


async def _version(request: Request) -> Response:
    return PlainTextResponse(__version__)


async def _server_info(request: Request) -> Response:
    return JSONResponse({"store_type": "SqlStore", "workspaces_enabled": False, "server": "mltrail",
                         "version": __version__})


async def _not_found(request: Request, exc: Exception) -> Response:
    status = getattr(exc, "status_code", 404)
    if request.url.path.startswith(_API_PATHS):
        if status == 405:
            return error_response("BAD_REQUEST", f"Method {request.method} is not allowed on {request.url.path}", 405)
        return error_response(ENDPOINT_NOT_FOUND, f"No API endpoint {request.method} {request.url.path}", status)
    return PlainTextResponse(getattr(exc, "detail", "Not Found"), status_code=status)


async def _too_large(request: Request, exc: Exception) -> Response:
    return error_response("REQUEST_LIMIT_EXCEEDED", str(exc), 413)


def _ui_routes() -> list[BaseRoute]:
    try:
        from .ui import routes as ui_routes  # type: ignore[attr-defined]
    except ImportError:
        return []
    return list(ui_routes())


def create_app(config: Optional[ServerConfig] = None, **settings: Any) -> Starlette:
    """The server's ASGI app over the stores named by ``config`` (or keyword settings of
    :class:`ServerConfig`: ``backend_store_uri``, ``registry_store_uri``, ``default_artifact_root``,
    ``artifacts_destination``, ``serve_artifacts``, ``allowed_hosts``, ``max_body_bytes``...).

    >>> app = create_app(backend_store_uri="sqlite:///mlflow.db", artifacts_destination="./mlartifacts")
    """
    from ..store import get_registry_store, get_tracking_store

    cfg = config or ServerConfig(backend_store_uri=settings.pop("backend_store_uri", None) or "", **settings)
    backend, destination, root = _resolve(cfg)
    cfg.backend_store_uri = backend
    tracking = get_tracking_store(backend, root)
    registry_uri = mltrail_config.normalise_uri(cfg.registry_store_uri) if cfg.registry_store_uri else backend
    registry = get_registry_store(registry_uri, root)
    ctx = ServerContext(tracking, registry, destination, cfg)
    signer = None
    if cfg.auth:
        from . import auth

        unchecked = [f"{ep.method} {ep.path}" for ep in ENDPOINTS if ep.access is None]
        if unchecked:
            raise RuntimeError(f"routes without a permission rule cannot be served with --auth: {unchecked}")
        ctx.auth, signer = auth.enable(tracking, cfg.auth_default_permission, cfg.auth_cache_ttl)
        ctx.auth.shared_registry = registry_uri == backend

    spec = openapi(ENDPOINTS, __version__)

    async def _openapi(request: Request) -> Response:
        return JSONResponse(spec)

    routes: list[BaseRoute] = [
        Route("/health", _health, methods=["GET"]),
        Route("/version", _version, methods=["GET"]),
        Route("/api/3.0/mlflow/server-info", _server_info, methods=["GET"]),
        Route("/openapi.json", _openapi, methods=["GET"]),
        *build_routes(ENDPOINTS, _context_of),
    ]
    if destination:
        routes += artifacts_proxy.routes()
    routes += _ui_routes()
    if signer is not None:
        from .auth import login

        routes = login.routes() + routes
    middleware = [Middleware(BodyLimitMiddleware, max_bytes=cfg.max_body_bytes,
                             max_artifact_bytes=cfg.extra.get("max_artifact_bytes")),
                  Middleware(ArtifactDestinationMiddleware, destination=destination)]
    if signer is not None:
        from .auth.middleware import AuthMiddleware

        middleware.insert(0, Middleware(AuthMiddleware, guard=ctx.auth, signer=signer))
    if cfg.allowed_hosts:
        middleware.insert(0, Middleware(TrustedHostMiddleware, allowed_hosts=list(cfg.allowed_hosts)))
    if cfg.access_log:
        middleware.insert(0, Middleware(AccessLogMiddleware))
    app = Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={HTTPException: _not_found, BodyTooLarge: _too_large},
    )
    app.state.context = ctx
    app.state.tracking_store = tracking
    app.state.registry_store = registry
    app.state.artifact_root = destination
    app.state.config = cfg
    app.state.session_signer = signer
    return app


#: Environment variable carrying the settings (JSON) to each uvicorn worker process.
CONFIG_ENV = "MLTRAIL_SERVER_CONFIG"


def app_from_environment() -> Starlette:
    """The app for a uvicorn worker: settings from ``$MLTRAIL_SERVER_CONFIG`` (``mltrail server`` sets it).

    >>> uvicorn.run("mltrail.server.app:app_from_environment", factory=True, workers=4)
    """
    import json
    import os

    settings = json.loads(os.environ.get(CONFIG_ENV) or "{}")
    return create_app(ServerConfig(**settings))
