"""What a hook does with its ``AutologCall``, as the user sees it in the store and the warnings.

Each test patches the toy framework's ``Model.train`` with a hook of its own (the way an
integration's hook uses the call) and checks the stored runs: values converted and truncated,
batches written earlier or refused, child runs, artifacts, and the framework's result and
errors reaching the user whatever the hook does.
"""

from __future__ import annotations

import contextlib
import importlib
from typing import Callable, Iterator

import pytest

import mltrail
from mltrail.autologging import AutologCall, Integration, start_autolog_run
from mltrail.data import from_numpy

NOTE = "... [truncated by mltrail autologging from {} characters]"


@contextlib.contextmanager
def autologged(module_name: str, hook: Callable[[AutologCall], None], **config) -> Iterator[Integration]:
    """``module_name``'s ``Model.train`` autologged through ``hook`` for the block."""
    cls = type("HookIntegration", (Integration,), {
        "name": "toy", "framework": module_name,
        "patch": lambda self, module: self.wrap(module.Model, "train", hook),
    })
    integration = cls()
    integration.autolog(**config)
    try:
        yield integration
    finally:
        integration.autolog(disable=True)


@pytest.fixture
def toy(toy_module_name):
    return importlib.import_module(toy_module_name)


def only_run(client: mltrail.Client):
    (run,) = client.search_runs(["0"])
    return run


def test_long_values_and_keys_are_truncated_with_a_note_and_one_warning(tracking, toy, autolog_warnings):
    long_key = "k" * 251

    def hook(call):
        call.log_params({"over": "p" * 6001, "exact": "q" * 6000, long_key: "v", "n": 7, "over2": "o" * 7000})
        call.set_tags({"over": "t" * 8001, "exact": "u" * 8000, "n": 2.5})
        call.call_original()

    with autologged(toy.__name__, hook):
        toy.Model().train()
    data = only_run(tracking).data
    assert data.params["over"] == "p" * (6000 - len(NOTE.format(6001))) + NOTE.format(6001)
    assert data.params["exact"] == "q" * 6000 and data.params["n"] == "7"
    assert data.params["k" * 250] == "v"
    assert data.tags["over"] == "t" * (8000 - len(NOTE.format(8001))) + NOTE.format(8001)
    assert data.tags["exact"] == "u" * 8000 and data.tags["n"] == "2.5"
    (warning,) = autolog_warnings()
    assert warning == (
        "mltrail autologging (toy): truncated the values of params over, over2 to 6000 characters "
        "(the value ends with a note saying so). The result of your call is unaffected."
    )


class Unprintable:
    def __str__(self) -> str:
        raise RuntimeError("no text for you")


def test_a_value_whose_str_raises_is_described_instead(tracking, toy, autolog_warnings):
    def hook(call):
        call.log_params({"odd": Unprintable()})
        call.set_tags({"odd": Unprintable()})
        call.call_original()

    with autologged(toy.__name__, hook):
        toy.Model().train()
    data = only_run(tracking).data
    assert data.params["odd"] == "<unprintable Unprintable: RuntimeError: no text for you>"
    assert data.tags["odd"] == "<unprintable Unprintable: RuntimeError: no text for you>"
    assert autolog_warnings() == []


def test_metrics_that_are_not_numbers_are_skipped_with_a_note(tracking, toy, autolog_warnings):
    def hook(call):
        model = call.call_original()
        call.log_metrics({"loss": model.loss, "label": "abc", "nothing": None, "text": "2.5",
                          "nan": float("nan"), "inf": float("inf")}, step=3.0, timestamp=1234)

    with autologged(toy.__name__, hook):
        toy.Model(lr=0.5).train(steps=4)
    run = only_run(tracking)
    metrics = run.data.metrics
    assert metrics["loss"] == 0.5 and metrics["text"] == 2.5 and metrics["inf"] == float("inf")
    assert metrics["nan"] != metrics["nan"]  # NaN kept
    assert set(metrics) == {"loss", "text", "nan", "inf"}
    ((step, timestamp),) = [(m.step, m.timestamp) for m in tracking.get_metric_history(run.info.run_id, "loss")]
    assert (step, timestamp) == (3, 1234)
    (warning,) = autolog_warnings()
    assert "skipped metrics label, nothing (their values are not numbers)" in warning


def test_flush_writes_a_batch_during_the_call(tracking, toy):
    seen = {}

    def hook(call):
        call.log_params({"lr": call.instance.lr})
        seen["pending"] = call.pending_params
        seen["pending"]["lr"] = "changed by the hook"  # a copy: the call's buffer is not touched
        call.log_metrics({"loss": 3.0}, step=0)
        call.flush()
        seen["stored"] = tracking.get_run(call.run_id).data
        seen["pending_after_flush"] = call.pending_params
        call.flush()  # nothing buffered: nothing written
        call.call_original()
        call.log_metrics({"loss": 1.0}, step=1)

    with autologged(toy.__name__, hook):
        toy.Model(lr=0.2).train()
    assert seen["stored"].params == {"lr": "0.2"} and seen["stored"].metrics == {"loss": 3.0}
    assert seen["pending_after_flush"] == {}
    run = only_run(tracking)
    assert run.info.status == "FINISHED"
    assert run.data.params["lr"] == "0.2"
    assert [(m.step, m.value) for m in tracking.get_metric_history(run.info.run_id, "loss")] == [(0, 3.0), (1, 1.0)]


def test_a_second_fit_with_other_params_in_one_user_run_keeps_its_metrics(tracking, toy, autolog_warnings):
    def hook(call):
        call.log_params({"lr": call.instance.lr})
        model = call.call_original()
        call.log_metrics({"loss": model.loss})
        call.set_tags({"fit": str(call.instance.lr)})

    with autologged(toy.__name__, hook):
        with mltrail.start_run() as run:
            toy.Model(lr=0.5).train(steps=4)
            toy.Model(lr=0.25).train(steps=4)
    data = tracking.get_run(run.info.run_id).data
    assert data.params == {"lr": "0.5"}  # the first value stays
    history = tracking.get_metric_history(run.info.run_id, "loss")
    assert sorted((m.step, m.value) for m in history) == [(0, 0.5), (0, 1.0)]  # step 0 unless told
    assert data.tags["fit"] == "0.25"
    (warning,) = autolog_warnings()
    assert "could not log params (the run already has different values for them)" in warning


def test_a_refused_batch_without_params_is_not_retried_without_params(tracking, toy, autolog_warnings):
    def hook(call):
        call.call_original()
        call.set_tags({"": "a tag without a name"})  # refused by the store (no param involved)
        call.log_metrics({"loss": 1.0})

    with autologged(toy.__name__, hook):
        with mltrail.start_run() as run:
            toy.Model().train()
    data = tracking.get_run(run.info.run_id).data
    assert data.metrics == {}  # the whole batch was refused, as one transaction
    (warning,) = autolog_warnings()
    assert "could not write params, metrics and tags: InvalidParameterError" in warning


def test_the_original_runs_even_when_the_hook_never_calls_it(tracking, toy):
    def hook(call):
        call.log_params({"lr": call.instance.lr})
        assert not call.original_called and call.result is None

    with autologged(toy.__name__, hook):
        model = toy.Model(lr=0.5)
        returned = model.train(steps=4)
    assert returned is model and model.loss == 0.5
    run = only_run(tracking)
    assert run.info.status == "FINISHED" and run.data.params == {"lr": "0.5"}


def test_a_framework_error_raised_when_the_hook_does_not_call_it_fails_the_run(tracking, toy):
    with autologged(toy.__name__, lambda call: call.log_params({"lr": 1})):
        with pytest.raises(toy.TrainError, match="diverged"):
            toy.Model().train(fail=True)
    run = only_run(tracking)
    assert run.info.status == "FAILED" and run.data.params == {"lr": "1"}
    assert mltrail.active_run() is None


def test_call_original_with_other_arguments_returns_that_result(tracking, toy):
    seen = {}

    def hook(call):
        seen["returned"] = call.call_original(steps=10)
        seen["called"], seen["result"] = call.original_called, call.result

    with autologged(toy.__name__, hook):
        model = toy.Model(lr=0.5)
        returned = model.train(steps=2)
    assert returned is model and model.loss == pytest.approx(0.2)  # trained with the hook's steps=10
    assert seen == {"returned": model, "called": True, "result": model}


def test_a_framework_error_the_hook_swallows_still_reaches_the_user(tracking, toy):
    def hook(call):
        try:
            call.call_original()
        except toy.TrainError:
            call.log_metrics({"after_error": 1.0})

    with autologged(toy.__name__, hook):
        with pytest.raises(toy.TrainError, match="diverged at step 2"):
            toy.Model().train(fail=True)
    run = only_run(tracking)
    assert run.info.status == "FAILED" and run.data.metrics == {"after_error": 1.0}


def test_a_hook_error_after_a_framework_error_leaves_the_framework_error_alone(tracking, toy, autolog_warnings):
    def hook(call):
        try:
            call.call_original()
        finally:
            raise ValueError("bug while handling the failure")

    with autologged(toy.__name__, hook):
        with pytest.raises(toy.TrainError, match="diverged at step 2") as info:
            toy.Model().train(fail=True)
    assert info.value.__suppress_context__  # the traceback shows the framework's error, not our bug
    assert only_run(tracking).info.status == "FAILED"


def test_an_interrupt_inside_the_hook_ends_the_run_failed_and_propagates(tracking, toy):
    def hook(call):
        call.call_original()
        raise KeyboardInterrupt

    with autologged(toy.__name__, hook):
        with pytest.raises(KeyboardInterrupt):
            toy.Model().train()
    assert only_run(tracking).info.status == "FAILED"
    assert mltrail.active_run() is None


def test_our_bug_is_warned_once_with_its_cause(tracking, toy, autolog_warnings):
    def hook(call):
        call.call_original()
        call.safely("log the model", lambda: 1 / 0)
        call.note("logged the loss as a string")
        call.note("logged the loss as a string")
        raise ValueError("bug after training")

    with autologged(toy.__name__, hook):
        toy.Model().train()
    assert autolog_warnings() == [
        "mltrail autologging (toy): could not log the model: ZeroDivisionError: division by zero; "
        "logged the loss as a string; could not autolog: ValueError: bug after training. "
        "The result of your call is unaffected."
    ]


def test_safely_returns_what_the_step_returns(tracking, toy):
    seen = {}

    def hook(call):
        call.call_original()
        seen["ok"] = call.safely("add", lambda a, b=0: a + b, 2, b=3)
        seen["failed"] = call.safely("divide", lambda: 1 / 0)

    with autologged(toy.__name__, hook, silent=True):
        toy.Model().train()
    assert seen == {"ok": 5, "failed": None}


def test_exclusive_logs_into_a_run_another_integration_started(tracking, toy):
    def hook(call):
        call.log_metrics({"loss": call.call_original().loss})

    with autologged(toy.__name__, hook, exclusive=True, extra_tags={"team": "pricing"}):
        trial = start_autolog_run("sweeper", run_name="trial")
        toy.Model(lr=0.5).train(steps=4)
        assert mltrail.active_run().info.run_id == trial.info.run_id  # reused, left open
        mltrail.end_run()
    run = only_run(tracking)
    assert run.info.run_id == trial.info.run_id
    assert run.data.metrics == {"loss": 0.5} and run.data.tags["team"] == "pricing"
    assert run.data.tags["mlflow.autologging"] == "sweeper"  # the run keeps its owner's tag


def test_a_user_run_gets_extra_tags_but_no_autologging_tag(tracking, toy):
    with autologged(toy.__name__, lambda call: None, extra_tags={"team": "pricing"}):
        with mltrail.start_run() as run:
            toy.Model().train()
    tags = tracking.get_run(run.info.run_id).data.tags
    assert tags["team"] == "pricing" and "mlflow.autologging" not in tags


def test_log_child_run_writes_a_finished_child_of_the_call_run(tracking, toy, autolog_warnings):
    import numpy as np

    seen = {}
    dataset = from_numpy(np.arange(6.0).reshape(3, 2), targets=np.array([0, 1, 0]), name="train-set")

    def hook(call):
        call.call_original()
        seen["child"] = call.log_child_run(
            run_name="candidate-1", params={"alpha": 0.1, "long": "x" * 6001}, metrics={"score": 0.9, "bad": "?"},
            tags={"kind": "candidate"}, dataset=dataset, start_time=1_000,
        )
        seen["bare"] = call.log_child_run()

    with autologged(toy.__name__, hook, extra_tags={"team": "pricing"}):
        toy.Model().train()
    runs = {r.info.run_id: r for r in tracking.search_runs(["0"])}
    parent = next(r for r in runs.values() if "mlflow.parentRunId" not in r.data.tags)
    child = runs[seen["child"]]
    assert child.info.run_name == "candidate-1" and child.info.status == "FINISHED"
    assert child.info.start_time == 1_000 and child.info.end_time >= parent.info.start_time
    assert child.data.params["alpha"] == "0.1" and child.data.params["long"].endswith(NOTE.format(6001))
    assert child.data.metrics == {"score": 0.9}
    assert {k: child.data.tags[k] for k in ("mlflow.parentRunId", "mlflow.autologging", "team", "kind")} == {
        "mlflow.parentRunId": parent.info.run_id, "mlflow.autologging": "toy", "team": "pricing", "kind": "candidate",
    }
    assert "mlflow.user" in child.data.tags  # the same context tags as every run
    ((dataset_input,),) = [child.inputs.dataset_inputs]
    assert dataset_input.dataset.name == "train-set"
    assert [(t.key, t.value) for t in dataset_input.tags] == [("mlflow.data.context", "train")]
    bare = runs[seen["bare"]]
    assert bare.data.params == {} and bare.inputs.dataset_inputs == []
    assert bare.data.tags["mlflow.parentRunId"] == parent.info.run_id
    (warning,) = autolog_warnings()  # the child's notes are the parent call's
    assert "truncated the values of params long" in warning and "skipped metrics bad" in warning


def test_a_child_run_the_store_refuses_is_warned_and_the_call_goes_on(tracking, toy, autolog_warnings):
    seen = {}

    def hook(call):
        call.call_original()
        seen["child"] = call.log_child_run(tags={"": "a tag without a name"})
        call.log_metrics({"loss": 1.0})

    with autologged(toy.__name__, hook):
        toy.Model().train()
    assert seen["child"] is None
    run = only_run(tracking)
    assert run.data.metrics == {"loss": 1.0} and run.info.status == "FINISHED"
    (warning,) = autolog_warnings()
    assert "could not create a child run: InvalidParameterError" in warning


def test_artifacts_written_now_and_later_land_in_the_run(tracking, toy, autolog_warnings):
    seen = {}

    def hook(call):
        call.call_original()
        call.log_artifact_bytes(b"first", "notes/a.txt")
        call.log_artifact_bytes(b"second", "notes/b.txt")
        seen["later"] = call.log_artifacts_later("draw the plot", lambda: {"plot.png": b"png bytes"})
        call.log_artifacts_later("draw the broken plot", lambda: 1 / 0)

    with autologged(toy.__name__, hook):
        toy.Model().train()
    run = only_run(tracking)
    mltrail.flush_artifacts()
    root = tracking.download_artifacts(run.info.run_id, "")
    assert open(f"{root}/notes/a.txt", "rb").read() == b"first"
    assert open(f"{root}/notes/b.txt", "rb").read() == b"second"
    assert open(f"{root}/plot.png", "rb").read() == b"png bytes"
    assert seen["later"] is True
    (warning,) = autolog_warnings()
    assert warning == (
        "mltrail autologging (toy): could not draw the broken plot: ZeroDivisionError: division by zero. "
        "The result of your call is unaffected."
    )


def test_the_hook_sees_the_run_it_logs_to(tracking, toy):
    seen = []

    def hook(call):
        seen.append({"run_id": call.run_id, "experiment_id": call.experiment_id, "created": call.created_run,
                     "artifact_uri": call.artifact_uri, "uri": call.client.tracking_uri})
        call.call_original()

    with autologged(toy.__name__, hook):
        toy.Model().train()
        with mltrail.start_run() as user_run:
            toy.Model().train()
    own = tracking.get_run(seen[0]["run_id"])
    assert seen[0] == {"run_id": own.info.run_id, "experiment_id": "0", "created": True,
                       "artifact_uri": own.info.artifact_uri, "uri": tracking.tracking_uri}
    assert seen[1] == {"run_id": user_run.info.run_id, "experiment_id": "0", "created": False,
                       "artifact_uri": user_run.info.artifact_uri, "uri": tracking.tracking_uri}


def test_write_child_batch_logs_to_a_designed_child_and_ends_it(tracking, toy):
    seen = {}

    def hook(call):
        call.call_original()
        trial = start_autolog_run("sweeper", nested=True, run_name="trial")
        call.write_child_batch(trial.info.run_id, params={"depth": 4}, metrics={"loss": 0.3},
                               tags={"kind": "trial"}, timestamp=1_234)
        seen["running"] = tracking.get_run(trial.info.run_id).info.status
        call.write_child_batch(trial.info.run_id, metrics={"loss": 0.2}, timestamp=1_500,
                               end_status="KILLED", end_time=2_000)
        seen["active_after_end"] = mltrail.active_run().info.run_id
        seen["trial"], seen["parent"] = trial.info.run_id, call.run_id

    with autologged(toy.__name__, hook):
        toy.Model().train()
    trial = tracking.get_run(seen["trial"])
    assert seen["running"] == "RUNNING" and seen["active_after_end"] == seen["parent"]
    assert (trial.info.status, trial.info.end_time) == ("KILLED", 2_000)
    assert trial.data.params == {"depth": "4"} and trial.data.tags["kind"] == "trial"
    assert [(m.value, m.timestamp) for m in tracking.get_metric_history(trial.info.run_id, "loss")] == [
        (0.3, 1_234), (0.2, 1_500)]


def test_a_dataset_logged_without_context_has_no_context_tag(tracking, toy):
    import numpy as np

    def hook(call):
        call.log_input(from_numpy(np.zeros((2, 2)), name="plain"))
        call.call_original()

    with autologged(toy.__name__, hook):
        toy.Model().train()
    (dataset_input,) = only_run(tracking).inputs.dataset_inputs
    assert dataset_input.dataset.name == "plain" and dataset_input.tags == []


@pytest.mark.parametrize("fail", [False, True])
def test_a_run_with_nothing_left_to_write_is_still_ended(tracking, toy, autolog_warnings, fail):
    def hook(call):
        call.log_params({"lr": call.instance.lr})
        call.flush()  # everything written: the run's end carries no batch
        call.call_original()

    with autologged(toy.__name__, hook):
        if fail:
            with pytest.raises(toy.TrainError):
                toy.Model(lr=0.5).train(fail=True)
        else:
            toy.Model(lr=0.5).train()
    run = only_run(tracking)
    assert run.info.status == ("FAILED" if fail else "FINISHED") and run.data.params == {"lr": "0.5"}
    assert mltrail.active_run() is None and autolog_warnings() == []


@pytest.mark.parametrize("fail", [False, True])
def test_a_last_batch_the_store_refuses_is_warned_and_the_run_still_ends(tracking, toy, autolog_warnings, fail):
    def hook(call):
        call.log_metrics({"loss": 1.0})
        call.set_tags({"": "a tag without a name"})  # the store refuses the whole batch
        call.call_original()

    with autologged(toy.__name__, hook):
        if fail:
            with pytest.raises(toy.TrainError):
                toy.Model().train(fail=True)
        else:
            toy.Model().train()
    run = only_run(tracking)
    assert run.info.status == ("FAILED" if fail else "FINISHED") and run.data.metrics == {}
    assert mltrail.active_run() is None
    (warning,) = autolog_warnings()
    assert warning.startswith("mltrail autologging (toy): could not write params, metrics and tags: "
                              "InvalidParameterError: ")
