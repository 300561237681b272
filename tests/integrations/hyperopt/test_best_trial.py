"""The best trial on the parent run when losses are NaN, infinite, tied or come from failed trials.

The objective returns a scripted loss per call, so which trial is best does not depend on the
points hyperopt draws. The parent's ``best_loss``, ``best_<param>`` and ``best_trial_run_id`` must
name the same trial as hyperopt itself (``Trials.best_trial``, what ``fmin`` returns): the lowest
loss among trials with status ``ok``, NaN never competing, ties going to the earliest trial.
"""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
from hyperopt import STATUS_FAIL, STATUS_OK, Trials, fmin, hp, rand
from hyperopt.exceptions import AllTrialsFailed

import mltrail

SPACE = {"x": hp.uniform("x", 0, 1)}
FAIL = object()  # the trial returns status "fail" with a loss lower than every other
RAISE = object()  # the objective raises (fmin(catch_eval_exceptions=True))


def _sweep(script: list) -> tuple[dict, Trials]:
    calls = iter(script)

    def objective(point):
        time.sleep(0.01)  # a duration the trial run must at least show
        loss = next(calls)
        if loss is RAISE:
            raise RuntimeError("diverged")
        if loss is FAIL:
            return {"loss": -1e9, "status": STATUS_FAIL}
        return {"loss": loss, "status": STATUS_OK}

    mltrail.hyperopt.autolog()
    trials = Trials()
    best = fmin(objective, SPACE, algo=rand.suggest, max_evals=len(script), trials=trials,
                catch_eval_exceptions=True, rstate=np.random.default_rng(0), show_progressbar=False)
    return best, trials


def _trial_run_id(runs, parent, tid: int) -> str:
    (child,) = [c for c in runs.children(parent.info.run_id) if c.data.tags["mltrail.hyperopt.tid"] == str(tid)]
    return child.info.run_id


@pytest.mark.parametrize(
    "script, best_tid, best_loss",
    [
        ([3.0, math.nan, 1.0, math.inf, 1.0, 2.0], 2, 1.0),  # NaN never best; the tie goes to the earlier trial
        ([math.nan, 0.5, 0.5, 0.5], 1, 0.5),  # three-way tie after a NaN
        ([2.0, FAIL, RAISE, 1.5, math.nan], 3, 1.5),  # failed trials never best, whatever their loss
        ([math.inf, 4.0, math.inf], 1, 4.0),  # inf loses to any finite loss
        ([1.0, -math.inf, 0.5], 1, -math.inf),  # -inf is the lowest loss (as hyperopt's own best)
        ([math.inf, math.inf], 0, math.inf),  # only infinite losses: the first
    ],
    ids=["nan-and-tie", "three-way-tie", "failed", "inf", "minus-inf", "all-inf"],
)
def test_best_trial_on_the_parent_is_hyperopts_best(tracking, runs, script, best_tid, best_loss):
    started = time.time()
    best, trials = _sweep(script)
    elapsed = time.time() - started
    assert trials.best_trial["tid"] == best_tid  # the script means what this test says
    (parent,) = runs.parents()
    metrics, params = parent.data.metrics, parent.data.params
    assert metrics["best_loss"] == best_loss
    assert params["best_x"] == str(best["x"]) == str(trials.best_trial["misc"]["vals"]["x"][0])
    assert parent.data.tags["best_trial_run_id"] == _trial_run_id(runs, parent, best_tid)
    assert metrics["n_trials"] == len(script)
    assert metrics["n_failed_trials"] == sum(1 for s in script if s is FAIL or s is RAISE)
    children = runs.children(parent.info.run_id)
    expected = [("FAILED", "fail") if s is FAIL else ("FAILED", "error") if s is RAISE else ("FINISHED", "ok")
                for s in script]
    assert [(c.info.status, c.data.tags["mltrail.hyperopt.status"]) for c in children] == expected
    logged = [repr(c.data.metrics.get("loss")) for c in children]  # repr: nan == nan
    assert logged == [repr(-1e9 if s is FAIL else None if s is RAISE else float(s)) for s in script]
    assert all(0.01 <= c.data.metrics["duration_seconds"] <= elapsed for c in children)
    assert "resumed_trials" not in parent.data.tags


@pytest.mark.parametrize("script", [[math.nan, math.nan], [FAIL, RAISE, math.nan]], ids=["all-nan", "no-ok-trial"])
def test_no_best_trial_when_no_trial_has_a_comparable_loss(tracking, runs, script):
    with pytest.raises(AllTrialsFailed):  # hyperopt's own verdict, unchanged by tracking
        _sweep(script)
    (parent,) = runs.parents()
    assert "best_loss" not in parent.data.metrics
    assert "best_trial_run_id" not in parent.data.tags
    assert not [k for k in parent.data.params if k.startswith("best_")]
    assert parent.data.metrics["n_trials"] == len(script)
    assert len(runs.children(parent.info.run_id)) == len(script)
