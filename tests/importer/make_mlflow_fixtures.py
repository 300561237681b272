"""Write the small MLflow stores the importer tests read (run once per MLflow version, by MLflow itself).

Usage, with a Python that has MLflow (full or skinny) and scikit-learn installed::

    python tests/importer/make_mlflow_fixtures.py sqlite tests/importer/fixtures/mlflow-3.17-sqlite.tar.gz
    python tests/importer/make_mlflow_fixtures.py file   tests/importer/fixtures/mlflow-2.19-file.tar.gz
    python tests/importer/make_mlflow_fixtures.py postgresql+psycopg://db/mlflow /tmp/out   # a live store, no archive

The archive holds ``store/`` (``mlflow.db`` + ``mlruns/`` artifacts for ``sqlite``, the ``mlruns/``
file store for ``file``) and ``expected.json``: what the MLflow client itself reads back from the store
(experiments, runs with params/tags/metric histories, registered models), the truth the tests compare
mltrail's client against after an import.
"""

from __future__ import annotations

import json
import math
import os
import sys
import tarfile
import tempfile


def build(kind: str, root: str) -> dict:
    """Log the fixture content into a new store under ``root`` and return what MLflow reads back."""
    import mlflow
    import numpy as np
    from mlflow import MlflowClient
    from sklearn.linear_model import LinearRegression

    os.chdir(root)
    uri = {"sqlite": "sqlite:///mlflow.db", "file": "file:" + os.path.join(root, "mlruns")}.get(kind, kind)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    client = MlflowClient(uri, uri)
    major = int(mlflow.__version__.split(".")[0])
    t0 = 1_700_000_000_000

    with mlflow.start_run(run_name="in-default") as r0:  # experiment 0 "Default"
        mlflow.log_param("p", "default")
        mlflow.log_metric("loss", 1.5, step=0, timestamp=t0)

    exp = mlflow.create_experiment("alpha", tags={"team": "vision", "mlflow.note.content": "alpha notes"})
    mlflow.set_experiment(experiment_id=exp)
    X = np.arange(20, dtype=float).reshape(-1, 1)
    y = 3 * X[:, 0] + 1
    with mlflow.start_run(run_name="parent") as parent:
        mlflow.log_params({"lr": "0.1", "depth": "3"})
        mlflow.set_tags({"owner": "ana", "mlflow.note.content": "# parent run\nnotes"})
        for step in range(5):
            mlflow.log_metric("rmse", 10.0 / (step + 1), step=step, timestamp=t0 + step * 1000)
        mlflow.log_metric("weird", float("nan"), step=0, timestamp=t0)
        mlflow.log_metric("weird", float("inf"), step=1, timestamp=t0 + 1)
        mlflow.log_metric("weird", -float("inf"), step=2, timestamp=t0 + 2)
        mlflow.log_metric("rmse", 2.0, step=4, timestamp=t0 + 9999)  # same step, another timestamp
        mlflow.log_text("hello\n", "notes/hello.txt")
        mlflow.log_dict({"a": 1}, "config.json")
        dataset = mlflow.data.from_numpy(X, targets=y, name="train-x", source="s3://bucket/train.npy")
        mlflow.log_input(dataset, context="training")
        model = LinearRegression().fit(X, y)
        kwargs = {"name": "model"} if major >= 3 else {"artifact_path": "model"}
        info = mlflow.sklearn.log_model(model, registered_model_name="reg", **kwargs)
        with mlflow.start_run(run_name="child", nested=True):
            mlflow.log_param("fold", "1")
            mlflow.log_metric("acc", 0.5, step=0, timestamp=t0)
    with mlflow.start_run(run_name="failed") as failed:
        mlflow.log_metric("acc", 0.1, timestamp=t0)
    client.set_terminated(failed.info.run_id, "FAILED", end_time=t0 + 5)
    with mlflow.start_run(run_name="gone") as gone:
        mlflow.log_param("x", "1")
    client.delete_run(gone.info.run_id)
    with mlflow.start_run(run_name="second-model"):
        model2 = LinearRegression().fit(X, 2 * y)
        mlflow.sklearn.log_model(model2, registered_model_name="reg", **kwargs)

    client.update_registered_model("reg", description="the regression model")
    client.set_registered_model_tag("reg", "domain", "tabular")
    client.set_model_version_tag("reg", "1", "validated", "yes")
    client.update_model_version("reg", "1", description="first version")
    client.set_registered_model_alias("reg", "champion", "1")
    client.transition_model_version_stage("reg", "2", "Staging")

    old = mlflow.create_experiment("old-stuff")
    with mlflow.start_run(experiment_id=old):
        mlflow.log_metric("m", 1.0, timestamp=t0)
    client.delete_experiment(old)
    return expected(client, info.model_uri)


def _num(value: float):
    return value if math.isfinite(value) else repr(value)


def expected(client, model_uri: str) -> dict:
    """What MLflow's client reads back: the truth the importer tests compare against."""
    from mlflow.entities import ViewType

    out: dict = {"mlflow_version": __import__("mlflow").__version__, "model_uri": model_uri, "experiments": []}
    for exp in client.search_experiments(view_type=ViewType.ALL):
        runs = []
        for run in client.search_runs([exp.experiment_id], run_view_type=ViewType.ALL):
            histories = {
                key: sorted(
                    (m.step, m.timestamp, _num(m.value)) for m in client.get_metric_history(run.info.run_id, key)
                )
                for key in run.data.metrics
            }
            runs.append(
                {
                    "run_id": run.info.run_id,
                    "run_name": run.info.run_name,
                    "status": run.info.status,
                    "lifecycle_stage": run.info.lifecycle_stage,
                    "start_time": run.info.start_time,
                    "end_time": run.info.end_time,
                    "params": run.data.params,
                    "tags": run.data.tags,
                    "metrics": histories,
                    "datasets": sorted(d.dataset.name for d in (run.inputs.dataset_inputs if run.inputs else [])),
                }
            )
        out["experiments"].append(
            {
                "experiment_id": exp.experiment_id,
                "name": exp.name,
                "lifecycle_stage": exp.lifecycle_stage,
                "tags": exp.tags,
                "runs": sorted(runs, key=lambda r: r["run_id"]),
            }
        )
    models = []
    for rm in client.search_registered_models():
        versions = [
            {
                "version": str(v.version),
                "current_stage": v.current_stage,
                "description": v.description,
                "tags": v.tags,
                "run_id": v.run_id,
            }
            for v in client.search_model_versions(f"name='{rm.name}'")
        ]
        models.append(
            {
                "name": rm.name,
                "description": rm.description,
                "tags": rm.tags,
                "aliases": rm.aliases,
                "versions": sorted(versions, key=lambda v: int(v["version"])),
            }
        )
    out["registered_models"] = models
    return out


def main(kind: str, archive: str) -> None:
    archive = os.path.abspath(archive)
    if not archive.endswith(".tar.gz"):  # a live store (e.g. on PostgreSQL): artifacts and expected.json in a folder
        os.makedirs(os.path.join(archive, "store"), exist_ok=True)
        truth = build(kind, os.path.join(archive, "store"))
        with open(os.path.join(archive, "expected.json"), "w") as f:
            json.dump(truth, f, indent=1, sort_keys=True)
        return
    with tempfile.TemporaryDirectory() as tmp:
        store = os.path.join(tmp, "store")
        os.makedirs(store)
        truth = build(kind, store)
        with open(os.path.join(tmp, "expected.json"), "w") as f:
            json.dump(truth, f, indent=1, sort_keys=True)
        with tarfile.open(archive, "w:gz") as tar:
            tar.add(store, arcname="store")
            tar.add(os.path.join(tmp, "expected.json"), arcname="expected.json")
    print(f"wrote {archive} (MLflow {truth['mlflow_version']}, {kind} store)")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
