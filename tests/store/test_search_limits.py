"""Search caps: order_by keys, filter comparisons and IN lists, on every backend and every search.

Before the caps, 31 repeated metric order_by keys crashed SQLite (segfault),
1,000 repeated param keys raised RecursionError and 501 ANDed comparisons were
reported as "store unavailable". Now a repeated key counts once, the limits
hold on every backend, and beyond them the error is INVALID_PARAMETER_VALUE
naming the limit. A database refusing a query as too large is a bad request
too, never TEMPORARILY_UNAVAILABLE.
"""

from __future__ import annotations

import sqlite3

import pytest

from mltrail.client import Client
from mltrail.entities import Metric, Param, RunTag
from mltrail.exceptions import INVALID_PARAMETER_VALUE, InvalidParameterError
from mltrail.store.search.filters import MAX_FILTER_COMPARISONS, MAX_IN_VALUES, MAX_ORDER_BY_KEYS
from mltrail.store.sql.db_errors import translate


@pytest.fixture
def client(store_uri: str) -> Client:
    return Client(store_uri)


def _two_runs(client: Client) -> tuple[str, str]:
    first = client.create_run("0", run_name="first").info.run_id
    second = client.create_run("0", run_name="second").info.run_id
    client.log_batch(first, metrics=[Metric("m", 1.0, 0, 0)], params=[Param("a", "1")])
    client.log_batch(second, metrics=[Metric("m", 2.0, 0, 0)], params=[Param("a", "2")])
    return first, second


def _ids(runs) -> list[str]:
    return [r.info.run_id for r in runs]


def test_repeated_order_by_keys_count_once_and_the_first_clause_decides(client):
    first, second = _two_runs(client)
    assert _ids(client.search_runs(["0"], order_by=["metrics.m"] * 31)) == [first, second]
    assert _ids(client.search_runs(["0"], order_by=["params.a DESC"] * 1000)) == [second, first]
    # the same key again with another direction is dropped: the first clause wins
    assert _ids(client.search_runs(["0"], order_by=["metrics.m DESC", "metrics.m ASC"])) == [second, first]
    assert _ids(client.search_runs(["0"], order_by=["params.a", "parameters.a DESC", "param.`a`"])) == [first, second]


def test_order_by_up_to_the_limit_of_distinct_keys(client):
    first, second = _two_runs(client)
    keys = ["metrics.m DESC"] + [f"metrics.k{i}" for i in range(MAX_ORDER_BY_KEYS - 1)]
    assert _ids(client.search_runs(["0"], order_by=keys)) == [second, first]
    too_many = keys + ["params.extra"]
    for search in (
        lambda: client.search_runs(["0"], order_by=too_many),
        lambda: client.search_runs(["0"], order_by=[f"metrics.k{i}" for i in range(40)]),
        lambda: client.search_experiments(order_by=[f"tags.k{i}" for i in range(MAX_ORDER_BY_KEYS + 1)]),
    ):
        with pytest.raises(InvalidParameterError, match=rf"at most {MAX_ORDER_BY_KEYS} distinct keys") as info:
            search()
        assert info.value.error_code == INVALID_PARAMETER_VALUE


def test_filters_up_to_the_limit_of_comparisons_on_metrics_params_and_tags(client):
    """The largest filter allowed, with the most order_by keys, joining the most tables, works."""
    first, _ = _two_runs(client)
    n_metrics, n_params = 20, 15
    n_tags = MAX_FILTER_COMPARISONS - n_metrics - n_params
    client.log_batch(
        first,
        metrics=[Metric(f"x{i}", float(i), 0, 0) for i in range(n_metrics)],
        params=[Param(f"p{i}", str(i)) for i in range(n_params)],
        tags=[RunTag(f"t{i}", f"v{i}") for i in range(n_tags)],
    )
    comparisons = (
        [f"metrics.x{i} >= {i}" for i in range(n_metrics)]
        + [f"params.p{i} = '{i}'" for i in range(n_params)]
        + [f"tags.t{i} LIKE 'v%'" for i in range(n_tags)]
    )
    order_by = [f"metrics.o{i}" for i in range(5)] + [f"params.o{i}" for i in range(MAX_ORDER_BY_KEYS - 5)]
    assert len(comparisons) == MAX_FILTER_COMPARISONS
    assert _ids(client.search_runs(["0"], " and ".join(comparisons), order_by=order_by)) == [first]
    with pytest.raises(InvalidParameterError, match=rf"at most {MAX_FILTER_COMPARISONS} comparisons") as info:
        client.search_runs(["0"], " and ".join(comparisons + ["metrics.x0 >= 0"]))
    assert info.value.error_code == INVALID_PARAMETER_VALUE


@pytest.mark.parametrize("count", [MAX_FILTER_COMPARISONS + 1, 501, 5000])
def test_too_many_comparisons_are_refused_by_every_search(client, count):
    for search in (
        lambda: client.search_runs(["0"], " and ".join(["metrics.m > 0"] * count)),
        lambda: client.search_experiments(filter_string=" and ".join(["tags.t = 'a'"] * count)),
        lambda: client.search_registered_models(" and ".join(["tags.t = 'a'"] * count)),
        lambda: client.search_model_versions(" and ".join(["version_number > 0"] * count)),
    ):
        with pytest.raises(InvalidParameterError, match=rf"at most {MAX_FILTER_COMPARISONS} comparisons") as info:
            search()
        assert info.value.error_code == INVALID_PARAMETER_VALUE


def test_in_lists_up_to_the_limit(client):
    first, second = _two_runs(client)
    values = ", ".join(f"'{i}'" for i in range(MAX_IN_VALUES))
    assert sorted(_ids(client.search_runs(["0"], f"params.a IN ({values})"))) == sorted([first, second])
    with pytest.raises(InvalidParameterError, match=rf"at most {MAX_IN_VALUES} values"):
        client.search_runs(["0"], f"params.a IN ({values}, 'x')")
    with pytest.raises(InvalidParameterError, match=rf"at most {MAX_IN_VALUES} values"):
        client.search_model_versions(f"run_id IN ({values}, 'x')")


def _sqlite_error(sql: str) -> sqlite3.OperationalError:
    connection = sqlite3.connect(":memory:")
    try:
        connection.execute(sql)
    except sqlite3.OperationalError as exc:
        return exc
    finally:
        connection.close()
    raise AssertionError(f"SQLite accepted {sql[:60]}...")


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT 1 WHERE " + " AND ".join(["1 = 1"] * 2000),  # Expression tree is too large
        "SELECT " + ", ".join(["?"] * 40000),  # too many SQL variables
        "SELECT 1 FROM " + ", ".join(f"(SELECT 1) AS t{i}" for i in range(70)),  # at most 64 tables in a join
    ],
)
def test_a_query_the_database_finds_too_large_is_a_bad_request(sql):
    error = translate(_sqlite_error(sql), "sqlite:///x.db", "Tracking")
    assert isinstance(error, InvalidParameterError)
    assert error.error_code == INVALID_PARAMETER_VALUE
    assert "too large" in str(error)


def test_a_locked_database_is_still_unavailable():
    error = translate(sqlite3.OperationalError("database is locked"), "sqlite:///x.db", "Tracking")
    assert error is not None and error.error_code == "TEMPORARILY_UNAVAILABLE"


@pytest.mark.parametrize("over_http", [False, True], ids=["direct", "http"])
def test_every_search_takes_max_results_by_one_rule_with_mlflows_message(store_uri, request, over_http):
    """numpy integers are counts everywhere; 0, floats, bools and values past the cap are refused alike."""
    import numpy as np

    client = Client(request.getfixturevalue("serve_http")(store_uri) if over_http else store_uri)
    first, second = _two_runs(client)
    client.create_registered_model("m1")
    client.create_registered_model("m2")
    searches = {
        "runs": (lambda n: client.search_runs(["0"], max_results=n), 50000),
        "experiments": (lambda n: client.search_experiments(max_results=n), 50000),
        "logged models": (lambda n: client.search_logged_models(["0"], max_results=n), 50000),
        "registered models": (lambda n: client.search_registered_models(max_results=n), 200000),
        "model versions": (lambda n: client.search_model_versions(max_results=n), 200000),
    }
    for what, (search, cap) in searches.items():
        assert len(search(np.int64(1))) <= 1, what
        assert len(search(np.int32(5))) <= 5, what
        for bad in (0, -1, np.int64(0), 1.0, True, "5"):
            with pytest.raises(InvalidParameterError) as info:
                search(bad)
            assert str(info.value) == (
                f"Invalid value {bad} for parameter 'max_results' supplied. It must be a positive integer"
            ), what
        assert len(search(np.int64(cap))) == len(search(5)), what  # the cap itself is accepted: every item
        with pytest.raises(InvalidParameterError) as info:
            search(np.int64(cap + 1))
        assert str(info.value) == f"Invalid value {cap + 1} for parameter 'max_results' supplied. It must be at most {cap}"
    assert {r.info.run_id for r in client.search_runs(["0"], max_results=np.int64(2))} == {first, second}
    assert [m.name for m in client.search_registered_models(max_results=np.int64(1), order_by=["name"])] == ["m1"]
