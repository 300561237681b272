"""Search of runs and experiments in the SQL tracking store (MLflow's filter grammar).

Filtering, ordering and paging happen in SQL (see :mod:`.search_sql`); only
the page's runs are loaded, with their params, tags and latest metrics in
bulk, so memory does not grow with the number of runs searched.
"""

from __future__ import annotations

import math
from typing import Any, Optional, Sequence

from sqlalchemy.engine import Connection

from ...entities import PagedList, ViewType
from ...exceptions import InvalidParameterError
from ..base import SEARCH_MAX_RESULTS_DEFAULT, SEARCH_MAX_RESULTS_THRESHOLD
from ..search import (
    EXPERIMENT_SPEC,
    METRIC,
    Comparison,
    OrderKey,
    RUN_SPEC,
    check_max_results,
    decode_page_token,
    encode_page_token,
    parse_filter,
    parse_order_by,
)
from .core import SqlStoreCore
from .experiment_ops import experiments_from_rows
from .models import experiments
from .run_reader import load_runs
from .search_sql import RunSearchQuery, experiment_search_query


def experiment_keys(experiment_ids: Any) -> list[int]:
    """The experiments' integer keys in the SQL tables, from ids as a search takes them (one id or a list).

    Refused with InvalidParameterError naming the id when one is not a numeric string
    (the UI's runs table reads the same keys, so both refuse the same ids).

    >>> experiment_keys(["1", " 2 "]), experiment_keys(None)
    ([1, 2], [])
    """
    if experiment_ids is None:
        return []
    if isinstance(experiment_ids, (str, int)):
        experiment_ids = [experiment_ids]
    keys = []
    for experiment_id in experiment_ids:
        text = str(experiment_id).strip()
        if not (text.isascii() and text.isdigit()) or len(text) > 18:
            raise InvalidParameterError(
                f"Invalid experiment id {experiment_id!r} in search: experiment ids are numeric strings such as '1'"
            )
        keys.append(int(text))
    return keys


class SearchOps(SqlStoreCore):
    """``search_runs`` and ``search_experiments``."""

    def search_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: Optional[str] = None,
        run_view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = SEARCH_MAX_RESULTS_DEFAULT,
        order_by: Optional[Sequence[str]] = None,
        page_token: Optional[str] = None,
    ) -> PagedList:
        """Runs of these experiments matching the filter, ordered, one page at a time.

        >>> page = store.search_runs(["1"], "metrics.rmse < 7", max_results=5, order_by=["metrics.rmse ASC"])
        >>> next_page = store.search_runs(["1"], "metrics.rmse < 7", max_results=5,
        ...                               order_by=["metrics.rmse ASC"], page_token=page.token)
        """
        keys = experiment_keys(experiment_ids)
        limit = check_max_results(max_results, SEARCH_MAX_RESULTS_THRESHOLD)
        comparisons = parse_filter(filter_string, RUN_SPEC)
        order_keys = parse_order_by(order_by, RUN_SPEC)
        offset = decode_page_token(page_token)
        stages = ViewType.stages(ViewType.from_string(run_view_type))
        if not keys:
            return PagedList([], None)
        self.reap_dead_runs_if_due()  # type: ignore[attr-defined]  # LivenessOps, beside this mixin in the store
        dialect = self._engine.dialect.name
        with self._read() as conn:
            if order_keys and order_keys[0].entity == METRIC:
                comparisons = self._narrow_to_page(conn, keys, stages, comparisons, order_keys[0], offset + limit)
            query = RunSearchQuery(dialect, self._mysql).build(keys, stages, comparisons, order_keys, limit + 1, offset)
            run_ids = list(conn.execute(query).scalars())
            more = len(run_ids) > limit
            found = load_runs(conn, run_ids[:limit], self._mysql)
        return PagedList(found, encode_page_token(offset + limit) if more else None)

    def _narrow_to_page(
        self,
        conn: Connection,
        keys: list[int],
        stages: Sequence[str],
        comparisons: list[Comparison],
        first: OrderKey,
        last_position: int,
    ) -> list[Comparison]:
        """Add ``metric <= v`` (``>=`` descending) so that sorting stays small.

        ``v`` is the metric's value at the last position the page needs, found
        by walking the metric's index. Every run of the page sorts at or
        before ``v``, so the narrowed query returns the same page while the
        database sorts about a page of rows instead of every matching run
        (runs without the metric or with NaN sort after any value, so they are
        never on a page that ends at a value). When fewer runs than that have
        a value, nothing is narrowed.
        """
        has_value = [c for c in comparisons if c.entity == METRIC and c.key == first.key]
        candidates = list(comparisons)
        if not has_value:  # restrict to runs with a (non-NaN) value of the metric
            candidates.append(Comparison(METRIC, first.key, ">=", -math.inf))
        query = RunSearchQuery(self._engine.dialect.name, self._mysql).boundary(
            keys, stages, candidates, first, last_position
        )
        value = conn.execute(query).scalar()
        if value is None:
            return comparisons
        candidates.append(Comparison(METRIC, first.key, "<=" if first.ascending else ">=", float(value)))
        return candidates

    def search_experiments(
        self,
        view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = SEARCH_MAX_RESULTS_DEFAULT,
        filter_string: Optional[str] = None,
        order_by: Optional[Sequence[str]] = None,
        page_token: Optional[str] = None,
    ) -> PagedList:
        """Experiments matching the filter (``name``, ``tags.<key>``, times), paged.

        Default order: newest first (``creation_time DESC``), then ``experiment_id``.

        >>> [e.name for e in store.search_experiments(filter_string="name LIKE 'nyc%'")]
        ['nyc-taxi-experiment']
        """
        limit = check_max_results(max_results, SEARCH_MAX_RESULTS_THRESHOLD)
        comparisons = parse_filter(filter_string, EXPERIMENT_SPEC)
        order_keys = parse_order_by(order_by, EXPERIMENT_SPEC)
        offset = decode_page_token(page_token)
        stages = ViewType.stages(ViewType.from_string(view_type))
        query = experiment_search_query(self._engine.dialect.name, stages, comparisons, order_keys, limit + 1, offset)
        with self._read() as conn:
            ids = list(conn.execute(query).scalars())
            more = len(ids) > limit
            ids = ids[:limit]
            rows = conn.execute(experiments.select().where(experiments.c.experiment_id.in_(ids))).all()
            by_id = {e.experiment_id: e for e in experiments_from_rows(conn, rows)}
        return PagedList([by_id[str(i)] for i in ids], encode_page_token(offset + limit) if more else None)
