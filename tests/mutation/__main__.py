"""Mutation testing of the modules that decide correctness (mutmut), one module at a time.

    python -m tests.mutation                      # every module (slow: hours on 2 cores)
    python -m tests.mutation store_search run_ops  # some modules
    python -m tests.mutation --list                # the modules, their files and tests
    python -m tests.mutation --report              # the score table of the last runs
    python -m tests.mutation run_ops --only 'mltrail.store.sql.run_ops.x*create_run__mutmut_*'  # chosen mutants

Each module gets its own work dir ``.mutation/<module>/`` (git-ignored): a copy of ``src/``,
``integrations/`` (flattened into ``src/`` so mutmut puts the mutated integrations on
``sys.path`` too), ``tests/`` and ``benchmarks/`` (its fault-injection helpers), plus a ``pyproject.toml`` whose ``[tool.mutmut]`` mutates only
that module's files and runs only its tests (SQLite unless the module has dialect branches).
mutmut runs each mutant against the tests that reached the mutated function; a re-run resumes
(delete the work dir to start over). The score table is printed at the end and written to
``.mutation/scores.md``; surviving mutants are listed with ``--survivors`` (or
``cd .mutation/<module> && mutmut show <name>``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
WORK = REPO / ".mutation"
SQLITE_ONLY = ["-k", "not postgresql and not mysql and not http"]
NO_HTTP = ["-k", "not http"]


@dataclass(frozen=True)
class Module:
    """One module under mutation: the files mutated (globs under the work dir's ``src/``) and the
    pytest arguments selecting its tests."""

    name: str
    files: tuple[str, ...]
    tests: tuple[str, ...]
    extra: tuple[str, ...] = tuple(SQLITE_ONLY)


MODULES = [
    Module("store_search", ("src/mltrail/store/search/*",),
           ("tests/store/test_filters.py", "tests/store/test_filter_grammar_edges.py",
            "tests/store/test_filter_boundaries.py", "tests/store/test_search_limits.py")),
    Module("search_sql", ("src/mltrail/store/sql/search_sql.py", "src/mltrail/store/sql/collation.py"),
           ("tests/store/test_filter_boundaries.py", "tests/store/test_search_runs.py",
            "tests/store/test_search_experiments.py", "tests/store/test_metric_ordering.py"),
           tuple(NO_HTTP)),  # every dialect: PostgreSQL's collation and NULL order, MySQL's infinity
    Module("run_ops", ("src/mltrail/store/sql/run_ops.py",),
           ("tests/store/test_metric_ordering.py", "tests/store/test_logging.py", "tests/store/test_runs.py",
            "tests/store/test_finish_run.py", "tests/store/test_batch_chunks.py", "tests/store/test_run_edits.py",
            "tests/store/test_dataset_inputs.py"),
           tuple(NO_HTTP)),  # every dialect: MySQL's rowcount re-read and infinity encoding
    Module("statements", ("src/mltrail/store/sql/statements.py",),
           ("tests/store/test_metric_ordering.py", "tests/store/test_logging.py", "tests/store/test_run_edits.py",
            "tests/store/test_prepared_statements.py"),
           tuple(NO_HTTP)),  # every dialect: its PostgreSQL/MySQL insert branches, MySQL's infinity encoding
    Module("validation", ("src/mltrail/store/validation.py",),
           ("tests/store/test_logging.py", "tests/store/test_hostile_values.py", "tests/store/test_runs.py",
            "tests/store/test_experiments.py", "tests/fluent/test_bad_input.py")),
    Module("integrity", ("src/mltrail/models/integrity.py",),
           ("tests/models/test_integrity.py", "tests/models/test_review_models.py", "tests/models/test_model_paths.py",
            "tests/models/test_recorded_mlmodel.py")),
    Module("autolog_calls", ("src/mltrail/autologging/_calls.py", "src/mltrail/autologging/_batch.py",
                             "src/mltrail/autologging/_store_writes.py"),
           ("tests/autologging/test_autolog_core.py", "tests/autologging/test_autolog_call.py",
            "tests/autologging/test_call_store_outages.py", "tests/autologging/test_transactions.py"),
           tuple(NO_HTTP)),
    Module("autolog_integration", ("src/mltrail/autologging/_integration.py",),
           ("tests/autologging/test_autolog_core.py", "tests/autologging/test_integration_lifecycle.py"),
           tuple(NO_HTTP)),
    # not test_autolog_store_outage.py: it needs benchmarks/ (not in the work dir), and the outage
    # handling it checks is autologging's (the sweep's own fallbacks are in test_autolog_bad_input.py)
    Module("hyperopt_sweep", ("src/mltrail_hyperopt/_sweep.py",),
           tuple(f"tests/integrations/hyperopt/{f}.py" for f in (
               "test_best_trial", "test_autolog_sweep", "test_autolog_bad_input", "test_review_tags",
               "test_review_trial_writes", "test_user_nested_runs")),
           ("-k", "not spark")),
    Module("xgboost_training_record", ("src/mltrail_xgboost/_training_record.py",),
           ("tests/integrations/xgboost",), ()),
]
BY_NAME = {m.name: m for m in MODULES}

#: mutmut exit codes -> outcome (mutmut.stats.status_by_exit_code); a mutant whose tests crashed the
#: process (-11, or -9: killed by the kernel, e.g. a walk that never ends filling the memory) did not pass
KILLED, SURVIVED, NO_TESTS = "killed", "survived", "no tests"
_OUTCOME = {1: KILLED, 3: KILLED, 36: KILLED, 37: KILLED, 24: KILLED, -24: KILLED, 152: KILLED, 255: KILLED,
            -11: KILLED, -9: KILLED, 0: SURVIVED, 5: NO_TESTS, 33: NO_TESTS}


def _pyproject(module: Module) -> str:
    def toml_list(items) -> str:
        return "[" + ", ".join(json.dumps(i) for i in items) + "]"

    return "\n".join([
        "[tool.pytest.ini_options]",
        'testpaths = ["tests"]',
        "timeout = 600",
        'filterwarnings = ["ignore::DeprecationWarning:hyperopt.*"]',
        "",
        "[tool.mutmut]",
        'source_paths = ["src"]',
        'also_copy = ["benchmarks"]',
        f"only_mutate = {toml_list(module.files)}",
        f"pytest_add_cli_args_test_selection = {toml_list(module.tests)}",
        f"pytest_add_cli_args = {toml_list(['-p', 'no:randomly', '-p', 'no:cacheprovider', '-q', *module.extra])}",
        "timeout_multiplier = 5.0",
        "timeout_constant = 30.0",
        "use_git_change_detection = false",
        "",
    ])


def prepare(module: Module) -> Path:
    """The module's work dir, with fresh copies of the sources and tests (kept mutants are reused
    by mutmut when the source did not change)."""
    work = WORK / module.name
    src = work / "src"
    if src.exists():
        shutil.rmtree(src)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    shutil.copytree(REPO / "src", src, ignore=ignore, copy_function=shutil.copy2)
    for package in sorted((REPO / "integrations").iterdir()):
        if package.is_dir() and (package / "__init__.py").exists():
            shutil.copytree(package, src / package.name, ignore=ignore, copy_function=shutil.copy2)
    if (work / "tests").exists():
        shutil.rmtree(work / "tests")
    shutil.copytree(REPO / "tests", work / "tests", ignore=ignore)
    if (work / "benchmarks").exists():  # fault tests import its TCP proxy (benchmarks.reliability)
        shutil.rmtree(work / "benchmarks")
    shutil.copytree(REPO / "benchmarks", work / "benchmarks", ignore=ignore)
    (work / "pyproject.toml").write_text(_pyproject(module))
    return work


def run(module: Module, children: int, only: tuple[str, ...] = ()) -> int:
    """Run mutmut on the module: every mutant not yet checked, or only those whose names match the
    ``only`` globs (``mltrail.store.sql.run_ops.x_create_run__mutmut_*``), checked again."""
    work = prepare(module)
    mutmut = Path(sys.executable).with_name("mutmut")
    command = [str(mutmut), "run", "--max-children", str(children), *only]
    print(f"== {module.name}: {' '.join(command)} (in {work})", flush=True)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    # mutmut forks a child per mutant: an OpenMP thread pool (xgboost, sklearn) started in the parent
    # deadlocks the child's first parallel region (libgomp is not fork-safe); one thread starts no pool
    env["OMP_NUM_THREADS"] = "1"
    return subprocess.call(command, cwd=work, env=env)


def outcomes(module: Module) -> dict[str, str]:
    """Mutant name -> outcome, from mutmut's ``.meta`` files of the module's last run."""
    result: dict[str, str] = {}
    for meta in sorted((WORK / module.name / "mutants").rglob("*.py.meta")):
        for name, code in json.loads(meta.read_text()).get("exit_code_by_key", {}).items():
            result[name] = "not checked" if code is None else _OUTCOME.get(code, "suspicious")
    return result


def score_table(modules: list[Module]) -> str:
    """Markdown table: per module, mutants, how many were checked, killed, survived, score.

    Score = killed / checked ("no tests" and "suspicious" count as not killed); a run stopped
    early shows fewer checked than mutants.
    """
    lines = ["| module | mutants | checked | killed | survived | no tests | score |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for module in modules:
        found = outcomes(module)
        checked = [v for v in found.values() if v != "not checked"]
        if not checked:
            lines.append(f"| {module.name} | {len(found) or 'not run'} | 0 | | | | |")
            continue
        counts = {k: checked.count(k) for k in (KILLED, SURVIVED, NO_TESTS)}
        score = counts[KILLED] / len(checked) * 100
        lines.append(f"| {module.name} | {len(found)} | {len(checked)} | {counts[KILLED]} | {counts[SURVIVED]} | "
                     f"{counts[NO_TESTS]} | {score:.1f} % |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.mutation", description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="*", help=f"modules to run (default: all): {', '.join(BY_NAME)}")
    parser.add_argument("--children", type=int, default=2, help="mutants tested in parallel (default 2)")
    parser.add_argument("--only", action="append", default=[], metavar="GLOB",
                        help="check (again) only the mutants whose names match GLOB (repeatable; one module)")
    parser.add_argument("--list", action="store_true", help="list the modules, their files and tests")
    parser.add_argument("--report", action="store_true", help="print the score table of the last runs only")
    parser.add_argument("--survivors", action="store_true", help="list the surviving mutants of the modules")
    args = parser.parse_args(argv)
    unknown = [m for m in args.modules if m not in BY_NAME]
    if unknown:
        parser.error(f"unknown module(s) {', '.join(unknown)}; known: {', '.join(BY_NAME)}")
    chosen = [BY_NAME[m] for m in args.modules] or MODULES
    if args.only and len(chosen) != 1:
        parser.error("--only needs exactly one module")
    if args.list:
        for m in chosen:
            print(f"{m.name}: mutates {', '.join(m.files)}; tests {' '.join(m.tests)} {' '.join(m.extra)}")
        return 0
    if args.survivors:
        for m in chosen:
            for name, outcome in outcomes(m).items():
                if outcome != KILLED:
                    print(f"{m.name}\t{outcome}\t{name}")
        return 0
    if not args.report:
        for m in chosen:
            run(m, args.children, tuple(args.only))
    table = score_table(chosen)
    WORK.mkdir(exist_ok=True)
    (WORK / "scores.md").write_text(table + "\n")
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
