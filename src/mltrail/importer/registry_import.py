"""Import registered models (versions, stages, aliases, tags, descriptions), each in one transaction.

A version's ``storage_location`` is mapped to where the importer copied the
model folder (:class:`~.artifacts.LocationMap` of the experiment it lies
under), and the sha256 of that folder's MLmodel is recorded, so
``models:/<name>/<version>`` loads the same model, verified. A model whose
name exists in the target is skipped when it holds the same versions (already
imported) and reported as a clash otherwise; a version whose model folder is
missing skips the whole model, reported.

>>> RegistryImport(bulk, locations).run(source.registered_models()[0]).status
'imported'
"""

from __future__ import annotations

import os
from typing import Sequence

from ..models.integrity import MLMODEL_FILE_NAME, sha256_of_file
from ..store.sql.bulk_import import BulkImport
from .artifacts import LocationMap, local_path
from .source import RegisteredModelRecord
from .verify import Row


class RegistryImport:
    """Imports registered models into one target (see the module docstring)."""

    def __init__(self, bulk: BulkImport, locations: Sequence[LocationMap]) -> None:
        self.bulk = bulk
        self.locations = list(locations)

    def _map(self, uri: str) -> tuple[str, bool]:
        """``(target uri, folder found)`` of a model version's location."""
        for loc in self.locations:
            if loc.covers(uri):
                target = loc.target(uri)
                path = local_path(target)
                return target, path is None or os.path.isdir(path)
        path = local_path(uri)
        return uri, path is None or os.path.isdir(path)

    def run(self, model: RegisteredModelRecord) -> tuple[str, list[str]]:
        """Import one registered model; return ``(status, problems)``."""
        name = model.row["name"]
        existing = self.bulk.model_versions(name)
        if existing is not None:
            same = all(
                existing.get(v["version"]) == (v["run_id"], int(v["creation_time"])) for v, _ in model.versions
            )
            if same:
                return "already imported", []
            return "skipped", [f"registered model {name!r} exists in the target with other versions: skipped"]
        versions = []
        for version, tags in model.versions:
            row = dict(version)
            location, found = self._map(row["storage_location"])
            if not found:
                return "skipped", [
                    f"registered model {name!r} version {row['version']}: model folder {location!r} is missing "
                    f"(source {row['storage_location']!r}); the model was not imported"
                ]
            row["storage_location"] = location
            if not row["source"].startswith(("models:", "runs:")):
                row["source"] = self._map(row["source"])[0]
            folder = local_path(location)
            mlmodel = os.path.join(folder, MLMODEL_FILE_NAME) if folder else None
            row["mlmodel_sha256"] = sha256_of_file(mlmodel) if mlmodel and os.path.isfile(mlmodel) else None
            versions.append((row, tags))
        with self.bulk.transaction() as tx:
            tx.registered_model(model.row, model.tags, model.aliases, versions)
        return "imported", []

    def verify(self, model: RegisteredModelRecord) -> list[Row]:
        """Source and target version counts of one registered model."""
        existing = self.bulk.model_versions(model.row["name"]) or {}
        return [Row(f"model {model.row['name']}", "model versions", len(model.versions), len(existing))]


__all__ = ["RegistryImport"]
