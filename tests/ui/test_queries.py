"""The UI's SQL and analysis without a browser: table sorting on min/max, nesting, downsampling, importance."""

from __future__ import annotations

import pytest

from mltrail._system_tags import PARENT_RUN_ID
from mltrail.entities import Metric, RunTag
from mltrail.server.ui.columns import parse_column, parse_columns
from mltrail.server.ui.history import downsample, metric_histories, stepped_metrics
from mltrail.server.ui.queries import runs_page
from mltrail.server.ui.sweep import importance
from mltrail.exceptions import InvalidParameterError


def _store(uri: str):
    from mltrail.store.sql import SqlTrackingStore

    return SqlTrackingStore(uri)


def test_min_max_columns_sort_and_nesting(store_uri: str) -> None:
    store = _store(store_uri)
    eid = store.create_experiment("ui")
    parent = store.create_run(eid, "u", 1000, run_name="parent")
    # last values and minima disagree in order: sorting by last must differ from sorting by min
    histories = {"a": [5.0, 1.0, 9.0], "b": [3.0, 2.0, 4.0], "c": [8.0, 7.0, 0.5]}
    ids = {}
    for i, (name, values) in enumerate(histories.items()):
        run = store.create_run(eid, "u", 2000 + i, tags=[RunTag(PARENT_RUN_ID, parent.info.run_id)], run_name=name)
        ids[name] = run.info.run_id
        for step, v in enumerate(values):
            store.log_metric(run.info.run_id, Metric("rmse", v, 10 + step, step))
    cols = parse_columns("metrics.rmse,metrics.rmse:min,metrics.rmse:max")
    flat = runs_page(store, [eid], None, cols, sort=parse_column("metrics.rmse:min"), ascending=True, nested=False)
    assert [r["run_name"] for r in flat["rows"]] == ["c", "a", "b", "parent"]
    assert flat["rows"][0]["values"] == {"metrics.rmse": 0.5, "metrics.rmse:min": 0.5, "metrics.rmse:max": 8.0,
                                         f"tags.{PARENT_RUN_ID}": parent.info.run_id}
    by_last = runs_page(store, [eid], None, cols, sort=parse_column("metrics.rmse"), ascending=True, nested=False)
    assert [r["run_name"] for r in by_last["rows"]] == ["c", "b", "a", "parent"]
    by_max = runs_page(store, [eid], None, cols, sort=parse_column("metrics.rmse:max"), ascending=False, nested=False)
    assert [r["run_name"] for r in by_max["rows"]][:3] == ["a", "c", "b"]
    nested = runs_page(store, [eid], None, cols)
    assert [(r["run_name"], r["children"]) for r in nested["rows"]] == [("parent", 3)]
    children = runs_page(store, [eid], "metrics.rmse < 5", cols, parent_id=parent.info.run_id)
    assert sorted(r["run_name"] for r in children["rows"]) == ["b", "c"]
    hidden = runs_page(store, [eid], "metrics.rmse < 5", cols)
    assert hidden["total"] == 0 and hidden["matching_children"] == 2
    paged = runs_page(store, [eid], None, cols, nested=False, limit=2, offset=2,
                      sort=parse_column("run_name"), ascending=True)
    assert [r["run_name"] for r in paged["rows"]] == ["c", "parent"] and paged["total"] == 4
    store.close()


def test_stepped_metrics_are_those_with_a_history_in_some_run(store_uri: str) -> None:
    store = _store(store_uri)
    eid = store.create_experiment("stepped")
    one, two, other = (store.create_run(eid, "u", 1000 + i).info.run_id for i in range(3))
    for run_id in (one, two):  # one value per run: no history, however many runs have it
        store.log_metric(run_id, Metric("loss", 0.5, 10, 0))
    store.log_metric(one, Metric("auc", 0.7, 10, 0))  # one step per run, but two runs...
    store.log_metric(two, Metric("auc", 0.8, 10, 0))
    for step in (0, 1):  # exactly two values in one run: a history
        store.log_metric(two, Metric("rmse", 1.0 - step, 10 + step, step))
    store.log_metric(other, Metric("accuracy", 0.1, 10, 0))  # a history in a run not compared
    store.log_metric(other, Metric("accuracy", 0.2, 11, 1))
    assert stepped_metrics(store, [one, two]) == ["rmse"]
    assert stepped_metrics(store, [one, two, other]) == ["accuracy", "rmse"]
    assert stepped_metrics(store, []) == []
    store.close()


def test_bad_columns_and_pages_are_refused(sqlite_uri: str) -> None:
    store = _store(sqlite_uri)
    for bad in ("bogus", "metrics.", "params.x:min", "metrics.x:median"):
        with pytest.raises(InvalidParameterError, match="Unknown column"):
            parse_column(bad)
    with pytest.raises(InvalidParameterError, match="page size"):
        runs_page(store, ["0"], None, [], limit=0)
    with pytest.raises(InvalidParameterError, match="position"):
        runs_page(store, ["0"], "metrics.x <", [])
    store.close()


def test_downsampling_keeps_a_single_spike(sqlite_uri: str) -> None:
    values = [1.0] * 100_000
    values[77_777] = 1e6
    values[12_345] = -1e6
    keep = downsample(list(range(len(values))), values, 2000)
    assert len(keep) <= 2000 and keep == sorted(keep)
    assert 77_777 in keep and 12_345 in keep
    store = _store(sqlite_uri)
    run = store.create_run("0", "u", 1)
    store.log_batch(run.info.run_id, [Metric("loss", float(i % 7), 5, i) for i in range(5000)])
    whole = metric_histories(store, [run.info.run_id], "loss", max_points=400)[0]
    assert whole["total"] == 5000 and len(whole["steps"]) <= 400 and max(whole["values"]) == 6.0
    zoom = metric_histories(store, [run.info.run_id], "loss", max_points=400, min_step=100, max_step=199)[0]
    assert zoom["steps"] == list(range(100, 200))  # full detail inside the zoomed range
    store.close()


def test_importance_ranks_the_parameter_that_drives_the_loss() -> None:
    params = [{"lr": 10 ** -(i % 5), "depth": str(i % 3), "seed": "42"} for i in range(60)]
    losses = [float(i % 5) + 0.01 * (i % 3) for i in range(60)]  # lr decides, depth barely matters
    ranked = importance(params, losses)
    assert [r["param"] for r in ranked] == ["lr", "depth"]  # the constant 'seed' is no hyperparameter
    assert ranked[0]["importance"] > 0.9 and ranked[1]["importance"] < 0.05
    assert importance(params[:2], losses[:2]) == []
