"""``mltrail users``: the users, API tokens and permissions of ``mltrail server --auth``, written
straight into the tracking database (whoever can open the database is its administrator)::

    $ mltrail users create ana --admin                 # asks for the password (or --password-stdin)
    $ mltrail users token ana --name laptop --expires-in-days 90   # prints the token once
    $ mltrail users grant bob --experiment 3 --permission EDIT
    $ mltrail users grant bob --model nyc-taxi --permission READ
    $ mltrail users revoke bob --experiment 3           # or: --token laptop
    $ mltrail users list
    $ mltrail users delete bob
"""

from __future__ import annotations

import sys
from typing import Any, Optional

import click

from ._options import reports_errors

backend_option = click.option(
    "--backend-store-uri", default=None, metavar="URI",
    help="The server's tracking database (as `mltrail server --backend-store-uri`; default ./mltrail.db).")


def _store(backend_store_uri: Optional[str]) -> Any:
    from .. import config
    from ..server.auth import auth_store_for
    from ..store import get_tracking_store

    return auth_store_for(get_tracking_store(config.normalise_uri(backend_store_uri or config.DEFAULT_TRACKING_URI)))


def _password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@click.group()
def users() -> None:
    """Users, API tokens and permissions of `mltrail server --auth`."""


@users.command("create")
@click.argument("username")
@click.option("--admin", is_flag=True, help="An administrator: every permission, manages users.")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
@backend_option
@reports_errors
def create(username: str, admin: bool, password_stdin: bool, backend_store_uri: Optional[str]) -> None:
    """Create a user (asks for the password)."""
    store = _store(backend_store_uri)
    from ..store.sql.auth_store import validate_username

    validate_username(username)
    store.create_user(username, _password(password_stdin), is_admin=admin)
    click.echo(f"Created {'administrator' if admin else 'user'} {username!r}")


@users.command("delete")
@click.argument("username")
@backend_option
@reports_errors
def delete(username: str, backend_store_uri: Optional[str]) -> None:
    """Delete a user with their tokens and permissions."""
    _store(backend_store_uri).delete_user(username)
    click.echo(f"Deleted user {username!r}")


@users.command("list")
@backend_option
@reports_errors
def list_users(backend_store_uri: Optional[str]) -> None:
    """Every user, their role, tokens and permissions."""
    store = _store(backend_store_uri)
    for user in store.list_users():
        role = "admin" if user.is_admin else "user"
        grants = ", ".join(f"{kind.replace('registered_', '')} {key}: {level.name}"
                           for kind, key, level in store.list_permissions(user.username))
        tokens = ", ".join(t.name for t in store.list_tokens(user.username))
        click.echo(f"{user.username}\t{role}\ttokens: {tokens or '-'}\tpermissions: {grants or '-'}")


def _resource(experiment: Optional[str], model: Optional[str]) -> tuple[str, str]:
    if bool(experiment) == bool(model):
        raise click.UsageError("Name exactly one of --experiment ID or --model NAME")
    return ("experiment", experiment) if experiment else ("registered_model", model)  # type: ignore[return-value]


@users.command("grant")
@click.argument("username")
@click.option("--experiment", "experiment", default=None, metavar="ID", help="An experiment id.")
@click.option("--model", default=None, metavar="NAME", help="A registered model name.")
@click.option("--permission", required=True, type=click.Choice(["READ", "EDIT", "MANAGE", "NO_PERMISSIONS"],
                                                               case_sensitive=False))
@backend_option
@reports_errors
def grant(username: str, experiment: Optional[str], model: Optional[str], permission: str,
          backend_store_uri: Optional[str]) -> None:
    """Give USERNAME a permission on an experiment or a registered model."""
    kind, key = _resource(experiment, model)
    _store(backend_store_uri).set_permission(kind, key, username, permission)
    click.echo(f"{username!r} has {permission.upper()} on {kind.replace('_', ' ')} {key!r}")


@users.command("revoke")
@click.argument("username")
@click.option("--experiment", "experiment", default=None, metavar="ID", help="An experiment id.")
@click.option("--model", default=None, metavar="NAME", help="A registered model name.")
@click.option("--token", default=None, metavar="NAME", help="Revoke the user's API token of that name instead.")
@backend_option
@reports_errors
def revoke(username: str, experiment: Optional[str], model: Optional[str], token: Optional[str],
           backend_store_uri: Optional[str]) -> None:
    """Remove USERNAME's permission on an experiment or model (the default applies again), or a token."""
    store = _store(backend_store_uri)
    if token:
        store.revoke_token(username, token)
        click.echo(f"Revoked token {token!r} of {username!r} (servers stop accepting it within their cache time)")
        return
    kind, key = _resource(experiment, model)
    store.delete_permission(kind, key, username)
    click.echo(f"Revoked {username!r}'s permission on {kind.replace('_', ' ')} {key!r}")


@users.command("token")
@click.argument("username")
@click.option("--name", required=True, help="A name for the token (to revoke it later).")
@click.option("--expires-in-days", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Lifetime in days (default: until revoked).")
@backend_option
@reports_errors
def token(username: str, name: str, expires_in_days: Optional[float], backend_store_uri: Optional[str]) -> None:
    """Create an API token for USERNAME and print it (shown once: only its hash is stored)."""
    value = _store(backend_store_uri).create_token(
        username, name, None if expires_in_days is None else expires_in_days * 86400)
    click.echo(value)
