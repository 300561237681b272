"""Bad input and broken infrastructure: nothing crashes that would not crash without mltrail.

Each case runs the same sweep with and without tracking where that matters,
and checks what the user sees: fmin's result or exception, and the runs.
"""

from __future__ import annotations

import datetime
import json
import math
import threading
import time

import numpy as np
import pytest
from hyperopt import STATUS_FAIL, STATUS_OK, STATUS_SUSPENDED, Trials, base, fmin, hp, tpe
from hyperopt.utils import coarse_utcnow

import mltrail

SPACE = {"x": hp.uniform("x", 0, 1)}


def _sweep(objective, space=SPACE, max_evals=4, **kwargs):
    return fmin(objective, space, algo=tpe.suggest, max_evals=max_evals, rstate=np.random.default_rng(0),
                show_progressbar=False, **kwargs)


def _raise(exc_type, objective, **kwargs):
    with pytest.raises(exc_type) as info:
        _sweep(objective, **kwargs)
    return info.value


def test_dict_without_status_fails_exactly_as_without_mltrail(tracking, runs):
    objective = lambda p: {"loss": p["x"]}  # noqa: E731
    plain = _raise(KeyError, objective)
    mltrail.hyperopt.autolog()
    tracked = _raise(KeyError, objective)
    assert tracked.args == plain.args
    (parent,) = runs.parents()
    (child,) = runs.children(parent.info.run_id)
    assert parent.info.status == "FAILED" and child.info.status == "FAILED"
    assert "KeyError" in child.data.tags["error"] and "x" in child.data.params
    assert mltrail.active_run() is None


def test_raising_objective_propagates_and_fails_the_trial(tracking, runs):
    def objective(p):
        raise ValueError(f"cannot train with x={p['x']:.3f}")

    plain = _raise(ValueError, objective)
    mltrail.hyperopt.autolog()
    tracked = _raise(ValueError, objective)
    assert str(tracked) == str(plain)
    (parent,) = runs.parents()
    (child,) = runs.children(parent.info.run_id)
    assert child.info.status == "FAILED" and child.data.tags["error"] == f"ValueError: {tracked}"
    assert parent.info.status == "FAILED" and parent.data.metrics["n_failed_trials"] == 1


@pytest.mark.parametrize("message, tag", [
    ("", "ValueError"),
    (" \n ", "ValueError"),
    ("  first line\nsecond line", "ValueError: first line"),
    ("x" * 600, "ValueError: " + "x" * 500),
], ids=["empty", "blank", "two-lines", "long"])
def test_the_error_tag_is_the_first_line_of_the_message(tracking, runs, message, tag):
    def objective(p):
        raise ValueError(message)

    mltrail.hyperopt.autolog()
    _raise(ValueError, objective, max_evals=1)
    (parent,) = runs.parents()
    (child,) = runs.children(parent.info.run_id)
    assert child.data.tags["error"] == tag and child.info.status == "FAILED"


def test_caught_exceptions_and_status_fail_are_failed_trials(tracking, runs):
    mltrail.hyperopt.autolog()

    def objective(p):
        if p["x"] < 0.3:
            raise RuntimeError("diverged")
        if p["x"] < 0.6:
            return {"status": STATUS_FAIL}
        return {"loss": p["x"], "status": STATUS_OK}

    trials = Trials()
    _sweep(objective, max_evals=10, trials=trials, catch_eval_exceptions=True)
    (parent,) = runs.parents()
    children = runs.children(parent.info.run_id)
    assert len(children) == 10
    failed = [c for c in children if c.info.status == "FAILED"]
    expected_failed = sum(1 for c in children if float(c.data.params["x"]) < 0.6)
    assert len(failed) == expected_failed == parent.data.metrics["n_failed_trials"]
    succeeded = [c for c in children if float(c.data.params["x"]) >= 0.6]
    assert succeeded and expected_failed  # the seed draws both kinds
    assert all(c.info.status == "FINISHED" for c in succeeded)
    assert parent.data.metrics["best_loss"] == min(c.data.metrics["loss"] for c in succeeded)


@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_non_finite_loss_is_logged_and_never_best(tracking, runs, bad):
    mltrail.hyperopt.autolog()
    _sweep(lambda p: bad if p["x"] < 0.5 else p["x"], max_evals=6)
    (parent,) = runs.parents()
    children = runs.children(parent.info.run_id)
    finite = [c.data.metrics["loss"] for c in children if math.isfinite(c.data.metrics["loss"])]
    odd = [c.data.metrics["loss"] for c in children if not math.isfinite(c.data.metrics["loss"])]
    assert len(finite) + len(odd) == 6
    assert finite and odd  # the seed draws both kinds
    assert all(c.info.status == "FINISHED" for c in children)
    assert parent.data.metrics["best_loss"] == min(finite)


class Unprintable:
    def __repr__(self):
        raise RuntimeError("no repr for you")

    __str__ = __repr__


def test_unserializable_search_space_objects(tracking, runs):
    mltrail.hyperopt.autolog()
    choices = [Unprintable(), lambda x: x, json]
    best = _sweep(lambda p: 0.0, {"thing": hp.choice("thing", choices), "x": hp.uniform("x", 0, 1)}, max_evals=3)
    assert set(best) == {"thing", "x"}
    (parent,) = runs.parents()
    assert len(runs.children(parent.info.run_id)) == 3
    assert all(c.info.status == "FINISHED" and "x" in c.data.params for c in runs.children(parent.info.run_id))
    doc = json.load(open(runs.client.download_artifacts(parent.info.run_id, "search_space.json")))
    assert doc["hyperparameters"]["thing"]["distribution"] == "choice"
    assert len(doc["hyperparameters"]["thing"]["options"]) == 3


def test_a_space_with_200_hyperparameters(tracking, runs):
    mltrail.hyperopt.autolog()
    space = {f"p{i:03d}": hp.uniform(f"p{i:03d}", 0, 1) for i in range(200)}
    _sweep(lambda p: sum(p.values()), space, max_evals=2)
    (parent,) = runs.parents()
    for child in runs.children(parent.info.run_id):
        assert len(child.data.params) == 200
        assert child.data.metrics["loss"] == pytest.approx(sum(float(v) for v in child.data.params.values()))
    doc = json.load(open(runs.client.download_artifacts(parent.info.run_id, "search_space.json")))
    assert len(doc["hyperparameters"]) == 200
    assert len([k for k in parent.data.params if k.startswith("best_p")]) == 200


def test_broken_store_leaves_the_sweep_result_unchanged(tracking, runs, autolog_warnings):
    objective = lambda p: (p["x"] - 0.3) ** 2  # noqa: E731
    plain_trials, tracked_trials = Trials(), Trials()
    plain = _sweep(objective, max_evals=5, trials=plain_trials)
    mltrail.set_tracking_uri("postgresql+psycopg://postgres@127.0.0.1:1/unreachable")
    mltrail.hyperopt.autolog()
    tracked = _sweep(objective, max_evals=5, trials=tracked_trials)
    assert tracked == plain and tracked_trials.losses() == plain_trials.losses()
    (message,) = autolog_warnings()
    assert "hyperopt" in message and "could not start or find a run" in message


def test_trials_whose_run_cannot_be_started_still_run_and_are_reported(tracking, runs, autolog_warnings):
    objective = lambda p: (p["x"] - 0.3) ** 2  # noqa: E731
    plain_trials, tracked_trials = Trials(), Trials()
    plain = _sweep(objective, max_evals=3, trials=plain_trials)
    mltrail.hyperopt.autolog()
    experiment = mltrail.set_experiment("deleted mid-sweep")

    def deleting(p):
        if len(tracked_trials.trials) == 1:  # the first trial deletes the experiment of the sweep
            mltrail.MlflowClient().delete_experiment(experiment.experiment_id)
        return objective(p)

    tracked = _sweep(deleting, max_evals=3, trials=tracked_trials)
    assert tracked == plain and tracked_trials.losses() == plain_trials.losses()
    (warning,) = autolog_warnings()
    for tid in (1, 2):
        assert f"could not start the run of trial {tid}: InvalidStateError: Cannot create a run" in warning
    assert "unaffected" in warning


class WorkerTrials(Trials):
    """Trials evaluated outside fmin's loop, the way SparkTrials' executors do it:
    ``Domain(fn, space).evaluate(spec, ctrl=None)`` on a worker, results written back to the documents."""

    asynchronous = True

    def __init__(self, fn, space, clock=None):
        """``clock(tid)``: the (book_time, refresh_time) the worker writes (default: the real times)."""
        super().__init__()
        self._clock = clock or (lambda tid: (coarse_utcnow(), None))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._work, args=(fn, space), daemon=True)
        self._thread.start()

    def _work(self, fn, space):
        domain = base.Domain(fn, space)
        while not self._stop.is_set():
            for trial in list(self._dynamic_trials):  # one worker: trials are evaluated in tid order
                if trial["state"] != base.JOB_STATE_NEW:
                    continue
                trial["state"] = base.JOB_STATE_RUNNING
                trial["book_time"], refresh_time = self._clock(trial["tid"])
                spec = base.spec_from_misc(trial["misc"])
                try:
                    trial["result"] = domain.evaluate(spec, ctrl=None, attach_attachments=False)
                    trial["state"] = base.JOB_STATE_DONE
                except Exception as exc:
                    trial["misc"]["error"] = (str(type(exc)), str(exc))
                    trial["state"] = base.JOB_STATE_ERROR
                trial["refresh_time"] = refresh_time or coarse_utcnow()
            time.sleep(0.005)

    def stop(self):
        self._stop.set()
        self._thread.join()


def test_trials_evaluated_elsewhere_are_logged_from_their_documents(tracking, runs):
    mltrail.hyperopt.autolog()

    def objective(p):
        if p["x"] > 0.7:
            raise ValueError("worker failure")
        return {"loss": p["x"], "status": STATUS_OK, "score": 1 - p["x"]}

    trials = WorkerTrials(objective, SPACE)
    try:
        trials.fmin(objective, SPACE, algo=tpe.suggest, max_evals=4, max_queue_len=4,
                    rstate=np.random.default_rng(3), show_progressbar=False)
    finally:
        trials.stop()
    (parent,) = runs.parents()
    children = runs.children(parent.info.run_id)
    assert [c.info.run_name for c in children] == ["trial-0", "trial-1", "trial-2", "trial-3"]
    for child, doc in zip(children, trials._dynamic_trials):
        x = doc["misc"]["vals"]["x"][0]
        assert float(child.data.params["x"]) == pytest.approx(x)
        if doc["state"] == base.JOB_STATE_DONE:
            assert child.info.status == "FINISHED" and child.data.metrics["loss"] == pytest.approx(x)
            assert child.data.metrics["score"] == pytest.approx(1 - x)
        else:
            assert child.info.status == "FAILED" and "worker failure" in child.data.tags["error"]
    assert parent.data.metrics["n_trials"] == 4


BOOKED = datetime.datetime(2026, 3, 1, 12, 30, 15, 123456)  # naive UTC, as hyperopt writes them
CHOICE_SPACE = {"model": hp.choice("model", [{"type": "a", "x": hp.uniform("x", 0, 1)}, {"type": "b"}])}


def _worker_clock(tid):
    """Trial ``tid`` is booked at BOOKED + tid seconds and takes tid + 1.5 seconds; trial 6 has no booking time."""
    if tid == 6:
        return None, None
    book = BOOKED + datetime.timedelta(seconds=tid)
    return book, book + datetime.timedelta(seconds=tid + 1.5)


def _epoch_ms(moment):
    return (moment - datetime.datetime(1970, 1, 1)) // datetime.timedelta(milliseconds=1)


@pytest.mark.parametrize("space", [CHOICE_SPACE, hp.uniform("x", 0, 1)], ids=["choice", "bare"])
def test_worker_trial_documents_give_the_runs_and_the_best_trial(tracking, runs, space):
    mltrail.hyperopt.autolog()
    long_error = "worker failure: " + "e" * 600 + "\nsecond line"
    script = [
        {"loss": 0.7, "status": STATUS_OK, "score": 3.0},
        long_error,  # the objective raises: the document's state is JOB_STATE_ERROR
        {"loss": -5.0, "status": STATUS_FAIL},  # lowest loss, but failed
        {"loss": 0.2, "status": STATUS_OK},
        {"loss": 0.2, "status": STATUS_OK},  # tied with trial 3: the earlier one is best
        {"loss": math.nan, "status": STATUS_OK},
        {"loss": 0.1, "status": STATUS_SUSPENDED},  # neither failed nor ok: never best
    ]
    calls = iter(script)

    def objective(point):
        result = next(calls)
        if isinstance(result, str):
            raise ValueError(result)
        return result

    trials = WorkerTrials(objective, space, clock=_worker_clock)
    try:
        trials.fmin(objective, space, algo=tpe.suggest, max_evals=len(script), max_queue_len=len(script),
                    catch_eval_exceptions=True, rstate=np.random.default_rng(3), show_progressbar=False)
    finally:
        trials.stop()
    docs = sorted(trials._dynamic_trials, key=lambda d: d["tid"])
    (parent,) = runs.parents()
    children = runs.children(parent.info.run_id)
    assert [c.info.run_name for c in children] == [f"trial-{t}" for t in range(7)]
    assert [c.info.status for c in children] == ["FINISHED", "FAILED", "FAILED"] + ["FINISHED"] * 4
    assert [c.data.tags["mltrail.hyperopt.status"] for c in children] == [
        "ok", "error", "fail", "ok", "ok", "ok", "suspended"]
    assert [repr(c.data.metrics.get("loss")) for c in children] == ["0.7", "None", "-5.0", "0.2", "0.2", "nan", "0.1"]
    assert children[0].data.metrics["score"] == 3.0 and "score" not in children[3].data.metrics
    error = str(docs[1]["misc"]["error"])
    assert children[1].data.tags["error"] == error[:500] and len(error) > 600
    assert ["error" in c.data.tags for c in children] == [False, True, False, False, False, False, False]
    timed = [(c.info.start_time, c.info.end_time, c.data.metrics["duration_seconds"]) for c in children[:6]]
    assert timed == [(_epoch_ms(book), _epoch_ms(refresh), tid + 1.5)
                     for tid, (book, refresh) in enumerate(map(_worker_clock, range(6)))]
    assert "duration_seconds" not in children[6].data.metrics  # no booking time: no duration
    for tid, (child, doc) in enumerate(zip(children, docs)):
        assert child.data.tags["mlflow.autologging"] == "hyperopt"
        assert child.data.tags["mltrail.hyperopt.tid"] == str(tid)
        vals = {k: v[0] for k, v in doc["misc"]["vals"].items() if v}
        if space is CHOICE_SPACE:
            expected = {"model.type": "a", "model.x": str(vals["x"])} if vals["model"] == 0 else {"model.type": "b"}
        else:
            expected = {"x": str(vals["x"])}
        assert child.data.params == expected
    branches = {c.data.params.get("model.type") for c in children}
    assert branches == ({"a", "b"} if space is CHOICE_SPACE else {None})  # the seed draws both branches
    assert parent.data.metrics["best_loss"] == 0.2
    assert parent.data.tags["best_trial_run_id"] == children[3].info.run_id
    assert parent.data.params == {f"best_{k}": v for k, v in children[3].data.params.items()}
    assert (parent.data.metrics["n_trials"], parent.data.metrics["n_failed_trials"]) == (7, 3)


def test_spark_trials_with_a_local_master(tracking, runs, monkeypatch):
    """SparkTrials for real (local master): trials run in Spark's Python workers, runs come from the driver."""
    pytest.importorskip("pyspark")
    import shutil
    import sys

    if shutil.which("java") is None:
        pytest.skip("Spark needs a Java runtime")
    from hyperopt import SparkTrials

    monkeypatch.setenv("PYSPARK_PYTHON", sys.executable)
    mltrail.hyperopt.autolog()
    trials = SparkTrials(parallelism=2)
    best = fmin(lambda p: (p["x"] - 0.3) ** 2, SPACE, algo=tpe.suggest, max_evals=3, trials=trials,
                show_progressbar=False)
    (parent,) = runs.parents()
    children = runs.children(parent.info.run_id)
    assert [c.info.run_name for c in children] == ["trial-0", "trial-1", "trial-2"]
    for child in children:
        assert child.info.status == "FINISHED"
        assert child.data.metrics["loss"] == pytest.approx((float(child.data.params["x"]) - 0.3) ** 2)
    assert parent.data.params["best_x"] == str(best["x"])
    assert parent.data.metrics["n_trials"] == 3
