"""Build :class:`~mltrail.entities.Run` objects from rows, several runs per query.

``load_runs`` reads the runs' rows, then all their params, tags and latest
metrics in one query each (chunked for long id lists), so a page of 100
search results costs four queries, not four hundred.
"""

from __future__ import annotations

from typing import Any, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ...entities import Run, RunData, RunInfo
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
    for chunk in _chunks(run_ids):
        for row in conn.execute(sa.select(*RUN_COLUMNS).where(runs.c.run_uuid.in_(chunk))):
            infos[row.run_uuid] = run_info_from_row(row)
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
    return [Run(info=infos[i], data=data[i]) for i in run_ids if i in infos]


def _chunks(items: Sequence[str]) -> list[Sequence[str]]:
    return [items[i : i + _CHUNK] for i in range(0, len(items), _CHUNK)]
