"""Metric histories for charts, downsampled on the server in a way that keeps spikes.

A history longer than ``max_points`` is cut into ``max_points // 2`` buckets
of consecutive points; each bucket contributes its lowest and its highest
point, in step order, so a one-step spike survives any zoom level. A zoom
asks again with ``min_step``/``max_step`` and gets full detail for that range.

>>> series = metric_histories(store, ["<run_id>"], "rmse", max_points=2000)
>>> series[0]["steps"][:3], series[0]["total"]
([0, 1, 2], 100000)
"""

from __future__ import annotations

import itertools
from typing import Any, Optional, Sequence

import sqlalchemy as sa

from ...exceptions import InvalidParameterError
from ...store.sql.engine import read_connection
from ...store.sql.models import metrics
from ...store.sql.statements import MYSQL_INFINITY, Prepared, metric_from_db
from .queries import json_number

MAX_RUNS = 100
MAX_POINTS = 10_000
#: points per series a chart asks for first (the UI's JS asks for as many)
CHART_POINTS = 2_000


def history_url(run_ids: Sequence[str], key: str) -> str:
    """The ``/ajax-api/ui/metric-history`` URL of a chart's first view; the run page names it in the HTML
    so the browser fetches it while the page's scripts load.

    >>> history_url(["ab12"], "val loss")
    '/ajax-api/ui/metric-history?runs=ab12&key=val+loss&max_points=2000'
    """
    from urllib.parse import urlencode

    return "/ajax-api/ui/metric-history?" + urlencode({"runs": ",".join(run_ids), "key": key, "max_points": CHART_POINTS})


def downsample(steps: Sequence[int], values: Sequence[float], max_points: int) -> list[int]:
    """Indices of the points to keep: all when few, else the min and max of each bucket.

    >>> downsample([0, 1, 2, 3], [1.0, 9.0, 1.0, 1.0], 2)
    [0, 1]
    """
    n = len(values)
    if n <= max_points:
        return list(range(n))
    import numpy as np

    buckets = max(1, max_points // 2)
    array = np.asarray(values, dtype=float)
    # NaN must not win a bucket: compare with +-inf in its place
    low_view = np.where(np.isnan(array), np.inf, array)
    high_view = np.where(np.isnan(array), -np.inf, array)
    edges = np.linspace(0, n, buckets + 1).astype(int)
    keep: list[int] = []
    for start, end in zip(edges[:-1], edges[1:]):
        if end <= start:
            continue
        lo = start + int(np.argmin(low_view[start:end]))
        hi = start + int(np.argmax(high_view[start:end]))
        keep.extend(sorted({lo, hi}))
    return keep


def metric_histories(
    store: Any,
    run_ids: Sequence[str],
    key: str,
    max_points: int = CHART_POINTS,
    min_step: Optional[int] = None,
    max_step: Optional[int] = None,
) -> list[dict[str, Any]]:
    """Per run: ``{"run_id", "steps", "timestamps", "values", "total"}``, each at most ``max_points`` long."""
    if not run_ids:
        return []
    if len(run_ids) > MAX_RUNS:
        raise InvalidParameterError(f"Too many runs ({len(run_ids)}) for one chart: at most {MAX_RUNS}")
    if not 2 <= max_points <= MAX_POINTS:
        raise InvalidParameterError(f"Invalid max_points {max_points}: must be between 2 and {MAX_POINTS}")
    import numpy as np

    engine = store.engine
    mysql = engine.dialect.name == "mysql"
    m = metrics
    out = []
    with read_connection(engine) as conn:
        for run_id in run_ids:
            query = sa.select(m.c.step, m.c.timestamp, m.c.value, m.c.is_nan).where(
                m.c.run_uuid == run_id, m.c.key == key
            )
            if min_step is not None:
                query = query.where(m.c.step >= min_step)
            if max_step is not None:
                query = query.where(m.c.step <= max_step)
            # 100,000-row histories: plain DBAPI tuples into numpy (SQLAlchemy rows would cost more than the read)
            prepared = Prepared(query.order_by(m.c.step, m.c.timestamp), engine)
            cursor = conn.connection.cursor()
            try:
                cursor.execute(prepared.sql, prepared.args({}))
                rows = cursor.fetchall()
            finally:
                cursor.close()
            table = np.fromiter(itertools.chain.from_iterable(rows), dtype=float, count=4 * len(rows)).reshape(-1, 4)
            values = np.where(table[:, 3] != 0, np.nan, table[:, 2])
            if mysql:
                stored_inf = np.abs(values) == MYSQL_INFINITY
                values[stored_inf] = np.copysign(np.inf, values[stored_inf])
            keep = downsample(table[:, 0], values, max_points)
            out.append({
                "run_id": run_id,
                "total": len(rows),
                "steps": [int(rows[i][0]) for i in keep],
                "timestamps": [int(rows[i][1]) for i in keep],
                "values": [json_number(float(values[i])) for i in keep],
            })
    return out


def metric_summaries(store: Any, run_id: str) -> dict[str, dict[str, Any]]:
    """metric key -> ``{"min", "max", "steps"}`` of one run's histories (NaN values ignored by min/max).

    >>> metric_summaries(store, run_id)["rmse"]
    {'min': 6.1, 'max': 9.4, 'steps': 100}
    """
    engine = store.engine
    mysql = engine.dialect.name == "mysql"
    m = metrics
    valid = sa.case((m.c.is_nan == sa.false(), m.c.value))
    query = (
        sa.select(m.c.key, sa.func.min(valid), sa.func.max(valid), sa.func.count())
        .where(m.c.run_uuid == run_id)
        .group_by(m.c.key)
    )
    out = {}
    with read_connection(engine) as conn:
        for key, low, high, count in conn.execute(query):
            out[key] = {
                "min": None if low is None else metric_from_db(low, False, mysql),
                "max": None if high is None else metric_from_db(high, False, mysql),
                "steps": count,
            }
    return out


def stepped_metrics(store: Any, run_ids: Sequence[str]) -> list[str]:
    """The metric keys that have a history (more than one value) in at least one of the runs, sorted.

    The compare page draws its history chart for one of these by default: a metric logged once
    per run (a sweep's ``loss``) would draw single dots on an empty axis.

    >>> stepped_metrics(store, [parent_child_1, parent_child_2])
    ['validation_0-rmse']
    """
    if not run_ids:
        return []
    m = metrics
    per_run = (
        sa.select(m.c.key)
        .where(m.c.run_uuid.in_(list(run_ids)))
        .group_by(m.c.run_uuid, m.c.key)
        .having(sa.func.count() > 1)
        .subquery()
    )
    with read_connection(store.engine) as conn:
        return sorted(conn.execute(sa.select(per_run.c.key).distinct()).scalars())

