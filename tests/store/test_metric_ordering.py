"""Metric histories whose step order and timestamp order disagree, on every backend.

As in MLflow: a history is ordered by step, then timestamp (then value); the latest value of a
metric (``run.data.metrics``, search filters and ordering) is the one with the highest step, then
the highest timestamp, whatever order the values were logged in. Two values at the same step and
timestamp: the one logged last is the latest (the history keeps both, lower value first).
"""

from __future__ import annotations

import math

import pytest

from mltrail.entities import Metric

#: (value, timestamp, step), in the order they are logged: timestamps run backwards against steps.
DISAGREEING = [(30.0, 300, 0), (20.0, 200, 1), (10.0, 100, 2), (15.0, 50, 2), (40.0, 400, 1)]
HISTORY = [(30.0, 300, 0), (20.0, 200, 1), (40.0, 400, 1), (15.0, 50, 2), (10.0, 100, 2)]  # step, then ts


@pytest.fixture
def run_id(store):
    exp_id = store.create_experiment("ordering")
    return store.create_run(exp_id, "u", 1, run_name="r").info.run_id


def _history(store, run_id, key="m"):
    return [(m.value, m.timestamp, m.step) for m in store.get_metric_history(run_id, key)]


@pytest.mark.parametrize("how", ["one_by_one", "one_batch", "batch_per_value"])
def test_history_by_step_then_timestamp_and_latest_by_highest_step_then_timestamp(store, run_id, how):
    metrics = [Metric("m", v, ts, step) for v, ts, step in DISAGREEING]
    if how == "one_by_one":
        for metric in metrics:
            store.log_metric(run_id, metric)
    elif how == "one_batch":
        store.log_batch(run_id, metrics=metrics)
    else:
        for metric in metrics:
            store.log_batch(run_id, metrics=[metric])
    assert _history(store, run_id) == HISTORY
    assert store.get_run(run_id).data.metrics == {"m": 10.0}  # step 2, timestamp 100 (not the newest, 400)


def test_a_later_step_with_an_older_timestamp_replaces_the_latest_value(store, run_id):
    store.log_metric(run_id, Metric("m", 1.0, 1_000, 0))
    store.log_metric(run_id, Metric("m", 2.0, 10, 1))
    assert store.get_run(run_id).data.metrics["m"] == 2.0
    store.log_metric(run_id, Metric("m", 3.0, 5_000, 0))  # newer timestamp, earlier step: not the latest
    assert store.get_run(run_id).data.metrics["m"] == 2.0
    store.log_metric(run_id, Metric("m", 4.0, 11, 1))  # same step, newer timestamp: the latest
    assert store.get_run(run_id).data.metrics["m"] == 4.0
    store.log_metric(run_id, Metric("m", 5.0, 9, 1))  # same step, older timestamp: not the latest
    assert store.get_run(run_id).data.metrics["m"] == 4.0


def test_same_step_and_timestamp_the_last_logged_value_is_the_latest(store, run_id):
    store.log_metric(run_id, Metric("m", 7.0, 100, 3))
    store.log_metric(run_id, Metric("m", 2.0, 100, 3))
    assert store.get_run(run_id).data.metrics["m"] == 2.0
    assert _history(store, run_id) == [(2.0, 100, 3), (7.0, 100, 3)]
    store.log_batch(run_id, metrics=[Metric("m", 1.0, 100, 3), Metric("m", 9.0, 100, 3)])
    assert store.get_run(run_id).data.metrics["m"] == 9.0


def test_nan_and_infinities_follow_the_same_order(store, run_id):
    store.log_batch(run_id, metrics=[Metric("m", math.inf, 30, 2), Metric("m", math.nan, 10, 3),
                                     Metric("m", -math.inf, 20, 1)])
    history = _history(store, run_id)
    assert [(ts, step) for _, ts, step in history] == [(20, 1), (30, 2), (10, 3)]
    assert history[0][0] == -math.inf and history[1][0] == math.inf and math.isnan(history[2][0])
    assert math.isnan(store.get_run(run_id).data.metrics["m"])
    store.log_metric(run_id, Metric("m", math.inf, 5, 4))
    assert store.get_run(run_id).data.metrics["m"] == math.inf


def test_search_orders_runs_by_their_latest_value_not_their_newest(store):
    exp_id = store.create_experiment("order")
    # latest by step: a=1, b=2, c=3; newest by timestamp: a=30, b=20, c=10 (the reverse order)
    for start, (name, (latest, newest)) in enumerate({"a": (1.0, 30.0), "b": (2.0, 20.0), "c": (3.0, 10.0)}.items()):
        run_id = store.create_run(exp_id, "u", start, run_name=name).info.run_id
        store.log_batch(run_id, metrics=[Metric("m", latest, 1, 5), Metric("m", newest, 9_999, 4)])
    page = store.search_runs([exp_id], order_by=["metrics.m ASC"])
    assert [r.info.run_name for r in page] == ["a", "b", "c"]
    assert [r.info.run_name for r in store.search_runs([exp_id], "metrics.m >= 2")] == ["c", "b"]


def test_lowest_and_highest_values_ignore_nan_whatever_the_logging_path(store, run_id):
    """The web UI's ``metrics.<key>:min`` / ``:max`` columns (kept with the latest value)."""
    from mltrail.server.ui.columns import Column
    from mltrail.server.ui.queries import run_rows

    for value, step in ((5.0, 3), (math.nan, 4), (-2.0, 0), (9.0, 1)):
        store.log_metric(run_id, Metric("m", value, 10, step))
    store.log_batch(run_id, metrics=[Metric("b", 1.5, 1, 0), Metric("b", math.nan, 2, 1), Metric("b", -7.0, 3, 2)])
    store.log_batch(run_id, metrics=[Metric("b", 4.0, 4, 0)])
    store.log_metric(run_id, Metric("n", math.nan, 1, 0))
    store.log_batch(run_id, metrics=[Metric("c", v, 1, i) for i, v in enumerate((2.0, 9.0, -1.0, 3.0))])
    # a batch whose first row holds the extreme, its timestamp beyond it: the extremes are values, not times
    for key, values_times in (("lo", ((5.0, 1), (6.0, 2), (7.0, 3))), ("hi", ((5.0, 90), (3.0, 91), (1.0, 92)))):
        store.log_batch(run_id, metrics=[Metric(key, v, t, i) for i, (v, t) in enumerate(values_times)])
    # a key whose first values are all NaN (no lowest or highest yet), real values after them
    store.log_metric(run_id, Metric("f", math.nan, 1, 0))
    store.log_metric(run_id, Metric("f", 3.0, 2, 1))
    store.log_batch(run_id, metrics=[Metric("g", math.nan, 1, 0)])
    store.log_batch(run_id, metrics=[Metric("g", -4.0, 2, 1), Metric("g", 6.0, 3, 2)])
    keys = ("m", "b", "n", "c", "lo", "hi", "f", "g")
    columns = [Column("metric", k, agg) for k in keys for agg in ("min", "max")]
    with store.engine.connect() as conn:
        (row,) = run_rows(conn, [run_id], columns, store.engine.dialect.name in ("mysql", "mariadb"))
    assert {k: v for k, v in row["values"].items() if ":" in k} == {
        "metrics.m:min": -2.0, "metrics.m:max": 9.0,
        "metrics.b:min": -7.0, "metrics.b:max": 4.0,
        "metrics.n:min": None, "metrics.n:max": None,
        "metrics.c:min": -1.0, "metrics.c:max": 9.0,
        "metrics.lo:min": 5.0, "metrics.lo:max": 7.0,
        "metrics.hi:min": 1.0, "metrics.hi:max": 5.0,
        "metrics.f:min": 3.0, "metrics.f:max": 3.0,
        "metrics.g:min": -4.0, "metrics.g:max": 6.0,
    }
