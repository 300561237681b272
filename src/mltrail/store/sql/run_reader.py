"""Build :class:`~mltrail.entities.Run` objects from rows, several runs per query.

``load_runs`` reads the runs' rows (with a flag saying whether each has
dataset inputs), then all their params, tags and latest metrics in one query
each (chunked for long id lists), and the dataset inputs of the runs that have
some in one more: a page of 100 search results costs four or five queries, not
four hundred.
"""

from __future__ import annotations

from typing import Any, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ...entities import Dataset, DatasetInput, InputTag, Run, RunData, RunInfo, RunInputs
from .dataset_tables import datasets, run_input_tags, run_inputs
from .models import latest_metrics, params, runs, tags
from .statements import RUN_COLUMNS, metric_from_db

_CHUNK = 500


def run_info_from_row(row: Any) -> RunInfo:
    """A RunInfo from a row holding :data:`RUN_COLUMNS` (a SQLAlchemy row or a DBAPI tuple in that order)."""
    run_uuid, experiment_id, name, user_id, status, start_time, end_time, artifact_uri, stage = row
    return RunInfo(
        run_id=run_uuid,
        experiment_id=str(experiment_id),
        run_name=name,
        user_id=user_id,
        status=status,
        start_time=start_time,
        end_time=end_time,
        artifact_uri=artifact_uri,
        lifecycle_stage=stage,
    )


def load_runs(conn: Connection, run_ids: Sequence[str], mysql: bool) -> list[Run]:
    """The runs with these ids, in the order given (unknown ids are skipped)."""
    infos: dict[str, RunInfo] = {}
    with_inputs: list[str] = []
    for chunk in _chunks(run_ids):
        for row in conn.execute(sa.select(*RUN_COLUMNS, _HAS_INPUTS).where(runs.c.run_uuid.in_(chunk))):
            infos[row.run_uuid] = run_info_from_row(row[: len(RUN_COLUMNS)])
            if row.has_inputs:
                with_inputs.append(row.run_uuid)
    data = {run_id: RunData() for run_id in infos}
    ids = list(infos)
    for chunk in _chunks(ids):
        for run_id, key, value in conn.execute(
            sa.select(params.c.run_uuid, params.c.key, params.c.value).where(params.c.run_uuid.in_(chunk))
        ):
            data[run_id].params[key] = value
        for run_id, key, value in conn.execute(
            sa.select(tags.c.run_uuid, tags.c.key, tags.c.value).where(tags.c.run_uuid.in_(chunk))
        ):
            data[run_id].tags[key] = value
        for run_id, key, value, is_nan in conn.execute(
            sa.select(
                latest_metrics.c.run_uuid, latest_metrics.c.key, latest_metrics.c.value, latest_metrics.c.is_nan
            ).where(latest_metrics.c.run_uuid.in_(chunk))
        ):
            data[run_id].metrics[key] = metric_from_db(value, is_nan, mysql)
    inputs = {run_id: RunInputs() for run_id in infos}
    for chunk in _chunks(with_inputs):  # runs without inputs cost no query, only the EXISTS probe
        _load_inputs(conn, chunk, inputs)
    return [Run(info=infos[i], data=data[i], inputs=inputs[i]) for i in run_ids if i in infos]


#: Whether a run has dataset inputs (a primary-key probe read with the run's row).
_HAS_INPUTS = sa.exists().where(run_inputs.c.run_uuid == runs.c.run_uuid).label("has_inputs")

_INPUTS_QUERY = (
    sa.select(
        run_inputs.c.run_uuid,
        datasets.c.dataset_uuid,
        datasets.c.name,
        datasets.c.digest,
        datasets.c.dataset_source_type,
        datasets.c.dataset_source,
        datasets.c.dataset_schema,
        datasets.c.dataset_profile,
        run_input_tags.c.key,
        run_input_tags.c.value,
    )
    .select_from(
        run_inputs.join(datasets, datasets.c.dataset_uuid == run_inputs.c.dataset_uuid).outerjoin(
            run_input_tags,
            sa.and_(
                run_input_tags.c.run_uuid == run_inputs.c.run_uuid,
                run_input_tags.c.dataset_uuid == run_inputs.c.dataset_uuid,
            ),
        )
    )
    .order_by(datasets.c.name, datasets.c.digest, run_input_tags.c.key)
)


#: ``_INPUTS_QUERY`` for one run, compiled once per (dialect, driver): get_run's extra read
#: then costs ~40 us on SQLite rather than the ~190 us of building and compiling it per call.
_ONE_RUN_SQL: dict[tuple[str, str], tuple[str, bool]] = {}


def _one_run_inputs(conn: Connection, run_id: str) -> Any:
    dialect = conn.dialect
    found = _ONE_RUN_SQL.get((dialect.name, dialect.driver))
    if found is None:
        compiled = _INPUTS_QUERY.where(run_inputs.c.run_uuid == sa.bindparam("run_uuid")).compile(dialect=dialect)
        found = _ONE_RUN_SQL[(dialect.name, dialect.driver)] = (str(compiled), bool(compiled.positional))
    sql, positional = found
    return conn.exec_driver_sql(sql, (run_id,) if positional else {"run_uuid": run_id})


def _load_inputs(conn: Connection, run_ids: Sequence[str], into: dict[str, RunInputs]) -> None:
    """Every dataset input (with its tags) of these runs, in one query (one row per input tag)."""
    seen: dict[tuple[str, str], DatasetInput] = {}
    if len(run_ids) == 1:
        rows = _one_run_inputs(conn, run_ids[0])
    else:
        rows = conn.execute(_INPUTS_QUERY.where(run_inputs.c.run_uuid.in_(run_ids)))
    for run_id, uuid, name, digest, source_type, source, schema, profile, key, value in rows:
        found = seen.get((run_id, uuid))
        if found is None:
            found = seen[(run_id, uuid)] = DatasetInput(Dataset(name, digest, source_type, source, schema, profile))
            into[run_id].dataset_inputs.append(found)
        if key is not None:
            found.tags.append(InputTag(key, value))


def _chunks(items: Sequence[str]) -> list[Sequence[str]]:
    return [items[i : i + _CHUNK] for i in range(0, len(items), _CHUNK)]
