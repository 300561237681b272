"""MLflow's file store (``./mlruns``: ``meta.yaml`` files, one file per param, tag and metric).

Layout read: ``<root>/<experiment id>/meta.yaml`` (deleted experiments under
``.trash/``), experiment ``tags/``; ``<experiment>/<run id>/meta.yaml`` with
``params/``, ``tags/``, ``metrics/`` (lines ``timestamp value step``) and
``inputs/``; ``<experiment>/datasets/``; MLflow 3's ``<experiment>/models/<model id>/``;
the registry under ``<root>/models/<name>/`` (``version-N/``, ``tags/``, aliases).

>>> FileSource("/work/proj/mlruns").description
'MLflow file store at /work/proj/mlruns'
"""

from __future__ import annotations

import math
import os
from typing import Any, Iterator, Optional, Sequence

import yaml

from .source import (
    RUN_STATUS_NAMES,
    ExperimentRecord,
    LoggedModelRecord,
    RegisteredModelRecord,
    Source,
    SourceCounts,
    SourceError,
)

_LOGGED_MODEL_STATUS = {0: "UNSPECIFIED", 1: "PENDING", 2: "READY", 3: "FAILED"}


def _meta(path: str) -> dict[str, Any]:
    try:
        with open(os.path.join(path, "meta.yaml"), encoding="utf-8") as f:
            data = yaml.safe_load(f)
    except (OSError, yaml.YAMLError) as exc:
        raise SourceError(f"Cannot read {os.path.join(path, 'meta.yaml')!r}: {exc}") from None
    return data if isinstance(data, dict) else {}


def _key_files(folder: str) -> Iterator[tuple[str, str]]:
    """``(key, path)`` of every file under ``folder`` (a key with '/' is a sub-folder path)."""
    if not os.path.isdir(folder):
        return
    for dirpath, _dirs, files in os.walk(folder):
        for name in files:
            path = os.path.join(dirpath, name)
            yield os.path.relpath(path, folder).replace(os.sep, "/"), path


def _read(path: str) -> str:
    with open(path, encoding="utf-8") as f:
        return f.read()


def _key_values(folder: str) -> dict[str, str]:
    return {key: _read(path) for key, path in _key_files(folder)}


def _float(text: str) -> float:
    value = float(text)
    return value if not math.isnan(value) else math.nan


class FileSource(Source):
    """An MLflow file store (see the module docstring)."""

    def __init__(self, root: str, artifact_root: Optional[str] = None) -> None:
        if not os.path.isdir(root):
            raise SourceError(f"--from {root!r}: no such folder (expected an MLflow file store such as ./mlruns)")
        self.root = root
        self.artifact_root = os.path.abspath(artifact_root) if artifact_root and "://" not in artifact_root else (artifact_root or root)
        self._experiment_dirs: dict[int, str] = {}
        for parent in (root, os.path.join(root, ".trash")):
            if not os.path.isdir(parent):
                continue
            for name in os.listdir(parent):
                path = os.path.join(parent, name)
                if name.isdigit() and os.path.isfile(os.path.join(path, "meta.yaml")):
                    self._experiment_dirs[int(name)] = path
        if not self._experiment_dirs:
            found = sorted(os.listdir(root))[:10]
            raise SourceError(
                f"--from {root!r} is not an MLflow file store: no <experiment id>/meta.yaml in it "
                f"(found: {', '.join(found) or 'an empty folder'})"
            )
        self._run_dirs: dict[str, str] = {}
        self.description = f"MLflow file store at {root}"

    # -- experiments and runs ----------------------------------------------------------
    def experiments(self) -> list[ExperimentRecord]:
        out = []
        for experiment_id, path in sorted(self._experiment_dirs.items()):
            meta = _meta(path)
            out.append(
                ExperimentRecord(
                    experiment_id=experiment_id,
                    name=str(meta.get("name", "")),
                    artifact_location=str(meta.get("artifact_location") or ""),
                    lifecycle_stage=meta.get("lifecycle_stage") or "active",
                    creation_time=meta.get("creation_time"),
                    last_update_time=meta.get("last_update_time"),
                    tags=_key_values(os.path.join(path, "tags")),
                )
            )
        return out

    def run_ids(self, experiment_id: int) -> list[str]:
        folder = self._experiment_dirs[experiment_id]
        ids = []
        for name in sorted(os.listdir(folder)):
            path = os.path.join(folder, name)
            if len(name) == 32 and os.path.isfile(os.path.join(path, "meta.yaml")):
                self._run_dirs[name] = path
                ids.append(name)
        return ids

    def runs(self, run_ids: Sequence[str]) -> list[dict[str, Any]]:
        out = []
        for run_id in run_ids:
            path = self._run_dirs[run_id]
            meta = _meta(path)
            status = meta.get("status")
            name = meta.get("run_name") or ""
            if not name and os.path.isfile(os.path.join(path, "tags", "mlflow.runName")):
                name = _read(os.path.join(path, "tags", "mlflow.runName"))
            out.append(
                {
                    "run_uuid": run_id,
                    "name": name,
                    "user_id": meta.get("user_id") or "",
                    "status": RUN_STATUS_NAMES.get(status, status) if isinstance(status, int) else str(status),
                    "start_time": meta.get("start_time"),
                    "end_time": meta.get("end_time"),
                    "deleted_time": meta.get("deleted_time"),
                    "lifecycle_stage": meta.get("lifecycle_stage") or "active",
                    "artifact_uri": meta.get("artifact_uri") or "",
                    "experiment_id": int(meta.get("experiment_id")),
                }
            )
        return out

    def params(self, run_ids: Sequence[str]) -> Iterator[tuple[str, str, str]]:
        for run_id in run_ids:
            for key, path in _key_files(os.path.join(self._run_dirs[run_id], "params")):
                yield run_id, key, _read(path)

    def tags(self, run_ids: Sequence[str]) -> Iterator[tuple[str, str, str]]:
        for run_id in run_ids:
            for key, path in _key_files(os.path.join(self._run_dirs[run_id], "tags")):
                yield run_id, key, _read(path)

    def metrics(self, run_ids: Sequence[str]) -> Iterator[tuple[str, str, float, int, int]]:
        for run_id in run_ids:
            for key, path in _key_files(os.path.join(self._run_dirs[run_id], "metrics")):
                with open(path, encoding="utf-8") as f:
                    for line in f:
                        parts = line.split()
                        if len(parts) >= 2:
                            step = int(parts[2]) if len(parts) > 2 else 0
                            yield run_id, key, _float(parts[1]), int(parts[0]), step

    def inputs(self, run_ids: Sequence[str]) -> list[tuple[str, dict[str, Any], dict[str, str]]]:
        out = []
        for run_id in run_ids:
            run_dir = self._run_dirs[run_id]
            inputs_dir = os.path.join(run_dir, "inputs")
            if not os.path.isdir(inputs_dir):
                continue
            for name in sorted(os.listdir(inputs_dir)):
                meta = _meta(os.path.join(inputs_dir, name))
                if meta.get("source_type") != "DATASET":
                    continue
                dataset = _meta(os.path.join(os.path.dirname(run_dir), "datasets", str(meta.get("source_id"))))
                row = {
                    "name": dataset.get("name"), "digest": dataset.get("digest"),
                    "dataset_source_type": dataset.get("source_type"), "dataset_source": dataset.get("source"),
                    "dataset_schema": dataset.get("schema"), "dataset_profile": dataset.get("profile"),
                }
                out.append((run_id, row, {str(k): str(v) for k, v in (meta.get("tags") or {}).items()}))
        return out

    # -- logged models (MLflow 3) --------------------------------------------------------------
    def logged_models(self, experiment_id: int) -> list[LoggedModelRecord]:
        folder = os.path.join(self._experiment_dirs[experiment_id], "models")
        out = []
        for model_id in sorted(os.listdir(folder)) if os.path.isdir(folder) else []:
            path = os.path.join(folder, model_id)
            if not os.path.isfile(os.path.join(path, "meta.yaml")):
                continue
            meta = _meta(path)
            status = meta.get("status")
            metrics = []
            for key, metric_path in _key_files(os.path.join(path, "metrics")):
                with open(metric_path, encoding="utf-8") as f:
                    for line in f:
                        parts = line.split()
                        if len(parts) >= 3:
                            metrics.append(
                                {"key": key, "value": _float(parts[1]), "timestamp": int(parts[0]), "step": int(parts[2]),
                                 "run_uuid": parts[3] if len(parts) > 3 else None,
                                 "dataset_name": parts[4] if len(parts) > 4 else None,
                                 "dataset_digest": parts[5] if len(parts) > 5 else None}
                            )
            out.append(
                LoggedModelRecord(
                    row={
                        "model_id": meta.get("model_id", model_id), "experiment_id": experiment_id,
                        "name": meta.get("name", ""), "artifact_location": meta.get("artifact_location", ""),
                        "creation_timestamp_ms": meta.get("creation_timestamp", meta.get("creation_timestamp_ms")),
                        "last_updated_timestamp_ms": meta.get(
                            "last_updated_timestamp", meta.get("last_updated_timestamp_ms")
                        ),
                        "status": _LOGGED_MODEL_STATUS.get(status, str(status)) if isinstance(status, int) else str(status),
                        "lifecycle_stage": meta.get("lifecycle_stage") or "active", "model_type": meta.get("model_type"),
                        "source_run_id": meta.get("source_run_id"), "status_message": meta.get("status_message"),
                    },
                    params=_key_values(os.path.join(path, "params")),
                    tags=_key_values(os.path.join(path, "tags")),
                    metrics=metrics,
                )
            )
        return out

    def run_outputs(self, run_ids: Sequence[str]) -> list[tuple[str, str, int]]:
        out = []
        for run_id in run_ids:
            folder = os.path.join(self._run_dirs[run_id], "outputs")
            for name in sorted(os.listdir(folder)) if os.path.isdir(folder) else []:
                meta = _meta(os.path.join(folder, name))
                if meta.get("destination_type") == "MODEL_OUTPUT":
                    out.append((run_id, str(meta.get("destination_id")), int(meta.get("step") or 0)))
        return out

    # -- registry --------------------------------------------------------------------------------
    def registered_models(self) -> list[RegisteredModelRecord]:
        folder = os.path.join(self.root, "models")
        out = []
        for name_dir in sorted(os.listdir(folder)) if os.path.isdir(folder) else []:
            path = os.path.join(folder, name_dir)
            if not os.path.isfile(os.path.join(path, "meta.yaml")):
                continue
            meta = _meta(path)
            name = meta.get("name", name_dir)
            versions = []
            for entry in sorted(os.listdir(path)):
                if not entry.startswith("version-"):
                    continue
                vpath = os.path.join(path, entry)
                v = _meta(vpath)
                source = str(v.get("source") or "")
                versions.append(
                    (
                        {
                            "name": name, "version": int(v["version"]), "creation_time": v.get("creation_timestamp") or 0,
                            "last_updated_time": v.get("last_updated_timestamp") or v.get("creation_timestamp") or 0,
                            "description": v.get("description"), "user_id": v.get("user_id"),
                            "current_stage": v.get("current_stage") or "None", "source": source,
                            "storage_location": v.get("storage_location") or source, "run_id": v.get("run_id") or None,
                            "run_link": v.get("run_link") or None, "status": v.get("status") or "READY",
                            "status_message": v.get("status_message"),
                            "model_id": source[len("models:/") :] if source.startswith("models:/m-") else None,
                        },
                        _key_values(os.path.join(vpath, "tags")),
                    )
                )
            versions.sort(key=lambda item: item[0]["version"])
            out.append(
                RegisteredModelRecord(
                    row={
                        "name": name, "creation_time": meta.get("creation_timestamp") or 0,
                        "last_updated_time": meta.get("last_updated_timestamp") or meta.get("creation_timestamp") or 0,
                        "description": meta.get("description"),
                        "last_version": max((v["version"] for v, _ in versions), default=0),
                    },
                    tags=_key_values(os.path.join(path, "tags")),
                    aliases={str(a): int(v) for a, v in (meta.get("aliases") or {}).items()},
                    versions=versions,
                )
            )
        return out

    # -- counts ----------------------------------------------------------------------------------
    def counts(self, experiment_id: int) -> SourceCounts:
        ids = self.run_ids(experiment_id)
        params = sum(1 for _ in self.params(ids))
        tags = sum(1 for _ in self.tags(ids))
        # MLflow's file store can append the same row twice (MLflow 3's log_model re-logs values);
        # like MLflow's SQL stores, mltrail keeps an exact repeat once: distinct rows are counted
        metrics, seen, current = 0, set(), None
        for run_id, key, value, timestamp, step in self.metrics(ids):
            if run_id != current:
                metrics, seen, current = metrics + len(seen), set(), run_id
            seen.add((key, repr(value), timestamp, step))
        metrics += len(seen)
        return SourceCounts(len(ids), params, metrics, tags, len(self.logged_models(experiment_id)))


__all__ = ["FileSource"]
