"""XGBoost autologging records what MLflow 3.17 records (issue 10, items 9 and 10).

MLflow's values were checked by running the same calls under mlflow-skinny
3.17 (benchmarks/.mlflow-venv).
"""

from __future__ import annotations

import json
import time

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


def half_rmse(predt, dmatrix):
    """A custom metric given as a function: logged by its name."""
    return "half_rmse", float(np.sqrt(np.mean((predt - dmatrix.get_label()) ** 2)) / 2)


class MaxError:
    """A custom metric given as a callable object: logged by its class name."""

    def __call__(self, predt, dmatrix):
        return "max_error", float(np.max(np.abs(predt - dmatrix.get_label())))


def test_params_given_as_pairs_none_or_callables(autolog_store, all_runs, arrays):
    X, y = arrays
    mltrail.xgboost.autolog(log_models=False)
    dtrain = xgb.DMatrix(X, label=y)
    pairs = [("max_depth", 2), ("eval_metric", "rmse"), ("eval_metric", "mae"), ("eval_metric", "mape"),
             ("nthread", 1), ("maximize", "given")]  # a key also named like a train() argument
    xgb.train(pairs, dtrain, num_boost_round=2, evals=[(dtrain, "train")], custom_metric=half_rmse,
              verbose_eval=False)
    xgb.train(None, dtrain, num_boost_round=3, evals=[(dtrain, "train")], custom_metric=MaxError(),
              verbose_eval=False)
    pairs_run, none_run = all_runs()
    # repeated keys become one list; the params given win over a train() argument of the same name
    assert pairs_run.data.params == {
        "max_depth": "2", "eval_metric": "['rmse', 'mae', 'mape']", "nthread": "1", "maximize": "given",
        "num_boost_round": "2", "early_stopping_rounds": "None", "verbose_eval": "False",
        "custom_metric": "half_rmse",
    }
    assert set(pairs_run.data.metrics) == {"train-rmse", "train-mae", "train-mape", "train-half_rmse"}
    assert none_run.data.params == {
        "num_boost_round": "3", "early_stopping_rounds": "None", "maximize": "None", "verbose_eval": "False",
        "custom_metric": "MaxError",
    }
    assert [s for s, _ in _history(autolog_store, none_run.info.run_id, "train-max_error")] == [0, 1, 2]


def test_early_stopping_at_the_first_round(autolog_store, all_runs, arrays):
    X, y = arrays
    mltrail.xgboost.autolog(log_models=False)
    dtrain = xgb.DMatrix(X, label=y)
    evals_result: dict = {}
    started = time.time()
    # maximizing a falling rmse: round 0 is the best and stays so
    booster = xgb.train({"max_depth": 2, "nthread": 1}, dtrain, num_boost_round=20, evals=[(dtrain, "train")],
                        early_stopping_rounds=2, maximize=True, evals_result=evals_result, verbose_eval=False)
    ended = time.time()
    rmse = evals_result["train"]["rmse"]
    assert booster.best_iteration == 0 and len(rmse) == 3
    (run,) = all_runs()
    assert _history(autolog_store, run.info.run_id, "best_iteration") == [(0, 0)]
    assert _history(autolog_store, run.info.run_id, "stopped_iteration") == [(0, 2)]
    assert _history(autolog_store, run.info.run_id, "train-rmse") == [
        (0, pytest.approx(rmse[0])), (1, pytest.approx(rmse[1])), (2, pytest.approx(rmse[2])),
        (3, pytest.approx(rmse[0])),
    ]
    logged = [m for key in ("train-rmse", "best_iteration", "stopped_iteration")
              for m in autolog_store.get_metric_history(run.info.run_id, key)]
    assert all(int(started * 1000) <= m.timestamp <= int(ended * 1000) + 1 for m in logged)  # ms, while it trained


def test_training_continued_without_early_stopping_logs_no_early_stopping_metrics(autolog_store, all_runs, arrays):
    X, y = arrays
    mltrail.xgboost.autolog(log_models=False)
    dtrain, dvalid = xgb.DMatrix(X[:150], label=y[:150]), xgb.DMatrix(X[150:], label=y[150:])
    stopped = xgb.train({"max_depth": 3, "eta": 1.0, "nthread": 1}, dtrain, num_boost_round=50,
                        evals=[(dvalid, "validation")], early_stopping_rounds=2, verbose_eval=False)
    continued = xgb.train({"max_depth": 2, "nthread": 1}, dtrain, num_boost_round=3, evals=[(dvalid, "validation")],
                          xgb_model=stopped, verbose_eval=False)
    assert continued.attr("best_iteration") == stopped.attr("best_iteration")  # carried over from the first model
    first_run, continued_run = all_runs()
    assert {"best_iteration", "stopped_iteration"} <= set(first_run.data.metrics)
    assert set(continued_run.data.metrics) == {"validation-rmse"}
    assert [s for s, _ in _history(autolog_store, continued_run.info.run_id, "validation-rmse")] == [0, 1, 2]
