"""One tracked ``fmin`` call: the parent run, a child run per trial, the summary.

:class:`Sweep` lives for one ``FMinIter.exhaust`` call (every ``fmin``,
``Trials.fmin`` and ``trials=None`` path goes through it):

- :meth:`Sweep.begin` tags the parent run (``algorithm``, ``max_evals``) and
  writes ``search_space.json``;
- :meth:`Sweep.run_trial` wraps one ``Domain.evaluate``: it starts the trial's
  run ``trial-<tid>`` (active, so framework autologging in the objective and a
  plain ``start_run()`` there both land in it), captures the point the
  objective receives, and ends the run with the loss, duration, extra numeric
  result keys and FINISHED / FAILED;
- :meth:`Sweep.finish` logs trials that ran elsewhere (SparkTrials,
  MongoTrials workers) from their trial documents, writes the kept trial
  models, and puts ``best_loss``, ``n_trials``, ``n_failed_trials``,
  ``best_trial_run_id`` and the ``best_`` params on the parent.
"""

from __future__ import annotations

import calendar
import copy
import math
import numbers
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Optional

from mltrail.autologging import (
    AUTOLOGGING_TAG,
    PARENT_RUN_TAG,
    AutologCall,
    child_run_policy,
    new_scope,
    start_autolog_run,
)
from mltrail.exceptions import StoreUnavailableError

from ._point import point_params
from ._space import space_to_json
from ._trial_models import TrialModelPolicy

#: ``start_run(owner=...)`` of trial runs (registered as joinable in mltrail.fluent).
TRIAL_OWNER = "hyperopt.trial"
#: Tags on each trial run: hyperopt's trial id and the result status.
TRIAL_ID_TAG = "mltrail.hyperopt.tid"
TRIAL_STATUS_TAG = "mltrail.hyperopt.status"
#: Result keys that are not extra metrics.
_NOT_METRICS = {"loss", "status", "attachments"}

_JOB_STATE_DONE, _JOB_STATE_ERROR = 2, 3


@dataclass
class TrialRecord:
    """What one trial produced (kept for the sweep's summary)."""

    tid: int
    run_id: Optional[str] = None
    params: dict[str, Any] = field(default_factory=dict)
    loss: Optional[float] = None
    ok: bool = False


class _ObjectiveProbe:
    """Stands in for the objective inside ``Domain.evaluate``: notes the point it receives."""

    __slots__ = ("fn", "record")

    def __init__(self, fn: Callable[..., Any], record: TrialRecord) -> None:
        self.fn = fn
        self.record = record

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if len(args) == 1 and not kwargs:
            try:  # flattened now: the objective may change the dict it receives
                self.record.params = point_params(args[0], self.record.params)
            except Exception:
                pass
        return self.fn(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.fn, name)


def _ms(moment: Any) -> Optional[int]:
    if moment is None:
        return None
    try:
        return calendar.timegm(moment.utctimetuple()) * 1000 + moment.microsecond // 1000
    except Exception:
        return None


def _algorithm_name(algo: Any) -> str:
    func = getattr(algo, "func", algo)  # functools.partial(tpe.suggest, ...)
    module = getattr(func, "__module__", "") or ""
    name = getattr(func, "__name__", type(func).__name__)
    return f"{module.rsplit('.', 1)[-1]}.{name}" if module else name


def _number(value: Any) -> Optional[float]:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    return float(value)


def _result_metrics(record: TrialRecord, result: Mapping[str, Any]) -> dict[str, float]:
    """The numbers of a trial's result dict as metrics (``loss`` among them); the loss is noted on ``record``."""
    metrics = {key: number for key, number in ((k, _number(v)) for k, v in result.items())
               if number is not None and key not in _NOT_METRICS}
    loss = _number(result.get("loss"))
    if loss is not None:
        record.loss = loss
        metrics["loss"] = loss
    return metrics


def _error_text(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text[:500]}" if text else type(exc).__name__


def _trial_docs(trials: Any) -> list[dict]:
    """Every trial document, failed ones included (``Trials.trials`` leaves out JOB_STATE_ERROR)."""
    try:
        docs = getattr(trials, "_dynamic_trials", None)
        return list(docs if docs is not None else trials.trials)
    except Exception:
        return []


class Sweep:
    """The tracking state of one fmin call (see the module docstring)."""

    def __init__(self, call: AutologCall, fmin_iter: Any) -> None:
        config = call.config
        self.call = call
        self.parent_run_id: str = call.run_id  # type: ignore[assignment]
        self.fmin_iter = fmin_iter
        self.trials = fmin_iter.trials
        self.records: dict[int, TrialRecord] = {}
        self.finished_before = {
            doc.get("tid") for doc in _trial_docs(self.trials)
            if doc.get("state") in (_JOB_STATE_DONE, _JOB_STATE_ERROR)
        }
        self.policy = TrialModelPolicy(config.log_trial_models, config.max_trial_models, config.log_trial_figures)
        self._lock = threading.Lock()

    # -- the parent ---------------------------------------------------------------------
    def begin(self) -> None:
        """Tag the parent run and write the search space."""
        it = self.fmin_iter
        max_evals = it.max_evals
        self.call.set_tags({
            "algorithm": _algorithm_name(it.algo),
            "max_evals": "unlimited" if max_evals is None or max_evals >= 2**62 else int(max_evals),
        })
        if self.finished_before:
            self.call.set_tags({"resumed_trials": len(self.finished_before)})
        self.call.safely("write the search space", self._write_space)

    def _write_space(self) -> None:
        self.call.client.log_text(self.parent_run_id, space_to_json(self.fmin_iter.domain.expr), "search_space.json")

    def finish(self) -> None:
        """Log trials evaluated elsewhere, write kept models, summarize on the parent."""
        for doc in _trial_docs(self.trials):
            tid = doc.get("tid")
            if tid in self.finished_before or tid in self.records:
                continue
            if doc.get("state") in (_JOB_STATE_DONE, _JOB_STATE_ERROR):
                try:
                    self._log_trial_document(doc)
                except StoreUnavailableError as exc:  # the store is down: the others would wait on it too
                    self.call.note_failure(f"log trial {tid} from its trial document", exc)
                    break
                except Exception as exc:
                    self.call.note_failure(f"log trial {tid} from its trial document", exc)
        self.policy.write_kept(lambda run_id, exc: self.call.note_failure(f"log the model of run {run_id}", exc))
        records = list(self.records.values())
        finite = [r for r in records if r.ok and r.loss is not None and not math.isnan(r.loss)]
        metrics: dict[str, float] = {
            "n_trials": len(records),
            "n_failed_trials": sum(1 for r in records if not r.ok),
        }
        if finite:
            best = min(finite, key=lambda r: (r.loss, r.tid))
            metrics["best_loss"] = best.loss  # type: ignore[assignment]
            if best.run_id:
                self.call.set_tags({"best_trial_run_id": best.run_id})
            self.call.log_params({f"best_{k}": v for k, v in best.params.items()})
        self.call.log_metrics(metrics)

    # -- a trial evaluated in this process --------------------------------------------------
    def run_trial(self, evaluate: Callable[..., Any], domain: Any, args: tuple, kwargs: dict, doc: dict) -> Any:
        """Run ``evaluate(domain, *args, **kwargs)`` (hyperopt's Domain.evaluate) as a tracked trial."""
        tid = int(doc.get("tid", len(self.records)))
        spec = args[0] if args else kwargs.get("config")
        record = TrialRecord(tid, params=dict(spec) if isinstance(spec, dict) else {})
        try:
            run = start_autolog_run(
                "hyperopt",
                run_name=f"trial-{tid}",
                parent_run_id=self.parent_run_id,
                tags={TRIAL_ID_TAG: tid},
                owner=TRIAL_OWNER,
            )
        except Exception as exc:
            self.call.note_failure(f"start the run of trial {tid}", exc)
            return evaluate(domain, *args, **kwargs)
        record.run_id = run.info.run_id
        probed = copy.copy(domain)
        probed.fn = _ObjectiveProbe(domain.fn, record)
        started = time.time()
        try:
            with new_scope(), child_run_policy(self.policy):
                result = evaluate(probed, *args, **kwargs)
        except BaseException as exc:
            self._end_trial(run, record, None, exc, started)
            raise
        self._end_trial(run, record, result, None, started)
        return result

    def _end_trial(
        self, run: Any, record: TrialRecord, result: Optional[dict], exc: Optional[BaseException], started: float
    ) -> None:
        from mltrail import fluent

        try:
            status = "fail" if exc is not None else str(result.get("status")) if result else "fail"
            record.ok = exc is None and status == "ok"
            metrics: dict[str, float] = {"duration_seconds": time.time() - started}
            tags: dict[str, Any] = {TRIAL_STATUS_TAG: status if exc is None else "error"}
            if exc is not None:
                tags["error"] = _error_text(exc)
            if result:
                metrics.update(_result_metrics(record, result))
            run_status = "FINISHED" if exc is None and status != "fail" else (
                "KILLED" if isinstance(exc, KeyboardInterrupt) else "FAILED"
            )
            if fluent.active_run_id() == run.info.run_id:  # the usual case: the batch ends the run too
                self.call.write_child_batch(run.info.run_id, record.params, metrics, tags, end_status=run_status)
            else:
                self.call.write_child_batch(run.info.run_id, record.params, metrics, tags)
                self._end_run(run, run_status)
            self.policy.trial_finished(run.info.run_id, record.tid, record.loss, record.ok)
        except Exception as log_exc:
            self.call.note_failure(f"log trial {record.tid}", log_exc)
        finally:
            with self._lock:
                self.records[record.tid] = record

    def _end_run(self, run: Any, status: str) -> None:
        """End a trial's run that is not the active run: the objective left runs open above it, or
        ended it itself."""
        try:
            run.__exit__(None, None, None)
        finally:
            if status != "FINISHED":
                self.call.client.set_terminated(run.info.run_id, status)

    # -- a trial evaluated elsewhere (SparkTrials, MongoTrials) ------------------------------------
    def _log_trial_document(self, doc: dict) -> None:
        from hyperopt.fmin import space_eval

        tid = int(doc["tid"])
        vals = {k: v[0] for k, v in (doc.get("misc", {}).get("vals") or {}).items() if v}
        record = TrialRecord(tid)
        try:
            record.params = point_params(space_eval(self.fmin_iter.domain.expr, vals), vals)
        except Exception:
            record.params = vals
        result = doc.get("result") or {}
        failed = doc.get("state") == _JOB_STATE_ERROR or result.get("status") == "fail"
        record.ok = not failed and result.get("status") == "ok"
        metrics = _result_metrics(record, result)
        start, end = _ms(doc.get("book_time")), _ms(doc.get("refresh_time"))
        if start is not None and end is not None:
            metrics["duration_seconds"] = (end - start) / 1000.0
        tags: dict[str, Any] = {TRIAL_STATUS_TAG: "error" if doc.get("state") == _JOB_STATE_ERROR else result.get("status")}
        error = doc.get("misc", {}).get("error")
        if error:
            tags["error"] = str(error)[:500]
        client = self.call.client
        run = client.create_run(
            self.call.experiment_id,
            start_time=start,
            tags={PARENT_RUN_TAG: self.parent_run_id, AUTOLOGGING_TAG: "hyperopt", TRIAL_ID_TAG: str(tid)},
            run_name=f"trial-{tid}",
        )
        record.run_id = run.info.run_id
        self.call.write_child_batch(record.run_id, record.params, metrics, tags,
                                    end_status="FAILED" if failed else "FINISHED", end_time=end)
        self.records[tid] = record
