"""What each route needs on an authenticated server: one :class:`Access` per endpoint of the route
table (:data:`mltrail.server.routing.ENDPOINTS`), checked by :class:`~.guard.Guard`.

An endpoint without an ``access`` cannot be served with ``--auth`` (``create_app`` refuses to
start, and a test checks the table), so a new route cannot be left open by mistake::

    E("POST", "runs/log-metric", (...), runs.log_metric, "Log a metric value", access=on_run(EDIT))

Kinds (the resource is found from the request field ``field``):

- ``experiment`` / ``run`` / ``runs`` / ``logged_model`` / ``registered_model``: the caller needs
  ``level`` on the experiment (of the run, runs, logged model) or registered model;
  ``also`` lists further checks (registering a run's model needs READ on the run too);
- ``creates``: any signed-in user; the creator then holds MANAGE on what was made;
- ``narrows`` / ``filters``: searches: the request's experiment ids, or the answer's items, are
  cut down to what the caller may read;
- ``self``: the user named in ``field`` must be the caller (filled in when absent) or the caller an admin;
- ``grant``: MANAGE on the resource, and never on one's own permissions unless admin;
- ``experiments``: ``level`` on every experiment id listed in ``field``;
- ``artifact``: an artifact proxy path (its experiment or registered model; the level follows
  the HTTP method: GET READ, PUT/POST EDIT, DELETE MANAGE);
- ``source``: what a registration copies (READ on it; server paths only for admins);
- ``admin``: administrators only; ``user``: any signed-in user.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from ...entities import Permission

READ, EDIT, MANAGE = Permission.READ, Permission.EDIT, Permission.MANAGE


@dataclass(frozen=True)
class Access:
    """The permission rule of one endpoint (see the module docstring)."""

    kind: str
    field: str = ""
    level: Permission = READ
    also: tuple["Access", ...] = ()
    #: for ``filters``: "request" (experiment ids in ``field``) or the response list's key
    target: Optional[str] = None


def on_experiment(level: Permission, field: str = "experiment_id") -> Access:
    """``level`` on the experiment named by ``field`` (absent: the Default experiment, ``"0"``)."""
    return Access("experiment", field, level)


def on_experiments(level: Permission, field: str = "experiments") -> Access:
    """``level`` on every experiment listed in ``field``."""
    return Access("experiments", field, level)


def on_run(level: Permission, field: str = "run_id", *also: Access) -> Access:
    """``level`` on the experiment of the run ``field``."""
    return Access("run", field, level, also)


def on_runs(level: Permission, field: str = "run_ids", *also: Access) -> Access:
    """``level`` on the experiment of every run listed in ``field`` (plus the checks in ``also``)."""
    return Access("runs", field, level, also)


def on_logged_model(level: Permission, field: str = "model_id") -> Access:
    """``level`` on the experiment of the logged model ``field``."""
    return Access("logged_model", field, level)


def on_model(level: Permission, field: str = "name", *also: Access) -> Access:
    """``level`` on the registered model named by ``field`` (plus the checks in ``also``)."""
    return Access("registered_model", field, level, also)


def on_model_or_new(level: Permission, field: str = "name", *also: Access) -> Access:
    """``level`` on the registered model ``field``, or any signed-in user when no model has that
    name yet (the route creates it, and its creator MANAGEs it)."""
    return Access("registered_model", field, level, also, target="or_new")


def creates(kind: str) -> Access:
    """Any signed-in user; the creator gets MANAGE on the new ``kind`` ("experiment" / "registered_model")."""
    return Access("creates", kind, MANAGE)


def narrows(answer_key: str, field: str = "experiment_ids") -> Access:
    """A search over the experiments listed in ``field``: unreadable ones are dropped from the request
    (none left: the answer is an empty ``answer_key`` list)."""
    return Access("narrows", field, READ, target=answer_key)


def filters_response(key: str, kind: str) -> Access:
    """A search whose answer lists ``key`` items of ``kind``: unreadable ones are dropped from it."""
    return Access("filters", kind, READ, target=key)


def grant(kind: str, field: str) -> Access:
    """Changing permissions on the ``kind`` named by ``field``: MANAGE there, not on oneself."""
    return Access("grant", field, MANAGE, target=kind)


#: the artifact proxy: the path's experiment or registered model, at the HTTP method's level
def on_artifact(field: str = "artifact_path") -> Access:
    """The artifact path in ``field``: ``<experiment id>/...`` or ``models/<name>/...``."""
    return Access("artifact", field)


SELF = Access("self", "username")
#: a registration's ``source``: READ on the run / logged model / registered model / artifacts it copies
SOURCE = Access("source", "source")
ADMIN = Access("admin")
ANY_USER = Access("user")
#: get-by-name: READ on the experiment found (checked on the answer)
EXPERIMENT_IN_ANSWER = Access("answer", "experiment", READ)
