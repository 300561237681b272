"""importance_types reaches xgboost the same way through mltrail.autolog() and mltrail.xgboost.autolog()."""

from __future__ import annotations

import pytest
import xgboost as xgb

import mltrail
from mltrail.exceptions import InvalidParameterError


def _artifacts(client, run_id):
    return sorted(f.path for f in client.list_artifacts(run_id))


def test_a_single_type_given_to_mltrail_autolog_is_one_type(autolog_store, all_runs, autolog_warnings, dmatrices):
    dtrain, _, _, _ = dmatrices
    mltrail.autolog(importance_types="gain", log_models=False)
    xgb.train({"max_depth": 2, "nthread": 1}, dtrain, num_boost_round=3)
    mltrail.xgboost.wait_for_figures()
    (run,) = all_runs()
    names = _artifacts(autolog_store, run.info.run_id)
    assert "feature_importance_gain.json" in names
    assert not any(name.startswith("feature_importance_g.") for name in names)
    assert autolog_warnings() == []


def test_an_unknown_importance_type_is_refused_by_name(autolog_store):
    with pytest.raises(InvalidParameterError, match="'split'.*weight, gain, cover"):
        mltrail.xgboost.autolog(importance_types=["weight", "split"])
    assert not mltrail.xgboost.integration.enabled


def test_mltrail_autolog_refuses_it_too_and_still_enables_the_others(autolog_store):
    with pytest.raises(InvalidParameterError, match="importance_types=.*'split'"):
        mltrail.autolog(importance_types="split")
    assert not mltrail.xgboost.integration.enabled
    assert mltrail.sklearn.integration.enabled and mltrail.hyperopt.integration.enabled
