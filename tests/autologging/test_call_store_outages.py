"""An autologged call whose tracking server refuses or stalls: the user's training is unaffected,
warned about once, and what the store did not take is kept and delivered when it answers again.

The toy framework's ``Model.train`` is autologged against a real ``mltrail server`` (uvicorn in a
thread) reached through a real TCP proxy that refuses or stalls connections on demand.
"""

from __future__ import annotations

import importlib
import time
from typing import Iterator

import pytest

import mltrail
from benchmarks.reliability.tcp_proxy import TcpProxy
from mltrail.autologging._retry_buffer import retry_buffer
from tests.autologging.test_autolog_call import autologged
from tests.conftest import serve_app


@pytest.fixture
def proxy(sqlite_uri, tmp_path, monkeypatch) -> Iterator[TcpProxy]:
    """A TCP proxy (forwarding) in front of an ``mltrail server`` over a fresh SQLite file."""
    from mltrail.server import create_app

    for name in ("BACKOFF_FACTOR", "BACKOFF_JITTER"):
        monkeypatch.setenv(f"MLTRAIL_HTTP_REQUEST_{name}", "0.05")
    started: list = []
    url = serve_app(create_app(backend_store_uri=sqlite_uri, artifacts_destination=str(tmp_path / "artifacts"),
                               access_log=False), started)
    with TcpProxy(("127.0.0.1", int(url.rsplit(":", 1)[1]))) as p:
        mltrail.set_tracking_uri(p.url)
        yield p
        p.mode = "forward"
        retry_buffer().wait(30)
    for server, thread, sock in started:
        server.should_exit = True
        thread.join(10)
        sock.close()


@pytest.fixture
def toy(toy_module_name):
    return importlib.import_module(toy_module_name)


def log_loss(call) -> None:
    call.log_params({"lr": call.instance.lr})
    call.log_metrics({"loss": call.call_original().loss})


def losses(proxy: TcpProxy, run_id: str) -> list[float]:
    return sorted(m.value for m in mltrail.MlflowClient(proxy.url).get_metric_history(run_id, "loss"))


def test_calls_while_the_store_refuses_train_unlogged_and_stop_asking_it(proxy, toy, autolog_warnings):
    proxy.mode = "refuse"
    with autologged(toy.__name__, log_loss):
        models = [toy.Model(lr=lr) for lr in (0.5, 0.25, 0.125)]
        returned = [models[0].train(steps=4)]
        asked = proxy.accepted["refuse"]
        returned += [m.train(steps=4) for m in models[1:]]
    assert returned == models and [m.loss for m in models] == [0.5, 1.0, 2.0]
    assert asked >= 3 and proxy.accepted["refuse"] == asked  # the first call retried, the others did not ask
    assert mltrail.active_run() is None
    (warning,) = autolog_warnings()
    assert warning.startswith("mltrail autologging (toy): could not start or find a run: StoreUnavailableError")
    proxy.mode = "forward"
    assert mltrail.MlflowClient(proxy.url).search_runs(["0"]) == []


@pytest.mark.parametrize("outage_starts", ["at the run's start", "during the run"])
def test_a_silent_integration_does_not_warn_about_the_outage(proxy, toy, autolog_warnings, outage_starts):
    with autologged(toy.__name__, log_loss, silent=True):
        model = toy.Model(lr=0.5)
        if outage_starts == "during the run":
            mltrail.start_run()
        proxy.mode = "refuse"
        assert model.train(steps=4) is model
    assert autolog_warnings() == []


def test_a_batch_the_store_missed_is_kept_and_delivered_once_it_answers(proxy, toy, autolog_warnings):
    with autologged(toy.__name__, log_loss):
        with mltrail.start_run() as run:
            toy.Model(lr=0.5).train(steps=4)
            proxy.mode = "refuse"
            toy.Model(lr=0.5).train(steps=2)
            refused = proxy.accepted["refuse"]
            assert retry_buffer().pending() == 1
            toy.Model(lr=0.5).train(steps=1)  # queued behind the held write, without asking the store
            assert retry_buffer().pending() == 2 and proxy.accepted["refuse"] - refused <= 1  # (the retry thread)
            proxy.mode = "forward"
            assert retry_buffer().wait(30)
    assert losses(proxy, run.info.run_id) == [0.5, 1.0, 2.0]
    (warning,) = autolog_warnings()
    assert "(toy): could not write params, metrics and tags: StoreUnavailableError" in warning


@pytest.mark.parametrize("flush_first", [False, True])
def test_a_run_whose_end_the_store_missed_leaves_the_stack_and_ends_later(proxy, toy, autolog_warnings, flush_first):
    def hook(call):
        model = call.call_original()
        proxy.mode = "refuse"  # the server goes away during training
        call.log_metrics({"loss": model.loss})
        if flush_first:  # held: the run's end then queues behind it without trying the store
            call.flush()
            call.log_metrics({"loss": 2 * model.loss}, step=1)
            # a step whose failure the outage warning already covers is not warned about again
            call.safely("read the run back", mltrail.MlflowClient(proxy.url).get_run, call.run_id)

    with autologged(toy.__name__, hook):
        toy.Model(lr=0.5).train(steps=4)
    assert mltrail.active_run() is None
    assert retry_buffer().pending() == 1 + flush_first
    proxy.mode = "forward"
    assert retry_buffer().wait(30)
    (run,) = mltrail.MlflowClient(proxy.url).search_runs(["0"])
    assert run.info.status == "FINISHED"
    assert losses(proxy, run.info.run_id) == ([0.5, 1.0] if flush_first else [0.5])
    assert len(autolog_warnings()) == 1


def test_child_runs_while_the_store_refuses_are_skipped_after_one_warning(proxy, toy, autolog_warnings):
    seen = {}

    def hook(call):
        call.call_original()
        proxy.mode = "refuse"
        seen["first"] = call.log_child_run(run_name="candidate-1")
        seen["asked"] = proxy.accepted["refuse"]
        seen["second"] = call.log_child_run(run_name="candidate-2")  # the store is known to be down: not asked
        proxy.mode = "forward"

    with autologged(toy.__name__, hook):
        with mltrail.start_run():
            toy.Model().train()
    assert retry_buffer().wait(30)
    assert seen["first"] is None and seen["second"] is None
    assert seen["asked"] >= 1 and proxy.accepted["refuse"] == seen["asked"]
    (warning,) = autolog_warnings()
    assert warning.startswith("mltrail autologging (toy): could not create a child run: StoreUnavailableError: ")
    assert "Until the tracking store answers again" in warning


def test_a_failed_training_whose_end_the_store_missed_ends_failed_later(proxy, toy):
    def hook(call):
        proxy.mode = "refuse"
        call.call_original()

    with autologged(toy.__name__, hook):
        with pytest.raises(toy.TrainError):
            toy.Model().train(fail=True)
    assert mltrail.active_run() is None
    proxy.mode = "forward"
    assert retry_buffer().wait(30)
    (run,) = mltrail.MlflowClient(proxy.url).search_runs(["0"])
    assert run.info.status == "FAILED"


def test_a_stalled_store_costs_one_call_the_bound_once(proxy, toy, autolog_warnings, monkeypatch):
    monkeypatch.setenv("MLTRAIL_AUTOLOG_WRITE_TIMEOUT", "1")
    monkeypatch.setenv("MLTRAIL_HTTP_REQUEST_TIMEOUT", "2")
    seen = {}

    def hook(call):
        model = call.call_original()
        for step in range(3):
            call.log_metrics({"loss": model.loss + step}, step=step)
            call.flush()  # the first write stalls; the next ones do not wait again
        seen["child"] = call.log_child_run(run_name="candidate")

    with autologged(toy.__name__, hook):
        with mltrail.start_run() as run:
            proxy.mode = "stall"
            toy.Model(lr=0.5).train(steps=4)
            assert retry_buffer().pending() == 3 and proxy.accepted["stall"] in (1, 2)
            proxy.mode = "forward"
            assert retry_buffer().wait(30)
    assert seen["child"] is None
    assert losses(proxy, run.info.run_id) == [0.5, 1.5, 2.5]
    (warning,) = autolog_warnings()
    assert "StoreStalled" in warning


def test_a_call_run_no_longer_on_top_of_the_stack_is_ended_later_by_its_id(proxy, toy):
    seen = {}

    def hook(call):
        model = call.call_original()
        seen["inner"] = mltrail.start_run(nested=True, run_name="left open").info.run_id  # the user's code
        proxy.mode = "refuse"
        call.log_metrics({"loss": model.loss})
        seen["run"] = call.run_id

    with autologged(toy.__name__, hook):
        toy.Model(lr=0.5).train(steps=4)
    assert mltrail.active_run().info.run_id == seen["inner"]
    assert retry_buffer().pending() == 1
    proxy.mode = "forward"
    assert retry_buffer().wait(30)
    run = mltrail.MlflowClient(proxy.url).get_run(seen["run"])
    assert run.info.status == "FINISHED" and run.data.metrics == {"loss": 0.5}
    mltrail.end_run()


def test_a_store_stalling_at_the_run_start_is_warned_once_and_training_goes_on(proxy, toy, autolog_warnings,
                                                                               monkeypatch):
    monkeypatch.setenv("MLTRAIL_AUTOLOG_WRITE_TIMEOUT", "1")
    monkeypatch.setenv("MLTRAIL_HTTP_REQUEST_TIMEOUT", "2")
    proxy.mode = "stall"
    with autologged(toy.__name__, log_loss):
        model = toy.Model(lr=0.5)
        assert model.train(steps=4) is model and model.loss == 0.5
    assert mltrail.active_run() is None
    (warning,) = autolog_warnings()
    assert warning.startswith("mltrail autologging (toy): could not start or find a run: StoreStalled")
    proxy.mode = "forward"  # the stalled request is cut and sent again: it ends before the next test starts
    deadline = time.monotonic() + 30
    while proxy.url in retry_buffer().outages() and time.monotonic() < deadline:
        time.sleep(0.05)


def test_after_the_cool_down_one_call_asks_the_store_again_and_logs_once_it_answers(proxy, toy, autolog_warnings,
                                                                                     monkeypatch):
    from mltrail.autologging import _retry_buffer

    monkeypatch.setattr(_retry_buffer, "COOL_DOWN_S", 0.3)
    proxy.mode = "refuse"
    with autologged(toy.__name__, log_loss):
        toy.Model(lr=0.5).train(steps=4)  # the outage starts: no run
        asked = proxy.accepted["refuse"]
        toy.Model(lr=0.25).train(steps=4)  # within the cool-down: the store is not asked
        assert proxy.accepted["refuse"] == asked
        time.sleep(0.4)
        toy.Model(lr=0.125).train(steps=4)  # past it, still refused: asked again, without retries
        # two connections: the run liveness extension's probe and one attempt at runs/create (the first
        # call made three attempts at it)
        assert proxy.accepted["refuse"] == asked + 2 and mltrail.active_run() is None
        toy.Model(lr=0.0625).train(steps=4)  # a new cool-down started with that refusal
        assert proxy.accepted["refuse"] == asked + 2
        proxy.mode = "forward"
        time.sleep(0.4)
        logged = toy.Model(lr=2.0)
        assert logged.train(steps=4) is logged
    runs = mltrail.MlflowClient(proxy.url).search_runs(["0"])
    assert [(r.data.params, r.data.metrics, r.info.status) for r in runs] == [({"lr": "2.0"}, {"loss": 0.125}, "FINISHED")]
    assert runs[0].data.tags["mlflow.autologging"] == "toy"
    assert proxy.url not in retry_buffer().outages()  # the outage ended with the answer
    (warning,) = autolog_warnings()  # one warning for the whole outage
    assert "could not start or find a run: StoreUnavailableError" in warning
