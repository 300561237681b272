"""Fixtures for client tests: a client of a new SQLite database."""

from __future__ import annotations

import pytest

from mltrail.tracking import MlflowClient


@pytest.fixture(params=["sqlite", "http"])
def client(request: pytest.FixtureRequest, sqlite_uri: str) -> MlflowClient:
    """A client of a new SQLite database in a temp dir, directly or through a live ``mltrail server``."""
    uri = request.getfixturevalue("serve_http")(sqlite_uri) if request.param == "http" else sqlite_uri
    return MlflowClient(tracking_uri=uri)
