"""Logging metrics, params and tags to runs, and the bad input the store refuses."""

from __future__ import annotations

import math

import pytest

from mltrail.entities import Metric, Param, RunTag
from mltrail.exceptions import InvalidParameterError, InvalidStateError, ResourceNotFoundError


@pytest.fixture
def run_id(store):
    return store.create_run("0", "u", None, run_name="r").info.run_id


def _snapshot(store, run_id):
    run = store.get_run(run_id)
    history = {k: store.get_metric_history(run_id, k) for k in run.data.metrics}
    return run, history


def test_metric_history_and_latest(store, run_id):
    store.log_metric(run_id, Metric("rmse", 7.5, 1000, 0))
    store.log_metric(run_id, Metric("rmse", 6.9, 2000, 1))
    store.log_metric(run_id, Metric("rmse", 8.0, 500, 0))  # late value of an earlier step
    history = store.get_metric_history(run_id, "rmse")
    assert [(m.value, m.step) for m in history] == [(8.0, 0), (7.5, 0), (6.9, 1)]
    assert store.get_run(run_id).data.metrics == {"rmse": 6.9}


def test_nan_and_infinities_round_trip(store, run_id):
    store.log_metric(run_id, Metric("nan", math.nan, 1, 0))
    store.log_metric(run_id, Metric("pinf", math.inf, 1, 0))
    store.log_metric(run_id, Metric("ninf", -math.inf, 1, 0))
    store.log_metric(run_id, Metric("big", 1e308, 1, 0))
    metrics = store.get_run(run_id).data.metrics
    assert math.isnan(metrics["nan"])
    assert metrics["pinf"] == math.inf and metrics["ninf"] == -math.inf
    assert metrics["big"] == 1e308
    assert math.isnan(store.get_metric_history(run_id, "nan")[0].value)
    assert store.get_metric_history(run_id, "ninf")[0].value == -math.inf


def test_int_and_bool_metric_values_are_numbers(store, run_id):
    store.log_metric(run_id, Metric("count", 3, 1, 0))
    store.log_metric(run_id, Metric("flag", True, 1, 0))
    assert store.get_run(run_id).data.metrics == {"count": 3.0, "flag": 1.0}


def test_non_numeric_metric_is_refused_and_nothing_changes(store, run_id):
    store.log_metric(run_id, Metric("rmse", 1.0, 1, 0))
    before = _snapshot(store, run_id)
    with pytest.raises(InvalidParameterError, match=r"Invalid metric value 'abc' \(str\) for key 'rmse'.*must be a number"):
        store.log_metric(run_id, Metric("rmse", "abc", 2, 1))
    with pytest.raises(InvalidParameterError, match="must be a number"):
        store.log_batch(run_id, metrics=[Metric("ok", 1.0, 1, 0), Metric("rmse", None, 2, 1)])
    assert _snapshot(store, run_id) == before


def test_params_relog_same_value_ok_other_value_refused(store, run_id):
    store.log_param(run_id, Param("alpha", "0.01"))
    store.log_param(run_id, Param("alpha", "0.01"))
    with pytest.raises(InvalidParameterError) as err:
        store.log_param(run_id, Param("alpha", "0.5"))
    assert "'alpha'" in str(err.value) and "'0.01'" in str(err.value) and "'0.5'" in str(err.value)
    with pytest.raises(InvalidParameterError, match="'alpha'"):
        store.log_batch(run_id, params=[Param("beta", "1"), Param("alpha", "0.5")])
    assert store.get_run(run_id).data.params == {"alpha": "0.01"}


def test_params_are_case_sensitive(store, run_id):
    store.log_batch(run_id, params=[Param("lr", "1"), Param("LR", "2")])
    assert store.get_run(run_id).data.params == {"lr": "1", "LR": "2"}


def test_conflicting_param_within_one_batch(store, run_id):
    with pytest.raises(InvalidParameterError, match="'p' appears twice"):
        store.log_batch(run_id, params=[Param("p", "1"), Param("p", "2")])
    assert store.get_run(run_id).data.params == {}


def test_tags_set_overwrite_delete(store, run_id):
    store.set_tag(run_id, RunTag("developer", "ana"))
    store.set_tag(run_id, RunTag("developer", "bo"))
    assert store.get_run(run_id).data.tags["developer"] == "bo"
    store.delete_tag(run_id, "developer")
    assert "developer" not in store.get_run(run_id).data.tags
    with pytest.raises(ResourceNotFoundError, match="'developer'"):
        store.delete_tag(run_id, "developer")


def test_log_batch_all_or_nothing(store, run_id):
    store.log_batch(
        run_id,
        metrics=[Metric("m", float(i), 1000 + i, i) for i in range(1000)],
        params=[Param(f"p{i}", str(i)) for i in range(5)],
        tags=[RunTag("t", "v")],
    )
    run = store.get_run(run_id)
    assert run.data.metrics == {"m": 999.0}
    assert len(store.get_metric_history(run_id, "m")) == 1000
    assert run.data.params == {f"p{i}": str(i) for i in range(5)}
    before = _snapshot(store, run_id)
    with pytest.raises(InvalidParameterError, match="'p0'"):
        store.log_batch(run_id, metrics=[Metric("m", 5.0, 1, 5000)], params=[Param("p0", "changed")], tags=[RunTag("t", "new")])
    assert _snapshot(store, run_id) == before


@pytest.mark.parametrize(
    "key, rule",
    [
        ("a/../b", "'..' path segment"),
        ("../up", "'..' path segment"),
        ("/abs", "must not start with '/'"),
        ("bad!char", "letters, digits"),
        ("semi;colon", "letters, digits"),
        ("", "must not be empty"),
        ("k" * 251, "at most 250 characters"),
        ("a//b", "normalised path"),
    ],
)
def test_bad_keys_are_refused_everywhere(store, run_id, key, rule):
    store.log_batch(run_id, metrics=[Metric("m", 1.0, 1, 0)], params=[Param("p", "1")], tags=[RunTag("t", "1")])
    before = _snapshot(store, run_id)
    for call, kind in (
        (lambda: store.log_metric(run_id, Metric(key, 1.0, 1, 0)), "metric"),
        (lambda: store.log_param(run_id, Param(key, "1")), "param"),
        (lambda: store.set_tag(run_id, RunTag(key, "1")), "tag"),
        (lambda: store.log_batch(run_id, metrics=[Metric("ok", 1.0, 1, 0)], params=[Param(key, "1")]), "param"),
    ):
        with pytest.raises(InvalidParameterError) as err:
            call()
        message = str(err.value)
        assert f"Invalid {kind} key" in message and rule in message
        assert repr(key)[:40] in message or len(key) > 200
    assert _snapshot(store, run_id) == before


def test_key_with_allowed_characters(store, run_id):
    key = "train/loss v2_final-1.0"
    store.log_metric(run_id, Metric(key, 1.0, 1, 0))
    assert store.get_run(run_id).data.metrics == {key: 1.0}


def test_over_long_values(store, run_id):
    store.log_param(run_id, Param("ok", "x" * 6000))
    store.set_tag(run_id, RunTag("ok", "y" * 8000))
    with pytest.raises(InvalidParameterError, match="param value must be at most 6000 characters"):
        store.log_param(run_id, Param("long", "x" * 6001))
    with pytest.raises(InvalidParameterError, match="tag value must be at most 8000 characters"):
        store.set_tag(run_id, RunTag("long", "y" * 8001))
    run = store.get_run(run_id)
    assert run.data.params == {"ok": "x" * 6000}
    assert run.data.tags["ok"] == "y" * 8000 and "long" not in run.data.tags


def test_deleted_run_refuses_logging_finished_run_accepts(store, run_id):
    store.log_metric(run_id, Metric("m", 1.0, 1, 0))
    store.update_run_info(run_id, "FINISHED", end_time=10)
    store.log_metric(run_id, Metric("late_eval", 0.9, 20, 0))
    store.set_tag(run_id, RunTag("evaluated", "yes"))
    assert store.get_run(run_id).data.metrics == {"m": 1.0, "late_eval": 0.9}
    store.create_run("0", "u", None, run_name="another, active")  # the deleted run's state decides, not any run's
    store.delete_run(run_id)
    before = _snapshot(store, run_id)
    for call in (
        lambda: store.log_metric(run_id, Metric("m", 2.0, 2, 1)),
        lambda: store.log_param(run_id, Param("p", "1")),
        lambda: store.set_tag(run_id, RunTag("t", "1")),
        lambda: store.delete_tag(run_id, "evaluated"),
        lambda: store.log_batch(run_id, metrics=[Metric("m", 2.0, 2, 1)]),
    ):
        with pytest.raises(InvalidStateError, match=f"Run '{run_id}' is deleted"):
            call()
    assert _snapshot(store, run_id) == before


def test_logging_to_unknown_run(store):
    missing = "f" * 32
    for call in (
        lambda: store.log_metric(missing, Metric("m", 1.0, 1, 0)),
        lambda: store.log_param(missing, Param("p", "1")),
        lambda: store.set_tag(missing, RunTag("t", "1")),
        lambda: store.log_batch(missing, metrics=[Metric("m", 1.0, 1, 0)]),
        lambda: store.log_batch(missing),
    ):
        with pytest.raises(ResourceNotFoundError, match=f"'{missing}' not found"):
            call()


def test_bad_step_and_timestamp(store, run_id):
    with pytest.raises(InvalidParameterError, match="step 'one'.*integer"):
        store.log_metric(run_id, Metric("m", 1.0, 1, "one"))
    with pytest.raises(InvalidParameterError, match="timestamp None.*integer"):
        store.log_metric(run_id, Metric("m", 1.0, None, 0))
    assert store.get_run(run_id).data.metrics == {}


def test_exact_duplicate_metric_values_are_kept_once(store, run_id):
    # as in MLflow: the same (key, value, step, timestamp) logged twice is one history entry
    store.log_metric(run_id, Metric("m", 1.0, 5, 0))
    store.log_metric(run_id, Metric("m", 1.0, 5, 0))
    assert [(m.value, m.step, m.timestamp) for m in store.get_metric_history(run_id, "m")] == [(1.0, 0, 5)]
    store.log_batch(run_id, metrics=[Metric("m", 1.0, 5, 0), Metric("m", 2.0, 5, 0)])
    assert [(m.value, m.step, m.timestamp) for m in store.get_metric_history(run_id, "m")] == [(1.0, 0, 5), (2.0, 0, 5)]
    store.log_batch(run_id, metrics=[Metric("m", 2.0, 5, 0)])  # the duplicate comes alone
    assert [(m.value, m.step, m.timestamp) for m in store.get_metric_history(run_id, "m")] == [(1.0, 0, 5), (2.0, 0, 5)]
    assert store.get_run(run_id).data.metrics == {"m": 2.0}


def _refusal(call) -> str:
    """The message of the InvalidParameterError ``call()`` raises."""
    with pytest.raises(InvalidParameterError) as err:
        call()
    return str(err.value)


def test_whole_float_steps_and_timestamps_are_stored_as_integers(store, run_id):
    store.log_metric(run_id, Metric("m", 1.0, 5.0, 3.0))
    store.log_batch(run_id, metrics=[Metric("m", 2.0, -7.0, -(2.0**63))])
    history = store.get_metric_history(run_id, "m")
    assert [(m.value, m.step, m.timestamp) for m in history] == [(2.0, -(2**63), -7), (1.0, 3, 5)]
    assert all(type(m.step) is int and type(m.timestamp) is int for m in history)


@pytest.mark.parametrize(
    "step, timestamp, message",
    [
        (2.5, 1, "Invalid metric step 2.5 for key 'm': the step must be an integer"),
        (0, 1.5, "Invalid metric timestamp 1.5 for key 'm': the timestamp must be an integer"),
        (math.inf, 1, "Invalid metric step inf for key 'm': the step must be an integer"),
        (0, -math.inf, "Invalid metric timestamp -inf for key 'm': the timestamp must be an integer"),
        (math.nan, 1, "Invalid metric step nan for key 'm': the step must be an integer"),
        (True, 1, "Invalid metric step True for key 'm': the step must be an integer"),
        (0, False, "Invalid metric timestamp False for key 'm': the timestamp must be an integer"),
        (2.0**63, 1, "Invalid metric step for key 'm': 9223372036854775808: must be between -2^63 and 2^63-1"),
        (0, -(2.0**64), "Invalid metric timestamp for key 'm': -18446744073709551616: must be between -2^63"),
        (2**63, 1, "Invalid metric step for key 'm': 9223372036854775808: must be between -2^63 and 2^63-1"),
    ],
)
def test_steps_and_timestamps_that_are_not_64_bit_integers_are_refused(store, run_id, step, timestamp, message):
    for call in (
        lambda: store.log_metric(run_id, Metric("m", 1.0, timestamp, step)),
        lambda: store.log_batch(run_id, metrics=[Metric("m", 1.0, timestamp, step)]),
    ):
        assert message in _refusal(call)
    assert store.get_run(run_id).data.metrics == {}


def test_metric_values_that_are_not_numbers_name_their_type(store, run_id):
    from fractions import Fraction

    store.log_metric(run_id, Metric("third", Fraction(1, 3), 1, 0))
    assert store.get_run(run_id).data.metrics == {"third": 1 / 3}
    assert _refusal(lambda: store.log_metric(run_id, Metric("m", [1.0], 1, 0))) == (
        "Invalid metric value [1.0] (list) for key 'm': a metric value must be a number (int or float), not list"
    )
    assert _refusal(lambda: store.log_metric(run_id, Metric("m", b"1", 1, 0))) == (
        "Invalid metric value b'1' (bytes) for key 'm': a metric value must be a number (int or float), not bytes"
    )
    assert _refusal(lambda: store.log_metric(run_id, Metric("m", 10**400, 1, 0))) == (
        "Invalid metric value " + "1" + "0" * 74 + "...' (401 chars) for key 'm': a metric value must be a number "
        "representable as a 64-bit float"
    )
    assert store.get_run(run_id).data.metrics == {"third": 1 / 3}


@pytest.mark.parametrize(
    "key, message",
    [
        (5, "Invalid metric key 5: a key must be a string"),
        (["m"], "Invalid metric key ['m']: a key must be a string"),
        ("b;a!c", "Invalid metric key 'b;a!c': keys may contain only letters, digits, underscores (_), dashes (-), "
                  "periods (.), spaces ( ) and slashes (/) (found '!', ';')"),
        ("k" * 251, "Invalid metric key '" + "k" * 74 + "...' (251 chars): a key must be at most 250 characters "
                    "(it has 251)"),
        ("a/b/", "Invalid metric key 'a/b/': a key must be a normalised path (no '.' segments, no '//' and no "
                 "trailing '/')"),
        ("./a", "Invalid metric key './a': a key must be a normalised path"),
        ("a/.", "Invalid metric key 'a/.': a key must be a normalised path"),
        ("..", "Invalid metric key '..': a key must not contain a '..' path segment"),
        ("/a", "Invalid metric key '/a': a key must not start with '/'"),
        ("", "Invalid metric key '': a key must not be empty"),
    ],
)
def test_bad_metric_keys_are_refused_with_the_rule(store, run_id, key, message):
    store.log_metric(run_id, Metric("m", 1.0, 1, 0))  # a valid key first: the valid-key cache must not pass others
    assert message in _refusal(lambda: store.log_metric(run_id, Metric(key, 1.0, 1, 0)))
    assert store.get_run(run_id).data.metrics == {"m": 1.0}


def test_keys_at_the_length_limit_and_non_string_values_are_stored(store, run_id):
    import uuid

    key = (uuid.uuid4().hex * 8)[:250]  # never seen before: the cache of valid keys cannot answer for it
    store.log_batch(run_id, metrics=[Metric(key, 1.0, 1, 0)], params=[Param(key, 0.01), Param("none", None)],
                    tags=[RunTag(key, 3)])
    run = store.get_run(run_id)
    assert run.data.metrics == {key: 1.0}
    assert run.data.params == {key: "0.01", "none": "None"}
    assert run.data.tags[key] == "3"


def test_over_long_values_name_the_value_key_and_limit(store, run_id):
    assert _refusal(lambda: store.log_param(run_id, Param("p", "x" * 6001))) == (
        "Invalid param value '" + "x" * 74 + "...' (6001 chars) for key 'p': a param value must be at most 6000 "
        "characters (it has 6001)"
    )
    assert _refusal(lambda: store.set_tag(run_id, RunTag("t", "y" * 8001))) == (
        "Invalid tag value '" + "y" * 74 + "...' (8001 chars) for key 't': a tag value must be at most 8000 "
        "characters (it has 8001)"
    )
    assert _refusal(lambda: store.log_param(run_id, Param("p", "a\x00b"))) == (
        "Invalid param value for key 'p': 'a\\x00b': text must not contain the NUL character '\\x00'"
    )


def test_nul_and_lone_surrogates_in_values_are_refused_with_where_they_are(store, run_id):
    assert _refusal(lambda: store.log_param(run_id, Param("p", "é\x00"))) == (
        "Invalid param value for key 'p': 'é\\x00': text must not contain the NUL character '\\x00'"
    )
    assert _refusal(lambda: store.set_tag(run_id, RunTag("t", "éa\ud800b"))) == (
        "Invalid tag value for key 't': 'éa\\ud800b': text must be valid Unicode, but it holds the lone "
        "surrogate '\\ud800' at position 2"
    )
    # a value is quoted whole up to 80 characters, then cut and its length given
    assert "'\\x00" + "a" * 74 + "': text" in _refusal(lambda: store.log_param(run_id, Param("p", "\x00" + "a" * 74)))
    assert "'\\x00" + "a" * 70 + "...' (76 chars): text" in _refusal(
        lambda: store.log_param(run_id, Param("p", "\x00" + "a" * 75))
    )
    store.log_param(run_id, Param("accent", "é"))
    assert store.get_run(run_id).data.params == {"accent": "é"}


@pytest.mark.parametrize("bad_id", ["", "f" * 33])
def test_logging_to_a_malformed_run_id_names_the_id_and_the_rule(store, bad_id):
    assert _refusal(lambda: store.log_metric(bad_id, Metric("m", 1.0, 1, 0))) == (
        f"Invalid run id {bad_id!r}: a run id is a string of 1 to 32 characters"
    )


def test_a_metric_history_holds_only_its_own_run_and_key(store, run_id):
    other = store.create_run("0", "u", None).info.run_id
    store.log_metric(run_id, Metric("loss", 0.5, 10, 1))
    store.log_metric(other, Metric("loss", 0.9, 20, 2))
    store.log_metric(run_id, Metric("acc", 0.7, 30, 3))
    assert [(m.key, m.value, m.timestamp, m.step) for m in store.get_metric_history(run_id, "loss")] == [
        ("loss", 0.5, 10, 1)
    ]
    assert [(m.key, m.value) for m in store.get_metric_history(other, "loss")] == [("loss", 0.9)]
    assert store.get_metric_history(other, "acc") == []
