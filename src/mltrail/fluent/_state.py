"""Per-process and per-context state behind the fluent API.

* the active-run stack: a ``ContextVar`` holding an immutable tuple, so each
  thread (and each asyncio task) sees its own runs;
* one :class:`~mltrail.client.Client` per tracking URI;
* the active experiment per tracking URI (set by ``set_experiment``).
"""

from __future__ import annotations

import contextvars
import threading
from typing import Any, Optional

from .. import config
from ..client import Client

#: Runs started with start_run in this context, outermost first (``ActiveRun`` objects: the
#: class lives in ``_runs``, which builds on this module, so it is not named here).
active_runs: contextvars.ContextVar[tuple[Any, ...]] = contextvars.ContextVar(
    "mltrail_active_runs", default=()
)
#: (client, run id) of the run most recently ended in this context.
last_run: contextvars.ContextVar[Optional[tuple[Client, str]]] = contextvars.ContextVar(
    "mltrail_last_run", default=None
)

_lock = threading.Lock()
_clients: dict[str, Client] = {}
#: tracking URI -> id of the experiment chosen by set_experiment (or the environment).
active_experiments: dict[str, str] = {}


def client_for(uri: Optional[str] = None) -> Client:
    """The shared client of ``uri`` (the current tracking URI when None).

    >>> client_for().tracking_uri
    'sqlite:////work/mltrail.db'
    """
    if uri is None:
        uri = config.get_tracking_uri()
    client = _clients.get(uri)
    if client is None:
        with _lock:
            client = _clients.get(uri)
            if client is None:
                client = Client(uri)
                _clients[uri] = client
    return client
