"""Post-training metrics: evaluating an autologged model logs to its run."""

from __future__ import annotations

import pytest
import sklearn.metrics
from sklearn.linear_model import LogisticRegression, Ridge

import mltrail


def test_metric_calls_on_predictions_are_logged_with_dataset_names(autolog_store, all_runs, regression_data):
    X_train, X_val, y_train, y_val = regression_data
    mltrail.sklearn.autolog(log_models=False)
    model = Ridge().fit(X_train, y_train)
    predictions = model.predict(X_val)
    first = sklearn.metrics.mean_squared_error(y_val, predictions)
    again = sklearn.metrics.mean_squared_error(y_val, predictions)
    mae = sklearn.metrics.mean_absolute_error(y_true=y_val, y_pred=predictions)
    score = model.score(X_val, y_val)
    (run,) = all_runs()
    m = run.data.metrics
    assert m["mean_squared_error_X_val"] == pytest.approx(first)
    assert m["mean_squared_error-2_X_val"] == pytest.approx(again)
    assert m["mean_absolute_error_X_val"] == pytest.approx(mae)
    assert m["Ridge_score_X_val"] == pytest.approx(score)
    assert not any(key.startswith("r2_score") for key in m)  # score's own r2 call is not logged twice


def test_classifier_probabilities_and_unknown_names(autolog_store, all_runs, classification_data):
    X_train, X_val, y_train, y_val = classification_data
    mltrail.sklearn.autolog(log_models=False, log_plots=False)
    model = LogisticRegression(max_iter=300).fit(X_train, y_train)
    proba = model.predict_proba(X_val)
    loss = sklearn.metrics.log_loss(y_val, proba)
    accuracy = sklearn.metrics.accuracy_score(y_val[:20], model.predict(X_val[:20]))  # no variable holds X_val[:20]
    (run,) = all_runs()
    assert run.data.metrics["log_loss_X_val"] == pytest.approx(loss)
    assert run.data.metrics["accuracy_score_unknown_dataset"] == pytest.approx(accuracy)


def test_models_not_autologged_and_disabled_flag_are_ignored(autolog_store, all_runs, regression_data):
    X_train, X_val, y_train, y_val = regression_data
    untracked = Ridge().fit(X_train, y_train)  # before autolog: not an autologged model
    mltrail.sklearn.autolog(log_models=False, log_post_training_metrics=False)
    tracked = Ridge().fit(X_train, y_train)
    sklearn.metrics.r2_score(y_val, untracked.predict(X_val))
    sklearn.metrics.r2_score(y_val, tracked.predict(X_val))
    (run,) = all_runs()
    assert not any(key.endswith("X_val") for key in run.data.metrics)


def test_metric_function_imported_before_autolog_in_main(tmp_path, sqlite_uri):
    import json
    import subprocess
    import sys
    import textwrap

    script = textwrap.dedent(
        """
        import json, sys
        import numpy as np
        from sklearn.linear_model import Ridge
        from sklearn.metrics import mean_absolute_error   # bound before autolog()
        import mltrail
        mltrail.set_tracking_uri(sys.argv[1])
        mltrail.sklearn.autolog(log_models=False)
        X_test = np.arange(20.0).reshape(10, 2)
        y_test = X_test.sum(axis=1)
        model = Ridge().fit(X_test, y_test)
        mean_absolute_error(y_test, model.predict(X_test))
        print(json.dumps(sorted(mltrail.last_active_run().data.metrics)))
        """
    )
    path = tmp_path / "early_bound.py"
    path.write_text(script)
    done = subprocess.run([sys.executable, str(path), sqlite_uri], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "mean_absolute_error_X_test" in json.loads(done.stdout.strip().splitlines()[-1])


def test_sklearns_own_evaluations_are_not_post_training_metrics(autolog_store, all_runs, regression_data):
    from sklearn.model_selection import cross_val_score

    X_train, _, y_train, _ = regression_data
    mltrail.sklearn.autolog(log_models=False)
    with mltrail.start_run():
        # the folds' fits and scoring are sklearn's own work (as in MLflow): neither runs nor metrics
        scores = cross_val_score(Ridge(), X_train, y_train, cv=3)
    runs = all_runs()
    assert len(scores) == 3 and len(runs) == 1
    assert runs[0].data.params == {} and runs[0].data.metrics == {}
