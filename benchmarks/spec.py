"""What a workload is: a small declaration plus one function taking the tracking module.

A workload module in ``benchmarks/workloads/`` defines ``WORKLOADS``, a list of
:class:`Workload`. Each one's ``run(api, ctx)`` receives the tracking module
(``mltrail`` or ``mlflow`` - their public names are the same) and a
:class:`Context`, does its own timing around the part that matters, and returns
a :class:`Measurement` in the workload's unit::

    from benchmarks.measure import rate
    from benchmarks.spec import Measurement, Target, Workload

    def _log_metric(api, ctx):
        api.set_tracking_uri(ctx.tracking_uri)
        with api.start_run():
            calls, seconds = rate(lambda i: api.log_metric("loss", i, step=i), ctx.params["calls"])
        return Measurement(calls / seconds, {"calls": calls})

    WORKLOADS = [
        Workload(name="log_metric", run=_log_metric, unit="calls/s", higher_is_better=True,
                 target=Target.at_least(10_000, "calls/s"),
                 params={"calls": 5000}, quick_params={"calls": 200}),
    ]

The harness runs every phase in a fresh interpreter (so imports, caches and
peak memory start from zero), in a fresh temporary working directory with its
own SQLite database, once per backend.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Optional

BACKENDS = ("mltrail", "mlflow")


@dataclass(frozen=True)
class Target:
    """A goal from the issue, checked against mltrail's number.

    ``kind`` is ``at_most`` / ``at_least`` (absolute, in the workload's unit)
    or ``fraction_of_mlflow`` (mltrail's number at most ``value`` times
    MLflow's; when MLflow was not measured, ``reference`` - the MLflow number
    quoted in the issue - stands in).

    >>> Target.at_most(10, "ms").check(7.5)
    True
    """

    kind: str
    value: float
    unit: str = ""
    reference: Optional[float] = None

    @classmethod
    def at_most(cls, value: float, unit: str = "") -> "Target":
        return cls("at_most", value, unit)

    @classmethod
    def at_least(cls, value: float, unit: str = "") -> "Target":
        return cls("at_least", value, unit)

    @classmethod
    def fraction_of_mlflow(cls, fraction: float, reference: Optional[float] = None) -> "Target":
        return cls("fraction_of_mlflow", fraction, "", reference)

    def check(self, mltrail_value: float, mlflow_value: Optional[float] = None) -> Optional[bool]:
        """True/False, or None when it cannot be decided (no MLflow number and no reference)."""
        if self.kind == "at_most":
            return mltrail_value <= self.value
        if self.kind == "at_least":
            return mltrail_value >= self.value
        if self.kind == "fraction_of_mlflow":
            base = mlflow_value if mlflow_value is not None else self.reference
            if base is None:
                return None
            return mltrail_value <= self.value * base
        raise ValueError(f"unknown target kind {self.kind!r}")

    def describe(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        if self.kind == "at_most":
            return f"<= {_num(self.value)}{unit}"
        if self.kind == "at_least":
            return f">= {_num(self.value)}{unit}"
        return f"<= {self.value:.0%} of MLflow"


def _num(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:g}"


@dataclass(frozen=True)
class Workload:
    """One benchmark row.

    - ``run(api, ctx) -> Measurement``: the measured phase, in a fresh process.
    - ``setup(api, ctx) -> None``: optional, runs first in its own process on the
      same working directory (e.g. to populate a database), so the measured
      process's peak memory is its own.
    - ``params`` / ``quick_params``: sizes handed to both phases as ``ctx.params``
      (``--quick`` picks ``quick_params``).
    - ``import_api``: False hands ``api=None`` (for import-time workloads that
      must not import the module themselves; ``ctx.backend`` says which).
    - ``backends``: the backends this workload makes sense for.
    - ``slow_backends``: backends skipped unless ``--slow`` is given (say why in
      ``slow_note``), for runs that would take many minutes (MLflow's search
      over 100,000 runs).
    - ``timeout``: seconds per phase before the harness gives up on it.
    - ``order``: position in the table (ties keep module-name order); the
      issue-2 tracking workloads use 10-50.
    """

    name: str
    run: Callable[[Any, "Context"], "Measurement"]
    unit: str
    description: str = ""
    higher_is_better: bool = False
    target: Optional[Target] = None
    setup: Optional[Callable[[Any, "Context"], None]] = None
    params: dict[str, Any] = field(default_factory=dict)
    quick_params: Optional[dict[str, Any]] = None
    import_api: bool = True
    backends: tuple[str, ...] = BACKENDS
    slow_backends: tuple[str, ...] = ()
    slow_note: str = ""
    timeout: float = 1800.0
    order: int = 100

    def params_for(self, quick: bool) -> dict[str, Any]:
        if quick and self.quick_params is not None:
            return dict(self.quick_params)
        return dict(self.params)


@dataclass
class Context:
    """What a workload phase knows about where it runs."""

    workload: str
    backend: str  # "mltrail" or "mlflow"
    phase: str  # "setup" or "run"
    workdir: str
    tracking_uri: str
    params: dict[str, Any]
    quick: bool

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> "Context":
        return cls(**json.loads(text))


@dataclass
class Measurement:
    """A workload's result: its main number (in the workload's unit) and details.

    ``details`` holds secondary numbers or short strings shown under the table
    (e.g. unfiltered search time, rows returned, the top run's name).
    """

    value: float
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class Derived:
    """An extra table row computed from several workloads' results (e.g. memory growth)."""

    name: str
    unit: str
    mltrail: Optional[float]
    mlflow: Optional[float]
    target: str
    passed: Optional[bool]
    note: str = ""
