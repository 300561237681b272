"""The MLflow-style scripts of ``scripts/`` store under mltrail what they store under MLflow 3.17.

Each script was run once under MLflow 3.17 (``python -m tests.parity.scripts_runner --record``,
in the benchmarks' side environment) and its store dumped to ``expected/<script>.json``. Here the
same script runs under mltrail, its import lines switched, and the dumps are compared:

- the same experiments, the same run tree (names, statuses, nesting), the same registered models,
  versions, stages, aliases and tags;
- every param, tag, metric history (steps and values) and artifact MLflow stored is stored by
  mltrail with the same value;
- mltrail may store more only where :data:`EXTRAS` says so, with the reason.
"""

from __future__ import annotations

import json
import math
import re

import pytest

from .scripts_runner import EXPECTED, run_and_dump, script_names

#: What mltrail stores beyond MLflow, by (kind, pattern): each a deliberate improvement.
EXTRAS = [
    ("tag", r"^mltrail\.", "mltrail-only facts live under mltrail.*"),
    ("tag", r"^estimator_(name|class)$", "XGBoost sklearn-API runs keep their estimator tags (MLflow sets none)"),
    ("artifact", r"(^|/)booster_config\.json$", "the booster's full configuration"),
    ("artifact", r"(^|/)[a-z_]*(confusion_matrix|roc_curve|precision_recall_curve)\.json$",
     "plot data beside each PNG: the UI draws interactive charts from it"),
    ("artifact", r"^search_space\.json$", "hyperopt sweeps: the search space"),
    ("param", r"^best_", "hyperopt parent run: the best trial's params"),
    ("metric", r"^(best_loss|n_trials|n_failed_trials|loss|duration_seconds)$", "hyperopt trial and sweep facts"),
    ("tag", r"^(best_trial_run_id|hyperopt\.|algorithm|max_evals|resumed_trials)$", "hyperopt sweep facts"),
    ("tag", r"^mlflow\.autologging=hyperopt$", "a trial run is created by hyperopt autologging (the objective's "
     "own start_run joins it), and says so"),
    ("metric", r"_unknown_dataset$", "a post-training metric on data whose variable name cannot be found is "
     "still recorded (MLflow drops it)"),
    ("artifact", r"^metric_info\.json$", "describes that post-training metric (MLflow writes it with every "
     "post-training metric it logs)"),

    ("model_file", r"^model\.(pkl|skops)$", "sklearn's serialization: cloudpickle by default (MLflow 3.17 "
     "defaults to skops, which refuses most tree models without skops_trusted_types)"),
]


#: What mltrail stores less of than MLflow, by (kind, pattern), each with its reason.
MISSING = [
    ("artifact", r"^estimator\.html$", "not written inside hyperopt trials, whose figures are skipped so that a "
     "tracked sweep stays within 1.25x of an untracked one"),
    ("model_file", r"^registered_model_meta$", "MLflow writes it INTO the stored model folder as a side effect of "
     "loading a model by models:/; mltrail never changes a stored model (its hashes are checked on load)"),
]

#: Metrics whose values are wall-clock times: compared by presence and steps only.
TIMINGS = re.compile(r"^(mean|std)_(fit|score)_time$")


def _allowed(kind: str, key: str) -> bool:
    return any(k == kind and re.search(p, key) for k, p, _ in EXTRAS)


def _may_miss(kind: str, key: str) -> bool:
    return any(k == kind and re.search(p, key) for k, p, _ in MISSING)


def _sibling_key(run: dict) -> str:
    """Siblings are matched by name, then params (the two libraries start them in different orders)."""
    return json.dumps([run["name"], run["params"]], sort_keys=True)


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-5, abs_tol=1e-9)
    return a == b


def _compare_runs(expected: list, actual: list, where: str, problems: list[str]) -> None:
    if len(expected) != len(actual):
        problems.append(f"{where}: {len(expected)} runs under MLflow, {len(actual)} under mltrail: "
                        f"{[r['name'] for r in expected]} vs {[r['name'] for r in actual]}")
        return
    expected = sorted(expected, key=_sibling_key)
    actual = sorted(actual, key=lambda r: _sibling_key({**r, "name": "<random>"}) if _random_twin(r, expected)
                    else _sibling_key(r))
    for i, (e, a) in enumerate(zip(expected, actual)):
        here = f"{where}/{e['name'] or i}"
        if e["name"] != a["name"] and e["name"] != "<random>":  # MLflow's random names carry nothing to keep
            problems.append(f"{here}: run name {a['name']!r}, MLflow {e['name']!r}")
        if e["status"] != a["status"]:
            problems.append(f"{here}: status {a['status']}, MLflow {e['status']}")
        for kind in ("params", "tags"):
            for key, value in e[kind].items():
                if key not in a[kind]:
                    problems.append(f"{here}: {kind[:-1]} {key}={value!r} missing")
                elif a[kind][key] != value:
                    problems.append(f"{here}: {kind[:-1]} {key}={a[kind][key]!r}, MLflow {value!r}")
            for key in sorted(set(a[kind]) - set(e[kind])):
                if not (_allowed(kind[:-1], key) or _allowed(kind[:-1], f"{key}={a[kind][key]}")):
                    problems.append(f"{here}: extra {kind[:-1]} {key}={a[kind][key]!r}")
        for key, history in e["metrics"].items():
            mine = a["metrics"].get(key)
            if mine is None:
                problems.append(f"{here}: metric {key} missing")
            elif len(mine) != len(history) or not all(
                s1 == s2 and (TIMINGS.match(key) or _same(float(v1), float(v2)))
                for (s1, v1), (s2, v2) in zip(mine, history)
            ):
                problems.append(f"{here}: metric {key} history {mine[:6]}..., MLflow {history[:6]}...")
        for key in sorted(set(a["metrics"]) - set(e["metrics"])):
            if not _allowed("metric", key):
                problems.append(f"{here}: extra metric {key}")
        for path in e["artifacts"]:
            if path not in a["artifacts"] and not _may_miss("artifact", path):
                problems.append(f"{here}: artifact {path} missing")
        for path in sorted(set(a["artifacts"]) - set(e["artifacts"])):
            if not _allowed("artifact", path):
                problems.append(f"{here}: extra artifact {path}")
        _compare_runs(e["children"], a["children"], here, problems)


def _random_twin(run: dict, expected: list) -> bool:
    """Whether ``run`` (mltrail's) matches a sibling MLflow named at random: sort it as one."""
    return not any(e["name"] == run["name"] for e in expected) and any(e["name"] == "<random>" for e in expected)


def compare(expected: dict, actual: dict) -> list[str]:
    """Every way ``actual`` (mltrail's dump) differs from ``expected`` (MLflow's) beyond :data:`EXTRAS`."""
    problems: list[str] = []
    if sorted(expected["experiments"]) != sorted(actual["experiments"]):
        problems.append(f"experiments {sorted(actual['experiments'])}, MLflow {sorted(expected['experiments'])}")
    for name, runs in expected["experiments"].items():
        _compare_runs(runs, actual["experiments"].get(name, []), name, problems)
    key = lambda m: (m["experiment"], m["name"], m["source_run"] or "")  # noqa: E731
    mine = {key(m): m for m in actual["logged_models"]}
    for model in expected["logged_models"]:
        other = mine.get(key(model))
        where = f"logged model {key(model)}"
        if other is None:
            problems.append(f"{where} missing (mltrail has {sorted(mine)})")
            continue
        for kind in ("params", "tags"):
            for k, v in model[kind].items():
                if other[kind].get(k) != v:
                    problems.append(f"{where}: {kind[:-1]} {k}={other[kind].get(k)!r}, MLflow {v!r}")
        for path in model["files"]:
            if path not in other["files"] and not (_allowed("model_file", path) or _may_miss("model_file", path)):
                problems.append(f"{where}: file {path} missing")
        for path in sorted(set(other["files"]) - set(model["files"])):
            if not _allowed("model_file", path):
                problems.append(f"{where}: extra file {path}")
    if len(actual["logged_models"]) != len(expected["logged_models"]):
        problems.append(f"{len(actual['logged_models'])} logged models, MLflow {len(expected['logged_models'])}")
    if actual["registered_models"] != expected["registered_models"]:
        problems.append(f"registered models {json.dumps(actual['registered_models'])}, "
                        f"MLflow {json.dumps(expected['registered_models'])}")
    return problems


@pytest.mark.parametrize("name", script_names())
def test_script_stores_what_mlflow_stores(name, tmp_path):
    expected = json.loads((EXPECTED / f"{name}.json").read_text())
    actual = run_and_dump(name, tmp_path)
    problems = compare(expected, actual)
    assert not problems, f"{name}: {len(problems)} differences from MLflow 3.17:\n" + "\n".join(problems)


def test_the_comparison_catches_a_changed_value_and_an_unexplained_extra():
    run = {"name": "r", "status": "FINISHED", "params": {"a": "1"}, "tags": {}, "metrics": {"m": [[0, 1.0]]},
           "artifacts": [], "children": []}
    base = {"experiments": {"e": [run]}, "logged_models": [], "registered_models": []}
    assert compare(base, json.loads(json.dumps(base))) == []
    changed = json.loads(json.dumps(base))
    changed["experiments"]["e"][0]["metrics"]["m"] = [[1, 1.0]]
    changed["experiments"]["e"][0]["params"]["extra"] = "x"
    changed["experiments"]["e"][0]["tags"]["mltrail.python.version"] = "3.11"
    problems = sorted(compare(base, changed))
    assert len(problems) == 2 and "extra param extra" in problems[0] and "metric m" in problems[1]
