"""Print a store's experiments, runs, logged models and registered models as normalised JSON.

Written against MLflow's client API; the parity test runs it under MLflow (in the benchmarks'
side environment, once, to record the expected data) and under mltrail (its import lines
rewritten, like every script here). Volatile facts are dropped (ids, times, user, source),
run ids inside values become the run's position in the tree, metric values are rounded.

    python dump_store.py sqlite:///store.db > dump.json
"""
import json
import re
import sys

import mlflow
from mlflow import MlflowClient

VOLATILE_TAGS = {
    "mlflow.user", "mlflow.source.name", "mlflow.source.type", "mlflow.source.git.commit",
    "mlflow.source.git.branch", "mlflow.source.git.repoURL", "mlflow.gitRepoURL", "mlflow.parentRunId",
    "mlflow.runName", "mlflow.log-model.history", "mltrail.python.version",
}
RANDOM_NAME = re.compile(r"^[a-z]+-[a-z]+-\d+$")
ID = re.compile(r"\b(m-)?[0-9a-f]{32}\b")


def rounded(value):
    if isinstance(value, float) and value == value and abs(value) not in (float("inf"),):
        return float(f"{value:.6g}")
    return value


def artifact_paths(client, run_id, path=None):
    out = []
    for f in client.list_artifacts(run_id, path):
        if f.is_dir:
            out.extend(artifact_paths(client, run_id, f.path))
        else:
            out.append(f.path)
    return out


def main(uri):
    mlflow.set_tracking_uri(uri)
    client = MlflowClient(uri)
    names = {}   # run id -> position label
    dump = {"experiments": {}, "logged_models": [], "registered_models": []}
    experiments = [e for e in client.search_experiments() if e.name != "Default"]
    for exp in sorted(experiments, key=lambda e: e.name):
        runs = client.search_runs([exp.experiment_id], max_results=1000, order_by=["attributes.start_time ASC"])
        children = {}
        for r in runs:
            children.setdefault(r.data.tags.get("mlflow.parentRunId"), []).append(r)

        def label(run, prefix):
            name = run.info.run_name or ""
            return prefix + ("<random>" if RANDOM_NAME.match(name) else name)

        def tree(parent_id, prefix):
            out = []
            for i, r in enumerate(children.get(parent_id, [])):
                names[r.info.run_id] = f"{prefix}{i}"
                out.append((r, f"{prefix}{i}."))
            return out

        def describe(run, prefix):
            node = {
                "name": label(run, ""),
                "status": run.info.status,
                "params": dict(sorted(run.data.params.items())),
                "metrics": {},
                "tags": {k: v for k, v in sorted(run.data.tags.items()) if k not in VOLATILE_TAGS},
                "artifacts": sorted(artifact_paths(client, run.info.run_id)),
                "children": [describe(c, p) for c, p in tree(run.info.run_id, prefix)],
            }
            for key in sorted(run.data.metrics):
                history = client.get_metric_history(run.info.run_id, key)
                node["metrics"][key] = [[m.step, rounded(m.value)] for m in sorted(history, key=lambda m: (m.step, m.timestamp))]
            return node

        dump["experiments"][exp.name] = [describe(r, p) for r, p in tree(None, exp.name + ":")]
        models = mlflow.search_logged_models(experiment_ids=[exp.experiment_id], output_format="list")
        for m in sorted(models, key=lambda m: (m.name, m.creation_timestamp)):
            dump["logged_models"].append({
                "experiment": exp.name,
                "name": m.name,
                "source_run": names.get(m.source_run_id),
                "params": dict(sorted((m.params or {}).items())),
                "tags": {k: v for k, v in sorted((m.tags or {}).items()) if k not in VOLATILE_TAGS},
                "files": sorted(f.path for f in client.list_logged_model_artifacts(m.model_id)),
            })
    for rm in sorted(client.search_registered_models(), key=lambda m: m.name):
        versions = client.search_model_versions(f"name = '{rm.name}'")
        dump["registered_models"].append({
            "name": rm.name,
            "description": rm.description,
            "tags": dict(rm.tags),
            "aliases": {a: int(v) for a, v in sorted(rm.aliases.items())},
            "versions": [
                {"version": int(v.version), "stage": v.current_stage, "tags": dict(v.tags),
                 "run": names.get(v.run_id), "status": v.status}
                for v in sorted(versions, key=lambda v: int(v.version))
            ],
        })
    text = json.dumps(dump, indent=1, sort_keys=True, default=str)
    print(ID.sub(lambda m: "<id>", text))


if __name__ == "__main__":
    main(sys.argv[1])
