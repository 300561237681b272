"""What one xgboost training produced, turned into params, metrics and tags.

Nothing here touches the tracking store: :class:`TrainingRecord` collects in
memory while xgboost trains (a timestamp per boosting round; the metric values
themselves stay in xgboost's own ``CallbackContainer.history``) and, when
training ends, :meth:`TrainingRecord.params` / :meth:`TrainingRecord.metrics`
turn it into the rows written in one batch::

    record = TrainingRecord.from_train_call(params, num_boost_round=100, ...)
    record.iteration_done()                  # after each round
    record.metrics(history, booster)         # [("validation-rmse", 0.52, ts, 0), ...]
"""

from __future__ import annotations

import json
import math
import time
from typing import Any, Iterable, Mapping, Optional

#: Groups of xgboost parameter names that mean the same thing.
_ALIASES: tuple[frozenset[str], ...] = (
    frozenset({"eta", "learning_rate"}),
    frozenset({"alpha", "reg_alpha"}),
    frozenset({"lambda", "reg_lambda"}),
    frozenset({"gamma", "min_split_loss"}),
    frozenset({"seed", "random_state"}),
    frozenset({"nthread", "n_jobs"}),
)
_ALIAS_OF = {name: group for group in _ALIASES for name in group}
#: Spellings not logged as filled-in values (the other name of the group is).
_SKIP_FILLED = {"learning_rate", "reg_alpha", "reg_lambda", "min_split_loss", "random_state", "n_jobs"}
#: Sections of ``Booster.save_config()`` whose values are the effective training params.
_CONFIG_SECTIONS = (
    ("generic_param", ("device", "nthread", "seed")),
    ("learner_train_param", ("booster", "objective", "multi_strategy")),
    ("learner_model_param", ("base_score", "num_class", "num_feature")),
)


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


def filled_in_params(config_json: str, given: Iterable[str]) -> dict[str, str]:
    """Effective values xgboost chose for params the user did not give (from ``save_config``).

    >>> filled_in_params(booster.save_config(), {"learning_rate"})["max_depth"]
    '6'
    """
    given = set(given)
    covered = set(given)
    for name in given:
        covered |= _ALIAS_OF.get(name, frozenset())
    learner = json.loads(config_json).get("learner", {})
    found: dict[str, str] = {}
    for section, keys in _CONFIG_SECTIONS:
        values = learner.get(section, {})
        for key in keys:
            if key in values:
                found[key] = values[key]
    booster = learner.get("gradient_booster", {})
    if "gbtree" in booster:  # dart nests its gbtree section
        found.update(booster.get("dart_train_param", {}))
        booster = booster["gbtree"]
    tree_method = booster.get("gbtree_train_param", {}).get("tree_method")
    if tree_method is not None:
        found["tree_method"] = tree_method
    found.update(booster.get("tree_train_param", {}))
    found.update(booster.get("gblinear_train_param", {}))
    metrics = [m.get("name") for m in learner.get("metrics", []) if m.get("name")]
    if metrics:
        found["eval_metric"] = metrics[0] if len(metrics) == 1 else str(metrics)
    return {
        key: str(value)
        for key, value in found.items()
        if key not in covered and key not in _SKIP_FILLED
    }


class TrainingRecord:
    """Params given to one training, and a timestamp per finished boosting round."""

    __slots__ = ("given", "extra", "timestamps", "first_iteration", "history_start", "started")

    def __init__(self, given: Mapping[str, Any], extra: Mapping[str, Any]) -> None:
        self.given = dict(given)
        self.extra = dict(extra)
        #: time.time() at the end of each round (seconds; milliseconds only when rows are built)
        self.timestamps: list[float] = []
        self.first_iteration: Optional[int] = None
        #: values each history list held before this call's first round (None: not seen yet)
        self.history_start: Optional[int] = None
        self.started = time.time()

    @classmethod
    def from_train_call(
        cls,
        params: Any,
        *,
        num_boost_round: Any = None,
        early_stopping_rounds: Any = None,
        maximize: Any = None,
        verbose_eval: Any = None,
        custom_metric: Any = None,
        obj: Any = None,
        xgb_model: Any = None,
    ) -> "TrainingRecord":
        """A record for ``xgboost.train(params, ..., num_boost_round=..., ...)``."""
        extra: dict[str, Any] = {"num_boost_round": num_boost_round}
        if early_stopping_rounds is not None:
            extra["early_stopping_rounds"] = early_stopping_rounds
        if maximize is not None:
            extra["maximize"] = maximize
        if verbose_eval is not None:
            extra["verbose_eval"] = verbose_eval
        if custom_metric is not None:
            extra["custom_metric"] = custom_metric
        if obj is not None:
            extra["obj"] = obj
        if xgb_model is not None:
            extra["xgb_model"] = type(xgb_model).__name__ if not isinstance(xgb_model, str) else xgb_model
        return cls(normalize_params(params), extra)

    def iteration_done(self, epoch: int) -> None:
        """Note that boosting round ``epoch`` finished now (called once per round)."""
        if self.first_iteration is None:
            self.first_iteration = epoch
        self.timestamps.append(time.time())

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

    def params(self, booster: Any = None) -> dict[str, str]:
        """The params to log: what the user gave, the call's options, what xgboost filled in."""
        out = {str(k): _text(v) for k, v in self.given.items() if v is not None}
        out.update({k: _text(v) for k, v in self.extra.items() if k not in out})
        if booster is not None:
            try:
                filled = filled_in_params(booster.save_config(), out)
            except Exception:  # an old or exotic booster: the given params stay
                filled = {}
            for key, value in filled.items():
                out.setdefault(key, value)
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
        for data_name, per_metric in history.items():
            for metric_name, values in per_metric.items():
                key = f"{data_name}-{metric_name}"
                # the history may hold rounds from before this call (training continuation)
                offset = self.history_start if self.history_start is not None else len(values) - n_done
                for j in range(max(since, -offset), n_done):
                    value = values[offset + j]
                    if isinstance(value, tuple):  # cv: (mean, std)
                        value = value[0]
                    rows.append((key, float(value), int(stamps[j] * 1000), first + j))
        if booster is not None and n_done:
            rows.extend(self._early_stopping_rows(history, booster, first, first + n_done - 1))
        return rows

    def _early_stopping_rows(
        self, history: Mapping[str, Mapping[str, list]], booster: Any, first: int, stopped: int
    ) -> list[tuple[str, float, int, int]]:
        try:
            best = booster.attr("best_iteration")
        except Exception:
            best = None
        if best is None:
            return []
        best_iteration = int(best)
        now = int(time.time() * 1000)
        step = stopped + 1
        rows = [("best_iteration", float(best_iteration), now, step), ("stopped_iteration", float(stopped), now, step)]
        for data_name, per_metric in history.items():
            for metric_name, values in per_metric.items():
                start = self.history_start if self.history_start is not None else len(values) - len(self.timestamps)
                index = best_iteration - first + start
                if 0 <= index < len(values):
                    value = values[index]
                    value = value[0] if isinstance(value, tuple) else value
                    rows.append((f"best_{data_name}-{metric_name}", float(value), now, step))
        return rows

