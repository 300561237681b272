"""``mltrail gc``: clean up what crashed processes left behind.

- RUNNING runs of processes that died (no heartbeat for longer than their
  ``MLTRAIL_RUN_HEARTBEAT_TIMEOUT``) are marked KILLED (readers do it too,
  lazily; see :mod:`mltrail.store.liveness`).
- Model versions a killed ``register_model`` left PENDING_REGISTRATION for
  longer than the timeout become FAILED_REGISTRATION; their partial copies
  are removed, as are copies still on disk of versions whose registration failed.
- Temporary model-save folders (``.mltrail-save-*``) older than the timeout
  are removed from every local artifact root (the default root and each
  experiment's artifact location).

::

    $ mltrail gc
    Expired registration: nyc-taxi version 3, partial copy removed: /data/mltrail-artifacts/models/nyc-taxi/3
    Removed temporary save folder: /data/mltrail-artifacts/1/5f3c.../artifacts/.mltrail-save-k2j4
    $ mltrail gc --older-than 0     # also what is younger than MLTRAIL_PENDING_REGISTRATION_TIMEOUT
"""

from __future__ import annotations

import os
import shutil
import time
from typing import TYPE_CHECKING, Optional

import click

from ..artifacts.local import TEMPORARY_SAVE_PREFIX as SAVE_FOLDER_PREFIX
from ._options import make_client, reports_errors, tracking_uri_option

if TYPE_CHECKING:
    from ..client import Client


def _local_roots(client: "Client") -> list[str]:
    """The local artifact roots of the tracking store: its default root and every experiment's location."""
    from ..artifacts import artifact_uri_scheme
    from ..artifacts.local import local_path_from_uri
    from ..entities import ViewType

    uris = [getattr(client._tracking_store, "default_artifact_root", None)]
    token = None
    while True:
        page = client.search_experiments(view_type=ViewType.ALL, max_results=1000, page_token=token)
        uris += [e.artifact_location for e in page]
        token = page.token
        if not token:
            break
    roots = sorted({os.path.realpath(local_path_from_uri(u)) for u in uris if u and artifact_uri_scheme(u) == "file"})
    # A root inside another one is walked with it.
    return [r for r in roots if not any(r != o and r.startswith(o.rstrip(os.sep) + os.sep) for o in roots)]


def remove_save_folders(roots: list[str], older_than_seconds: float) -> list[str]:
    """Remove ``.mltrail-save-*`` folders under ``roots`` not modified for ``older_than_seconds``; return them.

    >>> remove_save_folders(["/data/mltrail-artifacts"], 600)
    ['/data/mltrail-artifacts/1/5f3c.../artifacts/.mltrail-save-k2j4']
    """
    cutoff = time.time() - older_than_seconds
    removed = []
    for root in roots:
        for folder, dirs, _ in os.walk(root):
            for name in list(dirs):
                if not name.startswith(SAVE_FOLDER_PREFIX):
                    continue
                dirs.remove(name)  # never descend into one
                path = os.path.join(folder, name)
                try:
                    if os.path.islink(path) or os.stat(path).st_mtime > cutoff:
                        continue  # a save may still be writing it
                except OSError:
                    continue
                shutil.rmtree(path, ignore_errors=True)
                if not os.path.exists(path):
                    removed.append(path)
    return sorted(removed)


def collect(client: "Client", older_than_seconds: Optional[float] = None) -> list[str]:
    """Do the whole clean-up for ``client``'s stores; return one line per thing removed.

    >>> collect(Client("sqlite:///mltrail.db"), older_than_seconds=600)
    ['Expired registration: nyc-taxi version 3, partial copy removed: /data/.../models/nyc-taxi/3']
    """
    from ..artifacts import artifact_uri_scheme
    from ..artifacts.local import local_path_from_uri
    from ..client.registry_storage import expire_pending, pending_timeout_seconds, remove_copy, storage_root

    timeout = pending_timeout_seconds(older_than_seconds)
    killed = client._tracking_store.reap_dead_runs()
    lines = [f"Marked KILLED: {killed} run(s) of processes that stopped heartbeating"] if killed else []
    store = client._registry_store
    lines += [
        f"Expired registration: {mv.name} version {mv.version}, partial copy removed: {location}"
        for mv, location in expire_pending(store, timeout)
    ]
    root = storage_root(store)
    for mv in store.failed_model_versions():
        location = store.get_model_version_download_uri(mv.name, mv.version)
        if root and artifact_uri_scheme(location) == "file" and os.path.isdir(local_path_from_uri(location)):
            remove_copy(store, location)
            if not os.path.exists(local_path_from_uri(location)):
                lines.append(f"Removed copy of failed registration: {mv.name} version {mv.version}: {location}")
    lines += [f"Removed temporary save folder: {p}" for p in remove_save_folders(_local_roots(client), timeout)]
    return lines


@click.command()
@tracking_uri_option
@click.option("--older-than", type=click.FloatRange(min=0), default=None, metavar="SECONDS",
              help="Age past which a pending registration or a save folder counts as abandoned "
                   "(default: MLTRAIL_PENDING_REGISTRATION_TIMEOUT, else 600).")
@reports_errors
def gc(tracking_uri: Optional[str], older_than: Optional[float]) -> None:
    """Clean up what crashed processes left: runs still RUNNING, stuck registrations, temporary save folders.

    Example: mltrail gc --tracking-uri sqlite:///mltrail.db
    """
    lines = collect(make_client(tracking_uri), older_than)
    for line in lines:
        click.echo(line)
    if not lines:
        click.echo("Nothing to clean up.")


__all__ = ["SAVE_FOLDER_PREFIX", "collect", "gc", "remove_save_folders"]
