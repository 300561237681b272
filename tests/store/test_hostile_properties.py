"""Property: no generated hostile string or number makes a public logging or search function
raise anything but an MltrailError, on SQLite, PostgreSQL and MariaDB.

Strings mix NUL, lone surrogates, newlines, quotes, backticks, SQL and
filter syntax; numbers span far beyond 64-bit integers and doubles. Each
example calls one public function of the client (logging, experiments,
search with hostile filters/order_by/page tokens, registry create and
search); success and MltrailError are the only acceptable outcomes, and the
store still answers afterwards. The number of examples is bounded so each
backend takes seconds.
"""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mltrail.client import Client
from mltrail.entities import Metric, Param, RunTag
from mltrail.exceptions import MltrailError

HOSTILE_PIECES = [
    "\x00", "\ud800", "\udfff", "\n", "a\n", "\r\n", "'", '"', "`", "\\", "%", "_", "..", "/", "//",
    " and ", " AND ", " OR ", "(", ")", ",", "=", "!=", "<>", " IN ", " LIKE ", "metrics.", "params.",
    "tags.", "attributes.", "1e400", "-1e400", "9223372036854775808", "NaN", "inf", "'; DROP TABLE runs; --",
    "\u202e", "\ufeff", "é", "😀", " " * 3,
]

texts = st.one_of(
    st.text(st.characters(codec=None, exclude_categories=()), max_size=40),
    st.lists(st.sampled_from(HOSTILE_PIECES), max_size=6).map("".join),
    st.text(alphabet="ab._-/ \n", min_size=1, max_size=12),
)
numbers = st.one_of(
    st.integers(min_value=-(2**80), max_value=2**80),
    st.sampled_from([2**63, 2**63 - 1, -(2**63), -(2**63) - 1, 2**64 + 5, 10**400, -(10**400)]),
    st.floats(allow_nan=True, allow_infinity=True),
)
anything = st.one_of(texts, numbers, st.none(), st.booleans())
filters = st.one_of(
    texts,
    st.builds(lambda k, v: f"params.`{k}` = '{v}'", texts, texts),
    st.builds(lambda k, n: f"metrics.`{k}` > {n}", texts, numbers),
    st.builds(lambda n: f"attributes.start_time > {n}", numbers),
    st.builds(lambda v: f"tags.t IN ('{v}', 'b')", texts),
)
page_tokens = st.one_of(
    texts,
    numbers.map(lambda n: base64.urlsafe_b64encode(json.dumps({"offset": n}).encode()).decode() if isinstance(n, int) else str(n)),
)


@pytest.fixture
def target(store_uri: str) -> tuple[Client, str, str]:
    client = Client(store_uri)
    experiment_id = client.create_experiment("hostile")
    run_id = client.create_run(experiment_id).info.run_id
    return client, experiment_id, run_id


def _operations(client: Client, experiment_id: str, run_id: str) -> dict:
    return {
        "log_metric": (
            lambda k, v, s, t: client.log_metric(run_id, k, v, step=s, timestamp=t),
            st.tuples(texts, numbers, numbers, numbers),
        ),
        "log_param": (lambda k, v: client.log_param(run_id, k, v), st.tuples(texts, anything)),
        "set_tag": (lambda k, v: client.set_tag(run_id, k, v), st.tuples(texts, anything)),
        "log_batch": (
            lambda k, v, s, t, pv: client.log_batch(
                run_id, metrics=[Metric(k, v, t, s)], params=[Param(k, pv)], tags=[RunTag(k, pv)]
            ),
            st.tuples(texts, numbers, numbers, numbers, texts),
        ),
        "create_experiment": (lambda n, k, v: client.create_experiment(n, tags={k: v}), st.tuples(texts, texts, texts)),
        "set_experiment_tag": (lambda k, v: client.set_experiment_tag(experiment_id, k, v), st.tuples(texts, anything)),
        "search_runs": (
            lambda f, o, p: client.search_runs([experiment_id], f, order_by=o, page_token=p),
            st.tuples(filters, st.lists(texts, max_size=3), st.one_of(st.none(), page_tokens)),
        ),
        "search_experiments": (
            lambda f, o, p: client.search_experiments(filter_string=f, order_by=o, page_token=p),
            st.tuples(filters, st.lists(texts, max_size=3), st.one_of(st.none(), page_tokens)),
        ),
        "create_registered_model": (
            lambda n, k, v: client.create_registered_model(n, tags={k: v}),
            st.tuples(texts, texts, texts),
        ),
        "search_registered_models": (
            lambda f, o: client.search_registered_models(f, order_by=o),
            st.tuples(filters, st.lists(texts, max_size=2)),
        ),
        "search_model_versions": (
            lambda f, p: client.search_model_versions(f, page_token=p),
            st.tuples(st.one_of(filters, st.builds(lambda n: f"version_number = {n}", numbers)), st.one_of(st.none(), page_tokens)),
        ),
    }


@settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_hostile_input_gives_success_or_an_mltrail_error(target, data):
    client, experiment_id, run_id = target
    operations = _operations(client, experiment_id, run_id)
    name = data.draw(st.sampled_from(sorted(operations)), label="operation")
    function, arguments = operations[name]
    args = data.draw(arguments, label="arguments")
    try:
        function(*args)
    except MltrailError as exc:
        assert exc.error_code != "TEMPORARILY_UNAVAILABLE", f"{name}{args!r}: {exc}"
    assert client.get_run(run_id).info.run_id == run_id  # the store still answers
