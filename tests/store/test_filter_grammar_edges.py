"""The search grammar at its edges (no database): exact error messages, limits at and just past
their bound, attribute names in any case, the order_by keys an experiment or run search accepts.

A user sees every one of these: the message of a refused filter is the only help they get, and
a limit off by one refuses a search that should run (or runs one that should be refused).
"""

from __future__ import annotations

import pytest

from mltrail.exceptions import InvalidParameterError
from mltrail.store.search import (
    EXPERIMENT_SPEC,
    RUN_SPEC,
    Comparison,
    OrderKey,
    decode_page_token,
    encode_page_token,
    parse_filter,
    parse_order_by,
)
from mltrail.store.search.filters import MAX_FILTER_COMPARISONS, MAX_IN_VALUES, MAX_ORDER_BY_KEYS


def _message(call, *args) -> str:
    with pytest.raises(InvalidParameterError) as err:
        call(*args)
    return err.value.message if hasattr(err.value, "message") else str(err.value)


RUN_ATTRIBUTES = "artifact_uri, end_time, run_id, run_name, run_uuid, start_time, status, user_id"


@pytest.mark.parametrize(
    "text, spec, message",
    [
        ("rmse < 1", RUN_SPEC,
         f"Invalid filter string 'rmse < 1': unknown attribute 'rmse' (attributes of runs: {RUN_ATTRIBUTES}; "
         "prefix metrics., params. or tags. for logged values) at position 0: 'rmse'"),
        ("team = 'a'", EXPERIMENT_SPEC,
         "Invalid filter string \"team = 'a'\": unknown attribute 'team' (attributes of experiments: "
         "creation_time, experiment_id, last_update_time, name; prefix tags. for logged values) "
         "at position 0: 'team'"),
        ("`my key` = 'a'", RUN_SPEC,
         f"Invalid filter string \"`my key` = 'a'\": unknown attribute 'my key' (attributes of runs: "
         f"{RUN_ATTRIBUTES}; prefix metrics., params. or tags. for logged values) at position 0: '`my key`'"),
        ("status IN 'a'", RUN_SPEC,
         "Invalid filter string \"status IN 'a'\": expected '(' starting a list of quoted values "
         "at position 10: \"'a'\""),
        ("status IN ('a' ; 'b')", RUN_SPEC,
         "Invalid filter string \"status IN ('a' ; 'b')\": unexpected character at position 15: ';'"),
        ("status IN ('a' 'b')", RUN_SPEC,
         "Invalid filter string \"status IN ('a' 'b')\": expected ',' or ')' in the list at position 15: \"'b'\""),
        ("status IN ('a',", RUN_SPEC,
         "Invalid filter string \"status IN ('a',\": expected a quoted value but the input ended "
         "at position 15 (end of input)"),
        ("status IN (", RUN_SPEC,
         "Invalid filter string 'status IN (': expected a quoted value but the input ended at position 11 "
         "(end of input)"),
        ("status IN ('a'", RUN_SPEC,
         "Invalid filter string \"status IN ('a'\": expected ',' or ')' but the input ended at position 14 "
         "(end of input)"),
        ("status IN ('a' ]", RUN_SPEC,
         "Invalid filter string \"status IN ('a' ]\": unexpected character at position 15: ']'"),
        ("status IN ('a', ('b')", RUN_SPEC,
         "Invalid filter string \"status IN ('a', ('b')\": expected a quoted string in the list at position 16: '('"),
        ("status IN ('a'(", RUN_SPEC,
         "Invalid filter string \"status IN ('a'(\": expected ',' or ')' in the list at position 14: '('"),
        ("metrics.rmse = 'x'", RUN_SPEC,
         "Invalid filter string \"metrics.rmse = 'x'\": expected a number to compare metric 'rmse' with "
         "at position 15: \"'x'\""),
        ("start_time = 'x'", RUN_SPEC,
         "Invalid filter string \"start_time = 'x'\": expected a number to compare attribute 'start_time' with "
         "at position 13: \"'x'\""),
        ("params.a = 1", RUN_SPEC,
         "Invalid filter string 'params.a = 1': expected a quoted string ('...' or \"...\") to compare "
         "param 'a' with at position 11: '1'"),
        ("status > 'a'", RUN_SPEC,
         "Invalid filter string \"status > 'a'\": operator > cannot compare attribute 'status' "
         "(allowed: =, !=, LIKE, ILIKE, IN, NOT IN) at position 7: '>'"),
        ("metrics.m IN ('a')", RUN_SPEC,
         "Invalid filter string \"metrics.m IN ('a')\": operator IN cannot compare metrics "
         "(allowed: =, !=, <, <=, >, >=) at position 10: 'IN'"),
        ("metrics.m", RUN_SPEC,
         "Invalid filter string 'metrics.m': expected a comparison operator but the input ended "
         "at position 9 (end of input)"),
        ("metrics.m <", RUN_SPEC,
         "Invalid filter string 'metrics.m <': expected a value but the input ended at position 11 (end of input)"),
        ("metrics.m < 1 AND", RUN_SPEC,
         "Invalid filter string 'metrics.m < 1 AND': expected a comparison after AND but the input ended "
         "at position 17 (end of input)"),
        ("metrics.m < 1 metrics.n < 2", RUN_SPEC,
         "Invalid filter string 'metrics.m < 1 metrics.n < 2': expected AND at position 14: 'metrics.n'"),
        ("metrics.m ~ 1", RUN_SPEC,
         "Invalid filter string 'metrics.m ~ 1': unexpected character at position 10: '~'"),
        ("metrics.m status 1", RUN_SPEC,
         "Invalid filter string 'metrics.m status 1': expected a comparison operator "
         "(=, !=, <, <=, >, >=, LIKE, ILIKE, IN, NOT IN) at position 10: 'status'"),
        ("AND = 1", RUN_SPEC,
         "Invalid filter string 'AND = 1': expected an identifier such as metrics.rmse, params.alpha, "
         "tags.name or status at position 0: 'AND'"),
        ("metrics.`` < 1", RUN_SPEC,
         "Invalid filter string 'metrics.`` < 1': the key is empty at position 0: 'metrics.'"),
        ("tags.", RUN_SPEC,
         "Invalid filter string 'tags.': expected a key after 'tags.' but the input ended at position 5 "
         "(end of input)"),
        ("attributes.`nope` = 'a'", RUN_SPEC,
         "Invalid filter string \"attributes.`nope` = 'a'\": unknown attribute 'nope' (attributes of runs: "
         f"{RUN_ATTRIBUTES}; prefix metrics., params. or tags. for logged values) at position 0: 'attributes.'"),
        ("metrics.m < 1 OR metrics.m > 2", RUN_SPEC,
         "Invalid filter string 'metrics.m < 1 OR metrics.m > 2': OR is not supported (only AND) "
         "at position 14: 'OR'"),
    ],
)
def test_refused_filters_say_exactly_what_is_wrong(text, spec, message):
    assert _message(parse_filter, text, spec) == message


def test_a_non_string_filter_is_refused():
    assert _message(parse_filter, 5) == "Invalid filter string 5: must be a string"


@pytest.mark.parametrize("name", ["Status", "STATUS", "attributes.Run_Name", "attr.START_TIME"])
def test_attribute_names_in_any_case(name):
    (comparison,) = parse_filter(f"{name} != 'x'" if "TIME" not in name else f"{name} > 5")
    assert comparison.entity == "attribute" and comparison.key == name.split(".")[-1].lower()


def test_run_uuid_is_run_id_and_experiment_attributes_have_their_types():
    assert parse_filter("run_uuid = 'abc'") == [Comparison("attribute", "run_id", "=", "abc")]
    assert parse_filter("attributes.run_id NOT IN ('a')") == [Comparison("attribute", "run_id", "NOT IN", ("a",))]
    assert parse_filter("experiment_id = 3", EXPERIMENT_SPEC) == [Comparison("attribute", "experiment_id", "=", 3.0)]
    assert parse_filter("creation_time >= 3 and last_update_time < 9", EXPERIMENT_SPEC) == [
        Comparison("attribute", "creation_time", ">=", 3.0),
        Comparison("attribute", "last_update_time", "<", 9.0),
    ]
    assert parse_filter("name ILIKE 'a%'", EXPERIMENT_SPEC) == [Comparison("attribute", "name", "ILIKE", "a%")]


@pytest.mark.parametrize(
    "number, accepted",
    [("9223372036854774784", True), ("9223372036854775807", False), ("-9223372036854775808", True),
     ("-9223372036854777856", False), ("1e300", False), ("0", True)],
)
def test_numeric_attributes_take_64_bit_integers_only(number, accepted):
    text = f"start_time > {number}"
    if accepted:
        assert parse_filter(text) == [Comparison("attribute", "start_time", ">", float(number))]
    else:
        assert _message(parse_filter, text) == (
            f"Invalid filter string {text!r}: attribute 'start_time' is a 64-bit integer: compare it with a "
            f"number between -2^63 and 2^63-1 at position 13: {number!r}"
        )
    assert parse_filter(f"metrics.m > {number}") == [Comparison("metric", "m", ">", float(number))]  # no bound


def test_in_lists_hold_up_to_the_limit():
    values = [f"v{i}" for i in range(MAX_IN_VALUES + 1)]
    at_limit = "tags.t IN (" + ", ".join(f"'{v}'" for v in values[:-1]) + ")"
    assert parse_filter(at_limit) == [Comparison("tag", "t", "IN", tuple(values[:-1]))]
    over = "tags.t IN (" + ", ".join(f"'{v}'" for v in values) + ")"
    message = _message(parse_filter, over)
    assert f"an IN list may hold at most {MAX_IN_VALUES} values at position {over.index(repr(values[-1]))}" in message


def test_filters_and_together_up_to_the_limit():
    comparisons = [f"metrics.m{i} > {i}" for i in range(MAX_FILTER_COMPARISONS + 1)]
    assert len(parse_filter(" AND ".join(comparisons[:-1]))) == MAX_FILTER_COMPARISONS
    over = " AND ".join(comparisons)
    message = _message(parse_filter, over)
    assert (f"a filter may AND together at most {MAX_FILTER_COMPARISONS} comparisons "
            f"at position {over.rindex('metrics.')}: 'metrics.m{MAX_FILTER_COMPARISONS}'") in message


def test_order_by_up_to_the_limit_of_distinct_keys_first_clause_of_a_repeated_key_wins():
    keys = [f"metrics.m{i}" for i in range(MAX_ORDER_BY_KEYS + 1)]
    parsed = parse_order_by(keys[:-1] + ["metrics.m0 DESC", "METRICS.m1 desc"])
    assert parsed == [OrderKey("metric", f"m{i}", True) for i in range(MAX_ORDER_BY_KEYS)]
    message = _message(parse_order_by, keys)
    assert message == (
        f"Invalid order_by {repr(keys)[:115]}...]: a search may sort by at most {MAX_ORDER_BY_KEYS} distinct "
        f"keys (found more at 'metrics.m{MAX_ORDER_BY_KEYS}')"
    )
    short = [f"tags.{c}" for c in "abcdefghijk"]  # listed whole: its repr is shorter than 120 characters
    assert _message(parse_order_by, short).startswith(f"Invalid order_by {short!r}: a search may sort by")


def test_order_by_accepts_a_single_string_and_the_orderable_attributes():
    assert parse_order_by("metrics.m DESC") == [OrderKey("metric", "m", False)]
    assert parse_order_by(["experiment_id", "end_time desc", "run_id", "Status"]) == [
        OrderKey("attribute", "experiment_id", True),
        OrderKey("attribute", "end_time", False),
        OrderKey("attribute", "run_id", True),
        OrderKey("attribute", "status", True),
    ]
    assert parse_order_by(["experiment_id DESC", "creation_time"], EXPERIMENT_SPEC) == [
        OrderKey("attribute", "experiment_id", False),
        OrderKey("attribute", "creation_time", True),
    ]
    assert parse_order_by(None) == [] and parse_order_by(()) == []


@pytest.mark.parametrize(
    "clauses, message",
    [
        (5, "Invalid order_by 5: expected a list of '<key> [ASC|DESC]'"),
        ([None], "Invalid order_by clause None: expected '<key> [ASC|DESC]'"),
        (["  "], "Invalid order_by clause '  ': expected '<key> [ASC|DESC]'"),
        (["params.p UP"], "Invalid order_by clause 'params.p UP': expected ASC or DESC at position 9: 'UP'"),
        (["user_id ASC DESC"],
         "Invalid order_by clause 'user_id ASC DESC': unexpected text after the direction at position 12: 'DESC'"),
        (["metrics.m;"], "Invalid order_by clause 'metrics.m;': unexpected character at position 9: ';'"),
        (["tags.`t"], "Invalid order_by clause 'tags.`t': unterminated quote at position 5: '`'"),
    ],
)
def test_refused_order_by(clauses, message):
    assert _message(parse_order_by, clauses) == message


def test_experiment_order_by_refuses_params_and_names_the_entity():
    assert _message(parse_order_by, ["params.p"], EXPERIMENT_SPEC) == (
        "Invalid order_by clause 'params.p': experiments cannot be searched by params at position 0: 'params.p'"
    )


@pytest.mark.parametrize(
    "token, message",
    [
        (7, "Invalid page_token 7: a page token is a string"),
        (encode_page_token(-1), "its offset -1 is not a count"),
        (encode_page_token(True), "its offset True is not a count"),  # type: ignore[arg-type]
        (encode_page_token("5"), "its offset '5' is not a count"),  # type: ignore[arg-type]
        (encode_page_token(2**63), f"its offset {2**63} is beyond the largest offset 2^63-1"),
        ("bm90IGpzb24=", "not a token returned by a previous search"),
    ],
)
def test_refused_page_tokens(token, message):
    assert message in _message(decode_page_token, token)


def test_page_token_offsets_at_the_bounds():
    assert decode_page_token(encode_page_token(0)) == 0
    assert decode_page_token(encode_page_token(2**63 - 1)) == 2**63 - 1
    assert decode_page_token("") == 0


@pytest.mark.parametrize(
    "text, message",
    [
        ("status IN", "expected '(' starting a list of values but the input ended at position 9 (end of input)"),
        ("status IN )", "expected '(' starting a list of quoted values at position 10: ')'"),
        ("status NOT IN ,", "expected '(' starting a list of quoted values at position 14: ','"),
    ],
)
def test_in_needs_a_parenthesised_list(text, message):
    assert _message(parse_filter, text) == f"Invalid filter string {text!r}: {message}"


@pytest.mark.parametrize("length, shortened", [(120, False), (121, True)])
def test_a_refused_order_by_list_is_quoted_whole_up_to_120_characters(length, shortened):
    keys = [f"tags.{c}" for c in "abcdefghij"]
    pad = length - len(repr(keys + ["tags.k"]))
    keys.append("tags.k" + "x" * pad)  # eleven distinct keys, the list's repr exactly `length` long
    assert len(repr(keys)) == length
    quoted = repr(keys)[:115] + "...]" if shortened else repr(keys)
    assert _message(parse_order_by, keys).startswith(f"Invalid order_by {quoted}: a search may sort by at most")


def test_order_by_run_uuid_is_run_id():
    assert parse_order_by(["run_uuid DESC", "attributes.run_name"]) == [
        OrderKey("attribute", "run_id", False), OrderKey("attribute", "run_name", True)
    ]


@pytest.mark.parametrize("keyword", ["IN", "not", "LIKE", "ilike", "AND"])
def test_a_keyword_is_not_an_identifier(keyword):
    text = f"{keyword} = 'a'"
    assert _message(parse_filter, text) == (
        f"Invalid filter string {text!r}: expected an identifier such as metrics.rmse, params.alpha, "
        f"tags.name or status at position 0: {keyword!r}"
    )


@pytest.mark.parametrize(
    "text, message",
    [
        ("status NOT", "expected IN after NOT but the input ended at position 10 (end of input)"),
        ("status NOT LIKE 'a'", "expected IN after NOT at position 11: 'LIKE'"),
    ],
)
def test_not_must_be_followed_by_in(text, message):
    assert _message(parse_filter, text) == f"Invalid filter string {text!r}: {message}"


def test_a_repeated_order_by_key_is_dropped_and_the_keys_after_it_kept():
    assert parse_order_by(["metrics.a", "metrics.a DESC", "params.b DESC", "start_time"]) == [
        OrderKey("metric", "a", True), OrderKey("param", "b", False), OrderKey("attribute", "start_time", True)
    ]


def test_a_nul_character_in_an_order_by_clause_is_named():
    assert _message(parse_order_by, ["metrics.a\x00"]) == (
        "Invalid order_by clause 'metrics.a\\x00': text must not contain the NUL character '\\x00'"
    )


@pytest.mark.parametrize("word", ["metrics", "params", "tags", "attributes"])
def test_an_entity_prefix_alone_is_an_unknown_attribute(word):
    assert _message(parse_filter, f"{word} = 'a'").startswith(
        f"Invalid filter string \"{word} = 'a'\": unknown attribute {word!r} (attributes of runs:"
    )


@pytest.mark.parametrize(
    "text, position, token",
    [("params.p = 'abc", 11, "\"'\""), ('params.p = "abc', 11, "'\"'"), ("metrics.`a b < 1", 8, "'`'")],
)
def test_an_unterminated_quote_is_named_where_it_opens(text, position, token):
    assert _message(parse_filter, text) == (
        f"Invalid filter string {text!r}: unterminated quote at position {position}: {token}"
    )


def test_a_nul_character_in_a_filter_is_named():
    assert _message(parse_filter, "params.p = 'a\x00'") == (
        "Invalid filter string \"params.p = 'a\\x00'\": text must not contain the NUL character '\\x00'"
    )


def test_the_tokenizer_alone_names_a_filter_string():
    from mltrail.store.search.tokens import tokenize

    assert [t.text for t in tokenize("metrics.rmse < 7")] == ["metrics.rmse", "<", "7"]
    assert _message(tokenize, "'a") == "Invalid filter string \"'a\": unterminated quote at position 0: \"'\""
