"""A training that fails midway: the FAILED run keeps the rounds that finished, at their own steps."""

from __future__ import annotations

import pytest
import xgboost as xgb

import mltrail


class _FailAt(xgb.callback.TrainingCallback):
    """A user callback raising after round ``epoch`` was evaluated."""

    def __init__(self, epoch: int) -> None:
        super().__init__()
        self.epoch = epoch
        self.seen: dict = {}

    def after_iteration(self, model, epoch, evals_log):
        self.seen = {name: {m: list(v) for m, v in per.items()} for name, per in evals_log.items()}
        if epoch == self.epoch:
            raise RuntimeError(f"stop at round {epoch}")
        return False


def test_rounds_before_a_failing_callback_keep_their_steps(autolog_store, all_runs, dmatrices):
    dtrain, dvalid, _, _ = dmatrices
    mltrail.xgboost.autolog(log_models=False)
    failing = _FailAt(3)
    with pytest.raises(RuntimeError, match="stop at round 3"):
        xgb.train({"max_depth": 2, "nthread": 1}, dtrain, num_boost_round=10,
                  evals=[(dvalid, "validation")], callbacks=[failing], verbose_eval=False)
    (run,) = all_runs()
    assert run.info.status == "FAILED"
    history = sorted(autolog_store.get_metric_history(run.info.run_id, "validation-rmse"), key=lambda m: m.step)
    evaluated = failing.seen["validation"]["rmse"]  # rounds 0..3, the last one's callbacks raised
    assert [m.step for m in history] == [0, 1, 2]
    assert [m.value for m in history] == pytest.approx(evaluated[:3])


def test_a_failing_training_through_a_name_bound_before_autolog_gets_a_failed_run(autolog_store, all_runs, dmatrices):
    from xgboost import train  # bound before autolog(): rule 4; the error must still end a run FAILED (rule 1)

    dtrain, dvalid, _, _ = dmatrices
    mltrail.xgboost.autolog(log_models=False)
    failing = _FailAt(2)
    with pytest.raises(RuntimeError, match="stop at round 2") as raised:
        train({"max_depth": 2, "nthread": 1}, dtrain, num_boost_round=10, evals=[(dvalid, "validation")],
              callbacks=[failing], verbose_eval=False)
    assert raised.traceback[-1].name == "after_iteration"  # the user's callback, not our code
    with pytest.raises(xgb.core.XGBoostError, match="no:such"):
        train({"objective": "no:such", "nthread": 1}, dtrain, num_boost_round=3)
    booster = train({"max_depth": 2, "nthread": 1}, dtrain, num_boost_round=2)
    first, second, third = all_runs()
    assert [first.info.status, second.info.status, third.info.status] == ["FAILED", "FAILED", "FINISHED"]
    assert first.data.params["max_depth"] == "2" and second.data.params["objective"] == "no:such"
    history = sorted(autolog_store.get_metric_history(first.info.run_id, "validation-rmse"), key=lambda m: m.step)
    assert [m.value for m in history] == pytest.approx(failing.seen["validation"]["rmse"][:2])
    assert "_mltrail_training" not in vars(booster)
