"""Dataset inputs of the SQL tracking store: ``log_inputs`` and the rows it writes.

A dataset is stored once per experiment (keyed by name and digest, see
:mod:`.dataset_tables`); a run links to it with input tags. Every write is an
insert that keeps an existing row (tags: an upsert), so logging the same
inputs again changes nothing, and the whole call is one transaction. The same
writes run inside ``log_batch`` / ``finish_run`` when those are given
``datasets`` (autologging: the datasets go with the call's last batch).

>>> store.log_inputs(run_id, [DatasetInput(Dataset("taxi", "3f2a9c1b", "code", "{}"), [InputTag("mlflow.data.context", "train")])])
"""

from __future__ import annotations

import functools
from typing import Any, Sequence

import sqlalchemy as sa

from ...entities import Dataset, DatasetInput, InputTag
from ...exceptions import InvalidParameterError
from .core import SqlStoreCore
from .dataset_tables import (
    MAX_DATASET_DIGEST_LENGTH,
    MAX_DATASET_NAME_LENGTH,
    MAX_DATASET_SOURCE_TYPE_LENGTH,
    MAX_DATASET_TEXT_LENGTH,
    MAX_INPUT_TAG_KEY_LENGTH,
    MAX_INPUT_TAG_VALUE_LENGTH,
    dataset_uuid,
    datasets,
    run_input_tags,
    run_inputs,
)
from .models import runs
from .statements import Prepared, insert_ignoring_duplicates, upsert

#: A validated input: (dataset row values without ids, {tag key: value}).
CheckedInput = tuple[dict[str, Any], dict[str, str]]


class DatasetStatements:
    """The pre-compiled statements that log dataset inputs, for one engine."""

    def __init__(self, engine: sa.engine.Engine) -> None:
        def bound(table: sa.Table) -> dict[str, Any]:
            return {c: sa.bindparam(c) for c in table.c.keys()}

        self.insert_dataset = Prepared(
            insert_ignoring_duplicates(engine, datasets, ["dataset_uuid"]).values(bound(datasets)), engine
        )
        self.insert_input = Prepared(
            insert_ignoring_duplicates(engine, run_inputs, ["run_uuid", "dataset_uuid"]).values(bound(run_inputs)),
            engine,
        )
        self.upsert_tag = Prepared(
            upsert(engine, run_input_tags, ("run_uuid", "dataset_uuid", "key"), ("value",)).values(
                bound(run_input_tags)
            ),
            engine,
        )
        self.run_experiment = Prepared(
            sa.select(runs.c.experiment_id, runs.c.lifecycle_stage).where(runs.c.run_uuid == sa.bindparam("run_uuid")),
            engine,
        )


def _text(value: Any, what: str, limit: int, required: bool = True) -> Any:
    """``value`` if it is a string of at most ``limit`` characters (non-empty when ``required``)."""
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value):
        rule = "a non-empty string" if required else "a string"
        raise InvalidParameterError(f"Invalid {what} {value!r}: it must be {rule}")
    if len(value) > limit:
        raise InvalidParameterError(
            f"Invalid {what} {value[:80]!r}...: it must be at most {limit} characters (it has {len(value)})"
        )
    return value


def check_inputs(inputs: Sequence[DatasetInput]) -> list[CheckedInput]:
    """Validate dataset inputs before any write; raise InvalidParameterError naming the bad value.

    >>> check_inputs([DatasetInput(Dataset("d", "ab12", "code", "{}"))])[0][0]["name"]
    'd'
    """
    if isinstance(inputs, (DatasetInput, Dataset)) or not isinstance(inputs, Sequence):
        raise InvalidParameterError(
            f"Invalid datasets {inputs!r}: expected a list of DatasetInput (mltrail.entities.DatasetInput)"
        )
    checked: list[CheckedInput] = []
    for item in inputs:
        if not isinstance(item, DatasetInput) or not isinstance(item.dataset, Dataset):
            raise InvalidParameterError(
                f"Invalid dataset input {item!r}: expected a DatasetInput holding a mltrail.entities.Dataset"
            )
        ds = item.dataset
        row = {
            "name": _text(ds.name, "dataset name", MAX_DATASET_NAME_LENGTH),
            "digest": _text(ds.digest, f"digest of dataset {ds.name!r}", MAX_DATASET_DIGEST_LENGTH),
            "dataset_source_type": _text(
                ds.source_type, f"source type of dataset {ds.name!r}", MAX_DATASET_SOURCE_TYPE_LENGTH
            ),
            "dataset_source": _text(ds.source, f"source of dataset {ds.name!r}", MAX_DATASET_TEXT_LENGTH, False) or "",
            "dataset_schema": _text(ds.schema, f"schema of dataset {ds.name!r}", MAX_DATASET_TEXT_LENGTH, False),
            "dataset_profile": _text(ds.profile, f"profile of dataset {ds.name!r}", MAX_DATASET_TEXT_LENGTH, False),
        }
        tags: dict[str, str] = {}
        for tag in item.tags or ():
            if not isinstance(tag, InputTag):
                raise InvalidParameterError(f"Invalid input tag {tag!r} of dataset {ds.name!r}: expected an InputTag")
            key = _text(tag.key, f"input tag key of dataset {ds.name!r}", MAX_INPUT_TAG_KEY_LENGTH)
            tags[key] = _text(
                tag.value, f"value of input tag {tag.key!r} of dataset {ds.name!r}", MAX_INPUT_TAG_VALUE_LENGTH, False
            )
        checked.append((row, tags))
    return checked


class DatasetOps(SqlStoreCore):
    """``log_inputs`` and the dataset writes shared with ``log_batch`` / ``finish_run``."""

    @functools.cached_property
    def _dataset_statements(self) -> DatasetStatements:
        return DatasetStatements(self._engine)

    def log_inputs(self, run_id: str, datasets: Sequence[DatasetInput]) -> None:
        """Link datasets (with their input tags) to an active run, in one transaction.

        A dataset already stored in the run's experiment under the same name
        and digest is reused; logging the same input again changes nothing
        (new tag values replace old ones).

        >>> store.log_inputs(run_id, [DatasetInput(dataset, [InputTag("mlflow.data.context", "train")])])
        """
        checked = check_inputs(datasets)
        with self._raw_write() as cursor:
            experiment_id = self._writable_run_experiment(cursor, run_id)
            self._write_inputs(cursor, run_id, experiment_id, checked)

    def _writable_run_experiment(self, cursor: Any, run_id: str) -> int:
        """The experiment key of an active run (raises for a missing or deleted run)."""
        stmt = self._dataset_statements.run_experiment
        cursor.execute(stmt.sql, stmt.args({"run_uuid": run_id}))
        row = cursor.fetchone()
        cursor.fetchall()
        self._raise_for_run_state(run_id, row[1] if row else None)
        return int(row[0])

    def _write_inputs(self, cursor: Any, run_id: str, experiment_id: int, checked: list[CheckedInput]) -> None:
        """Insert the datasets, run links and input tags inside the caller's transaction."""
        if not checked:
            return
        stmts = self._dataset_statements
        dataset_rows, input_rows, tag_rows = {}, {}, {}
        for row, tags in checked:
            uuid = dataset_uuid(experiment_id, row["name"], row["digest"])
            dataset_rows.setdefault(uuid, {"dataset_uuid": uuid, "experiment_id": experiment_id, **row})
            input_rows[uuid] = {"run_uuid": run_id, "dataset_uuid": uuid}
            for key, value in tags.items():
                tag_rows[(uuid, key)] = {"run_uuid": run_id, "dataset_uuid": uuid, "key": key, "value": value}
        cursor.executemany(stmts.insert_dataset.sql, stmts.insert_dataset.many(dataset_rows.values()))
        cursor.executemany(stmts.insert_input.sql, stmts.insert_input.many(input_rows.values()))
        if tag_rows:
            cursor.executemany(stmts.upsert_tag.sql, stmts.upsert_tag.many(tag_rows.values()))
