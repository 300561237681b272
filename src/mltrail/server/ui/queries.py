"""The runs table's SQL: one page of runs with chosen columns, groups, key lists.

Filtering reuses the tracking store's own search SQL (:class:`RunSearchQuery`,
MLflow's filter grammar), so the table and ``search_runs`` select the same
runs; this module adds what the REST API lacks: sorting on any column
(``min``/``max`` of a metric, duration, source), top-level runs only with
their children counted, and the page's values for chosen columns in one
query per kind.

At 100,000 runs a page must not touch every run: the count stops at
:data:`COUNT_CAP` (``more`` says there are more; the page shows "1,000+"),
child counts are read for the page's parents only (partial index on the
parent tag, revision 0006), ``:min``/``:max`` come from ``latest_metrics``,
and from :data:`INDEX_WALK_MIN` matches on, a sort on a metric (last, min or
max) walks its index (:meth:`RunsTableQuery.metric_segments`) and a filtered newest-first
page probes runs in start order (:meth:`RunsTableQuery.probing_select`).

>>> page = runs_page(store, ["1"], "metrics.rmse < 7", parse_columns("metrics.rmse:min"),
...                  sort=parse_column("metrics.rmse:min"), ascending=True)
>>> page["total"], page["rows"][0]["values"]["metrics.rmse:min"]
(12, 6.1)
"""

from __future__ import annotations

import math
from typing import Any, Callable, Optional, Sequence

import sqlalchemy as sa

from ..._system_tags import PARENT_RUN_ID, SOURCE_NAME
from ...entities import ViewType
from ...exceptions import InvalidParameterError
from ...store.search import ATTRIBUTE, METRIC, PARAM, RUN_SPEC, TAG, OrderKey, parse_filter
from ...store.sql.engine import read_connection
from ...store.sql.models import PARENT_TAG_LITERAL, latest_metrics, params, runs, tags
from ...store.sql.search_ops import experiment_keys
from ...store.sql.search_sql import RunSearchQuery
from ...store.sql.statements import metric_from_db
from .columns import Column

MAX_PAGE_SIZE = 500
#: the table counts matching runs up to this many; beyond it the page says "1,000+"
COUNT_CAP = 1_000
#: from this many matching runs on, a sort on a metric (last, min or max) walks its index (see metric_segments)
INDEX_WALK_MIN = 1_000
#: one part of a sort read in parts: ``(connection, wanted) -> the first wanted run ids``
Segment = Callable[[Any, int], list]
_FIXED_ORDER = {"status": "status", "run_name": "run_name", "start_time": "start_time", "user": "user_id"}


def json_number(value: Optional[float]) -> Any:
    """A float as JSON can carry it: NaN and infinities become the strings 'NaN', 'inf', '-inf'."""
    if value is None or math.isfinite(value):
        return value
    return "NaN" if value != value else ("inf" if value > 0 else "-inf")


class RunsTableQuery(RunSearchQuery):
    """The store's run search plus the table's extra sorts and nesting conditions."""

    def _filtered(self, keys: Sequence[int], stages: Sequence[str], comparisons: Sequence[Any]) -> tuple[Any, list[Any]]:
        source, conditions = super()._filtered(keys, stages, comparisons)
        if self.dialect == "sqlite" and any(c.entity == PARAM and c.op in ("=", "IN") for c in comparisons):
            # SQLite keeps no statistics on mltrail's stores, so it takes the experiment's runs index for
            # selective and would try every run of the experiment; "+ 0" leaves it the params' (key, value
            # prefix) index (revision 0007), which reads the matching runs only
            conditions[0] = (runs.c.experiment_id + 0).in_(list(keys))
        return source, conditions

    def select_ids(
        self,
        keys: Sequence[int],
        stages: Sequence[str],
        filter_string: Optional[str],
        extra: Sequence[Any],
        sort: Optional[Column],
        ascending: bool,
    ) -> tuple[Any, Any]:
        """(SELECT run_uuid ... ORDER BY ..., SELECT count(*)) without limit/offset."""
        source, conditions = self._filtered(keys, stages, parse_filter(filter_string, RUN_SPEC))
        conditions = [*conditions, *extra]
        count = sa.select(sa.func.count()).select_from(source).where(*conditions)
        order: list[Any] = []
        if sort is not None:
            source = self._sort(source, order, sort, ascending)
        if sort is None or sort.key != "start_time":
            order.append(runs.c.start_time.desc())
        order.append(runs.c.run_uuid.asc())
        return sa.select(runs.c.run_uuid).select_from(source).where(*conditions).order_by(*order), count

    def probing_select(
        self, keys: Sequence[int], stages: Sequence[str], filter_string: Optional[str], extra: Sequence[Any]
    ) -> Any:
        """The default order (newest first) with the filter as a correlated EXISTS per run: the runs'
        (experiment, start_time) index is read in order and the page ends after ``limit`` matches.

        For filters that match many runs: the database would otherwise start from the filter's own
        index (a metric's value range) and sort every match.
        """
        outer = runs.alias("page_runs")
        query = RunsTableQuery(self.dialect, self.mysql)
        source, conditions = query._filtered(keys, stages, parse_filter(filter_string, RUN_SPEC))
        matches = sa.exists(sa.select(sa.literal_column("1")).select_from(source).where(
            runs.c.run_uuid == outer.c.run_uuid, *conditions[2:], *extra))
        return (
            sa.select(outer.c.run_uuid)
            .where(outer.c.experiment_id.in_(list(keys)), outer.c.lifecycle_stage.in_(list(stages)), matches)
            .order_by(outer.c.start_time.desc(), outer.c.run_uuid.asc())
        )

    def metric_segments(
        self,
        keys: Sequence[int],
        stages: Sequence[str],
        filter_string: Optional[str],
        extra: Sequence[Any],
        sort: Column,
        ascending: bool,
    ) -> list[Segment]:
        """The runs sorted by metric column ``sort`` as queries (``(conn, wanted) -> ids``) read in turn: runs with a value (walking an
        index of ``latest_metrics`` in order, so a page stops early), then (last value only) NaN, then none.

        The index is (key, is_nan, value) for the last value, (key, min_value) / (key, max_value) for
        ``:min`` / ``:max`` (revision 0007). Together the segments give :meth:`select_ids`'s order for
        that sort without sorting every run.
        """
        key = sort.key
        sorted_on = {None: "value", "min": "min_value", "max": "max_value"}[sort.agg]
        segments = []
        for segment in ("value", "missing") if sort.agg else ("value", "nan", "missing"):
            query = RunsTableQuery(self.dialect, self.mysql)
            source, conditions = query._filtered(keys, stages, parse_filter(filter_string, RUN_SPEC))
            conditions += list(extra)
            if segment == "missing":
                lm = latest_metrics.alias()
                has = [lm.c.min_value.is_not(None)] if sort.agg else []  # (no :min when every value was NaN)
                conditions.append(~sa.exists().where(lm.c.run_uuid == runs.c.run_uuid, lm.c.key == key, *has))
                order = [runs.c.start_time.desc(), runs.c.run_uuid.asc()]
                segments.append(_plain(sa.select(runs.c.run_uuid).select_from(source).where(*conditions).order_by(*order)))
                continue
            # latest_metrics alone in the outer FROM, the run's conditions in a correlated EXISTS:
            # every backend then reads the index in order and stops at the page end
            lm = latest_metrics.alias()
            matches: Any = sa.exists(sa.select(sa.literal_column("1")).select_from(source).where(
                runs.c.run_uuid == lm.c.run_uuid, *conditions))
            if self.mysql:  # MySQL/MariaDB would turn a bare EXISTS into a join starting from every run
                matches = sa.case((matches, 1), else_=0) == 1
            started = sa.select(runs.c.start_time).where(runs.c.run_uuid == lm.c.run_uuid).scalar_subquery()
            order = [started.desc(), lm.c.run_uuid.asc()]
            value = lm.c[sorted_on]
            if segment == "value":
                order.insert(0, value.asc() if ascending else value.desc())
            if sort.agg:
                present = value.is_not(None)
            else:
                present = lm.c.is_nan == (sa.false() if segment == "value" else sa.true())
            page = sa.select(lm.c.run_uuid).where(lm.c.key == key, present, matches).order_by(*order)
            if segment == "value" and self.mysql:
                segments.append(_bounded(page, value, ascending))
            else:
                segments.append(_plain(page))
        return segments

    def _sort(self, source: Any, order: list[Any], column: Column, ascending: bool) -> Any:
        if column.entity == "fixed":
            if column.key == "start_time":
                # runs always have a start time: the bare column lets the database read the runs'
                # (experiment, start_time) index in order and stop at the page end (no nulls-last CASE)
                order.append(runs.c.start_time.asc() if ascending else runs.c.start_time.desc())
                return source
            if column.key in _FIXED_ORDER:
                return self._order(source, order, OrderKey(ATTRIBUTE, _FIXED_ORDER[column.key], ascending))
            if column.key == "source":
                return self._order(source, order, OrderKey(TAG, SOURCE_NAME, ascending))
            duration = runs.c.end_time - runs.c.start_time  # running runs (no end) sort last
            order.append(sa.case((duration.is_(None), 1), else_=0))
            order.append(duration.asc() if ascending else duration.desc())
            return source
        if column.entity == "metric" and column.agg:
            # the extremes kept in latest_metrics (revision 0006): no aggregation over the history
            lm = latest_metrics.alias()
            source = source.outerjoin(lm, sa.and_(lm.c.run_uuid == runs.c.run_uuid, lm.c.key == column.key))
            value = lm.c.min_value if column.agg == "min" else lm.c.max_value
            order.append(sa.case((value.is_(None), 1), else_=0))
            order.append(value.asc() if ascending else value.desc())
            return source
        entity = {"param": PARAM, "tag": TAG, "metric": METRIC}[column.entity]
        return self._order(source, order, OrderKey(entity, column.key, ascending))


def _parent_key(table: Any) -> Any:
    """``key = 'mlflow.parentRunId'`` written as a literal, so SQLite can use the partial index on it."""
    return table.c.key == sa.literal_column(PARENT_TAG_LITERAL)


def _is_top_level() -> Any:
    t = tags.alias()
    return ~sa.exists().where(t.c.run_uuid == runs.c.run_uuid, _parent_key(t))


def _is_child_of(parent_id: str) -> Any:
    t = tags.alias()
    return runs.c.run_uuid.in_(sa.select(t.c.run_uuid).where(_parent_key(t), t.c.value == parent_id))


def capped_count(select_count: Any, cap: int) -> Any:
    """``count(*)`` of a query's rows, counting no further than ``cap + 1`` (a bigger answer means "more")."""
    inner = select_count.with_only_columns(sa.literal_column("1").label("one")).limit(cap + 1).subquery()
    return sa.select(sa.func.count()).select_from(inner)


def _stages(view: str) -> list[str]:
    return list(ViewType.stages(ViewType.from_string(view)))


def runs_page(
    store: Any,
    experiment_ids: Sequence[str],
    filter_string: Optional[str],
    columns: Sequence[Column],
    sort: Optional[Column] = None,
    ascending: bool = False,
    view: str = "ACTIVE_ONLY",
    nested: bool = True,
    parent_id: Optional[str] = None,
    limit: int = 100,
    offset: int = 0,
    run_ids: Optional[Sequence[str]] = None,
) -> dict[str, Any]:
    """One page of the runs table (see the module docstring).

    ``nested``: only top-level runs, each with its number of children;
    ``parent_id``: the children of that run instead; ``run_ids``: just
    those runs (the live refresh of running rows).
    """
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise InvalidParameterError(f"Invalid page size {limit}: must be between 1 and {MAX_PAGE_SIZE}")
    if offset < 0:
        raise InvalidParameterError(f"Invalid page offset {offset}: must be 0 or more")
    keys = experiment_keys(list(experiment_ids))
    stages = _stages(view)
    extra: list[Any] = []
    if parent_id is not None:
        extra.append(_is_child_of(parent_id))
    elif run_ids is not None:
        extra.append(runs.c.run_uuid.in_(list(run_ids)[:MAX_PAGE_SIZE]))
    elif nested:
        extra.append(_is_top_level())
    store.reap_dead_runs_if_due()  # runs of crashed processes show KILLED
    engine = store.engine
    mysql = engine.dialect.name == "mysql"
    query = RunsTableQuery(engine.dialect.name, mysql)
    select, count = query.select_ids(keys, stages, filter_string, extra, sort, ascending)
    newest_first = sort is None or (sort == Column("fixed", "start_time") and not ascending)
    with read_connection(engine) as conn:
        cap = max(COUNT_CAP, offset + limit)
        total = conn.execute(capped_count(count, cap)).scalar() or 0
        more = total > cap
        total = min(total, cap)
        # (a filter on the sorted metric already walks its index, within the filter's range)
        if (sort is not None and sort.entity == "metric" and total >= INDEX_WALK_MIN
                and (sort.agg or sort.key not in query.filtered_metrics)):
            ids = _read_segments(conn, query.metric_segments(keys, stages, filter_string, extra, sort, ascending),
                                 limit, offset)
        elif newest_first and filter_string and total >= INDEX_WALK_MIN:
            probing = query.probing_select(keys, stages, filter_string, extra)
            ids = list(conn.execute(probing.limit(limit).offset(offset)).scalars())
        else:
            ids = list(conn.execute(select.limit(limit).offset(offset)).scalars())
        hidden_children = 0
        # matching children under non-matching parents are counted when few top-level runs match (the
        # user then wonders where the runs went); on a full page that count would cost as much as the page
        if (nested and parent_id is None and run_ids is None and filter_string and filter_string.strip()
                and total < offset + limit):
            _, child_count = RunsTableQuery(engine.dialect.name, mysql).select_ids(
                keys, stages, filter_string, [~_is_top_level()], None, False
            )
            hidden_children = min(conn.execute(capped_count(child_count, COUNT_CAP)).scalar() or 0, COUNT_CAP)
        rows = run_rows(conn, ids, columns, mysql)
    return {"total": total, "more": more, "offset": offset, "rows": rows, "matching_children": hidden_children}


def _plain(page: Any) -> Segment:
    """``(conn, wanted) -> the first ``wanted`` ids of ``page``."""
    return lambda conn, wanted: list(conn.execute(page.limit(wanted)).scalars())


def _bounded(page: Any, value: Any, ascending: bool) -> Segment:
    """Like :func:`_plain`, for MySQL/MariaDB, which cannot stop a sort with tie-breakers early: the
    ``wanted``-th value is read first by walking the index in value order alone, then only the rows up
    to it are sorted."""
    def read(conn: Any, wanted: int) -> list:
        walk = page.with_only_columns(value).order_by(None).order_by(value.asc() if ascending else value.desc())
        edge = conn.execute(walk.limit(1).offset(wanted - 1)).scalar()
        bounded = page if edge is None else page.where(value <= edge if ascending else value >= edge)
        return list(conn.execute(bounded.limit(wanted)).scalars())

    return read


def _read_segments(conn: Any, segments: Sequence[Segment], limit: int, offset: int) -> list[str]:
    """Rows ``offset .. offset + limit`` of the segments read one after the other."""
    ids: list[str] = []
    for segment in segments:
        wanted = offset + limit - len(ids)
        if wanted <= 0:
            break
        ids += segment(conn, wanted)
    return ids[offset:offset + limit]


def run_rows(conn: Any, run_ids: Sequence[str], columns: Sequence[Column], mysql: bool) -> list[dict[str, Any]]:
    """The table rows of these runs, in this order, with the chosen columns' values."""
    if not run_ids:
        return []
    ids = list(run_ids)
    base = conn.execute(
        sa.select(
            runs.c.run_uuid, runs.c.name, runs.c.status, runs.c.start_time, runs.c.end_time,
            runs.c.user_id, runs.c.experiment_id, runs.c.lifecycle_stage,
        ).where(runs.c.run_uuid.in_(ids))
    ).all()
    rows: dict[str, dict[str, Any]] = {}
    for r in base:
        rows[r.run_uuid] = {
            "run_id": r.run_uuid, "run_name": r.name, "status": r.status, "start_time": r.start_time,
            "end_time": r.end_time, "user": r.user_id, "experiment_id": str(r.experiment_id),
            "lifecycle_stage": r.lifecycle_stage, "source": None, "parent_id": None, "children": 0, "values": {},
        }
    tag_keys = {c.key for c in columns if c.entity == "tag"} | {SOURCE_NAME, PARENT_RUN_ID}
    for run_id, key, value in conn.execute(
        sa.select(tags.c.run_uuid, tags.c.key, tags.c.value).where(tags.c.run_uuid.in_(ids), tags.c.key.in_(tag_keys))
    ):
        row = rows[run_id]
        if key == SOURCE_NAME:
            row["source"] = value
        if key == PARENT_RUN_ID:
            row["parent_id"] = value
        row["values"][f"tags.{key}"] = value
    param_keys = [c.key for c in columns if c.entity == "param"]
    if param_keys:
        for run_id, key, value in conn.execute(
            sa.select(params.c.run_uuid, params.c.key, params.c.value).where(
                params.c.run_uuid.in_(ids), params.c.key.in_(param_keys)
            )
        ):
            rows[run_id]["values"][f"params.{key}"] = value
    last_keys = [c.key for c in columns if c.entity == "metric" and not c.agg]
    if last_keys:
        lm = latest_metrics
        for run_id, key, value, is_nan, step in conn.execute(
            sa.select(lm.c.run_uuid, lm.c.key, lm.c.value, lm.c.is_nan, lm.c.step).where(
                lm.c.run_uuid.in_(ids), lm.c.key.in_(last_keys)
            )
        ):
            rows[run_id]["values"][f"metrics.{key}"] = json_number(metric_from_db(value, is_nan, mysql))
    agg_keys = sorted({c.key for c in columns if c.entity == "metric" and c.agg})
    if agg_keys:
        lm = latest_metrics
        for run_id, key, low, high in conn.execute(
            sa.select(lm.c.run_uuid, lm.c.key, lm.c.min_value, lm.c.max_value).where(
                lm.c.run_uuid.in_(ids), lm.c.key.in_(agg_keys)
            )
        ):
            values = rows[run_id]["values"]
            values[f"metrics.{key}:min"] = None if low is None else json_number(metric_from_db(low, False, mysql))
            values[f"metrics.{key}:max"] = None if high is None else json_number(metric_from_db(high, False, mysql))
    t = tags
    for parent, count in conn.execute(
        sa.select(t.c.value, sa.func.count()).where(_parent_key(t), t.c.value.in_(ids)).group_by(t.c.value)
    ):
        if parent in rows:
            rows[parent]["children"] = count
    return [rows[i] for i in ids if i in rows]


def group_runs(
    store: Any,
    experiment_ids: Sequence[str],
    filter_string: Optional[str],
    group_by: Column,
    metric: Optional[Column],
    view: str = "ACTIVE_ONLY",
    limit: int = 200,
) -> list[dict[str, Any]]:
    """Matching runs grouped by a param or tag value: count and mean/min/max of a metric's last value.

    >>> group_runs(store, ["1"], None, parse_column("params.max_depth"), parse_column("metrics.rmse"))
    [{'value': '4', 'count': 3, 'mean': 6.9, 'min': 6.5, 'max': 7.4}, ...]
    """
    if group_by.entity not in ("param", "tag"):
        raise InvalidParameterError(f"Cannot group by {group_by.name!r}: group by a params.<key> or tags.<key> column")
    if metric is not None and (metric.entity != "metric" or metric.agg):
        raise InvalidParameterError(f"Cannot aggregate {metric.name!r}: choose a metrics.<key> column")
    keys = experiment_keys(list(experiment_ids))
    engine = store.engine
    mysql = engine.dialect.name == "mysql"
    source, conditions = RunsTableQuery(engine.dialect.name, mysql)._filtered(
        keys, _stages(view), parse_filter(filter_string, RUN_SPEC)
    )
    table = params if group_by.entity == "param" else tags
    g = table.alias()
    source = source.join(g, sa.and_(g.c.run_uuid == runs.c.run_uuid, g.c.key == group_by.key))
    outputs: list[Any] = [g.c.value, sa.func.count()]
    if metric is not None:
        lm = latest_metrics.alias()
        source = source.outerjoin(
            lm, sa.and_(lm.c.run_uuid == runs.c.run_uuid, lm.c.key == metric.key, lm.c.is_nan == sa.false())
        )
        outputs += [sa.func.avg(lm.c.value), sa.func.min(lm.c.value), sa.func.max(lm.c.value)]
    query = sa.select(*outputs).select_from(source).where(*conditions).group_by(g.c.value).order_by(g.c.value).limit(limit)
    groups = []
    with read_connection(engine) as conn:
        for row in conn.execute(query):
            group: dict[str, Any] = {"value": row[0], "count": row[1]}
            if metric is not None:
                for name, value in zip(("mean", "min", "max"), row[2:]):
                    group[name] = None if value is None else json_number(metric_from_db(value, False, mysql))
            groups.append(group)
    return groups


#: the column chooser offers the keys logged by this many of the experiments' newest runs
KEY_SAMPLE_RUNS = 1_000


def column_keys(store: Any, experiment_ids: Sequence[str], limit: int = 2000) -> dict[str, list[str]]:
    """The param, metric and tag keys logged by the experiments' newest runs (for the column chooser).

    Only the newest :data:`KEY_SAMPLE_RUNS` runs are read, so the answer costs the same at 100 runs
    and at 100,000 (a DISTINCT over every run's keys took seconds there). Any other key can still be
    shown by naming it in the URL's ``cols``; MLflow's UI derives its columns from the loaded runs only.
    """
    keys = experiment_keys(list(experiment_ids))
    found: dict[str, list[str]] = {}
    newest = (
        sa.select(runs.c.run_uuid)
        .where(runs.c.experiment_id.in_(keys))
        .order_by(runs.c.start_time.desc())
        .limit(KEY_SAMPLE_RUNS)
    )
    with read_connection(store.engine) as conn:
        sample = list(conn.execute(newest).scalars())
        for name, table in (("params", params), ("metrics", latest_metrics), ("tags", tags)):
            seen: set[str] = set()
            for start in range(0, len(sample), 500):  # each run's keys read off its primary key
                chunk = sample[start:start + 500]
                seen.update(conn.execute(sa.select(table.c.key).distinct().where(table.c.run_uuid.in_(chunk))).scalars())
            found[name] = sorted(seen)[:limit]
    return found


def experiment_activity(store: Any, experiment_ids: Sequence[str]) -> dict[str, tuple[int, Optional[int]]]:
    """experiment id -> (number of active runs, last run start or end time in ms)."""
    keys = experiment_keys(list(experiment_ids))
    if not keys:
        return {}
    last = sa.func.max(sa.func.coalesce(runs.c.end_time, runs.c.start_time))
    query = (
        sa.select(runs.c.experiment_id, sa.func.count(), last)
        .where(runs.c.experiment_id.in_(keys), runs.c.lifecycle_stage == "active")
        .group_by(runs.c.experiment_id)
    )
    with read_connection(store.engine) as conn:
        return {str(e): (n, t) for e, n, t in conn.execute(query)}


def change_marker(store: Any, experiment_ids: Sequence[str]) -> list[Any]:
    """A cheap fingerprint of the experiments' runs (count, newest start); polling compares it."""
    keys = experiment_keys(list(experiment_ids))
    query = sa.select(sa.func.count(), sa.func.max(runs.c.start_time)).where(runs.c.experiment_id.in_(keys))
    with read_connection(store.engine) as conn:
        count, newest = conn.execute(query).one()
    return [count, newest]
