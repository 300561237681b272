"""Fixtures shared by the integration tests (sklearn, xgboost, hyperopt)."""

from __future__ import annotations

import logging
from typing import Callable, Iterator

import pytest

import mltrail
from mltrail.autologging import forget_warnings


@pytest.fixture
def autolog_store(sqlite_uri: str) -> Iterator[mltrail.Client]:
    """A fresh SQLite store as tracking URI; every integration disabled again afterwards."""
    mltrail.set_tracking_uri(sqlite_uri)
    forget_warnings()
    yield mltrail.Client()
    mltrail.xgboost.wait_for_figures()
    mltrail.autolog(disable=True)  # also what a test enabled through mltrail.autolog()
    while mltrail.active_run() is not None:
        mltrail.end_run()


@pytest.fixture
def autolog_warnings(caplog) -> Callable[[], list[str]]:
    """A function returning the WARNING messages logged so far on ``mltrail.autologging``."""
    caplog.set_level(logging.WARNING, logger="mltrail.autologging")
    return lambda: [
        r.getMessage() for r in caplog.records if r.name == "mltrail.autologging" and r.levelno >= logging.WARNING
    ]


@pytest.fixture
def all_runs(autolog_store: mltrail.Client) -> Callable[[], list]:
    """A function returning every run of the Default experiment, oldest first."""

    def runs() -> list:
        experiment = autolog_store.get_experiment_by_name("Default")
        if experiment is None:
            return []
        return list(reversed(autolog_store.search_runs([experiment.experiment_id], order_by=["start_time DESC"])))

    return runs
