"""Create the side virtualenv that lets the harness run workloads through MLflow.

Usage (from the repository root, with the project's interpreter)::

    python benchmarks/setup_mlflow_env.py          # or: python -m benchmarks setup

It creates ``benchmarks/.mlflow-venv`` (gitignored) with ``mlflow`` 3.17.x
from PyPI (the full package: ``mlflow server``, which the server_load workloads
start, needs Flask and the rest that mlflow-skinny leaves out; the client side
is mlflow-skinny either way) plus the *same versions* of numpy, pandas, scikit-learn,
xgboost, hyperopt, SQLAlchemy, Alembic, scipy and matplotlib that the running
interpreter has, so both tools train the same models on the same libraries.
MLflow's SQL tracking store needs SQLAlchemy and Alembic, which mlflow-skinny
does not pull in itself.

Idempotent: a second run checks the installed versions and does nothing when
they already match. ``--force`` deletes the venv and builds it again.
Only the standard library is used, so any Python 3.10+ can run it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import venv
from importlib import metadata
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
VENV_DIR = BENCH_DIR / ".mlflow-venv"
MLFLOW_REQUIREMENT = os.environ.get("MLTRAIL_BENCH_MLFLOW_SPEC", "mlflow>=3.17,<3.18")

#: Distributions pinned to the versions of the interpreter running this script.
MIRRORED = (
    "numpy",
    "pandas",
    "scikit-learn",
    "xgboost",
    "hyperopt",
    "scipy",
    "matplotlib",
    "SQLAlchemy",
    "alembic",
    "skops",  # MLflow 3.17 saves sklearn models with skops by default (tests/parity records with it)
)


def venv_python(venv_dir: Path = VENV_DIR) -> Path:
    """Path of the side venv's interpreter (it may not exist yet)."""
    sub = "Scripts/python.exe" if os.name == "nt" else "bin/python"
    return venv_dir / sub


def mirrored_pins() -> list[str]:
    """``name==version`` for each mirrored distribution installed here."""
    pins = []
    for name in MIRRORED:
        try:
            pins.append(f"{name}=={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            continue
    return pins


def installed_versions(python: Path) -> dict[str, str]:
    """Versions of mlflow-skinny and the mirrored packages inside the venv."""
    names = ["mlflow-skinny", "mlflow", *MIRRORED]
    code = (
        "import json, sys\n"
        "from importlib import metadata\n"
        "out = {}\n"
        f"for n in {names!r}:\n"
        "    try: out[n.lower()] = metadata.version(n)\n"
        "    except metadata.PackageNotFoundError: pass\n"
        "print(json.dumps(out))\n"
    )
    proc = subprocess.run([str(python), "-c", code], capture_output=True, text=True)
    if proc.returncode != 0:
        return {}
    return json.loads(proc.stdout)


def is_up_to_date(python: Path, pins: list[str]) -> bool:
    if not python.exists():
        return False
    have = installed_versions(python)
    if not have.get("mlflow-skinny", "").startswith("3.17"):
        return False
    wanted = MLFLOW_REQUIREMENT.split("[")[0].split("=")[0].split(">")[0].split("<")[0].strip().lower()
    if wanted == "mlflow" and not have.get("mlflow", "").startswith("3.17"):
        return False  # the full package (mlflow server) was asked for
    for pin in pins:
        name, version = pin.split("==")
        if have.get(name.lower()) != version:
            return False
    return True


def ensure_env(force: bool = False, quiet: bool = False) -> Path:
    """Build or refresh the side venv; return its interpreter."""
    python = venv_python()
    pins = mirrored_pins()
    if force and VENV_DIR.exists():
        shutil.rmtree(VENV_DIR)
    if is_up_to_date(python, pins):
        if not quiet:
            print(f"{VENV_DIR} is up to date: {installed_versions(python)}")
        return python
    if not python.exists():
        print(f"creating {VENV_DIR} with {sys.executable}")
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV_DIR)
    cmd = [str(python), "-m", "pip", "install", "--disable-pip-version-check", MLFLOW_REQUIREMENT, *pins]
    print("running:", " ".join(cmd))
    subprocess.run(cmd, check=True)
    have = installed_versions(python)
    print(f"{VENV_DIR} ready: {have}")
    return python


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--force", action="store_true", help="delete and rebuild the venv")
    args = parser.parse_args(argv)
    ensure_env(force=args.force)
    return 0


if __name__ == "__main__":
    sys.exit(main())
