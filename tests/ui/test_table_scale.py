"""What keeps the runs table fast at 100,000 runs, checked for correctness on every backend.

- ``latest_metrics.min_value``/``max_value`` (revision 0006) are kept by log_metric and log_batch
  whatever the order of steps, ignoring NaN, keeping infinities; older stores get them filled in.
- the table's count stops at a cap (``more`` says there are more); child counts stay exact.
"""

from __future__ import annotations

import math

import pytest
import sqlalchemy as sa

from mltrail._system_tags import PARENT_RUN_ID
from mltrail.entities import Metric, RunTag
from mltrail.server.ui import queries
from mltrail.server.ui.columns import parse_column, parse_columns
from mltrail.server.ui.queries import runs_page
from mltrail.store.sql import SqlTrackingStore
from mltrail.store.sql.engine import create_sql_engine
from mltrail.store.sql.models import latest_metrics
from mltrail.store.sql.schema import MIGRATIONS_DIR


def _latest(store: SqlTrackingStore, run_id: str, key: str) -> tuple:
    row = store.get_run(run_id).data.metrics.get(key)
    page = runs_page(store, [store.get_run(run_id).info.experiment_id], f"attributes.run_id = '{run_id}'",
                     parse_columns(f"metrics.{key}:min,metrics.{key}:max"), nested=False)
    values = page["rows"][0]["values"]
    return row, values.get(f"metrics.{key}:min"), values.get(f"metrics.{key}:max")


def test_min_max_kept_under_out_of_order_steps_nan_and_inf(store_uri: str) -> None:
    store = SqlTrackingStore(store_uri)
    try:
        run_id = store.create_run("0", "u", 1, run_name="r").info.run_id
        # (value, step): the latest is step 9 (logged second), the extremes come before and after it
        for value, step in [(5.0, 3), (7.0, 9), (float("nan"), 12), (-2.5, 1), (11.0, 4), (float("nan"), 2)]:
            store.log_metric(run_id, Metric("loss", value, 100 + step, step))
        last, low, high = _latest(store, run_id, "loss")
        assert math.isnan(last)  # step 12 is the newest: NaN is the last value ...
        assert (low, high) == (-2.5, 11.0)  # ... but never an extreme
        # a batch whose rows arrive out of step order; an older step with a new extreme
        store.log_batch(run_id, metrics=[Metric("loss", 30.0, 50, 0), Metric("loss", -9.0, 51, 1)], params=[], tags=[])
        last, low, high = _latest(store, run_id, "loss")
        assert math.isnan(last) and (low, high) == (-9.0, 30.0)
        store.log_metric(run_id, Metric("loss", 3.0, 999, 12))  # same step, later timestamp: newer
        assert _latest(store, run_id, "loss") == (3.0, -9.0, 30.0)
        # infinities are extremes (MySQL stores them as the largest double and reads them back)
        store.log_batch(run_id, metrics=[Metric("loss", float("inf"), 1, 0), Metric("loss", float("-inf"), 1, 0)],
                        params=[], tags=[])
        assert _latest(store, run_id, "loss") == (3.0, "-inf", "inf")
        # only NaN logged: no extremes
        store.log_metric(run_id, Metric("gap", float("nan"), 1, 0))
        store.log_metric(run_id, Metric("gap", float("nan"), 2, 1))
        last, low, high = _latest(store, run_id, "gap")
        assert math.isnan(last) and low is None and high is None
        store.log_metric(run_id, Metric("gap", 0.25, 0, 0))  # an old step: not the last, but the only number
        last, low, high = _latest(store, run_id, "gap")
        assert math.isnan(last) and (low, high) == (0.25, 0.25)
    finally:
        store.close()


def test_sort_by_min_puts_runs_without_numbers_last(store_uri: str) -> None:
    store = SqlTrackingStore(store_uri)
    try:
        eid = store.create_experiment("extremes")
        names = {}
        for i, values in enumerate([[4.0, 1.0], [0.5, 9.0], [float("nan")], [2.0]]):
            run_id = store.create_run(eid, "u", 10 + i, run_name=f"r{i}").info.run_id
            names[run_id] = f"r{i}"
            for step, v in enumerate(values):
                store.log_metric(run_id, Metric("m", v, step, step))
        store.create_run(eid, "u", 20, run_name="none")
        order = lambda agg, asc: [r["run_name"] for r in runs_page(  # noqa: E731
            store, [eid], None, [], sort=parse_column(f"metrics.m:{agg}"), ascending=asc, nested=False)["rows"]]
        assert order("min", True)[:3] == ["r1", "r0", "r3"]
        assert order("max", False)[:3] == ["r1", "r0", "r3"]
        assert order("max", True)[:3] == ["r3", "r0", "r1"]
        assert set(order("min", True)[3:]) == {"r2", "none"}  # all-NaN and missing: last either way
        assert set(order("min", False)[3:]) == {"r2", "none"}
    finally:
        store.close()


def _database_at(uri: str, revision: str) -> sa.Engine:
    from alembic import command
    from alembic.config import Config

    engine = create_sql_engine(uri)
    with engine.connect() as conn:
        config = Config()
        config.set_main_option("script_location", MIGRATIONS_DIR)
        config.attributes["connection"] = conn
        config.attributes["default_artifact_root"] = "/tmp/unused-artifacts"
        command.upgrade(config, revision)
        conn.commit()
    return engine


def test_revision_0006_fills_min_max_of_existing_metrics(store_uri: str) -> None:
    engine = _database_at(store_uri, "0004_mlflow_system_tags")
    run_id = "c" * 32
    quote = "`" if engine.dialect.name in ("mysql", "mariadb") else '"'
    with engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO runs (run_uuid, name, user_id, status, start_time, end_time, deleted_time, "
            "lifecycle_stage, artifact_uri, experiment_id) VALUES (:r, 'old', 'u', 'FINISHED', 1, 2, NULL, 'active', '/a', 0)"
        ), {"r": run_id})
        rows = [("loss", 4.0, 0, False), ("loss", -1.0, 1, False), ("loss", 0.0, 2, True), ("loss", 2.0, 3, False),
                ("nan", 0.0, 0, True)]
        for key, value, step, is_nan in rows:
            conn.execute(sa.text(
                f"INSERT INTO metrics (run_uuid, {quote}key{quote}, value, timestamp, step, is_nan) "
                "VALUES (:r, :k, :v, 1, :s, :n)"), {"r": run_id, "k": key, "v": value, "s": step, "n": is_nan})
        for key, value, step, is_nan in (("loss", 2.0, 3, False), ("nan", 0.0, 0, True)):
            conn.execute(sa.text(
                f"INSERT INTO latest_metrics (run_uuid, {quote}key{quote}, value, timestamp, step, is_nan) "
                "VALUES (:r, :k, :v, 1, :s, :n)"), {"r": run_id, "k": key, "v": value, "s": step, "n": is_nan})
    engine.dispose()
    store = SqlTrackingStore(store_uri)  # upgrades to head
    try:
        lm = latest_metrics
        with store.engine.connect() as conn:
            found = {k: (lo, hi) for k, lo, hi in conn.execute(
                sa.select(lm.c.key, lm.c.min_value, lm.c.max_value).where(lm.c.run_uuid == run_id))}
        assert found == {"loss": (-1.0, 4.0), "nan": (None, None)}
        # and the hot path keeps going from there
        store.log_metric(run_id, Metric("loss", -3.0, 5, 0))
        assert _latest(store, run_id, "loss") == (2.0, -3.0, 4.0)
    finally:
        store.close()


def test_count_stops_at_the_cap_and_child_counts_stay_exact(store_uri: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(queries, "COUNT_CAP", 3)
    store = SqlTrackingStore(store_uri)
    try:
        eid = store.create_experiment("capped")
        parent = store.create_run(eid, "u", 1000, run_name="parent").info.run_id
        for i in range(5):
            store.create_run(eid, "u", 2000 + i, run_name=f"child{i}", tags=[RunTag(PARENT_RUN_ID, parent)])
        for i in range(3):
            store.create_run(eid, "u", 3000 + i, run_name=f"top{i}")
        nested = runs_page(store, [eid], None, [], limit=2)
        assert (nested["total"], nested["more"]) == (3, True)  # 4 top-level runs, counted up to 3
        assert [r["run_name"] for r in nested["rows"]] == ["top2", "top1"]
        exact = runs_page(store, [eid], None, [], limit=4)  # a page bigger than the cap counts past it
        assert (exact["total"], exact["more"]) == (4, False)
        assert [(r["run_name"], r["children"]) for r in exact["rows"]][-1] == ("parent", 5)
        children = runs_page(store, [eid], None, [], parent_id=parent, limit=10)
        assert (children["total"], children["more"]) == (5, False)
        assert sorted(r["run_name"] for r in children["rows"]) == [f"child{i}" for i in range(5)]
        hidden = runs_page(store, [eid], "attributes.run_name LIKE 'child%'", [], limit=2)
        assert hidden["total"] == 0 and hidden["matching_children"] == 3  # capped too
        flat = runs_page(store, [eid], None, [], nested=False, limit=2, offset=4)
        assert (flat["total"], flat["more"]) == (6, True)  # counted up to offset + limit
    finally:
        store.close()


@pytest.mark.parametrize("sort_name,ascending", [("metrics.m", True), ("metrics.m", False), (None, False),
                                                ("metrics.m:min", True), ("metrics.m:max", False)])
def test_big_store_plans_page_like_the_plain_queries(
    store_uri: str, monkeypatch: pytest.MonkeyPatch, sort_name: str, ascending: bool
) -> None:
    """From INDEX_WALK_MIN matching runs on, a metric sort (last, min, max) walks an index in segments and a
    filtered default sort probes the filter run by run; both must page exactly like the plain query."""
    store = SqlTrackingStore(store_uri)
    try:
        eid = store.create_experiment("walk")
        other = store.create_experiment("other")  # its runs must never show up
        parent = store.create_run(eid, "u", 5, run_name="parent").info.run_id
        values = [3.0, 1.0, 3.0, float("nan"), 2.0, None, 3.0, float("nan"), None, -1.0, 2.0]
        for i, v in enumerate(values):  # ties, NaN and missing values; start times that disagree with values
            tags = [RunTag(PARENT_RUN_ID, parent)] if i in (1, 4) else []
            run_id = store.create_run(eid, "u", 100 - i * 3 if i % 2 else 100 + i, run_name=f"r{i}", tags=tags).info.run_id
            if v is not None:
                store.log_metric(run_id, Metric("m", v, 0, 0))
            store.log_metric(run_id, Metric("k", float(i), 0, 0))
        store.log_metric(store.create_run(other, "u", 1, run_name="x").info.run_id, Metric("m", 0.0, 0, 0))
        sort = parse_column(sort_name) if sort_name else None
        cases = [dict(nested=False), dict(nested=True), dict(nested=False, filter_string="metrics.k >= 2"),
                 dict(nested=False, filter_string="metrics.m < 3"), dict(nested=True, filter_string="params.none = 'x'"),
                 dict(nested=True, filter_string="metrics.k >= 1 AND attributes.run_name != 'r4'")]
        for case in cases:
            filter_string = case.pop("filter_string", None)
            pages = {}
            for walk_from in (10**9, 0):
                monkeypatch.setattr(queries, "INDEX_WALK_MIN", walk_from)
                pages[walk_from] = [
                    [r["run_name"] for r in runs_page(store, [eid], filter_string, [], sort=sort, ascending=ascending,
                                                      limit=limit, offset=offset, **case)["rows"]]
                    for limit, offset in ((100, 0), (3, 0), (3, 3), (4, 5), (2, 9), (5, 20))
                ]
            assert pages[0] == pages[10**9], (case, filter_string)
            assert "x" not in pages[0][0]
        if sort is None:
            return
        monkeypatch.setattr(queries, "INDEX_WALK_MIN", 0)
        full = [r["run_name"] for r in runs_page(store, [eid], None, [], sort=sort, ascending=ascending,
                                                 nested=False)["rows"]]
        numbers = [values[int(n[1:])] for n in full[:7]]
        assert numbers == sorted(numbers, reverse=not ascending)  # values first, in order, either way
        if sort.agg:  # an all-NaN history has no minimum or maximum: last, with the runs without the metric
            assert set(full[7:]) == {"r3", "r7", "r5", "r8", "parent"}
        else:
            assert set(full[7:9]) == {"r3", "r7"} and set(full[9:]) == {"r5", "r8", "parent"}  # then NaN, then none
    finally:
        store.close()


def test_column_keys_come_from_the_newest_runs(sqlite_uri: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from mltrail.entities import Param

    monkeypatch.setattr(queries, "KEY_SAMPLE_RUNS", 2)
    store = SqlTrackingStore(sqlite_uri)
    try:
        eid = store.create_experiment("keys")
        other = store.create_experiment("elsewhere")
        for start, (param, metric) in enumerate([("old_p", "old_m"), ("b_p", "b_m"), ("a_p", "a_m")]):
            run_id = store.create_run(eid, "u", 1000 + start, run_name=param).info.run_id
            store.log_batch(run_id, metrics=[Metric(metric, 1.0, 0, 0)], params=[Param(param, "1")],
                            tags=[RunTag(f"t_{param}", "x")])
        store.log_batch(store.create_run(other, "u", 5000).info.run_id, metrics=[], params=[Param("z_p", "1")], tags=[])
        keys = queries.column_keys(store, [eid])
        assert keys["params"] == ["a_p", "b_p"] and keys["metrics"] == ["a_m", "b_m"]  # sorted; the oldest run's not
        assert "t_a_p" in keys["tags"] and "t_old_p" not in keys["tags"]
        assert queries.column_keys(store, [eid], limit=1)["params"] == ["a_p"]
        # a key outside the sample still works as a column when named
        page = runs_page(store, [eid], None, parse_columns("params.old_p"), nested=False)
        assert [r["values"].get("params.old_p") for r in page["rows"]] == [None, None, "1"]
    finally:
        store.close()


def test_history_reader_on_every_backend(store_uri: str) -> None:
    from mltrail.server.ui.history import metric_histories

    store = SqlTrackingStore(store_uri)
    try:
        run_id = store.create_run("0", "u", 1).info.run_id
        # logged out of step order, with NaN and infinities, one step logged twice (two timestamps)
        logged = [(3, 30, 0.5), (1, 10, float("nan")), (2, 20, float("inf")), (0, 5, 2.0), (2, 21, float("-inf")),
                  (4, 40, -1.25)]
        store.log_batch(run_id, metrics=[Metric("m", v, ts, step) for step, ts, v in logged], params=[], tags=[])
        series = metric_histories(store, [run_id], "m")[0]
        assert series["total"] == 6
        assert list(zip(series["steps"], series["timestamps"])) == [(0, 5), (1, 10), (2, 20), (2, 21), (3, 30), (4, 40)]
        assert series["values"] == [2.0, "NaN", "inf", "-inf", 0.5, -1.25]
        zoom = metric_histories(store, [run_id], "m", min_step=2, max_step=3)[0]
        assert zoom["steps"] == [2, 2, 3] and zoom["values"] == ["inf", "-inf", 0.5]
        # a long history is cut to max_points, keeping the extremes of each bucket
        store.log_batch(run_id, metrics=[Metric("long", 100.0 if i == 537 else float(i % 3), i, i) for i in range(1000)],
                        params=[], tags=[])
        long = metric_histories(store, [run_id], "long", max_points=50)[0]
        assert long["total"] == 1000 and len(long["steps"]) <= 50 and 537 in long["steps"]
        assert long["steps"] == sorted(long["steps"]) and max(long["values"]) == 100.0
        assert metric_histories(store, [run_id], "absent")[0] == {
            "run_id": run_id, "total": 0, "steps": [], "timestamps": [], "values": []}
    finally:
        store.close()
