"""The plugin API and the runtime rules, on a toy framework patched like a real one."""

from __future__ import annotations

import importlib
import sys
import threading

import pytest

import mltrail
from mltrail.autologging import AutologCall, Integration, in_autologged_call, new_scope
from mltrail.exceptions import InvalidParameterError


class ToyIntegration(Integration):
    """Logs lr before training and loss after; ``fail_at`` injects errors into our own logging."""

    name = "toy"
    framework = ""  # set per test (a fresh module name)
    min_version = "1.0"
    max_version = "1"
    config_defaults = {"fail_at": None}

    def patch(self, module) -> None:
        self.wrap(module.Model, "train", self._log_train)
        self.wrap(module, "train", self._log_function)

    def _log_train(self, call: AutologCall) -> None:
        if call.config.fail_at == "before":
            raise ValueError("bug before training")
        call.log_params({"lr": call.instance.lr, "steps": call.kwargs.get("steps", 3)})
        model = call.call_original()
        if call.config.fail_at == "after":
            raise ValueError("bug after training")
        call.log_metrics({"loss": model.loss})

    def _log_function(self, call: AutologCall) -> None:
        call.set_tags({"entry": "function"})
        call.call_original()


def make_integration(module_name: str, **attrs) -> ToyIntegration:
    cls = type("Toy", (ToyIntegration,), {"framework": module_name, **attrs})
    return cls()


def runs(client: mltrail.Client):
    exp = client.get_experiment_by_name("Default")
    return client.search_runs([exp.experiment_id]) if exp else []


def test_patch_then_disable_restores_exact_originals(tracking, toy_module_name):
    toy = importlib.import_module(toy_module_name)
    original_method = toy.Model.__dict__["train"]
    original_function = toy.train
    integration = make_integration(toy_module_name)

    integration.autolog()
    assert toy.Model.__dict__["train"] is not original_method
    wrapper = toy.Model.__dict__["train"]
    integration.autolog(log_models=False)  # twice: still one patch, config updated
    assert toy.Model.__dict__["train"] is wrapper
    assert integration.config.log_models is False

    integration.autolog(disable=True)
    assert toy.Model.__dict__["train"] is original_method
    assert toy.train is original_function
    assert not integration.patched


def test_autologged_call_logs_to_a_new_finished_run(tracking, toy_module_name):
    toy = importlib.import_module(toy_module_name)
    integration = make_integration(toy_module_name)
    integration.autolog(extra_tags={"team": "pricing"})
    try:
        model = toy.Model(lr=0.5).train(steps=4)
    finally:
        integration.autolog(disable=True)
    assert model.loss == 0.5
    (run,) = runs(tracking)
    assert run.info.status == "FINISHED"
    assert run.data.params == {"lr": "0.5", "steps": "4"}
    assert run.data.metrics == {"loss": 0.5}
    assert run.data.tags["team"] == "pricing"
    assert run.data.tags["mlflow.autologging"] == "toy"
    assert mltrail.active_run() is None


def test_framework_imported_after_autolog_is_patched(tracking, toy_module_name):
    integration = make_integration(toy_module_name)
    integration.autolog()
    try:
        assert toy_module_name not in sys.modules
        toy = importlib.import_module(toy_module_name)
        assert integration.patched
        toy.Model().train()
    finally:
        integration.autolog(disable=True)
    assert len(runs(tracking)) == 1


def test_outermost_call_wins(tracking, toy_module_name):
    toy = importlib.import_module(toy_module_name)
    integration = make_integration(toy_module_name)
    integration.autolog()
    try:
        toy.Model().train_twice()  # train_twice is not patched: two outermost calls
        toy.train(steps=5)  # function -> Model.train inside: one run
    finally:
        integration.autolog(disable=True)
    found = runs(tracking)
    assert len(found) == 3
    function_runs = [r for r in found if r.data.tags.get("entry") == "function"]
    assert len(function_runs) == 1 and function_runs[0].data.params == {}


def test_new_scope_lets_designed_child_runs_log(tracking, toy_module_name):
    toy = importlib.import_module(toy_module_name)
    integration = make_integration(toy_module_name)

    class Outer(ToyIntegration):
        name = "outer"
        framework = toy_module_name

        def patch(self, module):
            self.wrap(module.Model, "train_twice", self._trial)

        def _trial(self, call):
            assert in_autologged_call()
            with mltrail.start_run(nested=True, run_name="trial"):
                with new_scope():
                    assert not in_autologged_call()
                    call.call_original()

    outer = Outer()
    integration.autolog()
    outer.autolog()
    try:
        toy.Model().train_twice()
    finally:
        outer.autolog(disable=True)
        integration.autolog(disable=True)
    found = runs(tracking)
    trial = next(r for r in found if r.info.run_name == "trial")
    # both inner train() calls logged into the trial's run (reused, not ended by them)
    assert sorted(m.value for m in tracking.get_metric_history(trial.info.run_id, "loss")) == [5.0, 10.0]
    assert trial.info.status == "FINISHED"
    assert trial.data.tags["mlflow.parentRunId"] in {r.info.run_id for r in found}


def test_user_run_is_reused_and_left_running(tracking, toy_module_name):
    toy = importlib.import_module(toy_module_name)
    integration = make_integration(toy_module_name)
    integration.autolog()
    try:
        with mltrail.start_run() as run:
            toy.Model(lr=0.25).train(steps=4)
            assert mltrail.active_run().info.run_id == run.info.run_id
            assert tracking.get_run(run.info.run_id).info.status == "RUNNING"
    finally:
        integration.autolog(disable=True)
    (logged,) = runs(tracking)
    assert logged.info.run_id == run.info.run_id
    assert logged.data.metrics == {"loss": 1.0}


def test_exclusive_leaves_user_runs_alone(tracking, toy_module_name):
    toy = importlib.import_module(toy_module_name)
    integration = make_integration(toy_module_name)
    integration.autolog(exclusive=True)
    try:
        with mltrail.start_run() as run:
            model = toy.Model().train()
        toy.Model().train()  # no user run: logged to its own run
    finally:
        integration.autolog(disable=True)
    assert model.loss == pytest.approx(1.0 / (3 * 0.1))  # the user's training ran and returned normally
    assert tracking.get_run(run.info.run_id).data.params == {}
    assert len(runs(tracking)) == 2


@pytest.mark.parametrize("fail_at", ["before", "after"])
def test_bug_in_our_logging_returns_the_original_result(tracking, toy_module_name, autolog_warnings, fail_at):
    toy = importlib.import_module(toy_module_name)
    integration = make_integration(toy_module_name)
    integration.autolog(fail_at=fail_at)
    try:
        model = toy.Model(lr=0.5)
        returned = model.train(steps=4)
    finally:
        integration.autolog(disable=True)
    assert returned is model and model.loss == 0.5
    messages = autolog_warnings()
    assert len(messages) == 1 and f"bug {fail_at} training" in messages[0]
    (run,) = runs(tracking)
    assert run.info.status == "FINISHED"


def test_framework_error_propagates_unchanged_and_run_fails(tracking, toy_module_name, autolog_warnings):
    toy = importlib.import_module(toy_module_name)
    integration = make_integration(toy_module_name)
    integration.autolog()
    try:
        with pytest.raises(toy.TrainError, match="diverged at step 2") as info:
            toy.Model(lr=0.3).train(fail=True)
    finally:
        integration.autolog(disable=True)
    assert type(info.value) is toy.TrainError
    (run,) = runs(tracking)
    assert run.info.status == "FAILED"
    assert run.data.params["lr"] == "0.3"  # what was known before the failure is kept
    assert autolog_warnings() == []


def test_one_warning_per_distinct_problem(tracking, toy_module_name, autolog_warnings):
    toy = importlib.import_module(toy_module_name)
    integration = make_integration(toy_module_name)
    integration.autolog(fail_at="after")
    try:
        for _ in range(3):
            toy.Model().train()
    finally:
        integration.autolog(disable=True)
    assert len(autolog_warnings()) == 1


def test_silent_suppresses_warnings(tracking, toy_module_name, autolog_warnings):
    toy = importlib.import_module(toy_module_name)
    integration = make_integration(toy_module_name)
    integration.autolog(fail_at="after", silent=True)
    try:
        toy.Model().train()
    finally:
        integration.autolog(disable=True)
    assert autolog_warnings() == []


def test_unsupported_version_warns_and_can_stay_off(tracking, toy_module_name, autolog_warnings):
    toy = importlib.import_module(toy_module_name)
    original = toy.Model.__dict__["train"]
    integration = make_integration(toy_module_name, min_version="2.0", max_version="3")
    integration.autolog(disable_for_unsupported_versions=True)
    assert toy.Model.__dict__["train"] is original
    (message,) = autolog_warnings()
    assert "2.0 to 3" in message and "1.4.0" in message
    integration.autolog()  # default: warn but patch
    try:
        assert toy.Model.__dict__["train"] is not original
    finally:
        integration.autolog(disable=True)


def test_unknown_option_names_the_option(toy_module_name):
    integration = make_integration(toy_module_name)
    with pytest.raises(InvalidParameterError, match="'log_modles'.*valid options are"):
        integration.autolog(log_modles=False)
    assert not integration.enabled


def test_store_down_at_run_start_still_trains(toy_module_name, autolog_warnings, tmp_path):
    toy = importlib.import_module(toy_module_name)
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the database folder should be")
    mltrail.set_tracking_uri(f"sqlite:///{blocker}/sub/mltrail.db")
    integration = make_integration(toy_module_name)
    integration.autolog()
    try:
        model = toy.Model(lr=0.5).train(steps=4)
    finally:
        integration.autolog(disable=True)
    assert model.loss == 0.5
    messages = autolog_warnings()
    assert len(messages) == 1 and "could not start or find a run" in messages[0]


def test_threads_have_their_own_outermost_call(tracking, toy_module_name):
    toy = importlib.import_module(toy_module_name)
    integration = make_integration(toy_module_name)
    integration.autolog()
    try:
        threads = [threading.Thread(target=lambda: toy.Model().train()) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        integration.autolog(disable=True)
    assert [r.info.status for r in runs(tracking)] == ["FINISHED"] * 3
