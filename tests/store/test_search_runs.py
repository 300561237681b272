"""search_runs on every backend: MLflow filter grammar, ordering, paging, bad input."""

from __future__ import annotations

import math

import pytest

from mltrail.entities import Metric, Param, RunTag, ViewType
from mltrail.exceptions import InvalidParameterError


@pytest.fixture
def runs(store):
    """Six runs in experiment "1" (r0..r5, started in that order) and one in another experiment."""
    exp_id = store.create_experiment("search")
    other = store.create_experiment("other")
    ids = {}
    for i in range(6):
        run = store.create_run(exp_id, "ana" if i % 2 else "bo", 1_000 + i, run_name=f"r{i}")
        run_id = run.info.run_id
        ids[f"r{i}"] = run_id
        if i != 3:  # r3 has no rmse
            store.log_metric(run_id, Metric("rmse", math.nan if i == 4 else 10.0 - i, 1, 0))
        store.log_batch(
            run_id,
            params=[Param("alpha", str(i % 2)), Param("model", "Linear" if i < 3 else "linear")],
            tags=[RunTag("team", "Forecast" if i < 2 else "forecast")],
        )
    store.update_run_info(ids["r5"], "FINISHED", end_time=9_000)
    store.create_run(other, "ana", 5_000, run_name="elsewhere")
    return exp_id, ids


def names(page):
    return [r.info.run_name for r in page]


def test_seed_example_filter_and_order(store, runs):
    exp_id, _ = runs
    page = store.search_runs(
        experiment_ids=exp_id, filter_string="metrics.rmse < 9", run_view_type=ViewType.ACTIVE_ONLY,
        max_results=5, order_by=["metrics.rmse ASC"],
    )
    assert [r.data.metrics["rmse"] for r in page] == [5.0, 8.0]
    assert names(page) == ["r5", "r2"]
    assert page[0].data.params == {"alpha": "1", "model": "linear"}
    assert page.token is None


def test_default_order_is_newest_first(store, runs):
    exp_id, _ = runs
    assert names(store.search_runs([exp_id])) == ["r5", "r4", "r3", "r2", "r1", "r0"]


def test_order_by_metric_puts_missing_last_both_directions(store, runs):
    exp_id, _ = runs
    assert names(store.search_runs([exp_id], order_by=["metrics.rmse DESC"])) == ["r0", "r1", "r2", "r5", "r4", "r3"]
    assert names(store.search_runs([exp_id], order_by=["metrics.rmse ASC"])) == ["r5", "r2", "r1", "r0", "r4", "r3"]


def test_nan_metric_matches_no_comparison(store, runs):
    exp_id, _ = runs
    assert "r4" not in names(store.search_runs([exp_id], "metrics.rmse != 1"))
    assert "r4" not in names(store.search_runs([exp_id], "metrics.rmse > -1e300"))


@pytest.mark.parametrize(
    "filter_string, expected",
    [
        ("params.alpha = '1'", ["r5", "r3", "r1"]),
        ("params.alpha != '1'", ["r4", "r2", "r0"]),
        ("params.model LIKE 'Lin%'", ["r2", "r1", "r0"]),
        ("params.model ILIKE 'lin%'", ["r5", "r4", "r3", "r2", "r1", "r0"]),
        ("tags.team = 'forecast'", ["r5", "r4", "r3", "r2"]),
        ("tags.team IN ('Forecast', 'nope')", ["r1", "r0"]),
        ("tags.team NOT IN ('Forecast')", ["r5", "r4", "r3", "r2"]),
        ("attributes.status = 'FINISHED'", ["r5"]),
        ("status != 'FINISHED'", ["r4", "r3", "r2", "r1", "r0"]),
        ("attributes.user_id = 'ana'", ["r5", "r3", "r1"]),
        ("run_name IN ('r1', 'r2')", ["r2", "r1"]),
        ("attribute.run_name LIKE 'r_'", ["r5", "r4", "r3", "r2", "r1", "r0"]),
        ("attributes.start_time >= 1003", ["r5", "r4", "r3"]),
        ("attributes.end_time > 0", ["r5"]),
        ("tags.`mlflow.runName` = 'r2'", ["r2"]),
        ('tags."mlflow.runName" = "r2"', ["r2"]),
        ("tags.mlflow.runName = 'r2'", ["r2"]),
        ("tags.mltrail.runName = 'r2'", ["r2"]),  # the name mltrail 0.1 wrote still finds the run
        ("tags.mltrail.runName LIKE 'r%' AND tags.team = 'Forecast'", ["r1", "r0"]),
        ("tags.mltrail.runName = 'Forecast'", []),  # another tag's value is not the run name
        ("metrics.rmse >= 8 AND params.alpha = '0'", ["r2", "r0"]),
        ("metrics.rmse >= 8 and params.alpha = '0' AND tags.team = 'Forecast'", ["r0"]),
        ("metrics.rmse = 9", ["r1"]),
        ("metrics.missing < 100", []),
    ],
)
def test_filters(store, runs, filter_string, expected):
    exp_id, _ = runs
    assert names(store.search_runs([exp_id], filter_string)) == expected


def test_filter_by_run_id(store, runs):
    exp_id, ids = runs
    assert names(store.search_runs([exp_id], f"attributes.run_id = '{ids['r2']}'")) == ["r2"]
    both = f"run_id IN ('{ids['r1']}', '{ids['r4']}')"
    assert names(store.search_runs([exp_id], both)) == ["r4", "r1"]


def test_order_by_params_tags_attributes(store, runs):
    exp_id, _ = runs
    assert names(store.search_runs([exp_id], order_by=["params.alpha ASC", "attributes.run_name DESC"])) == [
        "r4", "r2", "r0", "r5", "r3", "r1"
    ]
    assert names(store.search_runs([exp_id], order_by=["start_time ASC"])) == ["r0", "r1", "r2", "r3", "r4", "r5"]
    # strings sort by code point on every backend: upper case before lower case
    assert names(store.search_runs([exp_id], order_by=["tags.team ASC", "run_name"])) == [
        "r0", "r1", "r2", "r3", "r4", "r5"
    ]
    assert names(store.search_runs([exp_id], order_by=["tags.team DESC", "run_name"])) == [
        "r2", "r3", "r4", "r5", "r0", "r1"
    ]
    # runs without an end time come last in both directions
    assert names(store.search_runs([exp_id], order_by=["end_time DESC"]))[0] == "r5"
    assert names(store.search_runs([exp_id], order_by=["end_time ASC"]))[0] == "r5"


def test_a_param_named_like_an_old_system_tag_is_that_param_only(store):
    exp_id = store.create_experiment("param-names")
    for name, key in (("current", "mlflow.runName"), ("legacy", "mltrail.runName")):
        run_id = store.create_run(exp_id, "u", 1, run_name=name).info.run_id
        store.log_batch(run_id, params=[Param(key, "x")])
    assert names(store.search_runs([exp_id], "params.mltrail.runName = 'x'")) == ["legacy"]


def test_order_by_one_metric_of_runs_that_have_several(store):
    exp_id = store.create_experiment("two-metrics")
    for name, (a, b) in {"x": (1.0, 9.0), "y": (2.0, 0.0), "z": (3.0, 5.0)}.items():
        run_id = store.create_run(exp_id, "u", 1, run_name=name).info.run_id
        store.log_batch(run_id, metrics=[Metric("a", a, 0, 0), Metric("b", b, 0, 0)])
    assert names(store.search_runs([exp_id], order_by=["metrics.a DESC"])) == ["z", "y", "x"]
    assert names(store.search_runs([exp_id], order_by=["metrics.b", "metrics.a"])) == ["y", "z", "x"]
    assert names(store.search_runs([exp_id], "metrics.a > 1", order_by=["metrics.b DESC"])) == ["z", "y"]


def test_paging_visits_every_run_once(store, runs):
    exp_id, _ = runs
    seen, token = [], None
    while True:
        page = store.search_runs([exp_id], max_results=4, order_by=["metrics.rmse ASC"], page_token=token)
        seen += names(page)
        token = page.token
        if token is None:
            break
    assert seen == ["r5", "r2", "r1", "r0", "r4", "r3"]


def test_view_types_and_several_experiments(store, runs):
    exp_id, ids = runs
    store.delete_run(ids["r0"])
    assert "r0" not in names(store.search_runs([exp_id]))
    assert names(store.search_runs([exp_id], run_view_type=ViewType.DELETED_ONLY)) == ["r0"]
    assert len(store.search_runs([exp_id], run_view_type=ViewType.ALL)) == 6
    other = store.get_experiment_by_name("other").experiment_id
    assert names(store.search_runs([exp_id, other], "user_id = 'ana'")) == ["elsewhere", "r5", "r3", "r1"]
    assert names(store.search_runs([])) == []
    assert names(store.search_runs(["12345"])) == []


def test_runs_carry_params_tags_latest_metrics(store, runs):
    exp_id, ids = runs
    store.log_metric(ids["r0"], Metric("rmse", 1.5, 5, 3))
    run = store.search_runs([exp_id], "run_name = 'r0'")[0]
    assert run.data.metrics == {"rmse": 1.5}
    assert run.data.tags == {"mlflow.runName": "r0", "team": "Forecast"}


@pytest.mark.parametrize(
    "bad, token, position",
    [
        ("metrics.rmse <> ", None, None),
        ("metrics.rmse ~ 7", "'~'", 13),
        ("metrics.rmse < 'seven'", "\"'seven'\"", 15),
        ("params.alpha = 1", "'1'", 15),
        ("metrics.rmse < 7 OR metrics.rmse > 9", "'OR'", 17),
        ("metrics.rmse < 7 params.a = '1'", "'params.a'", 17),
        ("nosuch = 'x'", "'nosuch'", 0),
        ("metrics.rmse LIKE '%'", "'LIKE'", 13),
        ("tags.team IN 'x'", "\"'x'\"", 13),
        ("tags.team = 'unterminated", "\"'\"", 12),
        ("metrics.rmse < 7 AND", None, 20),
    ],
)
def test_malformed_filters_quote_token_and_position(store, runs, bad, token, position):
    exp_id, _ = runs
    with pytest.raises(InvalidParameterError) as err:
        store.search_runs([exp_id], bad)
    message = str(err.value)
    assert repr(bad) in message or bad in message
    if position is not None:
        assert f"position {position}" in message
    if token is not None:
        assert token in message


def test_bad_order_by_and_paging_arguments(store, runs):
    exp_id, _ = runs
    with pytest.raises(InvalidParameterError, match="unknown attribute 'nosuch'"):
        store.search_runs([exp_id], order_by=["nosuch DESC"])
    with pytest.raises(InvalidParameterError, match="expected ASC or DESC at position 13: 'UP'"):
        store.search_runs([exp_id], order_by=["metrics.rmse UP"])
    with pytest.raises(InvalidParameterError, match="page_token 'garbage'"):
        store.search_runs([exp_id], page_token="garbage")
    with pytest.raises(InvalidParameterError, match="Invalid value 0 for parameter .max_results. supplied"):
        store.search_runs([exp_id], max_results=0)
    with pytest.raises(InvalidParameterError, match="experiment id 'abc'"):
        store.search_runs(["abc"])


@pytest.mark.parametrize("order", [["metrics.loss ASC"], ["metrics.loss DESC"], ["metrics.loss ASC", "params.p DESC"]])
@pytest.mark.parametrize("filter_string", [None, "metrics.loss < 3", "params.p != 'x'"])
def test_pages_by_metric_with_ties_nan_and_missing_match_one_big_page(store, order, filter_string):
    exp_id = store.create_experiment("ties")
    values = [2.0, 1.0, 2.0, math.nan, None, 2.0, 3.0, 1.0, None, 2.0, math.nan, 0.5]
    for i, value in enumerate(values):
        run_id = store.create_run(exp_id, "u", 1_000 + (i % 4), run_name=f"t{i}").info.run_id
        metrics = [] if value is None else [Metric("loss", value, 1, 0)]
        store.log_batch(run_id, metrics=metrics, params=[Param("p", str(i % 3))])
    everything = names(store.search_runs([exp_id], filter_string, max_results=1000, order_by=order))
    for page_size in (1, 2, 3, 5):
        seen, token = [], None
        while True:
            page = store.search_runs([exp_id], filter_string, max_results=page_size, order_by=order, page_token=token)
            seen += names(page)
            token = page.token
            if token is None:
                break
        assert seen == everything, page_size
    if filter_string is None and order == ["metrics.loss ASC"]:
        # values ascending, ties by start_time DESC then run id; NaN after numbers; missing last
        assert everything[:3] == ["t11", "t7", "t1"]  # 0.5; then 1.0 twice, t7 started after t1
        assert set(everything[-2:]) == {"t4", "t8"} and set(everything[-4:-2]) == {"t3", "t10"}


def test_param_equality_and_in_compare_the_whole_long_value(store):
    """``=``/``IN`` on a param also compare the indexed first 200 characters (revision 0007); values that
    share those and differ after them, or differ only in case, must still be told apart."""
    exp_id = store.create_experiment("long-params")
    stem = "é" * 199 + "a"  # 200 characters, multi-byte ones in the index's prefix
    values = {"long-x": stem + "x" * 300, "long-y": stem + "y" * 300, "short": "abc", "upper": "ABC", "stem": stem}
    for name, value in values.items():
        run_id = store.create_run(exp_id, "u", 1, run_name=name).info.run_id
        store.log_batch(run_id, params=[Param("v", value)])
    search = lambda f: sorted(names(store.search_runs([exp_id], f)))  # noqa: E731
    assert search(f"params.v = '{values['long-x']}'") == ["long-x"]
    assert search(f"params.v = '{stem}'") == ["stem"]
    assert search("params.v = 'abc'") == ["short"]
    assert search(f"params.v IN ('{values['long-y']}', 'ABC')") == ["long-y", "upper"]
    assert search(f"params.v != '{values['long-x']}'") == ["long-y", "short", "stem", "upper"]
