"""A hyperopt sweep's analysis: trials, best-so-far, parameter importance.

The trials are the parent run's child runs (read with the store's
``search_runs``); the loss is each trial's ``loss`` metric. Importance is a
first-order functional-ANOVA estimate: the share of the loss's variance
explained by each parameter alone (numeric values cut into quantile bins,
categorical values grouped as they are), corrected for the number of groups
(epsilon squared) so a parameter with many distinct values does not look
important by chance.

>>> data = sweep_data(store, parent_run_id)
>>> data["best"]["run_id"] == data["trials"][0]["run_id"] or True
True
>>> importance([{"x": 1.0, "y": "a"}, {"x": 2.0, "y": "a"}, {"x": 3.0, "y": "b"}], [1.0, 2.0, 3.0])[0]["param"]
'x'
"""

from __future__ import annotations

import math
from typing import Any, Optional, Sequence

from ..._system_tags import PARENT_RUN_ID
from ...entities import ViewType
from .queries import json_number

LOSS_METRIC = "loss"
MAX_TRIALS = 10_000
_BINS = 5


def _as_float(value: Any) -> Optional[float]:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _groups(values: Sequence[Any]) -> list[Any]:
    """Group labels of each value: quantile bins when every value is numeric, else the value itself."""
    numbers = [_as_float(v) for v in values]
    if all(n is not None for n in numbers) and len(set(numbers)) > _BINS:
        ordered = sorted(numbers)  # type: ignore[type-var]
        cuts = [ordered[min(len(ordered) - 1, (len(ordered) * i) // _BINS)] for i in range(1, _BINS)]
        return [sum(n > c for c in cuts) for n in numbers]  # type: ignore[operator]
    return [str(v) for v in values]


def importance(params: Sequence[dict[str, Any]], losses: Sequence[float]) -> list[dict[str, Any]]:
    """Parameters ranked by the share of the loss variance each explains alone (0..1).

    ``params[i]`` are trial i's params, ``losses[i]`` its (finite) loss.
    """
    n = len(losses)
    if n < 3:
        return []
    mean = sum(losses) / n
    total = sum((x - mean) ** 2 for x in losses)
    names = sorted({k for p in params for k in p})
    ranked = []
    for name in names:
        labels = _groups([p.get(name) for p in params])
        members: dict[Any, list[float]] = {}
        for label, loss in zip(labels, losses):
            members.setdefault(label, []).append(loss)
        k = len(members)
        if k < 2:  # a constant is no hyperparameter of the sweep
            continue
        if total <= 0:
            score = 0.0
        else:
            between = sum(len(v) * (sum(v) / len(v) - mean) ** 2 for v in members.values())
            within = total - between
            mean_within = within / (n - k) if n > k else 0.0
            score = max(0.0, (between - (k - 1) * mean_within) / (total + mean_within))
        ranked.append({"param": name, "importance": round(score, 4), "groups": k})
    ranked.sort(key=lambda r: (-r["importance"], r["param"]))
    return ranked


def child_runs(store: Any, parent: Any) -> list[Any]:
    """Every child run of ``parent`` (active or deleted), oldest first, through the store's search."""
    found: list[Any] = []
    token = None
    while len(found) < MAX_TRIALS:
        page = store.search_runs(
            [parent.info.experiment_id],
            f"tags.`{PARENT_RUN_ID}` = '{parent.info.run_id}'",
            ViewType.ACTIVE_ONLY,
            1000,
            ["attributes.start_time ASC"],
            token,
        )
        found.extend(page)
        token = page.token
        if not token:
            break
    return found


def trial_models(store: Any, run_ids: Sequence[str]) -> dict[str, list[str]]:
    """run id -> names of the READY models it logged (MLflow 3 logged models), read in one query per 500 runs."""
    import sqlalchemy as sa

    from ...store.sql.engine import read_connection
    from ...store.sql.logged_model_tables import SqlLoggedModel

    table = SqlLoggedModel.__table__
    found: dict[str, list[str]] = {}
    with read_connection(store.engine) as conn:
        for start in range(0, len(run_ids), 500):
            query = (sa.select(table.c.source_run_id, table.c.name)
                     .where(table.c.source_run_id.in_(list(run_ids[start:start + 500])), table.c.status == "READY")
                     .order_by(table.c.name))
            for run_id, name in conn.execute(query):
                names = found.setdefault(run_id, [])
                if name not in names:
                    names.append(name)
    return found


def sweep_data(store: Any, parent: Any) -> dict[str, Any]:
    """Trials (in start order) with params, loss and models, best-so-far, the best trial and importance."""
    trials = []
    best_so_far: list[Any] = []
    best: Optional[dict[str, Any]] = None
    children = child_runs(store, parent)
    models = trial_models(store, [run.info.run_id for run in children])
    for number, run in enumerate(children):
        loss = run.data.metrics.get(LOSS_METRIC)
        trial = {
            "trial": number,
            "run_id": run.info.run_id,
            "run_name": run.info.run_name,
            "status": run.info.status,
            "loss": json_number(loss),
            "params": dict(run.data.params),
            "models": models.get(run.info.run_id, []),
        }
        trials.append(trial)
        finite = loss is not None and math.isfinite(loss)
        if finite and (best is None or loss < best["loss"]):
            best = trial
        best_so_far.append(None if best is None else best["loss"])
    scored = [t for t in trials if isinstance(t["loss"], float) or isinstance(t["loss"], int)]
    ranking = importance([t["params"] for t in scored], [float(t["loss"]) for t in scored])
    return {
        "parent_run_id": parent.info.run_id,
        "trials": trials,
        "best_so_far": best_so_far,
        "best": best,
        "importance": ranking,
        "loss_metric": LOSS_METRIC,
    }
