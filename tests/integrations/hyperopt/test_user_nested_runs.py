"""hyperopt + the user's own runs (issue 10, item 8): the run the objective opens IS the trial's run.

The documented MLflow pattern is a parent ``start_run()`` around ``fmin`` and
``start_run(nested=True)`` in the objective: the tree must be the user's
parent -> one run per trial, with no ``trial-N`` layer in between.
"""

from __future__ import annotations

import numpy as np
import pytest
from hyperopt import STATUS_OK, Trials, fmin, hp, tpe

import mltrail
from mltrail._system_tags import PARENT_RUN_ID


def _sweep(objective, max_evals=3):
    return fmin(objective, {"x": hp.uniform("x", 0, 1)}, algo=tpe.suggest, max_evals=max_evals,
                trials=Trials(), rstate=np.random.default_rng(0), show_progressbar=False)


def _children(client, parent_id):
    experiment = client.get_experiment_by_name("Default")
    return [r for r in client.search_runs([experiment.experiment_id], max_results=100)
            if r.data.tags.get(PARENT_RUN_ID) == parent_id]


def test_nested_run_in_the_objective_is_the_trials_run(tracking):
    mltrail.autolog()
    seen: list[str] = []

    def objective(params):
        with mltrail.start_run(nested=True, run_name=f"x={params['x']:.3f}") as run:
            seen.append(run.info.run_id)
            mltrail.log_metric("user_metric", params["x"] * 2)
        return {"loss": params["x"], "status": STATUS_OK}

    with mltrail.start_run(run_name="sweep") as parent:
        _sweep(objective)
    children = _children(tracking, parent.info.run_id)
    assert sorted(c.info.run_id for c in children) == sorted(seen)  # no trial-N layer
    for child in children:
        x = float(child.data.params["x"])  # the trial's params...
        assert child.data.metrics["loss"] == pytest.approx(x)  # ...its loss
        assert child.data.metrics["user_metric"] == pytest.approx(2 * x)  # and the user's own logging
        assert child.info.run_name == f"x={x:.3f}"
        assert child.info.status == "FINISHED"
        assert _children(tracking, child.info.run_id) == []
    experiment = tracking.get_experiment_by_name("Default")
    assert len(tracking.search_runs([experiment.experiment_id])) == 4  # the sweep + 3 trials


def test_plain_start_run_in_the_objective_is_the_trials_run_too(tracking):
    mltrail.autolog()

    def objective(params):
        with mltrail.start_run():
            mltrail.log_param("user_param", "yes")
        return {"loss": params["x"], "status": STATUS_OK}

    with mltrail.start_run() as parent:
        _sweep(objective, max_evals=2)
    children = _children(tracking, parent.info.run_id)
    assert len(children) == 2
    assert all(c.data.params["user_param"] == "yes" and "loss" in c.data.metrics for c in children)


def test_objectives_opening_no_run_still_get_trial_runs(tracking):
    mltrail.autolog()
    with mltrail.start_run() as parent:
        _sweep(lambda p: {"loss": p["x"], "status": STATUS_OK}, max_evals=2)
    children = _children(tracking, parent.info.run_id)
    assert sorted(c.info.run_name for c in children) == ["trial-0", "trial-1"]


def test_second_nested_run_of_a_trial(tracking):
    mltrail.autolog()
    inner: list[str] = []
    after: list[str] = []

    def objective(params):
        with mltrail.start_run(nested=True) as trial_run:
            with mltrail.start_run(nested=True) as deeper:  # nested inside the user's run: its child
                inner.append((trial_run.info.run_id, deeper.info.run_id))
        with mltrail.start_run(nested=True) as sibling:  # a second run after the first: a sibling
            after.append(sibling.info.run_id)
        return {"loss": params["x"], "status": STATUS_OK}

    with mltrail.start_run() as parent:
        _sweep(objective, max_evals=1)
    ((trial_id, deeper_id),) = inner
    assert tracking.get_run(deeper_id).data.tags[PARENT_RUN_ID] == trial_id
    assert tracking.get_run(after[0]).data.tags[PARENT_RUN_ID] == parent.info.run_id
    assert tracking.get_run(trial_id).data.tags[PARENT_RUN_ID] == parent.info.run_id
    assert "loss" in tracking.get_run(trial_id).data.metrics
