"""Fixtures for fluent-API tests: a fresh SQLite tracking URI and clean fluent state."""

from __future__ import annotations

from typing import Iterator

import pytest

import mltrail


def reset_fluent_state() -> None:
    """Forget active runs, the active experiment and cached clients (as a new process would)."""
    from mltrail import fluent

    fluent._reset_state()


@pytest.fixture(params=["sqlite", "http"])
def tracking_uri(request: pytest.FixtureRequest, sqlite_uri: str) -> Iterator[str]:
    """The fluent API pointed at a new SQLite database, directly or through a live ``mltrail
    server`` (``http``); fluent state reset before and after."""
    uri = request.getfixturevalue("serve_http")(sqlite_uri) if request.param == "http" else sqlite_uri
    reset_fluent_state()
    mltrail.set_tracking_uri(uri)
    yield uri
    reset_fluent_state()


@pytest.fixture
def client(tracking_uri: str) -> "mltrail.MlflowClient":
    """A client of the same database the fluent API uses."""
    return mltrail.MlflowClient(tracking_uri)
