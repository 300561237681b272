"""``mltrail server`` and ``mltrail ui``: the tracking server (MLflow's flag names) under uvicorn.

    $ mltrail server                                   # ./mltrail.db, ./mltrail-artifacts, 127.0.0.1:5000
    $ mltrail server --backend-store-uri postgresql+psycopg://... --artifacts-destination ./shared \\
                     --host 0.0.0.0 --port 5000 --workers 4
    $ mltrail ui --backend-store-uri sqlite:///mlflow.db

Ctrl-C (SIGINT) or SIGTERM stops it gracefully: requests in flight finish first.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import sys
from typing import Optional

import click


def _options(fn):
    options = [
        click.option("--backend-store-uri", default=None,
                     help="Tracking database URI (sqlite:///..., postgresql://..., mysql+pymysql://...) or a folder. "
                          "Default: ./mltrail.db"),
        click.option("--registry-store-uri", default=None, help="Model registry database URI (default: the backend's)."),
        click.option("--default-artifact-root", default=None,
                     help="Artifact root of new experiments (default: mlflow-artifacts:/ when serving artifacts)."),
        click.option("--artifacts-destination", default=None,
                     help="Where proxied artifacts are stored (a folder or s3:// URI; default ./mltrail-artifacts "
                          "beside a SQLite database)."),
        click.option("--serve-artifacts/--no-serve-artifacts", default=True, show_default=True,
                     help="Proxy artifact uploads and downloads through the server (mlflow-artifacts:/ URIs)."),
        click.option("-h", "--host", default="127.0.0.1", show_default=True, help="Interface to bind (0.0.0.0: all)."),
        click.option("-p", "--port", default=5000, show_default=True, type=int, help="Port to listen on."),
        click.option("-w", "--workers", default=1, show_default=True, type=click.IntRange(min=1),
                     help="Worker processes (uvicorn)."),
        click.option("--allowed-hosts", default=None,
                     help="Comma-separated Host header values to accept (e.g. 'mlflow.company.com,localhost:*'); "
                          "default: any."),
        click.option("--max-request-mb", default=64, show_default=True, type=click.IntRange(min=1),
                     help="Largest API request body, in MiB (413 above it); artifact uploads are not limited."),
        click.option("--auth", is_flag=True, default=False,
                     help="Require users: HTTP Basic or Bearer tokens for the API, a sign-in page for the UI, "
                          "READ/EDIT/MANAGE permissions per experiment and registered model (see `mltrail users`; "
                          "first admin from MLTRAIL_ADMIN_USERNAME / MLTRAIL_ADMIN_PASSWORD)."),
        click.option("--auth-default-permission", default="READ", show_default=True,
                     type=click.Choice(["NO_PERMISSIONS", "READ", "EDIT", "MANAGE"], case_sensitive=False),
                     help="With --auth: what a user may do on an experiment or model nobody granted them anything on."),
        click.option("--auth-cache-seconds", default=10.0, show_default=True, type=click.FloatRange(min=0),
                     help="With --auth: how long a checked credential or permission is trusted (a revoked token "
                          "stops working within this time on every worker)."),
        click.option("--log-level", default="info", show_default=True,
                     type=click.Choice(["critical", "error", "warning", "info", "debug"]), help="Log level."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def _run(backend_store_uri: Optional[str], registry_store_uri: Optional[str], default_artifact_root: Optional[str],
         artifacts_destination: Optional[str], serve_artifacts: bool, host: str, port: int, workers: int,
         allowed_hosts: Optional[str], max_request_mb: int, auth: bool, auth_default_permission: str,
         auth_cache_seconds: float, log_level: str) -> None:
    import uvicorn

    from ..exceptions import MltrailError
    from ..server.app import CONFIG_ENV, app_from_environment
    from ..server.context import ServerConfig

    config = ServerConfig(
        backend_store_uri=backend_store_uri or "",
        registry_store_uri=registry_store_uri,
        default_artifact_root=default_artifact_root,
        artifacts_destination=artifacts_destination,
        serve_artifacts=serve_artifacts,
        allowed_hosts=[h.strip() for h in allowed_hosts.split(",") if h.strip()] if allowed_hosts else None,
        max_body_bytes=max_request_mb * 1024 * 1024,
        auth=auth,
        auth_default_permission=auth_default_permission.upper(),
        auth_cache_ttl=auth_cache_seconds,
    )
    os.environ[CONFIG_ENV] = json.dumps(dataclasses.asdict(config))
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(name)s %(levelname)s %(message)s",
                        stream=sys.stderr)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        app_from_environment()  # open the stores (and migrate the schema) once, before any worker starts
    except MltrailError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"mltrail server listening on http://{host}:{port} (backend {config.backend_store_uri or 'sqlite:///mltrail.db'})",
               err=True)
    uvicorn.run("mltrail.server.app:app_from_environment", factory=True, host=host, port=port, workers=workers,
                log_level=log_level, access_log=False, timeout_graceful_shutdown=30)


@click.command()
@_options
def server(**options) -> None:
    """Run the tracking server: MLflow's REST API, the artifact proxy and the UI."""
    _run(**options)


@click.command()
@_options
def ui(**options) -> None:
    """Run the tracking UI (the same server; binds 127.0.0.1 unless --host is given)."""
    _run(**options)
