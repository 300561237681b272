"""Import one experiment: whole, in one target transaction, or not at all.

What is already in the target decides what happens (so an interrupted import
run again continues where it stopped, and a finished one run again changes
nothing):

- the experiment id is free and its name too: the experiment is created with
  its id, all its runs follow in the same transaction;
- the id holds an experiment of the same name (``Default``, or one a previous
  import committed): the runs not yet there are added, in one transaction;
- the id holds another experiment, or the name is taken by another id (without
  ``--rename-prefix``): the experiment is reported and skipped;
- a run or logged model id present in another experiment of the target is a
  clash: reported and skipped, never overwritten.

Artifacts are copied before the transaction commits; a copy left by a killed
import is simply copied over again. Just before committing, the source is
counted again: if it changed meanwhile the transaction rolls back.

>>> outcome = ExperimentImport(source, bulk, options, progress).run(experiment)
>>> outcome.status
'imported'
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Optional

from ..models.integrity import MLMODEL_FILE_NAME, sha256_of_file
from ..store.sql.bulk_import import BulkImport, BulkTransaction
from .artifacts import LocationMap, TreeSize, copy_tree, local_path, tree_size
from .progress import Progress
from .source import RUN_CHUNK, ExperimentRecord, LoggedModelRecord, Source, SourceCounts, SourceError
from .verify import Row

#: Metric rows written per ``executemany``.
METRIC_BATCH = 20_000
#: Largest experiment id PostgreSQL/MySQL's INTEGER column holds (MLflow's file store makes 18-digit ones).
MAX_INT32 = 2**31 - 1


@dataclass
class Options:
    """The command's choices: where target artifacts go (None: referenced in place) and the name prefix."""

    target_artifact_root: Optional[str]
    rename_prefix: Optional[str] = None
    small_ids_only: bool = False


@dataclass
class ExperimentOutcome:
    """What happened to one experiment, and its verification rows."""

    experiment: ExperimentRecord
    status: str
    problems: list[str] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    locations: Optional[LocationMap] = None


class ExperimentImport:
    """Imports experiments of one source into one target (see the module docstring)."""

    def __init__(self, source: Source, bulk: BulkImport, options: Options, progress: Progress) -> None:
        self.source = source
        self.bulk = bulk
        self.options = options
        self.progress = progress

    def _target_name(self, exp: ExperimentRecord) -> tuple[Optional[str], bool, Optional[str]]:
        """``(name in the target, create it?, reason it is skipped)``."""
        prefix = self.options.rename_prefix
        if self.options.small_ids_only and exp.experiment_id > MAX_INT32:
            return None, False, (
                f"experiment id {exp.experiment_id} does not fit the target database's experiment ids "
                f"(at most {MAX_INT32}); import this file store into a SQLite target"
            )
        existing = self.bulk.experiment(exp.experiment_id)
        if existing is not None:
            if existing[0] in (exp.name, f"{prefix}{exp.name}" if prefix else None):
                return existing[0], False, None
            return None, False, f"experiment id {exp.experiment_id} is taken in the target by experiment {existing[0]!r}"
        name = exp.name
        taken = self.bulk.experiment_id_by_name(name)
        if taken is not None:
            if not prefix:
                return None, False, (
                    f"experiment name {name!r} is taken in the target by experiment id {taken}; "
                    "pass --rename-prefix to import it under another name"
                )
            name = f"{prefix}{name}"
            taken = self.bulk.experiment_id_by_name(name)
            if taken is not None:
                return None, False, f"experiment name {name!r} is taken in the target by experiment id {taken}"
        return name, True, None

    def run(self, exp: ExperimentRecord) -> ExperimentOutcome:
        """Import ``exp`` (see the module docstring) and return what happened."""
        name, create, reason = self._target_name(exp)
        if name is None:
            return ExperimentOutcome(exp, "skipped", [reason or "skipped"])
        outcome = ExperimentOutcome(exp, "imported")
        root = self.options.target_artifact_root
        target_location = None
        if root is not None:
            target_location = self.bulk.experiment_location(exp.experiment_id) or f"{root.rstrip('/')}/{exp.experiment_id}"
        locations = outcome.locations = LocationMap(
            exp.artifact_location, exp.experiment_id, self.source.artifact_root, target_location
        )
        run_ids = self.source.run_ids(exp.experiment_id)
        present = self.bulk.runs_present(run_ids)
        clashes = sorted(r for r, (experiment_id, _) in present.items() if experiment_id != exp.experiment_id)
        outcome.problems += [f"run {r} exists in another experiment of the target: skipped" for r in clashes]
        new_runs = [r for r in run_ids if r not in present]
        models = self.source.logged_models(exp.experiment_id)
        models_present = self.bulk.logged_models_present([m.row["model_id"] for m in models])
        outcome.problems += [
            f"logged model {m} exists in another experiment of the target: skipped"
            for m, e in sorted(models_present.items()) if e != exp.experiment_id
        ]
        new_models = [m for m in models if m.row["model_id"] not in models_present]
        if not (create or new_runs or new_models):
            outcome.status = "already imported"
            return outcome
        before = self.source.counts(exp.experiment_id)
        with self.bulk.transaction() as tx:
            if create:
                tx.experiment(
                    {
                        "experiment_id": exp.experiment_id, "name": name, "artifact_location": locations.target_location,
                        "lifecycle_stage": exp.lifecycle_stage, "creation_time": exp.creation_time,
                        "last_update_time": exp.last_update_time,
                    },
                    exp.tags,
                )
            for start in range(0, len(new_runs), RUN_CHUNK):
                self._runs(tx, exp, locations, new_runs[start : start + RUN_CHUNK])
            for model in new_models:
                self._logged_model(tx, model, locations)
            known_models = {m.row["model_id"] for m in models if m.row["model_id"] not in models_present or models_present[m.row["model_id"]] == exp.experiment_id}
            tx.run_outputs([o for o in self.source.run_outputs(new_runs) if o[1] in known_models])
            after = self.source.counts(exp.experiment_id)
            if after != before:
                raise SourceError(
                    f"The source changed while experiment {exp.name!r} (id {exp.experiment_id}) was imported "
                    f"(before: {before}, now: {after}); nothing of it was written. Stop the writers and run the import again"
                )
        if not create:
            outcome.status = "completed" if new_runs or new_models else "already imported"
        return outcome

    def _runs(self, tx: BulkTransaction, exp: ExperimentRecord, locations: LocationMap, chunk: list[str]) -> None:
        rows = self.source.runs(chunk)
        for row in rows:
            uri = row["artifact_uri"] or f"{exp.artifact_location.rstrip('/')}/{row['run_uuid']}/artifacts"
            self._copy(locations, uri)
            row["artifact_uri"] = locations.target(uri)
        tx.runs(rows)
        tx.params(list(self.source.params(chunk)))
        tx.tags(list(self.source.tags(chunk)))
        batch: list[Any] = []
        for metric in self.source.metrics(chunk):
            batch.append(metric)
            if len(batch) >= METRIC_BATCH:
                tx.metrics(batch)
                self.progress.add(metrics=len(batch))
                batch = []
        tx.metrics(batch)
        tx.inputs(exp.experiment_id, self.source.inputs(chunk))
        self.progress.add(runs=len(chunk), metrics=len(batch))

    def _copy(self, locations: LocationMap, uri: str, required: bool = False) -> None:
        if locations.target_root is None:
            return
        source = locations.source(uri)
        if source is None or not os.path.isdir(source):
            if required:
                raise SourceError(
                    f"Artifacts at {uri!r} are missing: no folder {source!r} (pass --artifacts with the folder "
                    "that holds the MLflow artifacts, or --keep-artifact-location)"
                )
            return
        copy_tree(source, local_path(locations.target(uri)) or "", lambda n: self.progress.add(bytes=n))

    def _logged_model(self, tx: BulkTransaction, model: LoggedModelRecord, locations: LocationMap) -> None:
        row = dict(model.row)
        uri = row["artifact_location"]
        ready = row["status"] == "READY"
        self._copy(locations, uri, required=ready)
        row["artifact_location"] = locations.target(uri)
        folder = local_path(row["artifact_location"])
        mlmodel = os.path.join(folder, MLMODEL_FILE_NAME) if folder else None
        row["mlmodel_sha256"] = sha256_of_file(mlmodel) if mlmodel and os.path.isfile(mlmodel) else None
        tx.logged_model(row, model.params, model.tags, model.metrics)

    def verify(self, outcome: ExperimentOutcome) -> list[Row]:
        """Compare what the experiment holds in the source and in the target (rows of the final table)."""
        exp, locations = outcome.experiment, outcome.locations
        run_ids = self.source.run_ids(exp.experiment_id)
        models = self.source.logged_models(exp.experiment_id)
        src: SourceCounts = self.source.counts(exp.experiment_id)
        dst = self.bulk.counts(run_ids, [m.row["model_id"] for m in models])
        label = f"{exp.name} ({exp.experiment_id})"
        rows = [
            Row(label, "runs", src.runs, dst.runs),
            Row(label, "params", src.params, dst.params),
            Row(label, "metric rows", src.metrics, dst.metrics),
            Row(label, "tags", src.tags, dst.tags),
            Row(label, "logged models", src.logged_models, dst.logged_models),
        ]
        if locations is not None and locations.target_root is not None:
            source_size, target_size = TreeSize(), TreeSize()
            uris = [r["artifact_uri"] or f"{exp.artifact_location.rstrip('/')}/{r['run_uuid']}/artifacts"
                    for start in range(0, len(run_ids), RUN_CHUNK) for r in self.source.runs(run_ids[start : start + RUN_CHUNK])]
            uris += [m.row["artifact_location"] for m in models]
            for uri in uris:
                source_size.add(tree_size(locations.source(uri)))
                target_size.add(tree_size(local_path(locations.target(uri))))
            rows += [
                Row(label, "artifact files", source_size.files, target_size.files),
                Row(label, "artifact bytes", source_size.bytes, target_size.bytes),
            ]
        return rows


__all__ = ["ExperimentImport", "ExperimentOutcome", "Options"]
