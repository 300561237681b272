"""Which trials of a sweep keep a model: ``log_trial_models`` and ``max_trial_models``.

Framework autologging inside a trial (xgboost, sklearn) hands its model to
this policy instead of writing it (see ``mltrail.autologging._child_runs``):

- ``log_trial_models=False``: trial models are not logged at all;
- ``max_trial_models=None`` (default): every trial's model is logged at once;
- ``max_trial_models=N``: models wait in memory until their trial's loss is
  known; only the best N so far are kept, and those are written when the
  sweep ends. A sweep of 500 trials writes N models, not 500.

    policy = TrialModelPolicy(log_trial_models=True, max_trial_models=3)
    ...                             # trials run; policy.trial_finished(run_id, loss)
    policy.write_kept(on_error)     # the 3 best models are logged now
"""

from __future__ import annotations

import math
import threading
from typing import Any, Callable, Optional

from mltrail.autologging import ChildRunPolicy


class TrialModelPolicy(ChildRunPolicy):
    """The child-run policy hyperopt puts in force around each trial."""

    def __init__(self, log_trial_models: bool, max_trial_models: Optional[int], log_trial_figures: bool) -> None:
        self.log_trial_models = bool(log_trial_models)
        self.max_trial_models = max_trial_models
        self.skip_figures = not log_trial_figures
        self._pending: dict[str, list[Callable[[], Any]]] = {}
        self._kept: list[tuple[float, int, str, list[Callable[[], Any]]]] = []
        self._lock = threading.Lock()

    def take_model(self, run_id: str, log: Callable[[], Any]) -> bool:
        if not self.log_trial_models:
            return True  # dropped
        if self.max_trial_models is None:
            return False  # log now
        with self._lock:
            self._pending.setdefault(run_id, []).append(log)
        return True

    def trial_finished(self, run_id: str, tid: int, loss: Optional[float], ok: bool) -> None:
        """The trial's loss is known: keep its model among the best N, or let it go."""
        with self._lock:
            logs = self._pending.pop(run_id, None)
            if not logs or not ok or loss is None or math.isnan(loss) or self.max_trial_models is None:
                return
            self._kept.append((loss, tid, run_id, logs))
            self._kept.sort(key=lambda item: (item[0], item[1]))
            del self._kept[max(0, int(self.max_trial_models)):]

    def kept_run_ids(self) -> list[str]:
        """Runs whose models will be written at the end, best first."""
        with self._lock:
            return [run_id for _, _, run_id, _ in self._kept]

    def write_kept(self, on_error: Callable[[str, BaseException], None]) -> list[str]:
        """Write the kept models (best first); return the run ids that got one."""
        with self._lock:
            kept, self._kept = self._kept, []
            self._pending.clear()
        written = []
        for _, _, run_id, logs in kept:
            try:
                for log in logs:
                    log()
                written.append(run_id)
            except Exception as exc:
                on_error(run_id, exc)
        return written
