"""``statements.Prepared``: a statement compiled once for its dialect, run on the raw DBAPI cursor
(the hot paths and the UI's metric history read so). Its literal values (constants SQLAlchemy binds
as parameters) must reach the driver with the caller's values, in the dialect's parameter order."""

from __future__ import annotations

import sqlalchemy as sa

from mltrail.store.sql.models import runs
from mltrail.store.sql.statements import Prepared


def _rows(store, prepared: Prepared, values=None, many=None):
    conn = store.engine.raw_connection()
    try:
        cursor = conn.cursor()
        if many is not None:
            cursor.executemany(prepared.sql, many)
            conn.commit()
            return cursor.rowcount
        cursor.execute(prepared.sql, prepared.args(values or {}))
        return sorted(tuple(r) for r in cursor.fetchall())
    finally:
        conn.close()


def _runs(store):
    exp = store.create_experiment("e")
    for name, start in (("a", 5), ("b", 7), ("c", 9)):
        store.create_run(exp, "u", start, run_name=name)
    return int(exp)


def test_literal_values_reach_the_driver_without_the_caller_naming_them(store):
    exp = _runs(store)
    prepared = Prepared(sa.select(runs.c.name).where(runs.c.experiment_id == exp, runs.c.start_time > 6), store.engine)
    assert _rows(store, prepared) == [("b",), ("c",)]


def test_literals_and_named_values_keep_their_places_in_the_parameter_order(store):
    exp = _runs(store)
    # the named value comes first in the SQL, the literals after it: positional drivers (SQLite) need
    # them in that order
    stmt = sa.select(runs.c.name).where(
        runs.c.start_time < sa.bindparam("before"), runs.c.experiment_id == exp, runs.c.start_time > 5
    )
    prepared = Prepared(stmt, store.engine)
    assert _rows(store, prepared, {"before": 9}) == [("b",)]
    assert _rows(store, prepared, {"before": 100}) == [("b",), ("c",)]


def test_rows_given_in_another_column_order_than_the_statement_takes_them(store):
    exp = _runs(store)
    prepared = Prepared(
        runs.update().where(runs.c.name == sa.bindparam("which")).values(end_time=sa.bindparam("end")), store.engine
    )
    # columns (end, which) while the statement takes end_time first and the name second: by name, not place
    assert _rows(store, prepared, many=prepared.rows(["which", "end"], [("a", 50), ("c", 90)])) in (2, -1)
    ended = Prepared(sa.select(runs.c.name, runs.c.end_time).where(runs.c.experiment_id == exp), store.engine)
    assert _rows(store, ended) == [("a", 50), ("b", None), ("c", 90)]
