"""Options and error handling shared by the CLI commands.

    @click.command()
    @tracking_uri_option
    @reports_errors
    def list_things(tracking_uri): ...
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any, Callable, Optional, TypeVar

import click

from ..config import TRACKING_URI_ENV
from ..exceptions import MltrailError

if TYPE_CHECKING:
    from ..client import Client

F = TypeVar("F", bound=Callable[..., Any])

tracking_uri_option = click.option(
    "--tracking-uri",
    envvar=TRACKING_URI_ENV,
    default=None,
    metavar="URI",
    help=f"Tracking store (sqlite:///mltrail.db, postgresql://..., a folder). Env: {TRACKING_URI_ENV}.",
)


def reports_errors(func: F) -> F:
    """Turn an MltrailError into ``Error: <message>`` on stderr and exit status 1 (no traceback).

    >>> @click.command()
    ... @reports_errors
    ... def show(): raise ResourceNotFoundError("No run 'abc'")   # prints "Error: No run 'abc'"
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except MltrailError as exc:
            raise click.ClickException(exc.message) from None

    return wrapper  # type: ignore[return-value]


def make_client(tracking_uri: Optional[str]) -> "Client":
    """The client for ``--tracking-uri`` (the configured default when not given).

    >>> make_client("sqlite:///mlflow.db").tracking_uri
    'sqlite:///mlflow.db'
    """
    from ..client import Client

    return Client(tracking_uri)
