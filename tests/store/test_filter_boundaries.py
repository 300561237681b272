"""Search filters at, just below and just above the stored values, on every backend.

Each case compares what ``search_runs`` returns with what the filter means, computed here in
Python from the stored values: a comparison off by one (``>`` for ``>=``, ``<=`` for ``<``),
a NaN that matches, a missing value that matches or a case-insensitive ``=`` shows up as a
wrong set of runs.
"""

from __future__ import annotations

import math
import operator

import pytest

from mltrail.entities import Metric, Param, RunTag

OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "=": operator.eq, "!=": operator.ne}

#: run name -> latest value of metric "m" (m_none has none)
METRIC_VALUES = {
    "m_neginf": -math.inf,
    "m_neg": -1.5,
    "m_zero": 0.0,
    "m_tiny": 5e-324,
    "m_pos": 2.5,
    "m_big": 1e300,
    "m_inf": math.inf,
    "m_nan": math.nan,
    "m_none": None,
}


def _names(page) -> set[str]:
    return {r.info.run_name for r in page}


def _near(value: float) -> list[float]:
    return [math.nextafter(value, -math.inf), value, math.nextafter(value, math.inf)]


@pytest.fixture
def metric_runs(store):
    exp_id = store.create_experiment("boundaries")
    for i, (name, value) in enumerate(METRIC_VALUES.items()):
        run_id = store.create_run(exp_id, "u", 1_000 + i, run_name=name).info.run_id
        if value is not None:
            store.log_metric(run_id, Metric("m", value, 1, 0))
    return exp_id


def test_metric_filters_at_just_below_and_just_above_every_stored_value(store, metric_runs):
    thresholds = sorted({t for v in METRIC_VALUES.values() if v is not None and math.isfinite(v) for t in _near(v)})
    thresholds += [-1e308, 1e308]
    mismatches = []
    for op, compare in OPS.items():
        for threshold in thresholds:
            expected = {
                name for name, v in METRIC_VALUES.items() if v is not None and not math.isnan(v) and compare(v, threshold)
            }
            found = _names(store.search_runs([metric_runs], f"metrics.m {op} {threshold!r}", max_results=100))
            if found != expected:
                mismatches.append((op, threshold, sorted(found ^ expected)))
    assert mismatches == []


def test_latest_metric_value_decides_the_filter_when_steps_and_timestamps_disagree(store):
    exp_id = store.create_experiment("latest")
    run_id = store.create_run(exp_id, "u", 1, run_name="r").info.run_id
    # step 2 was logged first (smallest timestamp): it is still the latest value, as in MLflow
    store.log_metric(run_id, Metric("m", 2.0, 100, 2))
    store.log_metric(run_id, Metric("m", 9.0, 300, 1))
    store.log_metric(run_id, Metric("m", 5.0, 200, 0))
    assert _names(store.search_runs([exp_id], "metrics.m = 2")) == {"r"}
    assert _names(store.search_runs([exp_id], "metrics.m > 2")) == set()
    assert store.get_run(run_id).data.metrics["m"] == 2.0


@pytest.fixture
def string_runs(store):
    """Runs whose param "p", tag "t" and run name hold neighbouring strings."""
    exp_id = store.create_experiment("strings")
    values = {"s_abc": "abc", "s_ABC": "ABC", "s_ab": "ab", "s_abcd": "abcd", "s_num": "10", "s_num2": "9",
              "s_empty_like": "a_c", "s_pct": "a%c"}
    for i, (name, value) in enumerate(values.items()):
        run_id = store.create_run(exp_id, "u", 1_000 + i, run_name=name).info.run_id
        store.log_batch(run_id, params=[Param("p", value)], tags=[RunTag("t", value)])
    store.create_run(exp_id, "u", 2_000, run_name="s_none")  # neither param nor tag
    return exp_id, values


def _like(pattern: str, value: str, fold: bool) -> bool:
    import re

    regex = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.IGNORECASE | re.DOTALL if fold else re.DOTALL) is not None


STRING_CASES = [
    ("=", "abc"), ("=", "ab"), ("=", "abcd"), ("=", "ABC"), ("=", "10"), ("=", "10.0"), ("=", ""),
    ("!=", "abc"), ("!=", "ABC"), ("!=", "nothing"),
    ("LIKE", "abc"), ("LIKE", "ab%"), ("LIKE", "abc%"), ("LIKE", "abc_"), ("LIKE", "_bc"), ("LIKE", "AB%"),
    ("LIKE", "a_c"), ("LIKE", "%"),
    ("ILIKE", "ab%"), ("ILIKE", "ABC"), ("ILIKE", "abc_"), ("ILIKE", "_B_"),
    ("IN", ("abc",)), ("IN", ("ABC", "ab")), ("IN", ("abcd", "nothing")),
    ("NOT IN", ("abc",)), ("NOT IN", ("abc", "ABC", "ab")),
]


def _string_matches(op: str, value: str, target) -> bool:
    if op == "=":
        return value == target
    if op == "!=":
        return value != target
    if op in ("LIKE", "ILIKE"):
        return _like(target, value, op == "ILIKE")
    return (value in target) == (op == "IN")


def _literal(target) -> str:
    if isinstance(target, tuple):
        return "(" + ", ".join(f"'{t}'" for t in target) + ")"
    return f"'{target}'"


@pytest.mark.parametrize("entity", ["params", "tags"])
def test_string_filters_on_params_and_tags_at_and_next_to_stored_values(store, string_runs, entity):
    exp_id, values = string_runs
    mismatches = []
    for op, target in STRING_CASES:
        if entity == "params" and op in ("IN", "NOT IN"):
            continue  # MLflow allows IN on tags and attributes only
        expected = {name for name, value in values.items() if _string_matches(op, value, target)}
        key = "params.p" if entity == "params" else "tags.t"
        found = _names(store.search_runs([exp_id], f"{key} {op} {_literal(target)}", max_results=100))
        if found != expected:
            mismatches.append((op, target, sorted(found ^ expected)))
    assert mismatches == []


def test_run_name_filters_at_and_next_to_stored_values(store, string_runs):
    exp_id, values = string_runs
    names = [*values, "s_none"]
    mismatches = []
    for op, target in [("=", "s_abc"), ("=", "s_ab"), ("!=", "s_abc"), ("LIKE", "s_ab_"), ("LIKE", "s_AB%"),
                       ("ILIKE", "s_ab_"), ("IN", ("s_abc", "s_ABC")), ("NOT IN", ("s_abc", "s_none"))]:
        expected = {n for n in names if _string_matches(op, n, target)}
        found = _names(store.search_runs([exp_id], f"attributes.run_name {op} {_literal(target)}", max_results=100))
        if found != expected:
            mismatches.append((op, target, sorted(found ^ expected)))
    assert mismatches == []


def test_time_attribute_filters_at_just_below_and_just_above(store):
    exp_id = store.create_experiment("times")
    starts = {"t0": 1_700_000_000_000, "t1": 1_700_000_000_001, "t2": 1_700_000_000_005}
    for name, start in starts.items():
        store.create_run(exp_id, "u", start, run_name=name)
    ended = store.create_run(exp_id, "u", 1_700_000_000_003, run_name="ended").info.run_id
    store.update_run_info(ended, "FINISHED", end_time=1_700_000_000_010)
    starts["ended"] = 1_700_000_000_003
    ends = {"ended": 1_700_000_000_010}  # the others are running: no end_time, no comparison matches
    mismatches = []
    for attribute, stored in (("start_time", starts), ("end_time", ends)):
        for op, compare in OPS.items():
            for threshold in sorted({t for v in stored.values() for t in (v - 1, v, v + 1)}):
                expected = {name for name, v in stored.items() if compare(v, threshold)}
                found = _names(store.search_runs([exp_id], f"attributes.{attribute} {op} {threshold}", max_results=100))
                if found != expected:
                    mismatches.append((attribute, op, threshold, sorted(found ^ expected)))
    assert mismatches == []


def test_a_whole_float_time_compares_exactly_beyond_two_to_the_53(store):
    # 2**53 + 1 has no float of its own: compared as doubles (PostgreSQL and MySQL compare a BIGINT
    # column with a float parameter so) it would equal 9007199254740992.0; the filter means 2**53 exactly
    exp_id = store.create_experiment("far")
    for offset in range(3):
        store.create_run(exp_id, "u", 2**53 + offset, run_name=f"t{offset}")
    found = {op: sorted(_names(store.search_runs([exp_id], f"attributes.start_time {op} 9007199254740992.0")))
             for op in ("=", ">", "<=")}
    assert found == {"=": ["t0"], ">": ["t1", "t2"], "<=": ["t0"]}


def test_experiment_filters_at_just_below_and_just_above(store):
    ids = [store.create_experiment(name) for name in ("exp_a", "exp_b", "exp_B")]
    created = {e.name: e.creation_time for e in (store.get_experiment(i) for i in ids)}
    mismatches = []
    for op, compare in OPS.items():
        for threshold in sorted({t for v in created.values() for t in (v - 1, v, v + 1)}):
            expected = {name for name, v in created.items() if compare(v, threshold)}
            found = {e.name for e in store.search_experiments(filter_string=f"creation_time {op} {threshold}")}
            if found - {"Default"} != expected:
                mismatches.append((op, threshold, sorted(found ^ expected)))
    for op, target in [("=", "exp_b"), ("!=", "exp_b"), ("LIKE", "exp_b"), ("ILIKE", "exp_b"), ("LIKE", "exp__")]:
        expected = {n for n in created if _string_matches(op, n, target)}
        found = {e.name for e in store.search_experiments(filter_string=f"name {op} '{target}'")} - {"Default"}
        if found != expected:
            mismatches.append((op, target, sorted(found ^ expected)))
    assert mismatches == []
