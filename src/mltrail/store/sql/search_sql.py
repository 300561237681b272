"""Turn parsed search filters and order_by keys into SQL selecting one page of ids.

Everything (filter, order, limit, offset) happens in the database: the query
returns only the ids of the page, and the caller loads those runs in bulk.

Semantics shared by every backend:

- a comparison on a metric, param or tag matches only runs that have it
  (``params.x != 'a'`` does not match runs without ``x``), as in MLflow;
  a NaN metric matches no comparison;
- ``LIKE`` is case-sensitive and ``ILIKE`` is not;
- system tags carry MLflow's names (``tags.mlflow.runName``); a filter on the
  name mltrail 0.1 wrote (``tags.mltrail.runName``) matches them too;
- ordering puts runs without the metric/param/tag last whatever the
  direction (NaN metrics just before them); ties break on ``start_time DESC``
  then ``run_id``; strings sort by code point everywhere.
"""

from __future__ import annotations

from typing import Any, Sequence

import sqlalchemy as sa
from sqlalchemy.sql.expression import UnaryExpression
from sqlalchemy.sql.operators import custom_op

from ... import _system_tags

from ..search import ATTRIBUTE, METRIC, PARAM, TAG, Comparison, OrderKey
from .collation import ordered
from .models import PARAM_INDEX_PREFIX, experiment_tags, experiments, latest_metrics, params, runs, tags
from .statements import metric_to_db

RUN_ATTRIBUTE_COLUMNS = {
    "run_id": runs.c.run_uuid,
    "run_name": runs.c.name,
    "status": runs.c.status,
    "user_id": runs.c.user_id,
    "artifact_uri": runs.c.artifact_uri,
    "start_time": runs.c.start_time,
    "end_time": runs.c.end_time,
    "experiment_id": runs.c.experiment_id,
}

EXPERIMENT_ATTRIBUTE_COLUMNS = {
    "name": experiments.c.name,
    "experiment_id": experiments.c.experiment_id,
    "creation_time": experiments.c.creation_time,
    "last_update_time": experiments.c.last_update_time,
}

_NUMERIC_ATTRIBUTES = {"start_time", "end_time", "experiment_id", "creation_time", "last_update_time"}


def compare(column: Any, op: str, value: Any) -> Any:
    """The SQL condition ``column <op> value`` for a parsed operator."""
    if op == "=":
        return column == value
    if op == "!=":
        return column != value
    if op == "<":
        return column < value
    if op == "<=":
        return column <= value
    if op == ">":
        return column > value
    if op == ">=":
        return column >= value
    if op == "LIKE":
        return column.like(value)
    if op == "ILIKE":
        return column.ilike(value)
    if op == "IN":
        return column.in_(list(value))
    if op == "NOT IN":
        return column.not_in(list(value))
    raise AssertionError(f"unknown operator {op}")


def _indexed_prefix(column: Any, op: str, value: Any) -> list[Any]:
    """For ``=`` and ``IN`` on a param: the same test on the value's first characters, which is what the
    params' (key, value prefix) index holds (revision 0007), so the database finds the runs through it.

    (MySQL/MariaDB use their prefix index for the plain comparison: nothing is added there.)
    """
    # literal numbers, as in the index's definition (SQLite matches an expression index only so)
    prefix = sa.func.substr(column, sa.literal_column("1"), sa.literal_column(str(PARAM_INDEX_PREFIX)))
    if op == "=":
        return [prefix == value[:PARAM_INDEX_PREFIX]]
    if op == "IN":
        return [prefix.in_(sorted({v[:PARAM_INDEX_PREFIX] for v in value}))]
    return []


def _no_constant_propagation(column: Any) -> Any:
    """SQLite's unary ``+column``: the same value, which SQLite's constant propagation leaves alone."""
    return UnaryExpression(column, operator=custom_op("+"), type_=column.type)


def _tag_keys(key: str) -> list[str]:
    current = _system_tags.LEGACY_NAMES.get(key)
    return [key] if current is None else [current, key]


def _attribute_value(key: str, value: Any) -> Any:
    if key in _NUMERIC_ATTRIBUTES and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


class RunSearchQuery:
    """Builds ``SELECT run_uuid ... ORDER BY ... LIMIT/OFFSET`` for a run search."""

    def __init__(self, dialect: str, mysql: bool) -> None:
        self.dialect = dialect
        self.mysql = mysql
        self.metric_joins: dict[str, Any] = {}
        #: metrics some comparison filters on: every row found has a real (non-NaN) value
        self.filtered_metrics: set[str] = set()

    def _filtered(
        self, experiment_keys: Sequence[int], stages: Sequence[str], comparisons: Sequence[Comparison]
    ) -> tuple[Any, list[Any]]:
        source: Any = runs
        conditions: list[Any] = [runs.c.experiment_id.in_(list(experiment_keys)), runs.c.lifecycle_stage.in_(list(stages))]
        for comparison in comparisons:
            source = self._filter(source, conditions, comparison)
        return source, conditions

    def boundary(
        self,
        experiment_keys: Sequence[int],
        stages: Sequence[str],
        comparisons: Sequence[Comparison],
        key: OrderKey,
        position: int,
    ) -> sa.Select:
        """The value of metric ``key`` at ``position`` when matching runs are sorted by it alone.

        ``comparisons`` must filter on that metric. Walking the (key, is_nan,
        value) index in order finds it after ``position`` rows, so the page
        query can then be narrowed to values up to it (see ``search_ops``).
        """
        source, conditions = self._filtered(experiment_keys, stages, comparisons)
        value = self.metric_joins[key.key].c.value
        return (
            sa.select(value)
            .select_from(source)
            .where(*conditions)
            .order_by(value.asc() if key.ascending else value.desc())
            .limit(1)
            .offset(position)
        )

    def build(
        self,
        experiment_keys: Sequence[int],
        stages: Sequence[str],
        comparisons: Sequence[Comparison],
        order_keys: Sequence[OrderKey],
        limit: int,
        offset: int,
    ) -> sa.Select:
        source, conditions = self._filtered(experiment_keys, stages, comparisons)
        order: list[Any] = []
        for key in order_keys:
            source = self._order(source, order, key)
        explicit = {(k.entity, k.key) for k in order_keys}
        if (ATTRIBUTE, "start_time") not in explicit:
            order.append(runs.c.start_time.desc())
        if (ATTRIBUTE, "run_id") not in explicit:
            order.append(runs.c.run_uuid.asc())
        return sa.select(runs.c.run_uuid).select_from(source).where(*conditions).order_by(*order).limit(limit).offset(offset)

    def _filter(self, source: Any, conditions: list[Any], c: Comparison) -> Any:
        if c.entity == METRIC:
            alias = self.metric_joins.get(c.key)
            if alias is None:
                alias = latest_metrics.alias()
                self.metric_joins[c.key] = alias
                source = source.join(alias, sa.and_(alias.c.run_uuid == runs.c.run_uuid, alias.c.key == c.key))
            self.filtered_metrics.add(c.key)
            value = metric_to_db(float(c.value), self.mysql)[0]  # type: ignore[arg-type]
            conditions.append(alias.c.is_nan == sa.false())
            conditions.append(compare(alias.c.value, c.op, value))
            return source
        if c.entity in (PARAM, TAG):
            table = params if c.entity == PARAM else tags
            keys = _tag_keys(c.key) if c.entity == TAG else [c.key]
            if len(keys) == 1:
                alias = table.alias()
                prefixed = _indexed_prefix(alias.c.value, c.op, c.value) if c.entity == PARAM and not self.mysql else []
                # (SQLite would rewrite "substr(value) = ..." into a constant after "value = 'v'": "+value" stops it)
                value = _no_constant_propagation(alias.c.value) if prefixed and self.dialect == "sqlite" else alias.c.value
                conditions.append(compare(value, c.op, c.value))
                conditions.extend(prefixed)
                return source.join(alias, sa.and_(alias.c.run_uuid == runs.c.run_uuid, alias.c.key == keys[0]))
            alias = table.alias()
            conditions.append(
                sa.exists().where(
                    alias.c.run_uuid == runs.c.run_uuid, alias.c.key.in_(keys), compare(alias.c.value, c.op, c.value)
                )
            )
            return source
        column = RUN_ATTRIBUTE_COLUMNS[c.key]
        conditions.append(compare(column, c.op, _attribute_value(c.key, c.value)))
        return source

    def _order(self, source: Any, order: list[Any], key: OrderKey) -> Any:
        if key.entity == METRIC:
            alias = self.metric_joins.get(key.key)
            if alias is None:
                alias = latest_metrics.alias()
                self.metric_joins[key.key] = alias
                source = source.outerjoin(alias, sa.and_(alias.c.run_uuid == runs.c.run_uuid, alias.c.key == key.key))
            if key.key not in self.filtered_metrics:  # missing last, NaN just before
                order.append(sa.case((alias.c.value.is_(None), 2), (alias.c.is_nan == sa.true(), 1), else_=0))
            # (when filtered, every row has a value: ordering by the bare column lets the database
            # walk the (key, is_nan, value) index and stop at the end of the page)
            order.append(alias.c.value.asc() if key.ascending else alias.c.value.desc())
            return source
        if key.entity in (PARAM, TAG):
            table = params if key.entity == PARAM else tags
            alias = table.alias()
            source = source.outerjoin(alias, sa.and_(alias.c.run_uuid == runs.c.run_uuid, alias.c.key == key.key))
            column = alias.c.value
        else:
            column = RUN_ATTRIBUTE_COLUMNS[key.key]
        order.append(sa.case((column.is_(None), 1), else_=0))
        order.append(ordered(column, self.dialect, key.ascending))
        return source


def experiment_search_query(
    dialect: str,
    stages: Sequence[str],
    comparisons: Sequence[Comparison],
    order_keys: Sequence[OrderKey],
    limit: int,
    offset: int,
) -> sa.Select:
    """``SELECT experiment_id ... ORDER BY ... LIMIT/OFFSET`` for an experiment search.

    Default order (MLflow's): ``creation_time DESC, experiment_id ASC``; after a given order, ties
    break on ``experiment_id DESC`` as in MLflow.
    """
    source: Any = experiments
    conditions: list[Any] = [experiments.c.lifecycle_stage.in_(list(stages))]
    for c in comparisons:
        if c.entity == TAG:
            alias = experiment_tags.alias()
            source = source.join(alias, sa.and_(alias.c.experiment_id == experiments.c.experiment_id, alias.c.key == c.key))
            conditions.append(compare(alias.c.value, c.op, c.value))
        else:
            conditions.append(compare(EXPERIMENT_ATTRIBUTE_COLUMNS[c.key], c.op, _attribute_value(c.key, c.value)))
    order: list[Any] = []
    for key in order_keys:
        if key.entity == TAG:
            alias = experiment_tags.alias()
            source = source.outerjoin(
                alias, sa.and_(alias.c.experiment_id == experiments.c.experiment_id, alias.c.key == key.key)
            )
            column = alias.c.value
        else:
            column = EXPERIMENT_ATTRIBUTE_COLUMNS[key.key]
        order.append(sa.case((column.is_(None), 1), else_=0))
        order.append(ordered(column, dialect, key.ascending))
    if not order_keys:
        order.append(experiments.c.creation_time.desc())
    if not order_keys:
        order.append(experiments.c.experiment_id.asc())
    elif all(k.key != "experiment_id" for k in order_keys):  # MLflow's tie-breaker after a given order
        order.append(experiments.c.experiment_id.desc())
    return (
        sa.select(experiments.c.experiment_id)
        .select_from(source)
        .where(*conditions)
        .order_by(*order)
        .limit(limit)
        .offset(offset)
    )
