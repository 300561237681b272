"""``python -m benchmarks reliability``: run every reliability scenario and print one table.

Every module of the :mod:`benchmarks.reliability` package that defines ``SCENARIOS`` (a
list of callables ``scenario(quick: bool) -> ScenarioResult``) is imported and its
scenarios run in order; a scenario is named by its function's name::

    python -m benchmarks reliability --quick                 # every scenario, small sizes
    python -m benchmarks reliability server_restart 'disk*'  # names or prefixes ending in *

A scenario that raises is reported as a row with one error and the exception as its
note; the exit status is 1 when any row lost an acknowledged write or raised.
"""

from __future__ import annotations

import fnmatch
import importlib
import pkgutil
import sys
import time
import traceback
from typing import Callable, Iterable, Optional

from .result import ScenarioResult

Scenario = Callable[[bool], ScenarioResult]
COLUMNS = ("scenario", "attempted", "acknowledged", "found", "errors", "lost")


def all_scenarios() -> list[Scenario]:
    """Every ``SCENARIOS`` entry of every module in the package, modules in name order.

    >>> "autolog_server_restart" in [s.__name__ for s in all_scenarios()]
    True
    """
    from . import __path__ as package_path

    scenarios: list[Scenario] = []
    for info in sorted(pkgutil.iter_modules(package_path), key=lambda m: m.name):
        if info.name in ("runner", "result") or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__package__}.{info.name}")
        scenarios.extend(getattr(module, "SCENARIOS", ()))
    return scenarios


def select(scenarios: list[Scenario], names: Iterable[str]) -> list[Scenario]:
    """The scenarios named (exact names or patterns with ``*``); all when ``names`` is empty.

    Raises KeyError naming a pattern that matches nothing, with the known names.
    """
    names = list(names)
    if not names:
        return scenarios
    chosen: list[Scenario] = []
    for name in names:
        matched = [s for s in scenarios if fnmatch.fnmatchcase(s.__name__, name)]
        if not matched:
            known = ", ".join(s.__name__ for s in scenarios)
            raise KeyError(f"no reliability scenario matches {name!r}; known: {known}")
        chosen.extend(s for s in matched if s not in chosen)
    return chosen


def run_scenario(scenario: Scenario, quick: bool) -> ScenarioResult:
    """Run one scenario; an exception becomes a row with one error and the exception as its note."""
    try:
        return scenario(quick)
    except Exception as exc:  # noqa: BLE001 - reported in the table
        traceback.print_exc(file=sys.stderr)
        return ScenarioResult(scenario.__name__, 0, 0, 0, 1, note=f"raised {type(exc).__name__}: {exc}")


def format_table(results: list[ScenarioResult], markdown: bool = False) -> str:
    """The results as an aligned text table (or Markdown), one row per scenario, notes last.

    >>> print(format_table([ScenarioResult("x", 3, 3, 3, 0)]))  # doctest: +NORMALIZE_WHITESPACE
    scenario  attempted  acknowledged  found  errors  lost  note
    x                 3             3      3       0     0
    """
    rows = [(r.scenario, r.attempted, r.acknowledged, r.found, r.errors, r.lost, r.note) for r in results]
    header = (*COLUMNS, "note")
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] + ["---:"] * 5 + ["---"]) + "|"]
        lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
        return "\n".join(lines)
    texts = [tuple(str(c) for c in header)] + [tuple(str(c) for c in row) for row in rows]
    widths = [max(len(t[i]) for t in texts) for i in range(len(header))]
    out = []
    for t in texts:
        cells = [t[0].ljust(widths[0])] + [t[i].rjust(widths[i]) for i in range(1, 6)] + [t[6]]
        out.append("  ".join(cells).rstrip())
    return "\n".join(out)


def main(names: Iterable[str] = (), quick: bool = False, markdown: bool = False,
         progress: Optional[Callable[[str], None]] = None) -> int:
    """Run the selected scenarios, print the table; 1 when a row lost writes or a scenario raised."""
    try:
        scenarios = select(all_scenarios(), names)
    except KeyError as exc:
        print(exc.args[0], file=sys.stderr)
        return 2
    results = []
    for scenario in scenarios:
        if progress:
            progress(f"reliability: {scenario.__name__} ...")
        start = time.perf_counter()
        result = run_scenario(scenario, quick)
        if progress:
            progress(f"reliability: {scenario.__name__} done in {time.perf_counter() - start:.1f} s")
        results.append(result)
    print(format_table(results, markdown=markdown))
    return 1 if any(r.lost or r.note.startswith("raised ") for r in results) else 0
