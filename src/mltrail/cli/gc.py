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
- Unfinished S3 multipart uploads older than the timeout are aborted under
  every ``s3://`` root (their parts cost storage until then).

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


def _artifact_roots(client: "Client") -> list[str]:
    """The tracking store's artifact roots: its default root and every experiment's location."""
    from ..entities import ViewType

    uris = [getattr(client.tracking_store, "default_artifact_root", None)]
    token = None
    while True:
        page = client.search_experiments(view_type=ViewType.ALL, max_results=1000, page_token=token)
        uris += [e.artifact_location for e in page]
        token = page.token
        if not token:
            break
    return [u for u in uris if u]


def _outermost(roots: list[str], sep: str) -> list[str]:
    """``roots`` without those inside another one (walked with it)."""
    roots = sorted(set(roots))
    return [r for r in roots if not any(r != o and r.startswith(o.rstrip(sep) + sep) for o in roots)]


def _local_roots(uris: list[str]) -> list[str]:
    from ..artifacts import artifact_uri_scheme
    from ..artifacts.local import local_path_from_uri

    return _outermost([os.path.realpath(local_path_from_uri(u)) for u in uris if artifact_uri_scheme(u) == "file"], os.sep)


def abort_stale_s3_uploads(uris: list[str], older_than_seconds: float) -> list[str]:
    """Abort unfinished S3 multipart uploads older than ``older_than_seconds`` under the ``s3://`` roots.

    >>> abort_stale_s3_uploads(["s3://ml/mltrail"], 600)
    ['s3://ml/mltrail/1/5f3c.../artifacts/weights.bin']
    """
    from ..artifacts import artifact_uri_scheme

    roots = _outermost([u.rstrip("/") for u in uris if artifact_uri_scheme(u) == "s3"], "/")
    if not roots:
        return []
    from ..artifacts.s3 import S3ArtifactRepository

    return [uri for root in roots for uri in S3ArtifactRepository(root).abort_stale_uploads(older_than_seconds)]


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
    from ..client.registry_storage import expire_pending, pending_timeout_seconds, remove_copy, storage_root

    timeout = pending_timeout_seconds(older_than_seconds)
    killed = client.tracking_store.reap_dead_runs()
    lines = [f"Marked KILLED: {killed} run(s) of processes that stopped heartbeating"] if killed else []
    store = client.registry_store
    lines += [
        f"Expired registration: {mv.name} version {mv.version}, partial copy removed: {location}"
        for mv, location in expire_pending(store, timeout)
    ]
    root = storage_root(store)
    for mv in store.failed_model_versions():
        location = store.get_model_version_download_uri(mv.name, mv.version)
        if root and _copy_exists(location):
            remove_copy(store, location)
            if not _copy_exists(location):
                lines.append(f"Removed copy of failed registration: {mv.name} version {mv.version}: {location}")
    roots = _artifact_roots(client)
    lines += [f"Removed temporary save folder: {p}" for p in remove_save_folders(_local_roots(roots), timeout)]
    lines += [f"Aborted unfinished S3 upload: {u}" for u in abort_stale_s3_uploads(roots, timeout)]
    return lines


def _copy_exists(location: str) -> bool:
    from ..artifacts import artifact_uri_scheme, get_artifact_repository
    from ..artifacts.local import local_path_from_uri

    if artifact_uri_scheme(location) == "file":
        return os.path.isdir(local_path_from_uri(location))
    return bool(get_artifact_repository(location).list_artifacts())


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


__all__ = ["SAVE_FOLDER_PREFIX", "abort_stale_s3_uploads", "collect", "gc", "remove_save_folders"]
