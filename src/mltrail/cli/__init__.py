"""The ``mltrail`` command.

Each command group lives in its own module and is imported only when that
group runs, so ``mltrail --version`` stays instant::

    $ mltrail experiments list
    $ mltrail runs describe <run_id>
    $ mltrail models serve -m runs:/<run_id>/model
    $ mltrail gc
"""

from __future__ import annotations

import importlib

import click

from ..version import VERSION

# command name -> "module:attribute" of a click command or group.
_COMMANDS = {
    "experiments": "mltrail.cli.experiments:experiments",
    "runs": "mltrail.cli.runs:runs",
    "models": "mltrail.cli.models:models",
    "demo": "mltrail.cli.demo:demo",
    "server": "mltrail.cli.server:server",
    "ui": "mltrail.cli.server:ui",
    "gc": "mltrail.cli.gc:gc",
    "users": "mltrail.cli.users:users",
    "import-mlflow": "mltrail.cli.import_mlflow:import_mlflow",
}


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(_COMMANDS))

    def get_command(self, ctx: click.Context, name: str):
        target = _COMMANDS.get(name)
        if target is None:
            return super().get_command(ctx, name)
        module_name, attr = target.split(":")
        return getattr(importlib.import_module(module_name), attr)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(VERSION, prog_name="mltrail")
def main() -> None:
    """mltrail: experiment tracking, models, registry and autologging."""


__all__ = ["main"]
