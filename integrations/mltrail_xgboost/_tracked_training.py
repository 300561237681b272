"""One xgboost training as autologging follows it through its ``CallbackContainer``.

The container patches (``_autolog``) keep a :class:`TrackedTraining` on the
container (and, while a training reached through an early-bound ``train``
runs, on its booster) under :data:`RECORD_ATTR`; what it holds is logged when
the training ends or fails::

    training = TrackedTraining(record, call, dtrain, container, flush_every=10.0)
    buffer_metrics(call, training.remaining_rows(booster))   # one log_metrics per (step, timestamp)
"""

from __future__ import annotations

import time
from typing import Any, Optional

from mltrail.autologging import AutologCall

from ._training_record import TrainingRecord

#: Attribute of a CallbackContainer (or booster) holding its :class:`TrackedTraining`.
RECORD_ATTR = "_mltrail_training"


class TrackedTraining:
    """One training seen through its CallbackContainer."""

    __slots__ = ("record", "call", "dtrain", "evals", "container", "flush_every", "flush_at", "flushed_rounds",
                 "rows", "finished", "booster")

    def __init__(
        self, record: TrainingRecord, call: Optional[AutologCall], dtrain: Any, container: Any, flush_every: float
    ) -> None:
        self.record = record
        self.call = call
        self.dtrain = dtrain
        #: the ``evals`` list given to ``xgboost.train`` ((DMatrix, name) pairs)
        self.evals: Any = None
        self.container = container
        self.flush_every = flush_every
        self.flush_at = time.monotonic() + flush_every
        self.flushed_rounds = 0
        self.rows: Optional[list] = None  # metric rows not yet buffered, set when training ends
        self.finished = False
        #: the booster being trained, while a training reached through an early-bound name runs
        self.booster: Any = None

    def remaining_rows(self, booster: Any = None) -> list:
        """Metric rows not flushed yet (with early-stopping results once ``booster`` is known)."""
        if self.rows is None:
            self.rows = self.record.metrics(self.container.history, booster, since=self.flushed_rounds)
        return self.rows

    def detach(self) -> None:
        """Forget the booster of a training that ended (it goes back to the user without our attribute)."""
        booster, self.booster = self.booster, None
        if booster is not None:
            vars(booster).pop(RECORD_ATTR, None)


def buffer_metrics(call: AutologCall, rows: list) -> None:
    """Buffer ``(key, value, timestamp, step)`` rows in the call: one ``log_metrics`` per (step, timestamp)."""
    by_step: dict[tuple[int, int], dict[str, float]] = {}
    for key, value, timestamp, step in rows:
        by_step.setdefault((step, timestamp), {})[key] = value
    for (step, timestamp), metrics in by_step.items():
        call.log_metrics(metrics, step=step, timestamp=timestamp)


__all__ = ["RECORD_ATTR", "TrackedTraining", "buffer_metrics"]
