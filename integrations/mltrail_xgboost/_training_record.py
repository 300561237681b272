"""What one xgboost training produced, turned into params, metrics and tags.

Nothing here touches the tracking store: :class:`TrainingRecord` collects in
memory while xgboost trains (a timestamp per boosting round, appended to
``timestamps`` by the CallbackContainer patch; the metric values themselves stay
in xgboost's own ``CallbackContainer.history``) and, when training ends,
:meth:`TrainingRecord.params` / :meth:`TrainingRecord.metrics` turn it into the
rows written in one batch::

    record = TrainingRecord.from_train_call(train_arguments(xgboost.train, args, kwargs))
    record.timestamps.append(time.time())    # after each round
    record.metrics(history, booster)         # [("validation-rmse", 0.52, ts, 0), ...]
"""

from __future__ import annotations

import time
from typing import Any, Mapping, Optional

#: ``xgboost.train`` arguments MLflow does not log as params (data, callables, state).
UNLOGGED_TRAIN_ARGS = frozenset({
    "params", "dtrain", "evals", "obj", "feval", "evals_result", "xgb_model", "callbacks", "learning_rates",
})


def _text(value: Any) -> str:
    if callable(value) and not isinstance(value, type):
        return getattr(value, "__name__", type(value).__name__)
    return str(value)


def normalize_params(params: Any) -> dict[str, Any]:
    """xgboost accepts a dict or a list of (key, value) pairs; repeated keys become lists."""
    if params is None:
        return {}
    if isinstance(params, Mapping):
        return dict(params)
    merged: dict[str, Any] = {}
    for key, value in params:
        if key in merged:
            previous = merged[key]
            merged[key] = (previous if isinstance(previous, list) else [previous]) + [value]
        else:
            merged[key] = value
    return merged


_signature_cache: dict[Any, Any] = {}


def train_arguments(train: Any, args: tuple, kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """Every argument of a ``train(*args, **kwargs)`` call by name, defaults included.

    >>> train_arguments(xgboost.train, ({"max_depth": 3}, dtrain), {"num_boost_round": 50})["verbose_eval"]
    True
    """
    import inspect

    signature = _signature_cache.get(train)
    if signature is None:
        signature = _signature_cache[train] = inspect.signature(train)
    bound = signature.bind_partial(*args, **kwargs)
    bound.apply_defaults()
    return dict(bound.arguments)


class TrainingRecord:
    """Params given to one training, and a timestamp per finished boosting round."""

    __slots__ = ("given", "extra", "timestamps", "first_iteration", "history_start")

    def __init__(self, given: Mapping[str, Any], extra: Mapping[str, Any]) -> None:
        self.given = dict(given)
        self.extra = dict(extra)
        #: time.time() at the end of each round (seconds; milliseconds only when rows are built)
        self.timestamps: list[float] = []
        self.first_iteration: Optional[int] = None
        #: values each history list held before this call's first round (None: not seen yet)
        self.history_start: Optional[int] = None

    @classmethod
    def from_train_call(cls, arguments: Mapping[str, Any]) -> "TrainingRecord":
        """A record for ``xgboost.train`` called with ``arguments`` (every argument by name, defaults included).

        Logged as MLflow logs them: the ``params`` dict as given, plus the
        other arguments except data, callables and callbacks
        (``num_boost_round``, ``early_stopping_rounds``, ``maximize``,
        ``verbose_eval``, ``custom_metric``).
        """
        extra = {k: v for k, v in arguments.items() if k not in UNLOGGED_TRAIN_ARGS}
        return cls(normalize_params(arguments.get("params")), extra)

    @property
    def early_stopping(self) -> bool:
        """True when early stopping was asked for (``early_stopping_rounds`` given and not 0/None)."""
        return bool(self.extra.get("early_stopping_rounds"))

    def note_history_start(self, history: Mapping[str, Mapping[str, list]]) -> None:
        """Called after the first round: how many values the history held before it.

        Rows are then aligned from this call's first round, so a round whose
        metrics were computed but whose callbacks raised (no timestamp) does
        not shift the steps of the rounds before it.
        """
        for per_metric in history.values():
            for values in per_metric.values():
                self.history_start = len(values) - 1
                return

    def params(self) -> dict[str, str]:
        """The params to log: the ``params`` given (None included, as MLflow), then the call's arguments."""
        out = {str(k): _text(v) for k, v in self.given.items()}
        out.update({k: _text(v) for k, v in self.extra.items() if k not in out})
        return out

    def metrics(
        self, history: Mapping[str, Mapping[str, list]], booster: Any = None, since: int = 0
    ) -> list[tuple[str, float, int, int]]:
        """``(key, value, timestamp_ms, step)`` rows for rounds ``since``.. of this call.

        With ``booster`` (training ended), early stopping's results are added.
        """
        rows: list[tuple[str, float, int, int]] = []
        stamps = self.timestamps
        first = self.first_iteration or 0
        n_done = len(stamps)
        offset = self.history_start or 0  # None only before the first round ends (n_done is 0 then)
        for data_name, per_metric in history.items():
            for metric_name, values in per_metric.items():
                key = f"{data_name}-{metric_name}"
                for j in range(since, n_done):
                    rows.append((key, float(values[offset + j]), int(stamps[j] * 1000), first + j))
        if booster is not None and n_done and self.early_stopping:
            rows.extend(self._early_stopping_rows(history, booster, first, first + n_done - 1))
        return rows

    def _early_stopping_rows(
        self, history: Mapping[str, Mapping[str, list]], booster: Any, first: int, stopped: int
    ) -> list[tuple[str, float, int, int]]:
        """As MLflow: ``stopped_iteration`` and ``best_iteration`` at step 0, then the best
        iteration's metrics again at step ``stopped_iteration + 1`` (so each metric's latest value
        is the best model's)."""
        try:
            best = booster.attr("best_iteration")
        except Exception:
            best = None
        if best is None:
            return []
        best_iteration = int(best)
        now = int(time.time() * 1000)
        rows = [("stopped_iteration", float(stopped), now, 0), ("best_iteration", float(best_iteration), now, 0)]
        index = best_iteration - first + (self.history_start or 0)
        for data_name, per_metric in history.items():
            for metric_name, values in per_metric.items():
                if 0 <= index < len(values):
                    rows.append((f"{data_name}-{metric_name}", float(values[index]), now, stopped + 1))
        return rows
