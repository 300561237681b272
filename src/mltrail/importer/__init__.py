"""Move an MLflow store into mltrail: ``mltrail import-mlflow`` (see the README, "Moving in from MLflow").

The parts: :mod:`.source` (what a source looks like) with :mod:`.sql_source`
(MLflow's SQL schema, read by reflection) and :mod:`.file_source` (``./mlruns``);
:mod:`.artifacts` (locations, copies, model integrity); :mod:`.experiment_import`
and :mod:`.registry_import` (the writes, through
:class:`~mltrail.store.sql.bulk_import.BulkImport`); :mod:`.verify` (the final
table); :mod:`.progress` (the terminal bar).

>>> report = import_mlflow("sqlite:///mlflow.db", "sqlite:///mltrail.db", artifacts="./mlruns")
>>> report.ok
True
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from typing import IO, Optional

from .source import Source, SourceError
from .verify import Row, format_table


def open_source(location: str, artifact_root: Optional[str] = None) -> Source:
    """The source for ``--from``: a SQLAlchemy URI (MLflow's SQL schema) or a folder (MLflow's file store).

    >>> open_source("./mlruns").description
    'MLflow file store at /work/proj/mlruns'
    """
    if "://" in location and not location.startswith("file:"):
        from .sql_source import SqlSource

        return SqlSource(location, artifact_root)
    from .file_source import FileSource

    path = location[len("file://") :] if location.startswith("file://") else location
    path = path[len("file:") :] if path.startswith("file:") else path
    return FileSource(os.path.abspath(os.path.expanduser(path)), artifact_root)


@dataclass
class ImportReport:
    """What an import did: one line per experiment / registered model, problems, the verification rows."""

    lines: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing was skipped and every verified count matches."""
        return not self.problems and all(r.ok for r in self.rows)

    def table(self) -> str:
        """The verification table (see :func:`.verify.format_table`)."""
        return format_table(self.rows)


def import_mlflow(
    source_location: str,
    target_uri: Optional[str] = None,
    artifacts: Optional[str] = None,
    keep_artifact_location: bool = False,
    rename_prefix: Optional[str] = None,
    dry_run: bool = False,
    progress_stream: Optional[IO[str]] = None,
) -> ImportReport:
    """Import every experiment, run, logged model and registered model of an MLflow store.

    ``source_location``: a SQLAlchemy URI of MLflow's database or the path of
    its file store. ``target_uri``: the mltrail store (default: the configured
    tracking URI). ``artifacts``: the folder holding the source's artifacts when
    the recorded locations are not on this machine. ``dry_run`` counts what
    would move and writes nothing.

    >>> import_mlflow("./mlruns", "sqlite:///mltrail.db").ok
    True
    """
    from .. import config
    from ..store.sql import SqlTrackingStore
    from ..store.sql.bulk_import import BulkImport
    from .experiment_import import ExperimentImport, Options
    from .progress import Progress
    from .registry_import import RegistryImport

    source = open_source(source_location, artifacts)
    report = ImportReport()
    try:
        experiments = source.experiments()
        if dry_run:
            for exp in experiments:
                counts = source.counts(exp.experiment_id)
                label = f"{exp.name} ({exp.experiment_id})"
                report.lines.append(
                    f"would import {label}: {counts.runs:,} runs, {counts.params:,} params, {counts.metrics:,} metric "
                    f"rows, {counts.tags:,} tags, {counts.logged_models:,} logged models"
                )
            for model in source.registered_models():
                report.lines.append(f"would import registered model {model.row['name']!r}: {len(model.versions)} versions")
            return report
        target = target_uri or config.get_tracking_uri()
        if "://" not in target:
            target = config.normalise_uri(target)
        if not target.startswith(("sqlite:", "postgresql", "mysql", "mariadb")):
            raise SourceError(f"--to {target!r}: the import writes to a database (sqlite://, postgresql://, mysql://)")
        store = SqlTrackingStore(target)
        try:
            root = None if keep_artifact_location else store.default_artifact_root
            if root is not None and "://" in root and not root.startswith("file:"):
                raise SourceError(
                    f"The target's artifact root {root!r} is not a local folder: copying there is not supported yet; "
                    "pass --keep-artifact-location to reference the artifacts where they are"
                )
            bulk = BulkImport(store)
            options = Options(root, rename_prefix, small_ids_only=not target.startswith("sqlite:"))
            total = sum(source.counts(e.experiment_id).runs for e in experiments)
            progress = Progress(total, progress_stream if progress_stream is not None else sys.stderr)
            importer = ExperimentImport(source, bulk, options, progress)
            outcomes = []
            for exp in experiments:
                outcome = importer.run(exp)
                outcomes.append(outcome)
                report.lines.append(f"experiment {exp.name!r} (id {exp.experiment_id}): {outcome.status}")
                report.problems += outcome.problems
            progress.done()
            registry = RegistryImport(bulk, [o.locations for o in outcomes if o.locations is not None])
            models = source.registered_models()
            for model in models:
                status, problems = registry.run(model)
                report.lines.append(f"registered model {model.row['name']!r}: {status}")
                report.problems += problems
            for outcome in outcomes:
                report.rows += importer.verify(outcome)
            for model in models:
                report.rows += registry.verify(model)
        finally:
            store.close()
    finally:
        source.close()
    return report


__all__ = ["ImportReport", "SourceError", "import_mlflow", "open_source"]
