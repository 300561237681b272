"""What an autologged call has logged and not written yet, and how its values become storable.

A hook's ``log_params`` / ``log_metrics`` / ``set_tags`` / ``log_input`` land in a
:class:`PendingBatch`; the call writes it in one store transaction when it ends
(rule 6). Values are converted here, never refused: params and tags become
strings, over-long ones are truncated with a note saying so (MLflow's limits),
metrics that are not numbers are skipped::

    batch = PendingBatch()
    batch.add_params({"alpha": 0.1, "huge": "x" * 10_000})   # -> ["huge"]: truncated
    batch.add_metrics({"rmse": 6.9, "name": "abc"}, step=0, timestamp=now_ms())   # -> ["name"]: skipped
    client.log_batch(run_id, **batch.take().entities())
"""

from __future__ import annotations

from typing import Any, Mapping, Optional

from ._reporting import describe_error

#: MLflow's limits; longer values are truncated with a note, never rejected.
MAX_PARAM_VALUE_LENGTH = 6000
MAX_TAG_VALUE_LENGTH = 8000
MAX_KEY_LENGTH = 250


def clip(text: str, limit: int) -> tuple[str, bool]:
    """``text`` cut to ``limit`` characters, ending with a note when cut; and whether it was cut.

    >>> clip("abc", 10)
    ('abc', False)
    """
    if len(text) <= limit:
        return text, False
    note = f"... [truncated by mltrail autologging from {len(text)} characters]"
    return text[: limit - len(note)] + note, True


def to_text(value: Any) -> str:
    """``str(value)``, or a description of the value when its ``__str__`` raises.

    >>> to_text(0.5)
    '0.5'
    """
    if isinstance(value, str):
        return value
    try:
        return str(value)
    except Exception as exc:  # a value whose __str__/__repr__ raises
        return f"<unprintable {type(value).__name__}: {describe_error(exc)}>"


class PendingBatch:
    """Params, metrics, tags and dataset inputs buffered for one store transaction.

    ``metrics`` holds ``(key, value, timestamp, step)`` tuples; a param or tag
    logged twice keeps its last value.
    """

    __slots__ = ("params", "metrics", "tags", "datasets")

    def __init__(self) -> None:
        self.params: dict[str, str] = {}
        self.metrics: list[tuple[str, float, int, int]] = []
        self.tags: dict[str, str] = {}
        self.datasets: list[Any] = []

    def __bool__(self) -> bool:
        return bool(self.params or self.metrics or self.tags or self.datasets)

    def add_params(self, params: Mapping[str, Any]) -> list[str]:
        """Buffer ``params`` as strings; return the keys whose values were truncated.

        Keys longer than MLflow's limit are cut to it (no note: the store accepts only a few
        characters in a key).
        """
        truncated = []
        for key, value in params.items():
            text, clipped = clip(to_text(value), MAX_PARAM_VALUE_LENGTH)
            if clipped:
                truncated.append(str(key))
            self.params[str(key)[:MAX_KEY_LENGTH]] = text  # a note would make the key invalid
        return truncated

    def add_metrics(self, metrics: Mapping[str, Any], step: int, timestamp: int) -> list[str]:
        """Buffer ``metrics`` as floats (NaN and inf kept); return the keys skipped (not numbers)."""
        skipped = []
        for key, value in metrics.items():
            try:
                number = float(value)
            except (TypeError, ValueError):
                skipped.append(str(key))
                continue
            self.metrics.append((str(key), number, timestamp, int(step)))
        return skipped

    def add_tags(self, tags: Mapping[str, Any]) -> None:
        """Buffer ``tags`` as strings (over-long values truncated)."""
        for key, value in tags.items():
            self.tags[str(key)] = clip(to_text(value), MAX_TAG_VALUE_LENGTH)[0]

    def add_input(self, dataset: Any, context: Optional[str]) -> None:
        """Buffer a dataset input (a ``mltrail.entities.Dataset``) used as ``context``."""
        from ..entities import DATASET_CONTEXT_TAG, DatasetInput, InputTag

        tags = [InputTag(DATASET_CONTEXT_TAG, context)] if context is not None else []
        self.datasets.append(DatasetInput(dataset, tags))

    def take(self) -> "PendingBatch":
        """A batch holding what this one buffered; this one is left empty."""
        taken = PendingBatch()
        taken.params, taken.metrics, taken.tags, taken.datasets = self.params, self.metrics, self.tags, self.datasets
        self.params, self.metrics, self.tags, self.datasets = {}, [], {}, []
        return taken

    def without_params(self) -> "PendingBatch":
        """A copy of this batch without its params."""
        copy = PendingBatch()
        copy.metrics, copy.tags, copy.datasets = self.metrics, self.tags, self.datasets
        return copy

    def entities(self) -> dict[str, list]:
        """The batch as ``metrics`` / ``params`` / ``tags`` / ``datasets`` keyword arguments of
        ``Client.log_batch`` and ``Client.finish_run``."""
        from ..entities import Metric, Param, RunTag

        return {
            "metrics": [Metric(k, v, ts, step) for k, v, ts, step in self.metrics],
            "params": [Param(k, v) for k, v in self.params.items()],
            "tags": [RunTag(k, v) for k, v in self.tags.items()],
            "datasets": list(self.datasets),
        }
