"""Run the MLflow-style scripts of ``scripts/`` under either library and dump what they stored.

A script is written for MLflow. Under mltrail only its import lines change
(``import mlflow`` -> ``import mltrail as mlflow``...), exactly what a user
does when switching. :func:`run_and_dump` runs one in a fresh folder with a
fresh SQLite store and returns ``dump_store.py``'s JSON for it.

Record MLflow's expected data (needs ``python -m benchmarks setup``)::

    python -m tests.parity.scripts_runner --record
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = HERE / "scripts"
EXPECTED = HERE / "expected"

_IMPORTS = [
    (re.compile(r"^import mlflow$", re.M), "import mltrail as mlflow"),
    (re.compile(r"^import mlflow\.(\w+)$", re.M), r"import mltrail.\1"),
    (re.compile(r"^from mlflow import ", re.M), "from mltrail import "),
    (re.compile(r"^from mlflow\.([\w.]+) import ", re.M), r"from mltrail.\1 import "),
]


def to_mltrail(source: str) -> str:
    """The script with its MLflow import lines switched to mltrail (nothing else changes)."""
    for pattern, replacement in _IMPORTS:
        source = pattern.sub(replacement, source)
    return source


def script_names() -> list[str]:
    return sorted(p.stem for p in SCRIPTS.glob("*.py"))


def run_and_dump(name: str, workdir: Path, python: str = sys.executable, library: str = "mltrail") -> dict:
    """Run ``scripts/<name>.py`` with ``python`` in ``workdir`` and return the dumped store."""
    workdir.mkdir(parents=True, exist_ok=True)
    convert = to_mltrail if library == "mltrail" else (lambda s: s)
    (workdir / "script.py").write_text(convert((SCRIPTS / f"{name}.py").read_text()))
    (workdir / "dump_store.py").write_text(convert((HERE / "dump_store.py").read_text()))
    uri = "sqlite:///" + str(workdir / "store.db")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "MLTRAIL_"))}
    env.update({"MLFLOW_TRACKING_URI": uri, "MPLBACKEND": "Agg", "PYTHONHASHSEED": "0",
                "GIT_DIR": str(workdir / "no-git")})
    for step in (["script.py"], ["dump_store.py", uri]):
        proc = subprocess.run([python, *step], cwd=workdir, env=env, capture_output=True, text=True, timeout=600)
        if proc.returncode != 0:
            raise RuntimeError(f"{library} {name} {step[0]} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}")
    return json.loads(proc.stdout)


def record(names: list[str]) -> None:
    """Run each script under MLflow (the benchmarks' side venv) and save its dump under ``expected/``."""
    import tempfile

    sys.path.insert(0, str(HERE.parents[1]))
    from benchmarks.setup_mlflow_env import venv_python

    python = str(venv_python())
    EXPECTED.mkdir(exist_ok=True)
    for name in names:
        with tempfile.TemporaryDirectory() as tmp:
            dump = run_and_dump(name, Path(tmp), python=python, library="mlflow")
        (EXPECTED / f"{name}.json").write_text(json.dumps(dump, indent=1, sort_keys=True) + "\n")
        print("recorded", name)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--record"]:
        record(sys.argv[2:] or script_names())
    else:
        print(__doc__)
