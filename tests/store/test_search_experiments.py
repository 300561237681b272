"""search_experiments on every backend."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from mltrail.entities import ViewType
from mltrail.exceptions import InvalidParameterError


@pytest.fixture
def experiments(store):
    ids = {}
    for name, team in (("nyc-taxi", "mobility"), ("NYC-bikes", "mobility"), ("churn", "growth")):
        ids[name] = store.create_experiment(name, tags={"team": team})
    store.delete_experiment(ids["churn"])
    return ids


def names(page):
    return [e.name for e in page]


def test_default_view_and_order(store, experiments):
    # ties on creation_time break on experiment id, newest first otherwise
    found = names(store.search_experiments(order_by=["experiment_id DESC"]))
    assert found == ["NYC-bikes", "nyc-taxi", "Default"]
    assert set(names(store.search_experiments())) == {"Default", "nyc-taxi", "NYC-bikes"}
    assert names(store.search_experiments(ViewType.DELETED_ONLY)) == ["churn"]
    assert len(store.search_experiments(ViewType.ALL)) == 4


@pytest.mark.parametrize(
    "filter_string, expected",
    [
        ("name = 'nyc-taxi'", ["nyc-taxi"]),
        ("name LIKE 'nyc%'", ["nyc-taxi"]),
        ("name ILIKE 'nyc%'", ["NYC-bikes", "nyc-taxi"]),
        ("attributes.name != 'Default'", ["NYC-bikes", "nyc-taxi"]),
        ("tags.team = 'mobility'", ["NYC-bikes", "nyc-taxi"]),
        ("tags.team = 'mobility' AND name LIKE '%taxi'", ["nyc-taxi"]),
        ("creation_time > 0", ["Default", "NYC-bikes", "nyc-taxi"]),
    ],
)
def test_filters(store, experiments, filter_string, expected):
    assert sorted(names(store.search_experiments(filter_string=filter_string))) == expected


def test_order_by_name_and_paging(store, experiments):
    first = store.search_experiments(max_results=2, order_by=["name ASC"])
    assert names(first) == ["Default", "NYC-bikes"]
    second = store.search_experiments(max_results=2, order_by=["name ASC"], page_token=first.token)
    assert names(second) == ["nyc-taxi"] and second.token is None


def test_bad_experiment_search(store, experiments):
    with pytest.raises(InvalidParameterError, match="cannot be searched by metrics at position 0"):
        store.search_experiments(filter_string="metrics.x > 1")
    with pytest.raises(InvalidParameterError, match="unknown attribute 'status'"):
        store.search_experiments(order_by=["status"])


@pytest.fixture
def timed(store, store_uri):
    """Experiments a..d whose creation times tie and sort against their ids; "team" tags tie too, c has none,
    b has another tag holding a team's value."""
    tags = {"a": {"team": "x"}, "b": {"team": "y", "owner": "x"}, "c": {"owner": "x"}, "d": {"team": "x"}}
    for name, tag_map in tags.items():
        store.create_experiment(name, tags=tag_map)
    engine = sa.create_engine(store_uri)
    with engine.begin() as conn:  # creation times no API sets: a and c, b and d created at the same ms
        for name, created in {"Default": 50, "a": 200, "b": 100, "c": 200, "d": 100}.items():
            conn.execute(sa.text("UPDATE experiments SET creation_time = :t WHERE name = :n"), {"t": created, "n": name})
    engine.dispose()


def test_default_order_is_newest_first_then_lowest_id(store, timed):
    assert names(store.search_experiments()) == ["a", "c", "b", "d", "Default"]
    first = store.search_experiments(max_results=3)
    assert names(first) == ["a", "c", "b"]
    assert names(store.search_experiments(max_results=3, page_token=first.token)) == ["d", "Default"]


def test_a_given_order_breaks_ties_on_the_highest_id(store, timed):
    assert names(store.search_experiments(order_by=["creation_time"])) == ["Default", "d", "b", "c", "a"]
    assert names(store.search_experiments(order_by=["creation_time DESC"])) == ["c", "a", "d", "b", "Default"]
    assert names(store.search_experiments(order_by=["experiment_id"])) == ["Default", "a", "b", "c", "d"]


def test_order_by_tag_puts_experiments_without_it_last_both_directions(store, timed):
    assert names(store.search_experiments(order_by=["tags.team"])) == ["d", "a", "b", "c", "Default"]
    assert names(store.search_experiments(order_by=["tags.team DESC"])) == ["b", "d", "a", "c", "Default"]
    assert names(store.search_experiments(order_by=["tags.owner DESC", "name"])) == ["b", "c", "Default", "a", "d"]


@pytest.mark.parametrize(
    "filter_string, expected",
    [
        ("tags.team = 'x'", ["a", "d"]),
        ("tags.team != 'x'", ["b"]),
        ("tags.owner = 'x' AND tags.team = 'y'", ["b"]),
        ("tags.team LIKE '%' AND creation_time <= 100", ["b", "d"]),
    ],
)
def test_tag_filters_compare_that_tag_only(store, timed, filter_string, expected):
    assert sorted(names(store.search_experiments(filter_string=filter_string))) == expected
