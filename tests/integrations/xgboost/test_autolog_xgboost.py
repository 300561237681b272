"""XGBoost autologging: what a user finds in the run after xgboost.train or an XGB*.fit."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
import xgboost as xgb
from xgboost import train as train_bound_before_autolog  # rule 4: bound before autolog()

import mltrail
from tests.integrations._logged import has_model, model_folder

PARAMS = {"max_depth": 3, "learning_rate": 0.3, "nthread": 1, "seed": 0}


def _artifact_names(client, run_id, path=None):
    return sorted(f.path for f in client.list_artifacts(run_id, path))


def _history(client, run_id, key):
    return [(m.step, m.value) for m in sorted(client.get_metric_history(run_id, key), key=lambda m: m.step)]


def test_train_logs_params_metrics_importance_and_model(autolog_store, all_runs, dmatrices):
    dtrain, dvalid, X_valid, _ = dmatrices
    mltrail.xgboost.autolog(importance_types=["weight", "gain"])
    evals_result: dict = {}
    booster = xgb.train(PARAMS, dtrain, num_boost_round=12, evals=[(dtrain, "train"), (dvalid, "validation")],
                        evals_result=evals_result, verbose_eval=False)
    mltrail.xgboost.wait_for_figures()
    (run,) = all_runs()
    assert run.info.status == "FINISHED"
    # MLflow's set: the params as given plus train()'s other arguments (defaults included)
    assert run.data.params == {
        "max_depth": "3", "learning_rate": "0.3", "nthread": "1", "seed": "0",
        "num_boost_round": "12", "early_stopping_rounds": "None", "maximize": "None",
        "verbose_eval": "False", "custom_metric": "None",
    }
    client = autolog_store
    # every value xgboost filled in is in the booster's configuration artifact
    with open(client.download_artifacts(run.info.run_id, "booster_config.json")) as fh:
        config = json.load(fh)
    assert config == json.loads(booster.save_config())
    assert config["learner"]["gradient_booster"]["tree_train_param"]["subsample"] == "1"
    for data_name in ("train", "validation"):
        history = _history(client, run.info.run_id, f"{data_name}-rmse")
        assert [step for step, _ in history] == list(range(12))
        np.testing.assert_allclose([v for _, v in history], evals_result[data_name]["rmse"])
    artifacts = _artifact_names(client, run.info.run_id)
    assert {"feature_importance_weight.json", "feature_importance_gain.json", "booster_config.json",
            "feature_importance_weight.png", "feature_importance_gain.png"} <= set(artifacts)
    assert has_model(run.info.run_id, client=client)  # MLflow 3: a logged model, not a run artifact
    local = client.download_artifacts(run.info.run_id, "feature_importance_gain.json")
    with open(local) as fh:
        assert json.load(fh) == pytest.approx(booster.get_score(importance_type="gain"))
    with open(client.download_artifacts(run.info.run_id, "feature_importance_weight.png"), "rb") as fh:
        assert fh.read(8) == b"\x89PNG\r\n\x1a\n"
    loaded = mltrail.xgboost.load_model(f"runs:/{run.info.run_id}/model")
    np.testing.assert_allclose(loaded.predict(dvalid), booster.predict(dvalid))


def test_train_bound_before_autolog_is_tracked(autolog_store, all_runs, dmatrices):
    dtrain, dvalid, _, _ = dmatrices
    mltrail.xgboost.autolog()
    assert train_bound_before_autolog is not xgb.train  # the early name still points at the original
    booster = train_bound_before_autolog(PARAMS, dtrain, num_boost_round=5, evals=[(dvalid, "validation")],
                                         verbose_eval=False)
    (run,) = all_runs()
    assert run.info.status == "FINISHED"
    assert run.data.params["num_boost_round"] == "5"
    assert [s for s, _ in _history(autolog_store, run.info.run_id, "validation-rmse")] == [0, 1, 2, 3, 4]
    loaded = mltrail.xgboost.load_model(f"runs:/{run.info.run_id}/model")
    np.testing.assert_allclose(loaded.predict(dvalid), booster.predict(dvalid))
    assert mltrail.active_run() is None


def test_early_stopping_results(autolog_store, all_runs, dmatrices):
    dtrain, dvalid, _, _ = dmatrices
    mltrail.xgboost.autolog()
    evals_result: dict = {}
    booster = xgb.train({**PARAMS, "learning_rate": 1.0, "max_depth": 8}, dtrain, num_boost_round=200,
                        evals=[(dvalid, "validation")], early_stopping_rounds=3, evals_result=evals_result,
                        verbose_eval=False)
    (run,) = all_runs()
    metrics = run.data.metrics
    rmse = evals_result["validation"]["rmse"]
    rounds = len(rmse)
    assert booster.best_iteration < rounds - 1 < 199  # it stopped early, after its best round
    # as MLflow: both at step 0, no best_* metrics
    assert _history(autolog_store, run.info.run_id, "best_iteration") == [(0, booster.best_iteration)]
    assert _history(autolog_store, run.info.run_id, "stopped_iteration") == [(0, rounds - 1)]
    assert set(metrics) == {"best_iteration", "stopped_iteration", "validation-rmse"}
    # the best round's value again at step rounds: the latest value is the best model's
    history = _history(autolog_store, run.info.run_id, "validation-rmse")
    assert [step for step, _ in history] == list(range(rounds + 1))
    assert history[-1][1] == pytest.approx(rmse[booster.best_iteration]) != pytest.approx(rmse[-1])
    assert metrics["validation-rmse"] == pytest.approx(rmse[booster.best_iteration])
    assert run.data.params["early_stopping_rounds"] == "3"


def test_sklearn_api_fit_is_one_run_with_estimator_params(autolog_store, all_runs, dmatrices):
    _, _, X, y = dmatrices
    mltrail.xgboost.autolog()
    model = xgb.XGBRegressor(n_estimators=7, max_depth=2, n_jobs=1)
    returned = model.fit(X, y, eval_set=[(X, y)], verbose=False)
    assert returned is model
    (run,) = all_runs()  # fit calls xgboost.train inside: still one run
    # MLflow's set: the params the estimator hands to train(), then train()'s arguments
    params = run.data.params
    assert params["num_boost_round"] == "7" and params["max_depth"] == "2" and params["n_jobs"] == "1"
    assert params["learning_rate"] == "None" and params["random_state"] == "None"
    assert params["verbose_eval"] == "False" and params["early_stopping_rounds"] == "None"
    assert "n_estimators" not in params and "eta" not in params
    assert run.data.tags["estimator_class"] == "xgboost.sklearn.XGBRegressor"
    assert len(_history(autolog_store, run.info.run_id, "validation_0-rmse")) == 7
    loaded = mltrail.xgboost.load_model(f"runs:/{run.info.run_id}/model")
    assert isinstance(loaded, xgb.XGBRegressor)
    np.testing.assert_allclose(loaded.predict(X), model.predict(X))
    info = mltrail.models.get_model_info(f"runs:/{run.info.run_id}/model")
    assert [c["name"] for c in info.signature.inputs.to_dict()] == list(X.columns)


def test_classifier_and_ranker_fit(autolog_store, all_runs):
    rng = np.random.default_rng(5)
    X = rng.normal(size=(120, 3))
    y = (X[:, 0] > 0).astype(int)
    mltrail.xgboost.autolog()
    xgb.XGBClassifier(n_estimators=4, n_jobs=1).fit(X, y, eval_set=[(X, y)], verbose=False)
    qid = np.repeat(np.arange(12), 10)
    xgb.XGBRanker(n_estimators=3, n_jobs=1).fit(X, rng.integers(0, 3, 120), qid=qid)
    classifier_run, ranker_run = all_runs()
    assert classifier_run.data.tags["estimator_name"] == "XGBClassifier"
    assert "validation_0-logloss" in classifier_run.data.metrics
    assert ranker_run.data.tags["estimator_name"] == "XGBRanker"
    assert ranker_run.data.params["num_boost_round"] == "3"


def test_active_run_is_reused_and_left_running(autolog_store, all_runs, dmatrices):
    dtrain, dvalid, _, _ = dmatrices
    mltrail.xgboost.autolog(log_models=False)
    with mltrail.start_run() as run:
        xgb.train(PARAMS, dtrain, num_boost_round=3, evals=[(dvalid, "validation")], verbose_eval=False)
        assert mltrail.active_run().info.run_id == run.info.run_id
        mltrail.log_metric("after", 1.0)
    (stored,) = all_runs()
    assert stored.data.metrics["after"] == 1.0 and "validation-rmse" in stored.data.metrics
    assert not has_model(stored.info.run_id, client=autolog_store)


def test_long_training_flushes_metrics_while_it_runs(autolog_store, all_runs, dmatrices):
    dtrain, dvalid, _, _ = dmatrices
    mltrail.xgboost.autolog(metrics_flush_seconds=0.0, log_models=False, importance_types=[])
    seen_during_training = []

    class Watch(xgb.callback.TrainingCallback):
        def after_iteration(self, model, epoch, evals_log):
            run = mltrail.active_run()
            seen_during_training.append(len(autolog_store.get_metric_history(run.info.run_id, "validation-rmse")))
            return False

    xgb.train(PARAMS, dtrain, num_boost_round=6, evals=[(dvalid, "validation")], callbacks=[Watch()],
              verbose_eval=False)
    assert seen_during_training[-1] >= 4  # earlier rounds were readable before training ended
    (run,) = all_runs()
    assert len(_history(autolog_store, run.info.run_id, "validation-rmse")) == 6


def test_framework_error_propagates_and_run_fails(autolog_store, all_runs, dmatrices):
    dtrain, _, _, _ = dmatrices
    mltrail.xgboost.autolog()
    with pytest.raises(xgb.core.XGBoostError):
        xgb.train({**PARAMS, "objective": "no-such-objective"}, dtrain, num_boost_round=3)
    (run,) = all_runs()
    assert run.info.status == "FAILED"
    assert run.data.params["objective"] == "no-such-objective"
    assert mltrail.active_run() is None


def test_input_example_and_signature_from_dmatrix(autolog_store, all_runs, dmatrices):
    dtrain, _, X_valid, _ = dmatrices
    mltrail.xgboost.autolog(log_input_examples=True)
    xgb.train(PARAMS, dtrain, num_boost_round=2)
    (run,) = all_runs()
    info = mltrail.models.get_model_info(f"runs:/{run.info.run_id}/model")
    assert [c["name"] for c in info.signature.inputs.to_dict()] == list(X_valid.columns)
    model_dir = model_folder(run.info.run_id, client=autolog_store)
    assert any(name.startswith("input_example") for name in os.listdir(model_dir))
    pyfunc = mltrail.pyfunc.load_model(f"runs:/{run.info.run_id}/model")
    assert pyfunc.predict(X_valid).shape[0] == len(X_valid)


def test_cv_is_not_tracked(autolog_store, all_runs, dmatrices):
    dtrain, _, _, _ = dmatrices
    mltrail.xgboost.autolog()
    xgb.cv(PARAMS, dtrain, num_boost_round=3, nfold=2)
    assert all_runs() == []


def test_disable_restores_originals_exactly(autolog_store, all_runs, dmatrices):
    dtrain, _, _, _ = dmatrices
    originals = {
        "init": vars(xgb.callback.CallbackContainer)["__init__"],
        "after_iteration": vars(xgb.callback.CallbackContainer)["after_iteration"],
        "train": xgb.train,
        "fit": vars(xgb.XGBModel)["fit"],
    }
    mltrail.xgboost.autolog()
    mltrail.xgboost.autolog()  # twice patches once
    assert vars(xgb.callback.CallbackContainer)["__init__"] is not originals["init"]
    mltrail.xgboost.autolog(disable=True)
    assert vars(xgb.callback.CallbackContainer)["__init__"] is originals["init"]
    assert vars(xgb.callback.CallbackContainer)["after_iteration"] is originals["after_iteration"]
    assert xgb.train is originals["train"] and vars(xgb.XGBModel)["fit"] is originals["fit"]
    xgb.train(PARAMS, dtrain, num_boost_round=2)
    assert all_runs() == []
