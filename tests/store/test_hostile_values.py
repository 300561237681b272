"""Hostile values give an MltrailError naming the value and the rule, the same on every backend.

Integers beyond 64 bits, floats beyond a double, NUL characters, lone
surrogates, keys with a trailing newline, page tokens pointing past 2^63:
each is refused before anything is written, with INVALID_PARAMETER_VALUE,
on SQLite, PostgreSQL and MariaDB alike; the boundary values themselves pass.
"""

from __future__ import annotations

import base64
import json

import pytest

from mltrail.client import Client
from mltrail.exceptions import INVALID_PARAMETER_VALUE, InvalidParameterError, ResourceNotFoundError

MAX_INT64 = 2**63 - 1


@pytest.fixture
def client(store_uri: str) -> Client:
    return Client(store_uri)


@pytest.fixture
def run_id(client: Client) -> str:
    return client.create_run("0", run_name="r").info.run_id


def _token(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()


@pytest.mark.parametrize("field", ["step", "timestamp"])
@pytest.mark.parametrize("value", [2**63, -(2**63) - 1, 2**64 + 5])
def test_step_and_timestamp_beyond_64_bits_are_refused(client, run_id, field, value):
    with pytest.raises(InvalidParameterError, match=rf"{value}.*between -2\^63 and 2\^63-1") as info:
        client.log_metric(run_id, "m", 1.0, **{field: value})
    assert info.value.error_code == INVALID_PARAMETER_VALUE
    assert client.get_metric_history(run_id, "m") == []


def test_step_and_timestamp_at_the_64_bit_bounds_are_stored(client, run_id):
    client.log_metric(run_id, "m", 1.0, step=MAX_INT64, timestamp=MAX_INT64)
    client.log_metric(run_id, "m", 2.0, step=-(2**63), timestamp=-(2**63))
    history = client.get_metric_history(run_id, "m")
    assert [(h.step, h.timestamp) for h in history] == [(-(2**63), -(2**63)), (MAX_INT64, MAX_INT64)]


def test_metric_value_beyond_a_double_is_refused(client, run_id):
    with pytest.raises(InvalidParameterError, match=r"64-bit float"):
        client.log_metric(run_id, "m", 10**400)
    from mltrail.entities import Metric

    with pytest.raises(InvalidParameterError, match=r"64-bit float"):
        client.log_batch(run_id, metrics=[Metric("m", 10**400, 0, 0)])
    assert client.get_run(run_id).data.metrics == {}


HOSTILE_TEXT = [("a\x00b", r"NUL|\\x00"), ("a\ud800b", "surrogate"), ("\udfff", "surrogate")]


@pytest.mark.parametrize("text,rule", HOSTILE_TEXT)
def test_nul_and_lone_surrogates_are_refused_in_every_text(client, run_id, text, rule):
    experiment_id = client.create_experiment("exp")
    writes = {
        "param value": lambda: client.log_param(run_id, "p", text),
        "tag value": lambda: client.set_tag(run_id, "t", text),
        "experiment name": lambda: client.create_experiment(text),
        "artifact location": lambda: client.create_experiment("loc", artifact_location=f"/tmp/{text}"),
        "experiment tag": lambda: client.set_experiment_tag(experiment_id, "k", text),
        "run name": lambda: client.create_run("0", run_name=text),
        "filter": lambda: client.search_runs(["0"], f"params.p = '{text}'"),
        "order_by": lambda: client.search_runs(["0"], order_by=[f"params.`{text}`"]),
        "experiment filter": lambda: client.search_experiments(filter_string=f"name = '{text}'"),
        "model name": lambda: client.create_registered_model(f"m{text}"),
        "model tag": lambda: client.create_registered_model("ok", tags={"k": text}),
        "model filter": lambda: client.search_registered_models(f"name = '{text}'"),
    }
    for what, write in writes.items():
        with pytest.raises(InvalidParameterError, match=rule) as info:
            write()
        assert info.value.error_code == INVALID_PARAMETER_VALUE, what
    run = client.get_run(run_id)
    assert "p" not in run.data.params and "t" not in run.data.tags
    assert [m.name for m in client.search_registered_models()] == []


@pytest.mark.parametrize("key", ["a\n", "loss\n", "a\r\n"])
def test_a_key_with_a_trailing_newline_is_refused(client, run_id, key):
    for write in (
        lambda: client.log_param(run_id, key, "v"),
        lambda: client.log_metric(run_id, key, 1.0),
        lambda: client.set_tag(run_id, key, "v"),
    ):
        with pytest.raises(InvalidParameterError, match="keys may contain only"):
            write()
    run = client.get_run(run_id)
    assert not run.data.params and not run.data.metrics


def test_an_alias_with_a_trailing_newline_is_refused(client):
    client.create_registered_model("m")
    for alias in ("champion\n", "3\n"):
        with pytest.raises(InvalidParameterError, match="Alias"):
            client.set_registered_model_alias("m", alias, 1)


@pytest.mark.parametrize(
    "search,filter_string",
    [
        ("runs", "attributes.start_time > 1e30"),
        ("runs", "attributes.end_time < -1e19"),
        ("runs", "start_time = 9223372036854775808"),
        ("runs", "start_time > 1e400"),
        ("experiments", "creation_time > 1e30"),
        ("versions", "version_number = 1e30"),
    ],
)
def test_numbers_beyond_64_bits_in_filters_are_refused(client, search, filter_string):
    run = {
        "runs": lambda: client.search_runs(["0"], filter_string),
        "experiments": lambda: client.search_experiments(filter_string=filter_string),
        "versions": lambda: client.search_model_versions(filter_string),
    }[search]
    with pytest.raises(InvalidParameterError, match=r"64-bit integer") as info:
        run()
    assert info.value.error_code == INVALID_PARAMETER_VALUE


def test_numbers_within_64_bits_in_filters_work(client, run_id):
    assert [r.info.run_id for r in client.search_runs(["0"], "attributes.start_time < 9.2e18")] == [run_id]
    assert client.search_runs(["0"], "attributes.start_time > 9.2e18") == []
    assert client.search_runs(["0"], "metrics.m > 1e300") == []  # metrics are doubles: any number


@pytest.mark.parametrize("offset", [2**63, 2**64 + 5])
def test_page_token_offsets_beyond_64_bits_are_refused(client, offset):
    for search in (
        lambda: client.search_runs(["0"], page_token=_token(offset)),
        lambda: client.search_experiments(page_token=_token(offset)),
        lambda: client.search_registered_models(page_token=_token(offset)),
        lambda: client.search_model_versions(page_token=_token(offset)),
    ):
        with pytest.raises(InvalidParameterError, match=rf"offset {offset} is beyond"):
            search()


def test_page_token_offset_at_the_64_bit_bound_is_an_empty_page(client, run_id):
    assert list(client.search_runs(["0"], page_token=_token(MAX_INT64))) == []
    assert list(client.search_experiments(page_token=_token(MAX_INT64))) == []


def test_a_deeply_nested_page_token_is_refused():
    from mltrail.store.search import decode_page_token

    token = base64.urlsafe_b64encode(b"[" * 100_000).decode()
    with pytest.raises(InvalidParameterError, match="not a token"):
        decode_page_token(token)


@pytest.mark.parametrize("experiment_id", ["\u00b2", "\u0663", "1\x00"])
def test_experiment_ids_that_are_not_ascii_digits_are_not_found(client, experiment_id):
    with pytest.raises(ResourceNotFoundError):
        client.get_experiment(experiment_id)
    with pytest.raises(InvalidParameterError, match="numeric strings"):
        client.search_runs([experiment_id])


def test_model_versions_beyond_32_bits_are_refused(client):
    client.create_registered_model("m")
    with pytest.raises(InvalidParameterError, match="whole number >= 1 and at most 2147483647"):
        client.get_model_version("m", 2**31)
    with pytest.raises(InvalidParameterError, match="whole number >= 1 and at most 2147483647"):
        client.get_model_version("m", str(2**64))
