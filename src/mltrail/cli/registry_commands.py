"""``mltrail models list|describe|register|transition|alias|delete``: the model registry.

    $ mltrail models register -m runs:/3c1e.../model -n nyc-taxi-regressor
    Registered nyc-taxi-regressor version 1 (READY) from runs:/3c1e.../model
    $ mltrail models transition nyc-taxi-regressor 1 production --archive-existing
    nyc-taxi-regressor version 1: None -> Production
    $ mltrail models alias nyc-taxi-regressor champion 1
    $ mltrail models list
    Name                Latest  Stages         Aliases      Updated
    ------------------  ------  -------------  -----------  -------------------
    nyc-taxi-regressor  1       Production: 1  champion: 1  2026-11-22 15:20:01
    $ mltrail models describe nyc-taxi-regressor --version 1
"""

from __future__ import annotations

import dataclasses
import json
from typing import Optional

import click

from ..entities import ModelVersionStage
from ..exceptions import InvalidParameterError
from ._options import make_client, reports_errors, tracking_uri_option
from ._tables import format_fields, format_table, format_time


def _parse_tags(pairs: tuple[str, ...]) -> dict[str, str]:
    tags: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise InvalidParameterError(f"Invalid --tag {pair!r}: expected KEY=VALUE")
        tags[key] = value
    return tags


def _stages_cell(latest: list) -> str:
    order = {"Production": 0, "Staging": 1, "Archived": 2}  # the live stages first, whatever the store's order
    staged = sorted((v for v in latest if v.current_stage != ModelVersionStage.NONE),
                    key=lambda v: order.get(v.current_stage, 3))
    return ", ".join(f"{v.current_stage}: {v.version}" for v in staged)


@click.command("list")
@tracking_uri_option
@click.option("--filter", "filter_string", default="", help="e.g. \"name LIKE 'nyc-%'\" or \"tags.team = 'growth'\".")
@click.option("--order-by", multiple=True, help="e.g. \"name DESC\", \"last_updated_timestamp DESC\" (repeatable).")
@click.option("--max-results", default=100, show_default=True, type=click.IntRange(min=1))
@reports_errors
def list_models(tracking_uri: Optional[str], filter_string: str, order_by: tuple[str, ...], max_results: int) -> None:
    """List registered models as a table.

    Example: mltrail models list --filter "name LIKE 'nyc-%'"
    """
    found = make_client(tracking_uri).search_registered_models(
        filter_string or None, max_results, list(order_by) or None
    )
    if not found:
        click.echo("No registered models match." if filter_string else "No registered models.")
        return
    rows = [
        [
            m.name,
            max((int(v.version) for v in m.latest_versions), default=None),
            _stages_cell(m.latest_versions),
            ", ".join(f"{a}: {v}" for a, v in m.aliases.items()),
            format_time(m.last_updated_timestamp),
            m.description,
        ]
        for m in found
    ]
    click.echo(format_table(["Name", "Latest", "Stages", "Aliases", "Updated", "Description"], rows))
    if found.token:
        click.echo(f"(more models: raise --max-results above {max_results})")


def _version_fields(v) -> list[tuple[str, object]]:
    return [
        ("Model", v.name),
        ("Version", v.version),
        ("Stage", v.current_stage),
        ("Status", v.status + (f" ({v.status_message})" if v.status_message else "")),
        ("Aliases", ", ".join(v.aliases)),
        ("Source", v.source),
        ("Run id", v.run_id or ""),
        ("Run link", v.run_link or ""),
        ("Created", format_time(v.creation_timestamp)),
        ("Updated", format_time(v.last_updated_timestamp)),
        ("Created by", v.user_id),
        ("Description", v.description),
        *[(f"tag {k}", val) for k, val in sorted(v.tags.items())],
    ]


@click.command("describe")
@tracking_uri_option
@click.argument("name")
@click.option("--version", "-v", "version", default=None, help="Describe this version (with its stage history).")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@reports_errors
def describe(tracking_uri: Optional[str], name: str, version: Optional[str], as_json: bool) -> None:
    """Show a registered model and its versions, or one version and its stage history.

    Example: mltrail models describe nyc-taxi-regressor --version 3
    """
    client = make_client(tracking_uri)
    if version is not None:
        mv = client.get_model_version(name, version)
        history = client.get_model_version_stage_history(name, version)
        if as_json:
            data = {**dataclasses.asdict(mv), "stage_history": [dataclasses.asdict(t) for t in history]}
            data["download_uri"] = client.get_model_version_download_uri(name, version)
            click.echo(json.dumps(data, indent=2, default=str))
            return
        fields = _version_fields(mv)
        fields.insert(7, ("Stored at", client.get_model_version_download_uri(name, version)))
        click.echo(format_fields(fields))
        click.echo("")
        if history:
            rows = [[format_time(t.timestamp), t.from_stage, t.to_stage, t.user_id] for t in history]
            click.echo(format_table(["When", "From", "To", "By"], rows))
        else:
            click.echo("No stage transitions.")
        return
    model = client.get_registered_model(name)
    versions = list(client.search_model_versions(_name_filter(name), order_by=["version_number DESC"]))
    if as_json:
        data = {**dataclasses.asdict(model), "versions": [dataclasses.asdict(v) for v in versions]}
        click.echo(json.dumps(data, indent=2, default=str))
        return
    click.echo(
        format_fields(
            [
                ("Name", model.name),
                ("Description", model.description),
                ("Created", format_time(model.creation_timestamp)),
                ("Updated", format_time(model.last_updated_timestamp)),
                ("Aliases", ", ".join(f"{a}: {v}" for a, v in model.aliases.items())),
                *[(f"tag {k}", val) for k, val in sorted(model.tags.items())],
            ]
        )
    )
    click.echo("")
    if not versions:
        click.echo("No versions.")
        return
    rows = [
        [v.version, v.current_stage, v.status, ", ".join(v.aliases), v.run_id or "", format_time(v.creation_timestamp), v.source]
        for v in versions
    ]
    click.echo(format_table(["Version", "Stage", "Status", "Aliases", "Run Id", "Created", "Source"], rows))


def _name_filter(name: str) -> str:
    escaped = name.replace("'", "''")  # names cannot contain backslashes
    return f"name = '{escaped}'"


@click.command("register")
@tracking_uri_option
@click.option("--model-uri", "-m", required=True, help="runs:/<run_id>/<path>, a model folder, or an artifact URI.")
@click.option("--name", "-n", required=True, help="Registered model name (created if missing).")
@click.option("--tag", "tags", multiple=True, metavar="KEY=VALUE", help="Tag for the new version (repeatable).")
@click.option("--description", default=None, help="Description of the new version.")
@reports_errors
def register(
    tracking_uri: Optional[str], model_uri: str, name: str, tags: tuple[str, ...], description: Optional[str]
) -> None:
    """Register a logged model as the next version of NAME.

    Example: mltrail models register -m runs:/3c1e.../model -n nyc-taxi-regressor
    """
    from ..client.registry_storage import register_version

    parsed = _parse_tags(tags)
    mv = register_version(
        make_client(tracking_uri), name, model_uri, tags=parsed, description=description, create_model=True
    )
    click.echo(f"Registered {mv.name} version {mv.version} ({mv.status}) from {model_uri}")


@click.command("transition")
@tracking_uri_option
@click.argument("name")
@click.argument("version")
@click.argument("stage")
@click.option(
    "--archive-existing",
    "--archive-existing-versions",
    "archive_existing",
    is_flag=True,
    help="Move the other versions in STAGE to Archived (Staging/Production only).",
)
@reports_errors
def transition(tracking_uri: Optional[str], name: str, version: str, stage: str, archive_existing: bool) -> None:
    """Move VERSION of NAME to STAGE (None, Staging, Production, Archived; any case).

    Example: mltrail models transition nyc-taxi-regressor 4 production --archive-existing
    """
    client = make_client(tracking_uri)
    target = ModelVersionStage.canonical(stage)
    before = client.get_model_version(name, version)
    others = []
    if archive_existing:
        in_stage = client.search_model_versions(f"{_name_filter(name)} AND current_stage = '{target}'")
        others = sorted((v.version for v in in_stage if v.version != before.version), key=int)
    mv = client.transition_model_version_stage(name, version, target, archive_existing_versions=archive_existing)
    click.echo(f"{mv.name} version {mv.version}: {before.current_stage} -> {mv.current_stage}")
    if others:
        click.echo(f"Archived version(s) {', '.join(str(v) for v in others)} (were {target})")


@click.command("alias")
@tracking_uri_option
@click.argument("name")
@click.argument("alias_name", metavar="ALIAS")
@click.argument("version", required=False)
@click.option("--delete", "delete_alias", is_flag=True, help="Remove ALIAS instead of setting it.")
@reports_errors
def alias(tracking_uri: Optional[str], name: str, alias_name: str, version: Optional[str], delete_alias: bool) -> None:
    """Point ALIAS of NAME at VERSION (or remove it with --delete); load it as models:/NAME@ALIAS.

    Example: mltrail models alias nyc-taxi-regressor champion 4
    """
    client = make_client(tracking_uri)
    if delete_alias:
        if version is not None:
            raise InvalidParameterError(f"--delete takes no VERSION (got {version!r})")
        client.delete_registered_model_alias(name, alias_name)
        click.echo(f"Removed alias {alias_name!r} of {name}")
        return
    if version is None:
        raise InvalidParameterError(f"Give the VERSION alias {alias_name!r} should point at (or --delete)")
    client.set_registered_model_alias(name, alias_name, version)
    click.echo(f"{name}@{alias_name} -> version {int(version)}")


@click.command("delete")
@tracking_uri_option
@click.argument("name")
@click.option("--version", "-v", "version", default=None, help="Delete only this version.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@reports_errors
def delete(tracking_uri: Optional[str], name: str, version: Optional[str], yes: bool) -> None:
    """Delete a registered model (all versions) or one version, with their stored copies.

    Example: mltrail models delete nyc-taxi-regressor --version 2 --yes
    """
    client = make_client(tracking_uri)
    if version is not None:
        client.get_model_version(name, version)  # unknown -> clear error before asking
        if not yes:
            click.confirm(f"Delete version {version} of {name}?", abort=True)
        client.delete_model_version(name, version)
        click.echo(f"Deleted {name} version {int(version)}")
        return
    model = client.get_registered_model(name)
    if not yes:
        count = len(client.search_model_versions(_name_filter(name)))
        click.confirm(f"Delete registered model {model.name} and its {count} version(s)?", abort=True)
    client.delete_registered_model(name)
    click.echo(f"Deleted registered model {name}")
