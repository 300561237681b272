"""Fixtures for autologging tests: a fresh SQLite store per test and a toy framework.

``toyml`` is a real (tiny) module written to a temp dir and imported by
name, so integrations patch it exactly as they patch a real framework.
"""

from __future__ import annotations

import logging
import sys
import textwrap
import uuid
from typing import Iterator

import pytest

import mltrail
from mltrail.autologging import forget_warnings

TOY_SOURCE = textwrap.dedent(
    '''
    __version__ = "1.4.0"

    class TrainError(RuntimeError):
        pass

    class Model:
        def __init__(self, lr=0.1):
            self.lr = lr
            self.loss = None

        def train(self, steps=3, fail=False):
            if fail:
                raise TrainError("diverged at step 2")
            self.loss = 1.0 / (steps * self.lr)
            return self

        def train_twice(self):
            self.train(steps=1)
            return self.train(steps=2)

    def train(steps=3, lr=0.1):
        return Model(lr).train(steps)
    '''
)


@pytest.fixture
def tracking(sqlite_uri: str, tmp_path) -> Iterator[mltrail.Client]:
    """Tracking URI set to a fresh SQLite file; artifacts in the temp dir; warnings re-armed."""
    mltrail.set_tracking_uri(sqlite_uri)
    forget_warnings()
    yield mltrail.Client()
    while mltrail.active_run() is not None:
        mltrail.end_run()


@pytest.fixture
def toy_module_name(tmp_path, monkeypatch) -> Iterator[str]:
    """Name of a fresh, not yet imported toy framework module on sys.path."""
    name = f"toyml_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{name}.py").write_text(TOY_SOURCE)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield name
    sys.modules.pop(name, None)


@pytest.fixture
def autolog_warnings(caplog):
    """A function returning the WARNING messages logged so far on ``mltrail.autologging``."""
    caplog.set_level(logging.WARNING, logger="mltrail.autologging")

    def messages() -> list[str]:
        return [
            r.getMessage()
            for r in caplog.records
            if r.name == "mltrail.autologging" and r.levelno >= logging.WARNING
        ]

    return messages
