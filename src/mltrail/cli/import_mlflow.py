"""``mltrail import-mlflow``: move an MLflow store (its SQL database or ``./mlruns`` file store) into mltrail.

::

    $ mltrail import-mlflow --from sqlite:///mlflow.db --artifacts ./mlruns
    $ mltrail import-mlflow --from ./mlruns --to postgresql://db/mltrail
    $ mltrail import-mlflow --from sqlite:///mlflow.db --dry-run

Ends with the verification table; exits 1 when anything was skipped or any count differs.
Run it again after an interruption: it continues where it stopped.
"""

from __future__ import annotations

from typing import Optional

import click

from ._options import reports_errors


@click.command("import-mlflow")
@click.option("--from", "source", required=True, metavar="URI|PATH",
              help="MLflow's tracking database (sqlite:///mlflow.db, postgresql://...) or file store folder (./mlruns).")
@click.option("--to", "target", default=None, metavar="URI",
              help="The mltrail store to import into (default: the tracking URI, sqlite:///mltrail.db).")
@click.option("--artifacts", default=None, metavar="PATH",
              help="Folder holding the MLflow artifacts (its mlruns/ or mlartifacts/) when the recorded locations are not here.")
@click.option("--keep-artifact-location", is_flag=True, help="Reference artifacts where they are instead of copying them.")
@click.option("--rename-prefix", default=None, metavar="PREFIX",
              help="Import an experiment whose name is taken in the target as PREFIX + name.")
@click.option("--dry-run", is_flag=True, help="Count what would move; write nothing.")
@reports_errors
def import_mlflow(
    source: str,
    target: Optional[str],
    artifacts: Optional[str],
    keep_artifact_location: bool,
    rename_prefix: Optional[str],
    dry_run: bool,
) -> None:
    """Import an MLflow store: experiments, runs (ids kept), metric histories, artifacts, models, registry."""
    from ..importer import import_mlflow as run_import

    report = run_import(source, target, artifacts, keep_artifact_location, rename_prefix, dry_run)
    for line in report.lines:
        click.echo(line)
    for problem in report.problems:
        click.echo(f"problem: {problem}", err=True)
    if dry_run:
        return
    click.echo(report.table())
    if not report.ok:
        raise click.ClickException("the import is incomplete: see the problems and DIFF rows above")
    click.echo("import complete: every count matches")


if __name__ == "__main__":  # python -m mltrail.cli.import_mlflow (the import as its own process)
    import_mlflow()
