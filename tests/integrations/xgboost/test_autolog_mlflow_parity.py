"""XGBoost autologging records what MLflow 3.17 records (issue 10, items 9 and 10).

MLflow's values were checked by running the same calls under mlflow-skinny
3.17 (benchmarks/.mlflow-venv).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import xgboost as xgb

import mltrail


@pytest.fixture
def arrays():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 4))
    y = X[:, 0] * 2 + rng.normal(0, 0.1, 200)
    return X, y


def _history(client, run_id, key):
    return [(m.step, m.value) for m in sorted(client.get_metric_history(run_id, key), key=lambda m: m.step)]


def test_train_params_are_mlflows_set(autolog_store, all_runs, arrays):
    X, y = arrays
    mltrail.xgboost.autolog(log_models=False)
    dtrain, dvalid = xgb.DMatrix(X[:150], label=y[:150]), xgb.DMatrix(X[150:], label=y[150:])
    xgb.train({"max_depth": 3, "eta": 0.3, "objective": "reg:squarederror"}, dtrain, num_boost_round=50,
              evals=[(dtrain, "train"), (dvalid, "validation")], early_stopping_rounds=5, verbose_eval=False)
    (run,) = all_runs()
    # exactly what MLflow 3.17 logs for this call
    assert run.data.params == {
        "custom_metric": "None", "early_stopping_rounds": "5", "eta": "0.3", "max_depth": "3",
        "maximize": "None", "num_boost_round": "50", "objective": "reg:squarederror", "verbose_eval": "False",
    }


def test_sklearn_api_params_are_those_it_hands_to_train(autolog_store, all_runs, arrays):
    X, y = arrays
    mltrail.xgboost.autolog(log_models=False)
    model = xgb.XGBRegressor(n_estimators=20, max_depth=3, learning_rate=0.1, random_state=7)
    model.fit(X, y)
    (run,) = all_runs()
    params = run.data.params
    expected = {k: str(v) for k, v in model.get_xgb_params().items()}
    expected.update({"num_boost_round": "20", "early_stopping_rounds": "None", "maximize": "None",
                     "verbose_eval": "True", "custom_metric": "None"})
    assert params == expected
    assert params["learning_rate"] == "0.1" and params["random_state"] == "7"


def test_train_signature_keeps_the_input_dtype(autolog_store, all_runs, arrays):
    X, y = arrays
    mltrail.xgboost.autolog()
    xgb.train({"max_depth": 2}, xgb.DMatrix(X, label=y), num_boost_round=3)
    xgb.train({"max_depth": 2}, xgb.DMatrix(X.astype(np.float32), label=y), num_boost_round=3)
    float64_run, float32_run = all_runs()
    for run, dtype in ((float64_run, "float64"), (float32_run, "float32")):
        info = mltrail.models.get_model_info(f"runs:/{run.info.run_id}/model")
        (spec,) = info.signature.inputs.to_dict()
        assert spec["tensor-spec"] == {"dtype": dtype, "shape": [-1, 4]}


def test_train_signature_keeps_dataframe_column_types(autolog_store, all_runs, arrays):
    import pandas as pd

    X, y = arrays
    frame = pd.DataFrame({"a": X[:, 0], "b": X[:, 1].astype(np.float32), "n": np.arange(200)})
    mltrail.xgboost.autolog()
    xgb.train({"max_depth": 2}, xgb.DMatrix(frame, label=y), num_boost_round=3)
    (run,) = all_runs()
    info = mltrail.models.get_model_info(f"runs:/{run.info.run_id}/model")
    assert [(c["name"], c["type"]) for c in info.signature.inputs.to_dict()] == [
        ("a", "double"), ("b", "float"), ("n", "long")
    ]


def test_early_stopping_metrics_at_mlflows_steps(autolog_store, all_runs, arrays):
    X, y = arrays
    mltrail.xgboost.autolog(log_models=False)
    dtrain, dvalid = xgb.DMatrix(X[:150], label=y[:150]), xgb.DMatrix(X[150:], label=y[150:])
    evals_result: dict = {}
    booster = xgb.train({"max_depth": 3, "eta": 0.3}, dtrain, num_boost_round=50,
                        evals=[(dtrain, "train"), (dvalid, "validation")], early_stopping_rounds=5,
                        evals_result=evals_result, verbose_eval=False)
    (run,) = all_runs()
    rounds = len(evals_result["validation"]["rmse"])
    assert booster.best_iteration < rounds - 1 < 49  # MLflow's run: best 11, stopped 16
    client = autolog_store
    assert _history(client, run.info.run_id, "stopped_iteration") == [(0, rounds - 1)]
    assert _history(client, run.info.run_id, "best_iteration") == [(0, booster.best_iteration)]
    for data_name in ("train", "validation"):
        values = evals_result[data_name]["rmse"]
        history = _history(client, run.info.run_id, f"{data_name}-rmse")
        assert [s for s, _ in history] == list(range(rounds + 1))
        assert history[-1] == (rounds, pytest.approx(values[booster.best_iteration]))
        assert run.data.metrics[f"{data_name}-rmse"] == pytest.approx(values[booster.best_iteration])
    assert not any(k.startswith("best_") and k != "best_iteration" for k in run.data.metrics)


def test_no_early_stopping_metrics_without_early_stopping(autolog_store, all_runs, arrays):
    X, y = arrays
    mltrail.xgboost.autolog(log_models=False)
    dtrain = xgb.DMatrix(X, label=y)
    xgb.train({"max_depth": 2}, dtrain, num_boost_round=4, evals=[(dtrain, "train")], verbose_eval=False)
    (run,) = all_runs()
    assert set(run.data.metrics) == {"train-rmse"}
    assert [s for s, _ in _history(autolog_store, run.info.run_id, "train-rmse")] == [0, 1, 2, 3]


def test_booster_config_artifact_holds_every_effective_param(autolog_store, all_runs, arrays):
    X, y = arrays
    mltrail.xgboost.autolog(log_models=False)
    booster = xgb.train({"max_depth": 2, "subsample": 0.8}, xgb.DMatrix(X, label=y), num_boost_round=2)
    (run,) = all_runs()
    with open(autolog_store.download_artifacts(run.info.run_id, "booster_config.json")) as fh:
        config = json.load(fh)
    assert config == json.loads(booster.save_config())
    tree = config["learner"]["gradient_booster"]["tree_train_param"]
    assert float(tree["subsample"]) == pytest.approx(0.8) and tree["max_depth"] == "2"
    assert "subsample" in run.data.params and "lambda" not in run.data.params  # only what was given


def test_pipeline_ending_in_xgbregressor_is_one_run(autolog_store, all_runs, arrays):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = arrays
    mltrail.autolog(log_models=False)
    make_pipeline(StandardScaler(), xgb.XGBRegressor(n_estimators=5, n_jobs=1)).fit(X, y)
    (run,) = all_runs()
    assert run.data.tags["estimator_name"] == "Pipeline"
    assert run.data.params["xgbregressor__n_estimators"] == "5"
    assert "num_boost_round" not in run.data.params  # the inner xgboost.train is part of the Pipeline's run
