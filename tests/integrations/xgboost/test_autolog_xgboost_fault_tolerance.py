"""xgboost autologging never breaks training: broken store, read-only database, unwritable artifacts.

Each case trains the same deterministic model with and without autologging
and checks that the user gets exactly the same booster back (same bytes,
same predictions), that no exception escapes, and that one warning on
``mltrail.autologging`` says what was not logged.
"""

from __future__ import annotations

import numpy as np
import pytest
import xgboost as xgb
from xgboost import train as train_bound_before_autolog

import mltrail
import mltrail.store

PARAMS = {"max_depth": 3, "learning_rate": 0.3, "nthread": 1, "seed": 0}


def _train(dmatrices, train=xgb.train):
    dtrain, dvalid, _, _ = dmatrices
    return train(PARAMS, dtrain, num_boost_round=8, evals=[(dvalid, "validation")], early_stopping_rounds=3,
                 verbose_eval=False)


def _assert_same_booster(autologged, plain, dmatrices):
    _, dvalid, _, _ = dmatrices
    assert isinstance(autologged, xgb.Booster)
    assert bytes(autologged.save_raw("json")) == bytes(plain.save_raw("json"))
    np.testing.assert_array_equal(autologged.predict(dvalid), plain.predict(dvalid))


@pytest.mark.parametrize("entry", ["xgboost.train", "train bound before autolog"])
def test_store_raising_on_every_call(autolog_store, autolog_warnings, dmatrices, entry):
    train = xgb.train if entry == "xgboost.train" else train_bound_before_autolog
    plain = _train(dmatrices, train)
    # nothing listens on port 1: every store call fails with a connection error
    mltrail.set_tracking_uri("postgresql+psycopg://postgres@127.0.0.1:1/unreachable")
    mltrail.xgboost.autolog()
    autologged = _train(dmatrices, train)
    _assert_same_booster(autologged, plain, dmatrices)
    (message,) = autolog_warnings()
    assert "xgboost" in message and "could not start or find a run" in message
    assert mltrail.active_run() is None


def test_read_only_database(autolog_store, autolog_warnings, dmatrices, tmp_path):
    db = tmp_path / "ro.db"
    mltrail.set_tracking_uri(f"sqlite:///{db}")
    with mltrail.start_run():  # creates the schema and the Default experiment
        pass
    mltrail.store._clear_store_cache()
    mltrail.set_tracking_uri(f"sqlite:///file:{db}?mode=ro&uri=true")
    plain = _train(dmatrices)
    mltrail.xgboost.autolog()
    autologged = _train(dmatrices)
    _assert_same_booster(autologged, plain, dmatrices)
    (message,) = autolog_warnings()
    assert "readonly" in message.replace("-", "").replace(" ", "").lower()
    assert mltrail.active_run() is None


def test_unwritable_artifact_root(autolog_store, autolog_warnings, dmatrices, tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("artifacts cannot go below a regular file")
    monkeypatch.setenv("MLTRAIL_ARTIFACT_ROOT", str(blocker / "artifacts"))
    mltrail.set_tracking_uri(f"sqlite:///{tmp_path / 'fresh.db'}")
    plain = _train(dmatrices)
    mltrail.xgboost.autolog()
    autologged = _train(dmatrices)
    mltrail.xgboost.wait_for_figures()
    _assert_same_booster(autologged, plain, dmatrices)
    (message,) = autolog_warnings()
    assert "could not log the model" in message
    run = mltrail.last_active_run()
    assert run.info.status == "FINISHED"
    assert run.data.params["max_depth"] == "3" and "validation-rmse" in run.data.metrics


def test_sklearn_api_with_broken_store_returns_the_fitted_estimator(autolog_store, autolog_warnings, dmatrices):
    _, _, X, y = dmatrices
    plain = xgb.XGBRegressor(n_estimators=5, n_jobs=1, random_state=0).fit(X, y)
    mltrail.set_tracking_uri("postgresql+psycopg://postgres@127.0.0.1:1/unreachable")
    mltrail.xgboost.autolog()
    model = xgb.XGBRegressor(n_estimators=5, n_jobs=1, random_state=0)
    assert model.fit(X, y) is model
    np.testing.assert_array_equal(model.predict(X), plain.predict(X))
    assert len(autolog_warnings()) == 1
