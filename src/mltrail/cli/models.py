"""``mltrail models``: serving and predicting (model_serving) and the registry (registry_commands)."""

from __future__ import annotations

import importlib

import click

# subcommand -> "module:attribute"
_SUBCOMMANDS = {
    "serve": "mltrail.cli.model_serving:serve",
    "predict": "mltrail.cli.model_serving:predict",
    "list": "mltrail.cli.registry_commands:list_models",
    "describe": "mltrail.cli.registry_commands:describe",
    "register": "mltrail.cli.registry_commands:register",
    "transition": "mltrail.cli.registry_commands:transition",
    "alias": "mltrail.cli.registry_commands:alias",
    "delete": "mltrail.cli.registry_commands:delete",
}


class _LazyModelsGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_SUBCOMMANDS)

    def get_command(self, ctx: click.Context, name: str):
        target = _SUBCOMMANDS.get(name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError:
            return None
        return getattr(module, attr, None)


@click.group(cls=_LazyModelsGroup)
def models() -> None:
    """Serve, predict with, register and manage models."""
