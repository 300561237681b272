"""search_experiments on every backend."""

from __future__ import annotations

import pytest

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
