"""Fluent logging of params, metrics, tags and artifacts into the active run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

import mltrail as mlflow
from mltrail.fluent import log_run_data


def test_params_metrics_and_tags(tracking_uri, client):
    with mlflow.start_run() as run:
        assert mlflow.log_param("alpha", 0.01) == 0.01
        mlflow.log_params({"l1_ratio": 0.5, "solver": "saga"})
        mlflow.log_metric("rmse", 7.0)
        mlflow.log_metric("rmse", 6.9, step=1, synchronous=True)
        mlflow.log_metrics({"mae": 4.2, "r2": 0.8}, step=3, timestamp=1_700_000_000_000)
        mlflow.set_tag("developer", "data-scientist")
        mlflow.set_tags({"stage": "dev", "tmp": "x"})
        mlflow.delete_tag("tmp")
    data = client.get_run(run.info.run_id).data
    assert data.params == {"alpha": "0.01", "l1_ratio": "0.5", "solver": "saga"}
    assert data.metrics == {"rmse": 6.9, "mae": 4.2, "r2": 0.8}
    assert data.tags["developer"] == "data-scientist" and data.tags["stage"] == "dev"
    assert "tmp" not in data.tags
    assert [(m.step, m.value) for m in client.get_metric_history(run.info.run_id, "rmse")] == [(0, 7.0), (1, 6.9)]
    (mae,) = client.get_metric_history(run.info.run_id, "mae")
    assert (mae.step, mae.timestamp) == (3, 1_700_000_000_000)


def test_log_run_data_writes_everything_at_once(tracking_uri, client):
    with mlflow.start_run() as run:
        log_run_data(params={"C": 1.0}, metrics={"accuracy": 0.93}, tags={"estimator": "SVC"}, step=2)
    data = client.get_run(run.info.run_id).data
    assert (data.params, data.metrics, data.tags["estimator"]) == ({"C": "1.0"}, {"accuracy": 0.93}, "SVC")


def test_explicit_run_id_targets_another_run(tracking_uri, client):
    other = client.create_run("0").info.run_id
    with mlflow.start_run() as run:
        mlflow.log_metric("x", 1.0, run_id=other)
        mlflow.log_metrics({"y": 2.0}, run_id=other)
        mlflow.log_params({"p": "q"}, run_id=other)
    assert client.get_run(other).data.metrics == {"x": 1.0, "y": 2.0}
    assert client.get_run(other).data.params == {"p": "q"}
    assert client.get_run(run.info.run_id).data.metrics == {}


def test_finished_run_accepts_late_metrics_and_tags(tracking_uri, client):
    with mlflow.start_run() as run:
        pass
    client.log_metric(run.info.run_id, "test_auc", 0.91)
    client.set_tag(run.info.run_id, "evaluated", "yes")
    data = client.get_run(run.info.run_id).data
    assert data.metrics == {"test_auc": 0.91} and data.tags["evaluated"] == "yes"


def test_text_dict_and_file_artifacts(tracking_uri, client, tmp_path):
    if tracking_uri.startswith("http"):
        pytest.skip("reads the run's artifact folder on the local disk")
    local = tmp_path / "vectorizer.pkl"
    local.write_bytes(b"vec")
    folder = tmp_path / "outputs"
    folder.mkdir()
    (folder / "pred.csv").write_text("y\n1\n")
    with mlflow.start_run() as run:
        mlflow.log_artifact(str(local))
        mlflow.log_artifacts(str(folder), artifact_path="outputs")
        mlflow.log_text("trained on 2021-01", "notes/data.txt")
        mlflow.log_dict({"features": ["trip_distance"], "alpha": 0.1}, "features.json")
        mlflow.log_dict({"features": ["trip_distance"], "alpha": 0.1}, "features.yml")
        uri = mlflow.get_artifact_uri()
        assert mlflow.get_artifact_uri("notes/data.txt") == uri + "/notes/data.txt"
    root = Path(uri)
    assert (root / "vectorizer.pkl").read_bytes() == b"vec"
    assert (root / "outputs" / "pred.csv").read_text() == "y\n1\n"
    assert (root / "notes" / "data.txt").read_text() == "trained on 2021-01"
    assert json.loads((root / "features.json").read_text()) == {"features": ["trip_distance"], "alpha": 0.1}
    yml = (root / "features.yml").read_text()
    assert yaml.safe_load(yml) == {"features": ["trip_distance"], "alpha": 0.1} and not yml.lstrip().startswith("{")
    assert [f.path for f in client.list_artifacts(run.info.run_id)] == [
        "features.json", "features.yml", "notes", "outputs", "vectorizer.pkl",
    ]


def test_log_figure_matplotlib_and_plotly(tracking_uri):
    if tracking_uri.startswith("http"):
        pytest.skip("reads the run's artifact folder on the local disk")
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([3, 2, 1])
    with mlflow.start_run():
        mlflow.log_figure(fig, "plots/loss.png")
        mlflow.log_figure(fig, "plots/loss.svg")
        root = Path(mlflow.get_artifact_uri())
        go = pytest.importorskip("plotly.graph_objects")
        mlflow.log_figure(go.Figure(go.Scatter(y=[1, 3, 2])), "plots/interactive.html")
    plt.close(fig)
    assert (root / "plots" / "loss.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"<svg" in (root / "plots" / "loss.svg").read_bytes()[:500]
    assert "plotly" in (root / "plots" / "interactive.html").read_text().lower()


def test_log_image_numpy_and_pil_round_trip(tracking_uri):
    if tracking_uri.startswith("http"):
        pytest.skip("reads the run's artifact folder on the local disk")
    np = pytest.importorskip("numpy")
    from PIL import Image

    rgb = np.zeros((4, 5, 3), dtype=np.uint8)
    rgb[0, 0] = [255, 0, 0]
    gray = np.linspace(0, 1, 20).reshape(4, 5)
    with mlflow.start_run():
        mlflow.log_image(rgb, "images/rgb.png")
        mlflow.log_image(gray, "images/gray.png")
        mlflow.log_image(Image.new("RGB", (3, 2), (0, 128, 255)), "images/pil.jpg")
        mlflow.log_image(rgb, key="sample", step=7)
        root = Path(mlflow.get_artifact_uri())
    with Image.open(root / "images" / "rgb.png") as img:
        assert img.format == "PNG" and img.size == (5, 4)
        assert np.array_equal(np.asarray(img), rgb)
    with Image.open(root / "images" / "gray.png") as img:
        pixels = np.asarray(img)
        assert pixels[0, 0] == 0 and pixels[-1, -1] == 255
    with Image.open(root / "images" / "pil.jpg") as img:
        assert img.format == "JPEG" and img.size == (3, 2)
    stepped = sorted(p.name for p in (root / "images").glob("sample+step+7+*"))  # MLflow 3's layout
    assert len(stepped) == 2 and {name.endswith("+compressed.webp") for name in stepped} == {True, False}
    assert [name for name in stepped if not name.endswith("+compressed.webp")][0].endswith(".png")
