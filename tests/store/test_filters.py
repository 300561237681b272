"""The search grammar parser on its own (no database): what it accepts and how it reports errors."""

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


@pytest.mark.parametrize(
    "text, expected",
    [
        ("metrics.rmse < 7", [Comparison("metric", "rmse", "<", 7.0)]),
        ("metric.rmse<=7.5e-1", [Comparison("metric", "rmse", "<=", 0.75)]),
        ("metrics.`val loss` > -1", [Comparison("metric", "val loss", ">", -1.0)]),
        ("metrics.train/loss != 0", [Comparison("metric", "train/loss", "!=", 0.0)]),
        ("params.alpha = '0.01'", [Comparison("param", "alpha", "=", "0.01")]),
        ('param.alpha = "0.01"', [Comparison("param", "alpha", "=", "0.01")]),
        ("tags.`mlflow.runName` LIKE 'base%'", [Comparison("tag", "mlflow.runName", "LIKE", "base%")]),
        ('tags."mlflow.user" ilike \'ANA\'', [Comparison("tag", "mlflow.user", "ILIKE", "ANA")]),
        ("tags.mltrail.user = 'ana'", [Comparison("tag", "mltrail.user", "=", "ana")]),
        ("status = 'FINISHED'", [Comparison("attribute", "status", "=", "FINISHED")]),
        ("attributes.run_id in ('a', \"b\")", [Comparison("attribute", "run_id", "IN", ("a", "b"))]),
        ("attr.status NOT IN ('FAILED')", [Comparison("attribute", "status", "NOT IN", ("FAILED",))]),
        ("run.start_time >= 1700000000000", [Comparison("attribute", "start_time", ">=", 1.7e12)]),
        ("params.note = 'it''s'", [Comparison("param", "note", "=", "it's")]),
        ("params.note = 'it\\'s' and tags.q = \"say \\\"hi\\\"\"",
         [Comparison("param", "note", "=", "it's"), Comparison("tag", "q", "=", 'say "hi"')]),
        ("params.path = 'C:\\dir\\n'", [Comparison("param", "path", "=", "C:\\dir\\n")]),
        ("metrics.a == 1 and metrics.b <> 2", [Comparison("metric", "a", "=", 1.0), Comparison("metric", "b", "!=", 2.0)]),
        (
            "metrics.a > 1 and params.b = 'x' AND tags.c != 'y'",
            [Comparison("metric", "a", ">", 1.0), Comparison("param", "b", "=", "x"), Comparison("tag", "c", "!=", "y")],
        ),
        ("", []),
        ("   ", []),
        (None, []),
    ],
)
def test_accepted_filters(text, expected):
    assert parse_filter(text, RUN_SPEC) == expected


@pytest.mark.parametrize(
    "text, problem, position, token",
    [
        ("metrics.rmse <> ", "expected a value", None, None),
        ("metrics.rmse < 7 or params.a = 'b'", "OR is not supported", 17, "'or'"),
        ("metrics.rmse = 'seven'", "expected a number", 15, "\"'seven'\""),
        ("params.alpha > '1'", "operator > cannot compare params", 13, "'>'"),
        ("metrics.rmse LIKE '1'", "operator LIKE cannot compare metrics", 13, "'LIKE'"),
        ("datasets.name = 'x'", "unknown attribute 'datasets.name'", 0, "'datasets.name'"),
        ("rmse < 1", "unknown attribute 'rmse'", 0, "'rmse'"),
        ("metrics.rmse < 1 ;", "unexpected character", 17, "';'"),
        ("tags.a IN ('x' 'y')", "expected ',' or ')'", 15, "\"'y'\""),
        ("tags.a IN ('x', 1)", "expected a quoted string in the list", 16, "'1'"),
        ("tags.a NOT LIKE 'x'", "expected IN after NOT", 11, "'LIKE'"),
        ("metrics. `x` < 1", "expected a key right after 'metrics.'", 9, "'`x`'"),
        ("= 1", "expected an identifier", 0, "'='"),
    ],
)
def test_rejected_filters_name_token_and_position(text, problem, position, token):
    with pytest.raises(InvalidParameterError) as err:
        parse_filter(text, RUN_SPEC)
    message = str(err.value)
    assert message.startswith(f"Invalid filter string {text!r}")
    assert problem in message
    if position is not None:
        assert f"at position {position}: {token}" in message


def test_experiment_filters():
    assert parse_filter("name LIKE 'nyc%' AND tags.team = 'a'", EXPERIMENT_SPEC) == [
        Comparison("attribute", "name", "LIKE", "nyc%"),
        Comparison("tag", "team", "=", "a"),
    ]
    with pytest.raises(InvalidParameterError, match="experiments cannot be searched by params"):
        parse_filter("params.a = 'b'", EXPERIMENT_SPEC)


def test_order_by():
    assert parse_order_by(["metrics.rmse", "start_time DESC", "tags.`a b` asc", "attributes.run_name"], RUN_SPEC) == [
        OrderKey("metric", "rmse", True),
        OrderKey("attribute", "start_time", False),
        OrderKey("tag", "a b", True),
        OrderKey("attribute", "run_name", True),
    ]
    assert parse_order_by(["name DESC", "last_update_time"], EXPERIMENT_SPEC) == [
        OrderKey("attribute", "name", False),
        OrderKey("attribute", "last_update_time", True),
    ]
    for bad, problem in (
        ("nosuch", "unknown attribute 'nosuch'"),
        ("metrics.rmse sideways", "expected ASC or DESC at position 13: 'sideways'"),
        ("metrics.rmse ASC extra", "unexpected text after the direction"),
        ("", "expected '<key> [ASC|DESC]'"),
    ):
        with pytest.raises(InvalidParameterError, match=problem.replace("[", r"\[").replace("]", r"\]")):
            parse_order_by([bad], RUN_SPEC)


def test_page_tokens_round_trip_and_reject_garbage():
    assert decode_page_token(encode_page_token(300)) == 300
    assert decode_page_token(None) == 0
    for bad in ("garbage!", encode_page_token(-5), "eyJub3QiOiAidGhpcyJ9"):
        with pytest.raises(InvalidParameterError, match="Invalid page_token"):
            decode_page_token(bad)
