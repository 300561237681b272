"""``mltrail experiments``: list, create, delete, restore and rename experiments.

    $ mltrail experiments create --experiment-name nyc-taxi
    Created experiment 'nyc-taxi' with id 1
    $ mltrail experiments list
    Experiment Id  Name      Artifact Location
    -------------  --------  -------------------------------
    0              Default   /work/mltrail-artifacts/0
    1              nyc-taxi  /work/mltrail-artifacts/1
"""

from __future__ import annotations

from typing import Optional

import click

from ..entities import ViewType
from ._options import make_client, reports_errors, tracking_uri_option
from ._tables import format_table, format_time

_VIEWS = click.Choice(["active_only", "deleted_only", "all"], case_sensitive=False)


@click.group()
def experiments() -> None:
    """Manage experiments."""


@experiments.command("list")
@tracking_uri_option
@click.option("--view", "-v", type=_VIEWS, default="active_only", show_default=True,
              help="Which experiments to show.")
@click.option("--filter", "filter_string", default=None, help="e.g. \"name LIKE 'nyc%'\".")
@reports_errors
def list_experiments(tracking_uri: Optional[str], view: str, filter_string: Optional[str]) -> None:
    """List experiments as a table.

    Example: mltrail experiments list --view all
    """
    client = make_client(tracking_uri)
    rows, token = [], None
    while True:
        page = client.search_experiments(ViewType.from_string(view), 1000, filter_string, None, token)
        for exp in page:
            rows.append([exp.experiment_id, exp.name, exp.lifecycle_stage, format_time(exp.creation_time),
                         exp.artifact_location])
        token = page.token
        if not token:
            break
    if not rows:
        click.echo("No experiments.")
        return
    click.echo(format_table(["Experiment Id", "Name", "Stage", "Created", "Artifact Location"], rows))


@experiments.command("create")
@tracking_uri_option
@click.option("--experiment-name", "-n", required=True, help="Name of the new experiment.")
@click.option("--artifact-location", "-l", default=None,
              help="Artifact folder or URI (default: under the store's artifact root).")
@reports_errors
def create(tracking_uri: Optional[str], experiment_name: str, artifact_location: Optional[str]) -> None:
    """Create an experiment and print its id.

    Example: mltrail experiments create -n nyc-taxi
    """
    experiment_id = make_client(tracking_uri).create_experiment(experiment_name, artifact_location)
    click.echo(f"Created experiment {experiment_name!r} with id {experiment_id}")


@experiments.command("delete")
@tracking_uri_option
@click.option("--experiment-id", "-x", required=True, help="Id of the experiment to delete.")
@reports_errors
def delete(tracking_uri: Optional[str], experiment_id: str) -> None:
    """Soft-delete an experiment and its runs (see restore).

    Example: mltrail experiments delete -x 1
    """
    make_client(tracking_uri).delete_experiment(experiment_id)
    click.echo(f"Deleted experiment {experiment_id} (restore it with: mltrail experiments restore -x {experiment_id})")


@experiments.command("restore")
@tracking_uri_option
@click.option("--experiment-id", "-x", required=True, help="Id of the deleted experiment.")
@reports_errors
def restore(tracking_uri: Optional[str], experiment_id: str) -> None:
    """Restore a deleted experiment and its runs.

    Example: mltrail experiments restore -x 1
    """
    make_client(tracking_uri).restore_experiment(experiment_id)
    click.echo(f"Restored experiment {experiment_id}")


@experiments.command("rename")
@tracking_uri_option
@click.option("--experiment-id", "-x", required=True, help="Id of the experiment.")
@click.option("--new-name", required=True, help="Its new name.")
@reports_errors
def rename(tracking_uri: Optional[str], experiment_id: str, new_name: str) -> None:
    """Rename an experiment.

    Example: mltrail experiments rename -x 1 --new-name nyc-taxi-v2
    """
    make_client(tracking_uri).rename_experiment(experiment_id, new_name)
    click.echo(f"Renamed experiment {experiment_id} to {new_name!r}")
