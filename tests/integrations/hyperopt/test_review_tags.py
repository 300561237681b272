"""Tags a user filters on: trial runs stay tagged as hyperopt's, tuning child runs carry the context tags."""

from __future__ import annotations

import numpy as np
import xgboost as xgb
from hyperopt import STATUS_OK, Trials, fmin, hp, tpe
from sklearn.linear_model import Ridge
from sklearn.model_selection import GridSearchCV

import mltrail


def test_trial_runs_keep_the_hyperopt_tag_when_xgboost_logs_into_them(runs):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 4))
    y = X @ np.array([1.0, -2.0, 0.5, 0.0]) + rng.normal(0, 0.1, size=120)
    dtrain = xgb.DMatrix(X, label=y)
    mltrail.autolog()

    def objective(params):
        booster = xgb.train({"max_depth": int(params["max_depth"]), "nthread": 1}, dtrain, num_boost_round=3,
                            evals=[(dtrain, "train")], verbose_eval=False)
        return {"loss": float(booster.eval(dtrain).split(":")[1]), "status": STATUS_OK}

    fmin(objective, {"max_depth": hp.quniform("max_depth", 2, 4, 1)}, algo=tpe.suggest, max_evals=2,
         trials=Trials(), rstate=np.random.default_rng(1), show_progressbar=False)
    (parent,) = runs.parents()
    trials = runs.children(parent.info.run_id)
    assert len(trials) == 2
    for trial in trials:
        assert trial.data.tags["mlflow.autologging"] == "hyperopt"
        assert "train-rmse" in trial.data.metrics  # xgboost's data did land in the trial


def test_grid_search_child_runs_carry_user_and_source_tags(runs):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    y = X[:, 0] + rng.normal(0, 0.1, size=60)
    mltrail.sklearn.autolog(log_models=False)
    GridSearchCV(Ridge(), {"alpha": [0.1, 1.0]}, cv=2).fit(X, y)
    everything = runs.all()
    parent = next(r for r in everything if "mlflow.parentRunId" not in r.data.tags)
    children = [r for r in everything if r.data.tags.get("mlflow.parentRunId") == parent.info.run_id]
    assert len(children) == 2
    for child in children:
        for key in ("mlflow.user", "mlflow.source.name", "mlflow.source.type"):
            assert child.data.tags[key] == parent.data.tags[key], key
