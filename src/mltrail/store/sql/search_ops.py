"""Search of runs and experiments (placeholder until the search module lands)."""

from __future__ import annotations

from typing import Optional, Sequence

from ...entities import PagedList, ViewType
from ..base import SEARCH_MAX_RESULTS_DEFAULT
from .core import SqlStoreCore


class SearchOps(SqlStoreCore):
    def search_experiments(
        self,
        view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = SEARCH_MAX_RESULTS_DEFAULT,
        filter_string: Optional[str] = None,
        order_by: Optional[Sequence[str]] = None,
        page_token: Optional[str] = None,
    ) -> PagedList:
        raise NotImplementedError("search_experiments lands in the next commit")

    def search_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: Optional[str] = None,
        run_view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = SEARCH_MAX_RESULTS_DEFAULT,
        order_by: Optional[Sequence[str]] = None,
        page_token: Optional[str] = None,
    ) -> PagedList:
        raise NotImplementedError("search_runs lands in the next commit")
