"""DESIGN.md rule 6 for trials: a trial's own run costs two store writes (create; last batch + end)."""

from __future__ import annotations

import collections

import numpy as np
import pytest
from hyperopt import STATUS_OK, Trials, fmin, hp, tpe

import mltrail
import mltrail.store

_WRITES = ("create_run", "update_run_info", "finish_run", "log_batch", "log_metric", "log_param", "set_tag")


@pytest.fixture
def writes(tracking, monkeypatch) -> collections.Counter:
    """Calls of the real store's write methods, by name (the methods still run)."""
    store = mltrail.store.get_tracking_store(mltrail.get_tracking_uri())
    counter: collections.Counter = collections.Counter()
    for name in _WRITES:
        method = getattr(store, name)

        def recorded(*args, _method=method, _name=name, **kwargs):
            counter[_name] += 1
            return _method(*args, **kwargs)

        monkeypatch.setattr(store, name, recorded)
    return counter


def _sweep(objective, max_evals=4):
    return fmin(objective, {"x": hp.uniform("x", 0, 1)}, algo=tpe.suggest, max_evals=max_evals, trials=Trials(),
                rstate=np.random.default_rng(0), show_progressbar=False)


def test_each_trial_run_is_created_then_finished_with_its_results(writes, runs):
    mltrail.hyperopt.autolog()
    _sweep(lambda p: {"loss": p["x"], "status": STATUS_OK, "extra": 2.0})
    trial_writes = dict(writes)
    (parent,) = runs.parents()
    children = runs.children(parent.info.run_id)
    assert len(children) == 4 and all(c.info.status == "FINISHED" for c in children)
    assert all(c.data.metrics["loss"] == pytest.approx(float(c.data.params["x"])) for c in children)
    assert all(c.data.metrics["extra"] == 2.0 for c in children)
    # parent: create + finish; each trial: create + finish (batch and end in one transaction)
    assert trial_writes == {"create_run": 5, "finish_run": 5}


def test_a_param_the_objective_logged_differently_keeps_its_value_and_the_trial_still_ends(tracking, runs):
    mltrail.hyperopt.autolog()

    def objective(p):
        with mltrail.start_run():  # the seed's manual style: this is the trial's run
            mltrail.log_param("x", "chosen by the objective")
        return {"loss": p["x"], "status": STATUS_OK}

    _sweep(objective, max_evals=2)
    (parent,) = runs.parents()
    for child in runs.children(parent.info.run_id):
        assert child.info.status == "FINISHED" and child.info.end_time is not None
        assert child.data.params["x"] == "chosen by the objective"
        assert "loss" in child.data.metrics and "duration_seconds" in child.data.metrics
    assert mltrail.active_run() is None
