"""What every handler reads: the stores, the artifact destination and the server's settings.

``create_app`` builds one :class:`ServerContext` and puts its parts on
``app.state`` too (``tracking_store``, ``registry_store``, ``artifact_root``,
``config``) for the UI's routes::

    ctx = request.app.state.context
    ctx.tracking_store.get_run(run_id)
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any, Optional

from ..store.base import TrackingStore
from ..store.registry_base import RegistryStore


@dataclass
class ServerConfig:
    """The settings ``mltrail server`` was started with (MLflow's flag names, snake_case)."""

    backend_store_uri: str
    registry_store_uri: Optional[str] = None
    default_artifact_root: Optional[str] = None
    artifacts_destination: Optional[str] = None
    serve_artifacts: bool = True
    allowed_hosts: Optional[list[str]] = None
    max_body_bytes: int = 512 * 1024 * 1024
    access_log: bool = True
    #: ``--auth``: users, tokens and permissions (see :mod:`mltrail.server.auth`)
    auth: bool = False
    #: permission of a user on an experiment / registered model they hold none on
    auth_default_permission: str = "READ"
    #: seconds a checked credential or permission is cached (a revoked token works at most this long)
    auth_cache_ttl: float = 10.0
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class ServerContext:
    """The stores and settings of one app (shared by every request; the server keeps no other state)."""

    tracking_store: TrackingStore
    registry_store: RegistryStore
    artifacts_destination: Optional[str]
    config: ServerConfig
    #: the :class:`~mltrail.server.auth.guard.Guard` when ``--auth`` is on
    auth: Any = None

    @functools.cached_property
    def client(self) -> Any:
        """A :class:`mltrail.client.Client` over this server's own stores (registration copies files)."""
        from ..client import Client

        client = Client(self.config.backend_store_uri, self.config.registry_store_uri or self.config.backend_store_uri)
        client.__dict__["_tracking_store"] = self.tracking_store
        client.__dict__["_registry_store"] = self.registry_store
        return client
