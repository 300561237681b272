"""``mltrail.hyperopt.sweep_summary(parent_run_id)``: the trials of a sweep as a DataFrame.

    import mltrail
    summary = mltrail.hyperopt.sweep_summary(parent_run_id)
    summary.head(3)[["trial", "loss", "status", "params.max_depth"]]
    #    trial      loss    status params.max_depth
    # 0     17  5.412031  FINISHED               12
    # 1      4  5.430872  FINISHED               31
    # 2      9  5.501227  FINISHED                7

One row per child run of the sweep: ``trial`` (hyperopt's trial id),
``run_id``, ``run_name``, ``status``, ``loss``, ``duration_seconds``,
``start_time`` (pandas Timestamp, UTC), then ``params.<name>`` and
``metrics.<name>`` for every param and latest metric of the trials. Sorted by
loss, best first; trials without a loss (failed) come last.
"""

from __future__ import annotations

from typing import Any, Optional

from mltrail.autologging import PARENT_RUN_TAG
from mltrail.exceptions import InvalidParameterError

from ._sweep import TRIAL_ID_TAG

_PARENT_TAG = PARENT_RUN_TAG
_PAGE = 1000


def sweep_summary(parent_run_id: str, tracking_uri: Optional[str] = None) -> Any:
    """The sweep's trials (child runs of ``parent_run_id``) as a pandas DataFrame sorted by loss.

    >>> df = mltrail.hyperopt.sweep_summary(parent_run_id)
    >>> df.iloc[0]["run_id"] == mltrail.get_run(parent_run_id).data.tags["best_trial_run_id"]
    True
    """
    import pandas as pd

    from mltrail import Client

    if not isinstance(parent_run_id, str) or not parent_run_id:
        raise InvalidParameterError(f"parent_run_id={parent_run_id!r}: expected the id of a sweep's parent run")
    client = Client(tracking_uri)
    parent = client.get_run(parent_run_id)  # ResourceNotFoundError names an unknown id
    runs = []
    token = None
    while True:
        page = client.search_runs(
            [parent.info.experiment_id],
            f"tags.`{_PARENT_TAG}` = '{parent_run_id}'",
            max_results=_PAGE,
            page_token=token,
        )
        runs.extend(page)
        token = getattr(page, "token", None)
        if not token:
            break
    rows = []
    for run in runs:
        tags, metrics = run.data.tags, run.data.metrics
        tid = tags.get(TRIAL_ID_TAG)
        row: dict[str, Any] = {
            "trial": int(tid) if tid is not None and str(tid).lstrip("-").isdigit() else None,
            "run_id": run.info.run_id,
            "run_name": run.info.run_name,
            "status": run.info.status,
            "loss": metrics.get("loss"),
            "duration_seconds": metrics.get("duration_seconds"),
            "start_time": pd.to_datetime(run.info.start_time, unit="ms", utc=True),
        }
        row.update({f"params.{k}": v for k, v in sorted(run.data.params.items())})
        row.update({f"metrics.{k}": v for k, v in sorted(metrics.items()) if k not in ("loss", "duration_seconds")})
        rows.append(row)
    columns = ["trial", "run_id", "run_name", "status", "loss", "duration_seconds", "start_time"]
    frame = pd.DataFrame(rows, columns=None if rows else columns)
    if frame.empty:
        return frame
    frame = frame.sort_values(["loss", "trial"], na_position="last", kind="stable")
    return frame.reset_index(drop=True)
