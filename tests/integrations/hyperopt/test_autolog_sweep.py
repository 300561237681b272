"""hyperopt sweep tracking: the run tree a user finds after fmin, for the seed's sweep and its variants."""

from __future__ import annotations

import functools
import json
import math

import numpy as np
import pytest
import xgboost as xgb
from hyperopt import STATUS_FAIL, STATUS_OK, Trials, anneal, fmin, hp, rand, tpe  # bound before autolog(): rule 4
from hyperopt.early_stop import no_progress_loss
from hyperopt.pyll import scope

import mltrail
from tests.integrations._logged import has_model

SEED_SPACE = {
    "max_depth": scope.int(hp.quniform("max_depth", 2, 8, 1)),
    "learning_rate": hp.loguniform("learning_rate", -3, 0),
    "reg_alpha": hp.loguniform("reg_alpha", -5, -1),
    "objective": "reg:squarederror",
    "seed": 42,
    "nthread": 1,
}


def seed_objective(xgb_data, manual: bool = False):
    dtrain, dvalid, y_valid = xgb_data

    def fit(params):
        booster = xgb.train(params=params, dtrain=dtrain, num_boost_round=10, evals=[(dvalid, "validation")],
                            early_stopping_rounds=5, verbose_eval=False)
        return float(np.sqrt(np.mean((y_valid - booster.predict(dvalid)) ** 2)))

    def objective(params):
        if manual:  # the seed notebook's style
            with mltrail.start_run():
                mltrail.set_tag("model", "xgboost")
                mltrail.log_params(params)
                rmse = fit(params)
                mltrail.log_metric("rmse", rmse)
        else:
            rmse = fit(params)
        return {"loss": rmse, "status": STATUS_OK}

    return objective


def test_seed_sweep_gives_parent_and_one_run_per_trial(tracking, runs, xgb_data):
    mltrail.autolog()
    trials = Trials()
    best = fmin(seed_objective(xgb_data), SEED_SPACE, algo=tpe.suggest, max_evals=4, trials=trials,
                rstate=np.random.default_rng(0), show_progressbar=False)
    (parent,) = runs.parents()
    children = runs.children(parent.info.run_id)
    assert len(runs.all()) == 5 and len(children) == 4
    assert parent.data.tags["algorithm"] == "tpe.suggest" and parent.data.tags["max_evals"] == "4"
    assert parent.data.metrics["n_trials"] == 4 and parent.data.metrics["n_failed_trials"] == 0
    losses = [c.data.metrics["loss"] for c in children]
    assert losses == pytest.approx([t["result"]["loss"] for t in trials.trials])
    assert parent.data.metrics["best_loss"] == pytest.approx(min(losses))
    best_child = children[int(np.argmin(losses))]
    assert parent.data.tags["best_trial_run_id"] == best_child.info.run_id
    assert parent.data.params["best_max_depth"] == str(int(best["max_depth"]))
    assert parent.data.params["best_objective"] == "reg:squarederror"
    for tid, child in enumerate(children):
        assert child.info.run_name == f"trial-{tid}" and child.info.status == "FINISHED"
        # the point the objective received: scope.int applied, constants included
        assert child.data.params["max_depth"] == str(int(trials.trials[tid]["misc"]["vals"]["max_depth"][0]))
        assert child.data.params["seed"] == "42"
        assert child.data.metrics["duration_seconds"] > 0
        # xgboost autologging inside the trial landed in the trial's run
        assert "validation-rmse" in child.data.metrics and child.data.params["num_boost_round"] == "10"
        assert has_model(child.info.run_id)  # MLflow 3: the trial's logged model
    space = json.load(open(tracking.download_artifacts(parent.info.run_id, "search_space.json")))
    assert space["hyperparameters"]["max_depth"] == {"distribution": "quniform", "low": 2, "high": 8, "q": 1,
                                                     "type": "int"}
    assert space["hyperparameters"]["learning_rate"]["distribution"] == "loguniform"
    assert space["structure"]["objective"] == "reg:squarederror"
    assert mltrail.active_run() is None and parent.info.status == "FINISHED"


def test_manual_style_gives_the_same_tree_without_duplicates(tracking, runs, xgb_data):
    mltrail.autolog()
    fmin(seed_objective(xgb_data, manual=True), SEED_SPACE, algo=tpe.suggest, max_evals=3, trials=Trials(),
         rstate=np.random.default_rng(0), show_progressbar=False)
    (parent,) = runs.parents()
    children = runs.children(parent.info.run_id)
    assert len(runs.all()) == 4 and len(children) == 3
    for child in children:
        assert child.data.tags["model"] == "xgboost"
        assert child.data.metrics["rmse"] == pytest.approx(child.data.metrics["loss"])
        assert "validation-rmse" in child.data.metrics and child.info.status == "FINISHED"


@pytest.mark.parametrize("style", ["trials=None", "Trials.fmin", "rand.suggest"])
def test_call_styles(tracking, runs, style):
    mltrail.hyperopt.autolog()
    space = {"x": hp.uniform("x", -2, 2)}
    objective = lambda p: (p["x"] - 1) ** 2  # noqa: E731 - a bare float result
    rstate = np.random.default_rng(1)
    if style == "trials=None":
        fmin(objective, space, algo=tpe.suggest, max_evals=3, rstate=rstate, show_progressbar=False)
    elif style == "Trials.fmin":
        Trials().fmin(objective, space, algo=tpe.suggest, max_evals=3, rstate=rstate, show_progressbar=False)
    else:
        fmin(objective, space, algo=rand.suggest, max_evals=3, rstate=rstate, show_progressbar=False)
    (parent,) = runs.parents()
    children = runs.children(parent.info.run_id)
    assert len(children) == 3
    assert parent.data.tags["algorithm"] == ("rand.suggest" if style == "rand.suggest" else "tpe.suggest")
    for child in children:
        x = float(child.data.params["x"])
        assert child.data.metrics["loss"] == pytest.approx((x - 1) ** 2)


def test_early_stop_fn_and_resumed_trials(tracking, runs):
    mltrail.hyperopt.autolog()
    trials = Trials()
    space = {"x": hp.uniform("x", -2, 2)}
    fmin(lambda p: 1.0, space, algo=tpe.suggest, max_evals=50, trials=trials, early_stop_fn=no_progress_loss(3),
         rstate=np.random.default_rng(2), show_progressbar=False)
    first_count = len(trials.trials)
    assert first_count < 50  # early stopping cut the sweep short
    (first_parent,) = runs.parents()
    assert len(runs.children(first_parent.info.run_id)) == first_count
    # resume the same Trials object: only the new trials get runs, under a new parent
    fmin(lambda p: p["x"] ** 2, space, algo=tpe.suggest, max_evals=first_count + 2, trials=trials,
         rstate=np.random.default_rng(3), show_progressbar=False)
    second_parent = [p for p in runs.parents() if p.info.run_id != first_parent.info.run_id][0]
    resumed = runs.children(second_parent.info.run_id)
    assert [c.data.tags["mltrail.hyperopt.tid"] for c in resumed] == [str(first_count), str(first_count + 1)]
    assert second_parent.data.metrics["n_trials"] == 2
    assert second_parent.data.tags["resumed_trials"] == str(first_count)
    assert len(runs.all()) == first_count + 2 + 2


def test_nested_choice_and_list_spaces_become_dotted_params(tracking, runs):
    mltrail.hyperopt.autolog()
    space = {
        "model": hp.choice("model", [
            {"type": "svm", "C": hp.lognormal("C", 0, 1)},
            {"type": "tree", "depth": scope.int(hp.quniform("depth", 1, 5, 1))},
        ]),
        "layers": [scope.int(hp.quniform("l1", 8, 64, 8)), 16],
    }
    seen = []

    def objective(point):
        seen.append(point)
        return 0.5

    fmin(objective, space, algo=tpe.suggest, max_evals=6, rstate=np.random.default_rng(4), show_progressbar=False)
    (parent,) = runs.parents()
    for child, point in zip(runs.children(parent.info.run_id), seen):
        params = child.data.params
        assert params["model.type"] == point["model"]["type"]
        assert params["layers.0"] == str(point["layers"][0]) and params["layers.1"] == "16"
        if point["model"]["type"] == "tree":
            assert params["model.depth"] == str(point["model"]["depth"]) and "model.C" not in params
        else:
            assert float(params["model.C"]) == pytest.approx(point["model"]["C"]) and "model.depth" not in params
    assert {p["model"]["type"] for p in seen} == {"svm", "tree"}  # the seed draws both branches
    space_doc = json.load(open(tracking.download_artifacts(parent.info.run_id, "search_space.json")))
    assert space_doc["hyperparameters"]["model"]["distribution"] == "choice"
    assert space_doc["hyperparameters"]["model"]["options"][1] == {"type": "tree", "depth": "<hp:depth>"}
    assert space_doc["hyperparameters"]["C"]["distribution"] == "lognormal"


def test_a_bare_hyperparameter_space_is_named_after_its_label(tracking, runs):
    mltrail.hyperopt.autolog()
    fmin(lambda x: x ** 2, hp.uniform("x", -1, 1), algo=tpe.suggest, max_evals=2,
         rstate=np.random.default_rng(5), show_progressbar=False)
    (parent,) = runs.parents()
    for child in runs.children(parent.info.run_id):
        assert child.data.metrics["loss"] == pytest.approx(float(child.data.params["x"]) ** 2)


def test_active_user_run_becomes_the_parent(tracking, runs):
    mltrail.hyperopt.autolog()
    with mltrail.start_run(run_name="my-sweep") as user_run:
        fmin(lambda p: p["x"], {"x": hp.uniform("x", 0, 1)}, algo=tpe.suggest, max_evals=2,
             rstate=np.random.default_rng(6), show_progressbar=False)
        assert mltrail.active_run().info.run_id == user_run.info.run_id
    (parent,) = runs.parents()
    assert parent.info.run_id == user_run.info.run_id and parent.info.run_name == "my-sweep"
    assert len(runs.children(user_run.info.run_id)) == 2
    assert parent.data.metrics["n_trials"] == 2


def test_extra_numeric_result_keys_become_metrics(tracking, runs):
    mltrail.hyperopt.autolog()
    fmin(lambda p: {"loss": p["x"], "status": STATUS_OK, "accuracy": 0.9, "n_leaves": 12, "note": "text",
                    "flag": True},
         {"x": hp.uniform("x", 0, 1)}, algo=tpe.suggest, max_evals=1, rstate=np.random.default_rng(7),
         show_progressbar=False)
    (parent,) = runs.parents()
    (child,) = runs.children(parent.info.run_id)
    assert child.data.metrics["accuracy"] == 0.9 and child.data.metrics["n_leaves"] == 12
    assert "note" not in child.data.metrics and "flag" not in child.data.metrics


@pytest.mark.parametrize("keep", [2, 0])
def test_max_trial_models_keeps_the_best_models(tracking, runs, xgb_data, keep):
    mltrail.autolog(max_trial_models=keep)
    fmin(seed_objective(xgb_data), SEED_SPACE, algo=tpe.suggest, max_evals=5, trials=Trials(),
         rstate=np.random.default_rng(8), show_progressbar=False)
    (parent,) = runs.parents()
    children = runs.children(parent.info.run_id)
    with_model = [c for c in children if has_model(c.info.run_id)]
    best = sorted(children, key=lambda c: c.data.metrics["loss"])[:keep]
    assert sorted(c.info.run_id for c in with_model) == sorted(c.info.run_id for c in best)
    if keep:
        loaded = mltrail.xgboost.load_model(f"runs:/{parent.data.tags['best_trial_run_id']}/model")
        assert loaded.num_boosted_rounds() > 0
    assert all("validation-rmse" in c.data.metrics for c in children)  # metrics are kept for every trial


def test_log_trial_models_false(tracking, runs, xgb_data):
    mltrail.autolog(log_trial_models=False)
    fmin(seed_objective(xgb_data), SEED_SPACE, algo=tpe.suggest, max_evals=2, trials=Trials(),
         rstate=np.random.default_rng(9), show_progressbar=False)
    (parent,) = runs.parents()
    for child in runs.children(parent.info.run_id):
        assert not has_model(child.info.run_id)
        assert "feature_importance_weight.json" in [f.path for f in tracking.list_artifacts(child.info.run_id)]


@pytest.mark.parametrize("figures", [True, False])
def test_log_trial_figures_decides_the_trials_importance_charts(tracking, runs, xgb_data, figures):
    mltrail.hyperopt.autolog(log_trial_figures=figures)
    mltrail.xgboost.autolog(log_models=False)
    fmin(seed_objective(xgb_data), SEED_SPACE, algo=tpe.suggest, max_evals=2, trials=Trials(),
         rstate=np.random.default_rng(23), show_progressbar=False)
    mltrail.xgboost.wait_for_figures()
    (parent,) = runs.parents()
    for child in runs.children(parent.info.run_id):
        names = [f.path for f in tracking.list_artifacts(child.info.run_id)]
        assert "feature_importance_weight.json" in names  # the numbers always
        assert ("feature_importance_weight.png" in names) is figures  # the chart only when asked for


def test_objective_taking_expr_memo_ctrl_gets_trial_runs_with_its_params(tracking, runs):
    from hyperopt.fmin import fmin_pass_expr_memo_ctrl
    from hyperopt.pyll import rec_eval

    @fmin_pass_expr_memo_ctrl
    def objective(expr, memo, ctrl):  # hyperopt calls it with keywords only
        point = rec_eval(expr, memo=memo)
        return {"loss": (point["x"] - 0.3) ** 2, "status": STATUS_OK, "tid": float(ctrl.current_trial["tid"])}

    mltrail.hyperopt.autolog()
    fmin(objective, {"x": hp.uniform("x", 0, 1)}, algo=rand.suggest, max_evals=2, rstate=np.random.default_rng(24),
         show_progressbar=False)
    (parent,) = runs.parents()
    children = runs.children(parent.info.run_id)
    assert [c.data.metrics["tid"] for c in children] == [0, 1]
    for child in children:
        assert child.info.status == "FINISHED"
        assert child.data.metrics["loss"] == pytest.approx((float(child.data.params["x"]) - 0.3) ** 2)


def test_sweep_summary_is_sorted_by_loss(tracking, runs):
    mltrail.hyperopt.autolog()

    def objective(p):
        if p["x"] > 0.6:
            raise ValueError("too large")
        return p["x"]

    trials = Trials()
    fmin(objective, {"x": hp.uniform("x", 0, 1)}, algo=tpe.suggest, max_evals=8, trials=trials,
         catch_eval_exceptions=True, rstate=np.random.default_rng(10), show_progressbar=False)
    (parent,) = runs.parents()
    summary = mltrail.hyperopt.sweep_summary(parent.info.run_id)
    assert len(summary) == 8
    finished = summary[summary["status"] == "FINISHED"]
    assert list(finished["loss"]) == sorted(finished["loss"])
    assert summary.iloc[0]["run_id"] == parent.data.tags["best_trial_run_id"]
    statuses = list(summary["status"])
    n_failed = statuses.count("FAILED")
    assert n_failed >= 1 and statuses[-n_failed:] == ["FAILED"] * n_failed  # failed trials last
    assert parent.data.metrics["n_failed_trials"] == n_failed
    assert {"trial", "run_id", "params.x", "duration_seconds"} <= set(summary.columns)
    assert all(math.isfinite(v) for v in finished["loss"])


def test_sklearn_autologging_inside_trials_lands_in_the_trial_runs(tracking, runs):
    from sklearn.linear_model import Ridge

    rng = np.random.default_rng(12)
    X = rng.normal(size=(80, 3))
    y = X @ np.array([1.0, -1.0, 0.5]) + rng.normal(0, 0.1, 80)
    mltrail.autolog()

    def objective(p):
        model = Ridge(alpha=p["alpha"]).fit(X, y)
        return -model.score(X, y)

    fmin(objective, {"alpha": hp.loguniform("alpha", -3, 2)}, algo=tpe.suggest, max_evals=3,
         rstate=np.random.default_rng(13), show_progressbar=False)
    (parent,) = runs.parents()
    children = runs.children(parent.info.run_id)
    assert len(runs.all()) == 4 and len(children) == 3  # no extra top-level runs from Ridge.fit
    for child in children:
        assert child.data.tags.get("estimator_class", "").endswith("Ridge")
        assert float(child.data.params["alpha"]) > 0 and "training_score" in child.data.metrics
        assert child.data.metrics["training_score"] == pytest.approx(-child.data.metrics["loss"])
        assert has_model(child.info.run_id)


def test_disable_restores_hyperopt_exactly_and_options_are_checked(tracking, runs):
    import importlib

    from hyperopt import base

    fmin_module = importlib.import_module("hyperopt.fmin")  # hyperopt.fmin the attribute is the function
    originals = (vars(fmin_module.FMinIter)["exhaust"], vars(base.Domain)["evaluate"])
    mltrail.hyperopt.autolog()
    mltrail.hyperopt.autolog()
    assert vars(fmin_module.FMinIter)["exhaust"] is not originals[0]
    mltrail.hyperopt.autolog(disable=True)
    assert (vars(fmin_module.FMinIter)["exhaust"], vars(base.Domain)["evaluate"]) == originals
    fmin(lambda p: p["x"], {"x": hp.uniform("x", 0, 1)}, algo=tpe.suggest, max_evals=2,
         rstate=np.random.default_rng(14), show_progressbar=False)
    assert runs.all() == []
    for bad in (-1, 2.5, "3", True):
        with pytest.raises(mltrail.MltrailError, match="max_trial_models"):
            mltrail.hyperopt.autolog(max_trial_models=bad)


def test_autolog_before_importing_the_frameworks(tmp_path):
    """A fresh interpreter: autolog() first, then hyperopt and xgboost are imported (post-import hooks)."""
    import subprocess
    import sys
    import textwrap

    script = textwrap.dedent(f"""
        import mltrail
        mltrail.set_tracking_uri("sqlite:///{tmp_path}/m.db")
        mltrail.autolog()
        import numpy as np
        import xgboost as xgb
        from hyperopt import fmin, hp, tpe
        X = np.random.default_rng(0).normal(size=(60, 3)); y = X[:, 0]
        d = xgb.DMatrix(X, label=y)
        def objective(p):
            b = xgb.train({{"max_depth": 2, "eta": p["eta"], "nthread": 1}}, d, 3, evals=[(d, "train")],
                          verbose_eval=False)
            return float(np.mean((b.predict(d) - y) ** 2))
        fmin(objective, {{"eta": hp.uniform("eta", 0.1, 0.5)}}, algo=tpe.suggest, max_evals=2,
             rstate=np.random.default_rng(0), show_progressbar=False)
        runs = mltrail.search_runs(output_format="list")
        children = [r for r in runs if "mlflow.parentRunId" in r.data.tags]
        print(len(runs), len(children), all("train-rmse" in r.data.metrics for r in children))
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["3", "2", "True"]


class RandomSearch:
    """A user's own algorithm: a callable object without a ``__name__``."""

    def __call__(self, new_ids, domain, trials, seed):
        return rand.suggest(new_ids, domain, trials, seed)


def user_suggest(new_ids, domain, trials, seed):
    """A user's own algorithm defined in a package module (dotted module name)."""
    return rand.suggest(new_ids, domain, trials, seed)


def _exec_suggest(module_globals: dict):
    """A suggest function defined by exec() in ``module_globals`` (its ``__module__`` is their ``__name__``)."""
    namespace: dict = {}
    exec("def adhoc(new_ids, domain, trials, seed):\n    return suggest(new_ids, domain, trials, seed)\n",
         {"suggest": rand.suggest, **module_globals}, namespace)
    return namespace["adhoc"]


@pytest.mark.parametrize("algo, tag", [
    (functools.partial(tpe.suggest, n_startup_jobs=2), "tpe.suggest"),
    (anneal.suggest, "anneal.suggest"),
    (user_suggest, "test_autolog_sweep.user_suggest"),
    (RandomSearch(), "test_autolog_sweep.RandomSearch"),
    (_exec_suggest({"__name__": "__main__"}), "__main__.adhoc"),  # defined in the script being run
    (_exec_suggest({}), "adhoc"),  # no __name__ in its globals: its __module__ is None
], ids=["partial", "anneal", "user-function", "callable-object", "script", "no-module"])
def test_algorithm_tag_names_the_suggest_function(tracking, runs, algo, tag):
    mltrail.hyperopt.autolog()
    fmin(lambda p: p["x"], {"x": hp.uniform("x", 0, 1)}, algo=algo, max_evals=2, rstate=np.random.default_rng(15),
         show_progressbar=False)
    (parent,) = runs.parents()
    assert parent.data.tags["algorithm"] == tag
    assert len(runs.children(parent.info.run_id)) == 2


@pytest.mark.parametrize("max_evals, tag", [(2**62 - 1, str(2**62 - 1)), (2**62, "unlimited"), (None, "unlimited")],
                         ids=["just-below", "at-the-limit", "none"])
def test_max_evals_tag_of_open_ended_sweeps(tracking, runs, max_evals, tag):
    mltrail.hyperopt.autolog()
    fmin(lambda p: 1.0, {"x": hp.uniform("x", 0, 1)}, algo=rand.suggest, max_evals=max_evals,
         early_stop_fn=no_progress_loss(1), rstate=np.random.default_rng(16), show_progressbar=False)
    (parent,) = runs.parents()
    assert parent.data.tags["max_evals"] == tag
    assert parent.data.metrics["n_trials"] == 2 == len(runs.children(parent.info.run_id))


def test_resuming_after_a_failed_trial_counts_it_as_done(tracking, runs):
    mltrail.hyperopt.autolog()
    trials = Trials()
    space = {"x": hp.uniform("x", 0, 1)}

    calls = []

    def failing_second(p):
        calls.append(p)
        if len(calls) == 2:  # trial 1 raises (its document stays JOB_STATE_ERROR)
            raise RuntimeError("diverged")
        return p["x"]

    fmin(failing_second, space, algo=rand.suggest, max_evals=3, trials=trials, catch_eval_exceptions=True,
         rstate=np.random.default_rng(17), show_progressbar=False)
    (first,) = runs.parents()
    assert [c.info.status for c in runs.children(first.info.run_id)] == ["FINISHED", "FAILED", "FINISHED"]
    assert "resumed_trials" not in first.data.tags
    fmin(lambda p: p["x"], space, algo=rand.suggest, max_evals=5, trials=trials, rstate=np.random.default_rng(18),
         show_progressbar=False)
    (second,) = [p for p in runs.parents() if p.info.run_id != first.info.run_id]
    assert second.data.tags["resumed_trials"] == "3"  # the failed trial is one of them
    # hyperopt does not count the failed trial towards max_evals: three new trials, each with one new run
    assert [c.info.run_name for c in runs.children(second.info.run_id)] == ["trial-3", "trial-4", "trial-5"]
    assert (second.data.metrics["n_trials"], second.data.metrics["n_failed_trials"]) == (3, 0)
    assert len(runs.all()) == 2 + 3 + 3


def test_interrupted_trial_is_killed_and_the_sweep_summarized(tracking, runs):
    mltrail.hyperopt.autolog()
    calls = []

    def objective(p):
        calls.append(p["x"])
        if len(calls) == 2:
            raise KeyboardInterrupt
        return p["x"]

    with pytest.raises(KeyboardInterrupt):
        fmin(objective, {"x": hp.uniform("x", 0, 1)}, algo=rand.suggest, max_evals=4,
             rstate=np.random.default_rng(19), show_progressbar=False)
    (parent,) = runs.parents()
    first, interrupted = runs.children(parent.info.run_id)
    assert (first.info.status, interrupted.info.status) == ("FINISHED", "KILLED")
    assert interrupted.data.tags["mltrail.hyperopt.status"] == "error"
    assert interrupted.data.tags["error"] == "KeyboardInterrupt"
    assert (parent.data.metrics["n_trials"], parent.data.metrics["n_failed_trials"]) == (2, 1)
    assert parent.data.metrics["best_loss"] == calls[0] and parent.info.status == "FAILED"
    assert mltrail.active_run() is None


@pytest.mark.parametrize("leaves", ["ended", "open"])
def test_objective_that_ends_the_trial_run_or_leaves_runs_open(tracking, runs, leaves):
    mltrail.hyperopt.autolog()

    def objective(p):
        if leaves == "ended":
            mltrail.end_run()  # the trial's run, ended by the objective
        else:
            mltrail.start_run(nested=True)  # the trial's run (joined)...
            mltrail.start_run(nested=True)  # ...and one above it, never ended
        return {"loss": p["x"], "status": STATUS_OK if p["x"] >= 0.5 else STATUS_FAIL}

    trials = Trials()
    fmin(objective, {"x": hp.uniform("x", 0, 1)}, algo=rand.suggest, max_evals=4, trials=trials,
         rstate=np.random.default_rng(20), show_progressbar=False)
    assert mltrail.active_run() is None
    (parent,) = runs.parents()
    children = runs.children(parent.info.run_id)
    losses = [t["result"]["loss"] for t in trials.trials]
    assert {x >= 0.5 for x in losses} == {True, False}  # the seed draws both kinds
    assert [c.info.status for c in children] == ["FINISHED" if x >= 0.5 else "FAILED" for x in losses]
    assert [c.data.metrics["loss"] for c in children] == losses
    assert [c.data.params["x"] for c in children] == [str(t["misc"]["vals"]["x"][0]) for t in trials.trials]
    assert [c.data.tags["mltrail.hyperopt.status"] for c in children] == [t["result"]["status"] for t in trials.trials]
    assert all(c.info.end_time is not None for c in children)
    assert parent.data.metrics["best_loss"] == min(x for x in losses if x >= 0.5)


def test_tied_trials_keep_the_earliest_models(tracking, runs):
    from sklearn.linear_model import Ridge

    rng = np.random.default_rng(21)
    X = rng.normal(size=(40, 2))
    y = X[:, 0] + rng.normal(0, 0.1, 40)
    script = iter([1.0, math.nan, 1.0, -1e9, 0.5, 1.0])  # -1e9: a failed trial's loss
    mltrail.autolog(max_trial_models=2)

    def objective(p):
        Ridge(alpha=p["alpha"]).fit(X, y)
        loss = next(script)
        return {"loss": loss, "status": STATUS_FAIL if loss < 0 else STATUS_OK}

    fmin(objective, {"alpha": hp.uniform("alpha", 0.1, 1)}, algo=rand.suggest, max_evals=6,
         rstate=np.random.default_rng(22), show_progressbar=False)
    (parent,) = runs.parents()
    children = runs.children(parent.info.run_id)
    assert [has_model(c.info.run_id) for c in children] == [True, False, False, False, True, False]
    assert parent.data.tags["best_trial_run_id"] == children[4].info.run_id
