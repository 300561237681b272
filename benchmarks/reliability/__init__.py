"""Reliability scenarios: ``python -m benchmarks reliability`` (issue 13).

Each scenario module in this package exposes ``SCENARIOS``: a list of callables
``scenario(quick: bool) -> ScenarioResult``. The runner imports every module here, runs the
scenarios and prints one table: scenario, operations attempted, acknowledged, found afterwards,
errors, lost.
"""

from __future__ import annotations

from .result import ScenarioResult

__all__ = ["ScenarioResult"]
