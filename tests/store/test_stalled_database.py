"""A database that stalls (a partition: connections open, no byte moving) or goes down.

Every store call ends within the configured bounds with StoreUnavailableError,
and autologged training returns its result with one warning. The fault is
real: a TCP proxy in front of the real PostgreSQL / MariaDB server stops
forwarding bytes, or closes. The pytest timeout turns a hang into a failure.
"""

from __future__ import annotations

import logging
from typing import Iterator

import pytest

from mltrail.client import Client
from mltrail.exceptions import StoreUnavailableError

from .tcp_proxy import TcpProxy

pytestmark = pytest.mark.timeout(180)


@pytest.fixture(params=["postgresql", "mysql"])
def server_uri(request: pytest.FixtureRequest) -> str:
    return request.getfixturevalue({"postgresql": "postgres_uri", "mysql": "mysql_uri"}[request.param])


@pytest.fixture
def proxy(server_uri: str) -> Iterator[TcpProxy]:
    with TcpProxy.for_uri(server_uri) as p:
        yield p


@pytest.fixture
def short_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLTRAIL_SQL_CONNECT_TIMEOUT", "2")
    monkeypatch.setenv("MLTRAIL_SQL_STATEMENT_TIMEOUT", "3")


def test_log_metric_on_a_stalled_link_raises_store_unavailable(server_uri, proxy, short_bounds, tmp_path):
    client = Client(proxy.rewrite(server_uri))
    run_id = client.create_run("0").info.run_id
    client.log_metric(run_id, "m", 1.0)
    proxy.stall()
    with pytest.raises(StoreUnavailableError):
        client.log_metric(run_id, "m", 2.0)
    with pytest.raises(StoreUnavailableError):
        client.log_param(run_id, "p", "v")
    with pytest.raises(StoreUnavailableError):
        client.search_runs(["0"], "metrics.m > 0")


def test_log_metric_and_param_on_a_database_gone_down_raise_store_unavailable(server_uri, proxy, short_bounds):
    client = Client(proxy.rewrite(server_uri))
    run_id = client.create_run("0").info.run_id
    client.log_metric(run_id, "m", 1.0)
    proxy.close()
    for write in (
        lambda: client.log_metric(run_id, "m", 2.0),
        lambda: client.log_param(run_id, "p", "v"),
        lambda: client.set_tag(run_id, "t", "v"),
        lambda: client.get_run(run_id),
        lambda: client.search_runs(["0"]),
        lambda: client.create_registered_model("m"),
    ):
        with pytest.raises(StoreUnavailableError, match="failed"):
            write()


def test_autologged_fit_returns_with_one_warning_when_the_store_stalls(
    server_uri, proxy, short_bounds, monkeypatch, caplog
):
    import numpy as np
    from sklearn.linear_model import LinearRegression

    import mltrail
    from mltrail.autologging._reporting import forget_warnings

    monkeypatch.setenv("MLTRAIL_AUTOLOG_WRITE_TIMEOUT", "1")
    uri = proxy.rewrite(server_uri)
    Client(uri).search_experiments()  # the schema exists before the bound applies
    mltrail.set_tracking_uri(uri)
    mltrail.sklearn.autolog(log_models=False)
    try:
        X = np.random.default_rng(0).normal(size=(10, 2))
        y = X @ np.array([1.0, 2.0])
        LinearRegression().fit(X, y)  # the store works: a run is logged
        proxy.stall()
        forget_warnings()
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="mltrail.autologging"):
            model = LinearRegression().fit(X, y + 1.0)
        assert model.coef_ == pytest.approx([1.0, 2.0])  # the training's own result
        warnings = [r for r in caplog.records if r.name == "mltrail.autologging" and r.levelno == logging.WARNING]
        assert len(warnings) == 1, [r.getMessage() for r in warnings]
        assert "did not answer within 1 s" in warnings[0].getMessage()
        assert mltrail.active_run() is None  # the stalled run did not stay active
    finally:
        mltrail.sklearn.autolog(disable=True)
