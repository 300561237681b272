"""DESIGN.md rule 6, counted: how many store write transactions an autologged call costs.

The real SQLite store of the test is observed, not replaced: its two
transaction openers (``_raw_write`` for the hot paths, ``_write`` for the
others) and its public write methods are wrapped so that each use is
recorded, then the real method runs. An autologged call that starts its own
run costs two write transactions (create the run; log the batch and end the
run), one inside a user's run (the batch). A model it logs adds two (MLflow 3's
LoggedModel: its PENDING record, linked to the run in the same transaction,
and its READY finalization with the MLmodel sha256). The process's heartbeat
(once at its first run, then every few seconds from a daemon thread) is not a
call's write and is left out.
"""

from __future__ import annotations

import contextlib
import functools
from typing import Iterator

import numpy as np
import pytest

import mltrail
import mltrail.store
from mltrail.store import liveness
from mltrail.autologging import forget_warnings

pytest.importorskip("sklearn")

from sklearn.linear_model import LogisticRegression, Ridge  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402

_WRITE_METHODS = (
    "create_run", "update_run_info", "finish_run", "log_batch", "log_metric", "log_param",
    "set_tag", "delete_tag", "delete_run", "restore_run", "create_experiment", "set_experiment_tag",
    "create_logged_model", "finalize_logged_model", "log_outputs", "set_logged_model_tags",
    "log_logged_model_params",
)


class WriteLog:
    """What the store was asked to write: ``transactions`` committed or not, and ``calls`` by name."""

    def __init__(self) -> None:
        self.transactions = 0
        self.calls: list[str] = []
        self._depth = 0

    def observe(self, store, monkeypatch: pytest.MonkeyPatch) -> None:
        for opener in ("_raw_write", "_write"):
            monkeypatch.setattr(store, opener, self._counting(getattr(store, opener)))
        for name in _WRITE_METHODS:
            monkeypatch.setattr(store, name, self._recording(name, getattr(store, name)))

    def _counting(self, opener):
        @contextlib.contextmanager
        def counted(*args, **kwargs) -> Iterator:
            self.transactions += 1
            with opener(*args, **kwargs) as handle:
                yield handle

        return counted

    def _recording(self, name: str, method):
        @functools.wraps(method)
        def recorded(*args, **kwargs):
            outermost = self._depth == 0
            if outermost:
                self.calls.append(name)
            self._depth += 1
            try:
                return method(*args, **kwargs)
            finally:
                self._depth -= 1

        return recorded

    def reset(self) -> None:
        self.transactions = 0
        self.calls.clear()


@pytest.fixture
def writes(sqlite_uri: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[WriteLog]:
    """sklearn autologging on a fresh SQLite store whose writes are recorded."""
    mltrail.set_tracking_uri(sqlite_uri)
    forget_warnings()
    store = mltrail.store.get_tracking_store(sqlite_uri)
    liveness.owner_for(store)  # the process's run-owner row: once per process, not per call
    log = WriteLog()
    log.observe(store, monkeypatch)
    yield log
    mltrail.sklearn.autolog(disable=True)
    while mltrail.active_run() is not None:
        mltrail.end_run()


@pytest.fixture
def data():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(80, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + rng.normal(0, 0.1, 80)
    return X, y


def _runs(client: mltrail.Client) -> list:
    return list(client.search_runs(["0"], order_by=["start_time ASC"]))


@pytest.mark.parametrize("log_models", [False, True])
def test_a_fit_with_its_own_run_is_two_write_transactions(writes, data, log_models):
    X, y = data
    mltrail.sklearn.autolog(log_models=log_models)
    writes.reset()
    model = Ridge(alpha=0.5).fit(X, y)
    if log_models:
        assert writes.calls == ["create_run", "create_logged_model", "finalize_logged_model", "finish_run"]
        assert writes.transactions == 4
    else:
        assert writes.calls == ["create_run", "finish_run"]
        assert writes.transactions == 2
    (run,) = _runs(mltrail.Client())
    # everything arrived with the run's end: params, metrics, tags, FINISHED
    assert run.info.status == "FINISHED" and run.info.end_time is not None
    assert run.data.params["alpha"] == "0.5"
    assert run.data.metrics["training_r2_score"] == pytest.approx(model.score(X, y))
    assert run.data.tags["mlflow.autologging"] == "sklearn"
    assert mltrail.active_run() is None


def test_a_fit_inside_a_user_run_is_one_log_batch(writes, data):
    X, y = data
    mltrail.sklearn.autolog(log_models=False)
    with mltrail.start_run() as user_run:
        writes.reset()
        Ridge().fit(X, y)
        assert writes.calls == ["log_batch"]
        assert writes.transactions == 1
        assert mltrail.active_run().info.run_id == user_run.info.run_id  # left running for the user
    assert mltrail.Client().get_run(user_run.info.run_id).data.params["alpha"] == "1.0"


def test_a_failing_fit_ends_its_run_failed_in_the_same_two_transactions(writes, data):
    X, _ = data
    mltrail.sklearn.autolog(log_models=False)
    writes.reset()
    with pytest.raises(ValueError):
        LogisticRegression().fit(X, np.arange(len(X)) % 1)  # one class only: sklearn refuses
    assert writes.calls == ["create_run", "finish_run"]
    assert writes.transactions == 2
    (run,) = _runs(mltrail.Client())
    assert run.info.status == "FAILED"
    assert run.data.params["C"] == "1.0"


def test_grid_search_children_are_two_transactions_each(writes, data):
    X, y = data
    mltrail.sklearn.autolog(log_models=False, max_tuning_runs=3)
    writes.reset()
    GridSearchCV(Ridge(), {"alpha": [0.1, 1.0, 10.0, 100.0]}, cv=2).fit(X, y)
    runs = _runs(mltrail.Client())
    children = [r for r in runs if "mlflow.parentRunId" in r.data.tags]
    assert len(runs) == 4 and len(children) == 3
    assert all(c.info.status == "FINISHED" and "alpha" in c.data.params for c in children)
    # the parent's create and finish, and per child a create and a finish
    assert sorted(writes.calls) == sorted(["create_run", "finish_run"] * 4)
    assert writes.transactions == 8


def test_a_batch_the_store_refuses_still_ends_the_run(writes, data, caplog):
    """All or nothing: when the last batch is refused, the run still ends (a second, plain end)."""
    X, y = data
    mltrail.sklearn.autolog(log_models=False, extra_tags={"bad/../tag": "x"})
    writes.reset()
    with caplog.at_level("WARNING", logger="mltrail.autologging"):
        model = Ridge().fit(X, y)
    assert model.coef_.shape == (3,)
    (run,) = _runs(mltrail.Client())
    assert run.info.status == "FINISHED"
    assert "bad/../tag" in caplog.text
    assert writes.calls[0] == "create_run" and writes.calls[-1] == "finish_run"
