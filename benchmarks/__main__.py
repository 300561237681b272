"""Command line: ``python -m benchmarks run|list|setup|reliability``.

    python -m benchmarks setup                       # build benchmarks/.mlflow-venv
    python -m benchmarks list                        # workloads and their targets
    python -m benchmarks run                         # every workload, full sizes
    python -m benchmarks run log_metric search_runs --quick --json out.json
    python -m benchmarks reliability --quick         # fault and crash scenarios, one table
"""

from __future__ import annotations

import argparse
import sys

from . import harness, report
from .workloads import all_workloads, select


def _cmd_run(args: argparse.Namespace) -> int:
    try:
        workloads = select(args.workloads)
    except KeyError as exc:
        print(exc.args[0], file=sys.stderr)
        return 2
    backends = tuple(args.backend) if args.backend else ("mltrail", "mlflow")
    if "mlflow" in backends and harness.backend_python("mlflow") is None:
        print("note: no MLflow side venv, MLflow columns stay empty (python -m benchmarks setup)", file=sys.stderr)
    progress = None if args.silent else (lambda msg: print(msg, file=sys.stderr, flush=True))
    load_start = report.load_average()
    results = harness.run_workloads(
        workloads, quick=args.quick, backends=backends, keep=args.keep, progress=progress, slow=args.slow
    )
    derived = harness.derived_rows(results)
    print()
    print(report.format_table(results, derived, markdown=args.markdown))
    print()
    print(report.format_details(results, markdown=args.markdown))
    load = (load_start, report.load_average())
    print(f"\n{report.describe_machine(load)}")
    if args.json:
        report.write_json(args.json, report.to_json(results, derived, args.quick, load))
        print(f"\nwrote {args.json}", file=sys.stderr)
    failed = any(not b.ok and not b.skipped for r in results for b in r.backends.values())
    return 1 if failed else 0


def _cmd_list(args: argparse.Namespace) -> int:
    workloads = all_workloads()
    name_w = max(len(w.name) for w in workloads)
    unit_w = max(len(w.unit) for w in workloads)
    for w in workloads:
        target = w.target.describe() if w.target else "-"
        print(f"{w.name:<{name_w}}  {w.unit:<{unit_w}}  target {target:<20}  {w.description}")
    return 0


def _cmd_setup(args: argparse.Namespace) -> int:
    from .setup_mlflow_env import ensure_env

    ensure_env(force=args.force)
    return 0


def _cmd_reliability(args: argparse.Namespace) -> int:
    from .reliability import runner

    progress = None if args.silent else (lambda msg: print(msg, file=sys.stderr, flush=True))
    return runner.main(args.scenarios, quick=args.quick, markdown=args.markdown, progress=progress)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description="mltrail vs MLflow benchmarks")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run workloads and print the table")
    run.add_argument("workloads", nargs="*", help="workload names, module names or prefixes ending in *; none = all")
    run.add_argument("--quick", action="store_true", help="small sizes (a smoke run, not numbers to quote)")
    run.add_argument("--json", metavar="PATH", help="also write every number to this JSON file")
    run.add_argument("--backend", action="append", choices=("mltrail", "mlflow"), help="only this backend (repeatable)")
    run.add_argument("--markdown", action="store_true", help="print the tables as Markdown")
    run.add_argument("--slow", action="store_true", help="also run backends a workload marks as very slow")
    run.add_argument("--keep", action="store_true", help="keep the temporary working directories")
    run.add_argument("--silent", action="store_true", help="no progress lines on stderr")
    run.set_defaults(func=_cmd_run)

    lst = sub.add_parser("list", help="list workloads")
    lst.set_defaults(func=_cmd_list)

    setup = sub.add_parser("setup", help="create/refresh the MLflow side venv")
    setup.add_argument("--force", action="store_true")
    setup.set_defaults(func=_cmd_setup)

    rel = sub.add_parser("reliability", help="run the reliability scenarios and print what was lost")
    rel.add_argument("scenarios", nargs="*", help="scenario names or patterns with *; none = all")
    rel.add_argument("--quick", action="store_true", help="small sizes")
    rel.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    rel.add_argument("--silent", action="store_true", help="no progress lines on stderr")
    rel.set_defaults(func=_cmd_reliability)

    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
