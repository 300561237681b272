"""Fixtures for client tests: a client of a new SQLite database."""

from __future__ import annotations

import pytest

from mltrail.tracking import MlflowClient


@pytest.fixture
def client(sqlite_uri: str) -> MlflowClient:
    """A client of a new SQLite database in a temp dir."""
    return MlflowClient(tracking_uri=sqlite_uri)
