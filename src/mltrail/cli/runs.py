"""``mltrail runs``: list an experiment's runs and describe one run.

    $ mltrail runs list --experiment-name nyc-taxi --filter "metrics.rmse < 7" --order-by "metrics.rmse ASC"
    Run Id                            Name          Status    Started              Duration  rmse
    --------------------------------  ------------  --------  -------------------  --------  ----
    3c1e...                           bold-fox-12   FINISHED  2026-11-22 15:20:01  1.2s      6.9
    $ mltrail runs describe 3c1e...
"""

from __future__ import annotations

import dataclasses
import json
from typing import Optional

import click

from .._system_tags import PARENT_RUN_ID, get_tag
from ..entities import ViewType
from ..exceptions import InvalidParameterError, ResourceNotFoundError
from ._options import make_client, reports_errors, tracking_uri_option
from ._tables import format_duration, format_fields, format_table, format_time

_VIEWS = click.Choice(["active_only", "deleted_only", "all"], case_sensitive=False)
_MAX_METRIC_COLUMNS = 6


@click.group()
def runs() -> None:
    """List and describe runs."""


def _metric_columns(found: list, order_by: tuple[str, ...]) -> list[str]:
    """Metric keys to show: those named in --order-by first, then others, at most a few."""
    keys: list[str] = []
    for clause in order_by:
        term = clause.split()[0] if clause.split() else ""
        if term.startswith("metrics."):
            key = term[len("metrics."):].strip("`\"")
            if key not in keys:
                keys.append(key)
    seen = sorted({k for r in found for k in r.data.metrics})
    keys.extend(k for k in seen if k not in keys)
    return keys[:_MAX_METRIC_COLUMNS]


@runs.command("list")
@tracking_uri_option
@click.option("--experiment-id", "-x", default=None, help="Experiment id.")
@click.option("--experiment-name", "-n", default=None, help="Experiment name (instead of the id).")
@click.option("--filter", "filter_string", default="", help="e.g. \"metrics.rmse < 7 AND params.alpha = '0.1'\".")
@click.option("--order-by", multiple=True, help="e.g. \"metrics.rmse ASC\" (repeatable).")
@click.option("--max-results", default=100, show_default=True, type=click.IntRange(min=1))
@click.option("--view", "-v", type=_VIEWS, default="active_only", show_default=True)
@reports_errors
def list_runs(
    tracking_uri: Optional[str],
    experiment_id: Optional[str],
    experiment_name: Optional[str],
    filter_string: str,
    order_by: tuple[str, ...],
    max_results: int,
    view: str,
) -> None:
    """List the runs of an experiment as a table.

    Example: mltrail runs list -n nyc-taxi --filter "metrics.rmse < 7" --order-by "metrics.rmse ASC"
    """
    if (experiment_id is None) == (experiment_name is None):
        raise InvalidParameterError("Give exactly one of --experiment-id and --experiment-name")
    client = make_client(tracking_uri)
    if experiment_name is not None:
        experiment = client.get_experiment_by_name(experiment_name)
        if experiment is None:
            raise ResourceNotFoundError(f"No experiment named {experiment_name!r}")
        experiment_id = experiment.experiment_id
    else:
        client.get_experiment(experiment_id)  # unknown id -> clear error
    found = client.search_runs(
        [experiment_id], filter_string, ViewType.from_string(view), max_results, list(order_by) or None
    )
    if not found:
        click.echo(f"No runs in experiment {experiment_id} match.")
        return
    metric_keys = _metric_columns(found, order_by)
    headers = ["Run Id", "Name", "Status", "Started", "Duration", *metric_keys]
    rows = [
        [
            r.info.run_id,
            r.info.run_name,
            r.info.status,
            format_time(r.info.start_time),
            format_duration(r.info.start_time, r.info.end_time),
            *[r.data.metrics.get(k) for k in metric_keys],
        ]
        for r in found
    ]
    click.echo(format_table(headers, rows))
    if found.token:
        click.echo(f"(more runs: raise --max-results above {max_results})")


@runs.command("describe")
@tracking_uri_option
@click.argument("run_id")
@click.option("--json", "as_json", is_flag=True, help="Print the run as JSON.")
@reports_errors
def describe(tracking_uri: Optional[str], run_id: str, as_json: bool) -> None:
    """Show a run: its info, params, latest metrics and tags.

    Example: mltrail runs describe 3c1e0f2a9b8d4e6f8a7b6c5d4e3f2a1b
    """
    run = make_client(tracking_uri).get_run(run_id)
    if as_json:
        click.echo(json.dumps({"info": dataclasses.asdict(run.info), "data": dataclasses.asdict(run.data)},
                              indent=2, default=str))
        return
    info = run.info
    fields = [
        ("Run id", info.run_id),
        ("Name", info.run_name),
        ("Experiment id", info.experiment_id),
        ("Status", info.status),
        ("Lifecycle", info.lifecycle_stage),
        ("User", info.user_id),
        ("Started", format_time(info.start_time)),
        ("Ended", format_time(info.end_time)),
        ("Duration", format_duration(info.start_time, info.end_time)),
        ("Artifact URI", info.artifact_uri),
    ]
    parent = get_tag(run.data.tags, PARENT_RUN_ID)
    if parent:
        fields.append(("Parent run", parent))
    click.echo(format_fields(fields))
    for title, mapping, header in (
        ("Params", run.data.params, "Value"),
        ("Metrics (latest)", run.data.metrics, "Value"),
        ("Tags", run.data.tags, "Value"),
    ):
        click.echo("")
        click.echo(f"{title}:")
        if mapping:
            click.echo(format_table(["Key", header], sorted(mapping.items())))
        else:
            click.echo("  (none)")
