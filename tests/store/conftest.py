"""Fixtures of the store tests: ``store`` is a SqlTrackingStore on each backend (see tests/conftest.py)."""

from __future__ import annotations

from typing import Iterator

import pytest

from mltrail.store.sql import SqlTrackingStore


@pytest.fixture
def artifact_root(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tmp_path_factory.mktemp("artifacts"))


@pytest.fixture
def store(store_uri: str, artifact_root: str) -> Iterator[SqlTrackingStore]:
    """A store on a fresh database, for each of SQLite, PostgreSQL and MySQL/MariaDB."""
    s = SqlTrackingStore(store_uri, artifact_root=artifact_root)
    yield s
    s.close()


@pytest.fixture
def sqlite_store(sqlite_uri: str, artifact_root: str) -> Iterator[SqlTrackingStore]:
    """A store on a fresh SQLite file only (for SQLite-specific behaviour)."""
    s = SqlTrackingStore(sqlite_uri, artifact_root=artifact_root)
    yield s
    s.close()
