"""Fluent ``search_runs``: a pandas DataFrame (MLflow's columns) or a list of runs.

    df = mlflow.search_runs(filter_string="metrics.rmse < 7", order_by=["metrics.rmse ASC"])
    df[["run_id", "metrics.rmse", "params.alpha", "start_time"]]
"""

from __future__ import annotations

from typing import Any, Optional, Sequence, Union

from ..entities import Run, ViewType
from ..exceptions import InvalidParameterError, ResourceNotFoundError
from ..store.base import SEARCH_MAX_RESULTS_THRESHOLD
from . import _state
from ._experiments import active_experiment_id

#: MLflow's default for the DataFrame-returning search.
SEARCH_MAX_RESULTS_PANDAS = 100_000
BASE_COLUMNS = ("run_id", "experiment_id", "status", "artifact_uri", "start_time", "end_time")


def runs_to_dataframe(runs: Sequence[Run]) -> Any:
    """One row per run: run_id, experiment_id, status, artifact_uri, start_time, end_time
    (UTC datetimes), then ``metrics.<key>`` (NaN when missing), ``params.<key>`` and
    ``tags.<key>`` (None when missing), keys sorted within each group.

    >>> runs_to_dataframe(client.search_runs("1")).columns[:3].tolist()
    ['run_id', 'experiment_id', 'status']
    """
    import pandas as pd

    infos = [r.info for r in runs]
    columns: dict[str, Any] = {
        "run_id": [i.run_id for i in infos],
        "experiment_id": [i.experiment_id for i in infos],
        "status": [str(i.status) for i in infos],
        "artifact_uri": [i.artifact_uri for i in infos],
        "start_time": pd.to_datetime([i.start_time for i in infos], unit="ms", utc=True),
        "end_time": pd.to_datetime([i.end_time for i in infos], unit="ms", utc=True),
    }
    nan = float("nan")
    for prefix, attr, missing in (("metrics", "metrics", nan), ("params", "params", None), ("tags", "tags", None)):
        keys: set[str] = set()
        dicts = [getattr(r.data, attr) for r in runs]
        for d in dicts:
            keys.update(d)
        for key in sorted(keys):
            columns[f"{prefix}.{key}"] = [d.get(key, missing) for d in dicts]
    return pd.DataFrame(columns)


def _resolve_experiment_ids(
    client: Any,
    experiment_ids: Optional[Union[str, Sequence[str]]],
    experiment_names: Optional[Sequence[str]],
    search_all_experiments: bool,
) -> list[str]:
    ids: list[str] = []
    if experiment_ids is not None:
        ids.extend([str(experiment_ids)] if isinstance(experiment_ids, (str, int)) else [str(e) for e in experiment_ids])
    if experiment_names is not None:
        names = [experiment_names] if isinstance(experiment_names, str) else experiment_names
        for name in names:
            experiment = client.get_experiment_by_name(name)
            if experiment is None:
                raise ResourceNotFoundError(f"Cannot search runs of experiment {name!r}: no experiment has that name")
            ids.append(experiment.experiment_id)
    if experiment_ids is None and experiment_names is None:
        if search_all_experiments:
            ids = [e.experiment_id for e in _all_experiments(client)]
        else:
            ids = [active_experiment_id(client)]
    return ids


def _all_experiments(client: Any) -> list:
    found, token = [], None
    while True:
        page = client.search_experiments(ViewType.ALL, 1000, None, None, token)
        found.extend(page)
        token = page.token
        if not token:
            return found


def search_runs(
    experiment_ids: Optional[Union[str, Sequence[str]]] = None,
    filter_string: str = "",
    run_view_type: ViewType = ViewType.ACTIVE_ONLY,
    max_results: int = SEARCH_MAX_RESULTS_PANDAS,
    order_by: Optional[Sequence[str]] = None,
    output_format: str = "pandas",
    search_all_experiments: bool = False,
    experiment_names: Optional[Sequence[str]] = None,
) -> Any:
    """Search runs (MLflow's filter grammar) across experiments; every page up to ``max_results``.

    Searches the active experiment unless ``experiment_ids`` or
    ``experiment_names`` are given. Returns a pandas DataFrame, or a list of
    :class:`Run` with ``output_format="list"``.

    >>> df = mlflow.search_runs(filter_string="metrics.rmse < 7", order_by=["metrics.rmse ASC"])
    >>> df.loc[0, "metrics.rmse"]
    6.1
    """
    if output_format not in ("pandas", "list"):
        raise InvalidParameterError(
            f"Invalid output_format {output_format!r}: must be 'pandas' or 'list'"
        )
    if not isinstance(max_results, int) or isinstance(max_results, bool) or max_results < 0:
        raise InvalidParameterError(f"Invalid max_results {max_results!r}: must be a non-negative integer")
    client = _state.client_for()
    ids = _resolve_experiment_ids(client, experiment_ids, experiment_names, search_all_experiments)
    runs: list[Run] = []
    token = None
    while ids and len(runs) < max_results:
        page_size = min(max_results - len(runs), SEARCH_MAX_RESULTS_THRESHOLD)
        page = client.search_runs(ids, filter_string, run_view_type, page_size, order_by, token)
        runs.extend(page)
        token = page.token
        if not token:
            break
    if output_format == "list":
        return runs
    return runs_to_dataframe(runs)
