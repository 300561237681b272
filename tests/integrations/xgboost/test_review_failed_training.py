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
