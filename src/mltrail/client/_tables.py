"""Tables as run artifacts (MLflow's ``log_table`` / ``load_table``), in MLflow's file layout.

A table is a pandas DataFrame (or a dict of columns) stored as JSON
(``orient="split"``, no index) or Parquet; logging to an existing file
appends rows. The run's ``mlflow.loggedArtifacts`` tag lists the tables, so
``load_table`` finds every run of an experiment that logged one, and tables
written by MLflow and by mltrail read the same::

    client.log_table(run_id, {"inputs": ["a", "b"], "score": [0.1, 0.9]}, "eval.json")
    client.load_table("1", "eval.json", extra_columns=["run_id"])
"""

from __future__ import annotations

import json
import logging
import os
import posixpath
import tempfile
from typing import TYPE_CHECKING, Any, Optional, Sequence

from .._system_tags import LOGGED_ARTIFACTS
from ..exceptions import InvalidParameterError, ResourceNotFoundError

if TYPE_CHECKING:
    import pandas

_logger = logging.getLogger("mltrail")
_FORBIDDEN = ('"', "'", ",", ":", "[", "]", "{", "}")
_TABLE_EXTENSIONS = (".json", ".parquet")


def _check_table_file(artifact_file: Any) -> str:
    if not isinstance(artifact_file, str) or not artifact_file:
        raise InvalidParameterError(f"Invalid table artifact file {artifact_file!r}: give a run-relative path")
    for char in _FORBIDDEN:
        if char in artifact_file:
            raise InvalidParameterError(
                f"Invalid table artifact file {artifact_file!r}: it contains the forbidden character {char!r}"
            )
    if not artifact_file.endswith(_TABLE_EXTENSIONS):
        raise InvalidParameterError(
            f"Invalid table artifact file {artifact_file!r}: a table is saved as .json or .parquet"
        )
    return artifact_file


def _read_table(path: str) -> "pandas.DataFrame":
    import pandas as pd

    if path.endswith(".json"):
        return pd.read_json(path, orient="split")
    return pd.read_parquet(path)


def _write_table(frame: "pandas.DataFrame", path: str) -> None:
    if path.endswith(".json"):
        frame.to_json(path, orient="split", index=False, date_format="iso")
    else:
        frame.to_parquet(path, index=False)


class TableClientMixin:
    """``log_table`` / ``load_table`` of :class:`mltrail.client.Client`."""

    def log_table(self, run_id: str, data: Any, artifact_file: str) -> None:
        """Store a DataFrame or a dict of columns as the table ``artifact_file`` (.json or .parquet).

        An existing table of that name gets the rows appended. The run's
        ``mlflow.loggedArtifacts`` tag records it (MLflow's layout).

        >>> client.log_table(run_id, {"inputs": ["What is MLflow?"], "toxicity": [0.0]}, "qa.json")
        """
        import pandas as pd

        _check_table_file(artifact_file)
        if isinstance(data, dict):
            try:
                frame = pd.DataFrame(data)
            except ValueError:  # all scalars: one row
                frame = pd.DataFrame([data])
        elif isinstance(data, pd.DataFrame):
            frame = data
        else:
            raise InvalidParameterError(
                f"Invalid table data of type {type(data).__name__}: data must be a pandas.DataFrame or a dictionary"
            )
        folder = posixpath.dirname(posixpath.normpath(artifact_file)) or None
        existing = {f.path for f in self.list_artifacts(run_id, folder) if not f.is_dir}
        with tempfile.TemporaryDirectory() as tmp:
            if artifact_file in existing:
                previous = _read_table(self.download_artifacts(run_id, artifact_file, tmp))
                frame = pd.concat([previous, frame], ignore_index=True)
            path = os.path.join(tmp, "new", posixpath.basename(artifact_file))
            os.makedirs(os.path.dirname(path))
            try:
                _write_table(frame, path)
            except (TypeError, ValueError, OverflowError) as exc:
                raise InvalidParameterError(f"Cannot save the table as {artifact_file!r}: {exc}") from exc
            self.log_artifact(run_id, path, folder)
        tables = json.loads(self.get_run(run_id).data.tags.get(LOGGED_ARTIFACTS, "[]"))
        entry = {"path": artifact_file, "type": "table"}
        if entry not in tables:
            tables.append(entry)
            self.set_tag(run_id, LOGGED_ARTIFACTS, json.dumps(tables))

    def load_table(
        self,
        experiment_id: str,
        artifact_file: str,
        run_ids: Optional[Sequence[str]] = None,
        extra_columns: Optional[Sequence[str]] = None,
    ) -> "pandas.DataFrame":
        """The table ``artifact_file`` of every run of the experiment that logged it (or of ``run_ids``), joined.

        ``extra_columns`` adds columns from the runs (``"run_id"``...; a name
        already in the table gets a ``_`` appended).

        >>> client.load_table("1", "qa.json", extra_columns=["run_id"])
        """
        import pandas as pd

        _check_table_file(artifact_file)
        filter_string = f"tags.{LOGGED_ARTIFACTS} LIKE '%\"path\"%:%\"{artifact_file}\",%\"type\"%:%\"table\"%'"
        if run_ids:
            filter_string += " and attributes.run_id IN ({})".format(",".join(repr(str(r)) for r in run_ids))
        runs: list = []
        token = None
        while True:
            page = self.search_runs([str(experiment_id)], filter_string, page_token=token)
            runs.extend(page)
            token = page.token
            if not token:
                break
        if run_ids and len(run_ids) != len(runs):
            _logger.warning("Not all runs have the specified table artifact. Some runs will be skipped.")
        if not runs:
            raise ResourceNotFoundError(f"No runs found with the table artifact {artifact_file!r} in experiment {experiment_id}")
        frames = []
        folder = posixpath.dirname(posixpath.normpath(artifact_file)) or None
        for run in runs:
            run_id = run.info.run_id
            if artifact_file not in {f.path for f in self.list_artifacts(run_id, folder) if not f.is_dir}:
                raise ResourceNotFoundError(f"Artifact {artifact_file} not found for run {run_id}.")
            with tempfile.TemporaryDirectory() as tmp:
                frame = _read_table(self.download_artifacts(run_id, artifact_file, tmp))
            row = {**{k: v for k, v in run.info}, **{f"metrics.{k}": v for k, v in run.data.metrics.items()},
                   **{f"params.{k}": v for k, v in run.data.params.items()},
                   **{f"tags.{k}": v for k, v in run.data.tags.items()}}
            for column in extra_columns or ():
                name = f"{column}_" if column in frame else column
                frame[name] = row.get(column)
            frames.append(frame)
        return pd.concat(frames, ignore_index=True)
