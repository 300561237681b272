"""Run-page diagnostics drawn from autologging's JSON, and tag/description editing on the UI.

The diagnostics run's artifacts are logged with the client in exactly the
shapes autologging writes (see :mod:`mltrail.server.ui.diagnostics`).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest

from mltrail.exceptions import InvalidParameterError

pytestmark = pytest.mark.timeout(300)

CONFUSION = {"kind": "confusion_matrix", "labels": ["cat", "dog", "eel"], "matrix": [[5, 1, 0], [2, 7, 1], [0, 0, 9]]}
ROC = {"kind": "roc_curve", "curves": [
    {"label": "cat", "fpr": [0.0, 0.1, 0.4, 1.0], "tpr": [0.0, 0.7, 0.9, 1.0], "auc": 0.91},
    {"label": "dog", "fpr": [0.0, 0.3, 1.0], "tpr": [0.0, 0.5, 1.0], "auc": 0.6},
]}
PR = {"kind": "precision_recall_curve", "curves": [
    {"label": "positive", "precision": [1.0, 0.8, 0.5], "recall": [0.0, 0.6, 1.0], "average_precision": 0.77},
]}
IMPORTANCE = {"f0": 3.0, "f1": 10.0, "f2": 1.5}


@pytest.fixture(scope="module")
def client(demo_store: dict[str, str]) -> Any:
    from mltrail.client import Client

    return Client(demo_store["uri"])


def _png(tmp_path: Any, name: str) -> str:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot([0, 1], [0, 1])
    ax.set_title(name)
    path = str(tmp_path / name)
    fig.savefig(path)
    plt.close(fig)
    return path


@pytest.fixture
def diagnostics_run(client: Any, tmp_path: Any) -> Any:
    run = client.create_run(client.get_experiment_by_name("nyc-taxi-experiment").experiment_id,
                            run_name="diagnostics")
    run_id = run.info.run_id
    client.log_dict(run_id, CONFUSION, "training_confusion_matrix.json")
    client.log_artifact(run_id, _png(tmp_path, "training_confusion_matrix.png"))
    client.log_dict(run_id, ROC, "training_roc_curve.json")
    client.log_dict(run_id, PR, "val_precision_recall_curve.json")
    client.log_dict(run_id, IMPORTANCE, "feature_importance_weight.json")
    client.log_artifact(run_id, _png(tmp_path, "training_precision_recall_curve.png"))  # PNG only
    broken = {"kind": "roc_curve", "curves": [{"label": "x", "fpr": [0.0, 1.0], "tpr": [1.0], "auc": 0.5}]}
    client.log_dict(run_id, broken, "broken_roc_curve.json")
    client.log_artifact(run_id, _png(tmp_path, "broken_roc_curve.png"))
    client.log_dict(run_id, {"not": "a diagnostic"}, "metrics_summary.json")
    client.set_terminated(run_id)
    yield client.get_run(run_id)
    client.delete_run(run_id)


def _figure(page: Any, name: str) -> dict[str, Any]:
    return page.evaluate(
        """(name) => { const plot = document.querySelector(`.diagnostic[data-name='${name}'] .plot`);
                       return { data: plot.data.map((t) => ({ type: t.type, x: t.x, y: t.y, z: t.z, name: t.name })),
                                title: plot.layout.title.text }; }""",
        name,
    )


def test_diagnostics_are_drawn_from_their_json_and_png_otherwise(page: Any, shot: Any, diagnostics_run: Any) -> None:
    run_id = diagnostics_run.info.run_id
    page.goto(f"/runs/{run_id}")
    page.wait_for_function(
        "[...document.querySelectorAll('#diagnostics .diagnostic')].every((n) => n.dataset.drawn)", timeout=60_000
    )
    drawn = {n.get_attribute("data-name"): n.get_attribute("data-drawn")
             for n in page.locator("#diagnostics .diagnostic").all()}
    assert drawn == {
        "broken_roc_curve": "png", "feature_importance_weight": "chart", "training_confusion_matrix": "chart",
        "training_precision_recall_curve": "png", "training_roc_curve": "chart", "val_precision_recall_curve": "chart",
    }
    heatmap = _figure(page, "training_confusion_matrix")
    assert heatmap["data"][0]["type"] == "heatmap" and heatmap["data"][0]["z"] == CONFUSION["matrix"]
    assert heatmap["data"][0]["x"] == ["cat", "dog", "eel"] and heatmap["title"].startswith("Confusion matrix")
    # the JSON wins over the PNG beside it: no image in that chart
    assert page.locator(".diagnostic[data-name='training_confusion_matrix'] img").count() == 0
    roc = _figure(page, "training_roc_curve")
    assert [t["name"] for t in roc["data"]] == ["cat (AUC 0.910)", "dog (AUC 0.600)", "chance"]
    assert roc["data"][0]["x"] == ROC["curves"][0]["fpr"] and roc["data"][0]["y"] == ROC["curves"][0]["tpr"]
    pr = _figure(page, "val_precision_recall_curve")
    assert pr["data"][0]["x"] == PR["curves"][0]["recall"] and pr["data"][0]["name"] == "positive (AP 0.770)"
    assert "val" in pr["title"]
    bars = _figure(page, "feature_importance_weight")
    assert bars["data"][0]["type"] == "bar" and bars["data"][0]["y"] == ["f2", "f0", "f1"]  # biggest drawn on top
    assert bars["data"][0]["x"] == [1.5, 3.0, 10.0]
    image = page.locator(".diagnostic[data-name='training_precision_recall_curve'] img")
    assert "training_precision_recall_curve.png" in image.get_attribute("src")
    assert page.evaluate("document.querySelector(\".diagnostic[data-name='training_precision_recall_curve'] img\")"
                         ".complete")
    fallback = page.locator(".diagnostic[data-name='broken_roc_curve']")
    assert fallback.locator("img").count() == 1 and "differ in length" in fallback.inner_text()
    assert page.locator(".diagnostic[data-name='metrics_summary']").count() == 0
    assert "null" not in page.locator("#diagnostics").inner_text()
    page.locator("#diagnostics").scroll_into_view_if_needed()
    shot(page, "12-run-diagnostics")
    # the broken JSON's 400 answer is expected (it is what made the page show the PNG)
    page.problems[:] = [p for p in page.problems if "broken_roc_curve" not in p and "status of 400" not in p]


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("a_confusion_matrix.json", {"labels": ["a", "b"], "matrix": [[1, 2]]}, "2 rows"),
        ("a_confusion_matrix.json", {"labels": ["a", "b"], "matrix": [[1, 2], [3, "x"]]}, "list of numbers"),
        ("a_roc_curve.json", {"kind": "confusion_matrix", "labels": ["a"], "matrix": [[1]]}, "its name says"),
        ("a_roc_curve.json", {"curves": []}, "non-empty list"),
        ("a_precision_recall_curve.json", {"curves": [{"precision": [1], "recall": [1], "average_precision": "hi"}]},
         "finite number"),
        ("feature_importance_gain.json", {"f": None}, "expected a number"),
        ("feature_importance_gain.json", {}, "no features"),
    ],
)
def test_malformed_diagnostics_are_refused_with_the_rule(client: Any, name: str, content: Any, message: str) -> None:
    from mltrail.server.ui.diagnostics import load_diagnostic

    run = client.create_run(client.get_experiment_by_name("nyc-taxi-experiment").experiment_id, run_name="bad-diag")
    try:
        client.log_dict(run.info.run_id, content, name)
        with pytest.raises(InvalidParameterError) as err:
            load_diagnostic(client.get_run(run.info.run_id), name)
        assert message in str(err.value)
        client.log_text(run.info.run_id, "{not json", "x_roc_curve.json")
        with pytest.raises(InvalidParameterError, match="not valid JSON"):
            load_diagnostic(client.get_run(run.info.run_id), "x_roc_curve.json")
        with pytest.raises(InvalidParameterError, match="not a diagnostic"):
            load_diagnostic(client.get_run(run.info.run_id), "MLmodel")
    finally:
        client.delete_run(run.info.run_id)


def test_feature_importance_keeps_the_top_features(client: Any) -> None:
    from mltrail.server.ui.diagnostics import MAX_FEATURES, load_diagnostic

    run = client.create_run(client.get_experiment_by_name("nyc-taxi-experiment").experiment_id, run_name="many-feat")
    try:
        client.log_dict(run.info.run_id, {f"f{i}": float(i % 97) + i / 1000 for i in range(300)},
                        "feature_importance_gain.json")
        data = load_diagnostic(client.get_run(run.info.run_id), "feature_importance_gain.json")
        assert data["total"] == 300 and len(data["features"]) == MAX_FEATURES
        assert data["values"] == sorted(data["values"], reverse=True) and data["features"][0] == "f290"
    finally:
        client.delete_run(run.info.run_id)


def _post(url: str, payload: Any, content_type: str = "application/json") -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(url, data=json.dumps(payload).encode(), method="POST",
                                     headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_experiment_tags_are_set_and_edited_on_the_runs_page(page: Any, shot: Any, client: Any, ui_url: str) -> None:
    eid = client.create_experiment("tag-editing")
    page.goto(f"/runs?experiments={eid}")
    page.locator("#experiment-tags summary").click()
    editor = page.locator("#experiment-tags-" + eid)
    editor.locator(".tag-key").fill("team")
    editor.locator(".tag-value").fill("taxi")
    editor.locator(".tag-form button").click()
    page.wait_for_selector(f"#experiment-tags-{eid} tr[data-key='team']", state="attached")
    assert client.get_experiment(eid).tags["team"] == "taxi"
    page.locator("#experiment-tags summary").click()
    editor.locator("tr[data-key='team'] .edit-tag").click()
    assert editor.locator(".tag-key").input_value() == "team" and editor.locator(".tag-value").input_value() == "taxi"
    editor.locator(".tag-value").fill("rides")
    editor.locator(".tag-form button").click()
    page.wait_for_function(f"document.querySelector(\"#experiment-tags-{eid} tr[data-key='team'] td\")"
                           "?.textContent === 'rides'")
    assert client.get_experiment(eid).tags["team"] == "rides"
    page.locator("#experiment-tags summary").click()
    editor.locator(".tag-key").fill("k" * 300)
    editor.locator(".tag-form button").click()
    page.wait_for_selector(f"#experiment-tags-{eid} .tag-message.error")
    assert "250" in editor.locator(".tag-message").inner_text()  # the store's rule, named
    assert set(client.get_experiment(eid).tags) == {"team"}
    shot(page, "13-experiment-tags")
    page.problems[:] = [p for p in page.problems if "status of 400" not in p and "HTTP 400" not in p]
    # JSON only, and a missing experiment is a 404 naming it
    assert _post(f"{ui_url}/ajax-api/ui/experiments/set-tag", {"experiment_id": eid, "key": "a", "value": "b"},
                 "application/x-www-form-urlencoded")[0] == 400
    code, body = _post(f"{ui_url}/ajax-api/ui/experiments/set-tag", {"experiment_id": "987654", "key": "a", "value": "b"})
    assert code == 404 and "987654" in body["message"]
    code, body = _post(f"{ui_url}/ajax-api/ui/experiments/set-tag", {"experiment_id": eid, "key": "a", "value": 5})
    assert code == 400 and "must be a string" in body["message"]


def test_model_tags_and_description_are_edited_on_the_model_pages(page: Any, shot: Any, client: Any, ui_url: str) -> None:
    name = "nyc-taxi-regressor"
    page.goto(f"/models/{name}")
    editor = page.locator("#model-tags")
    editor.locator(".tag-key").fill("owner")
    editor.locator(".tag-value").fill("ana")
    editor.locator(".tag-form button").click()
    page.wait_for_selector("#model-tags tr[data-key='owner']")
    assert client.get_registered_model(name).tags["owner"] == "ana"
    page.fill("#description", "Predicts taxi trip duration.")
    page.locator("#description-form button").click()
    page.wait_for_selector("#description-message.ok")  # said beside the button it answers
    assert client.get_registered_model(name).description == "Predicts taxi trip duration."
    shot(page, "14-model-tags")
    editor.locator("tr[data-key='owner'] .delete-tag").click()
    page.wait_for_selector("#model-tags tr[data-key='owner']", state="detached")
    assert "owner" not in client.get_registered_model(name).tags

    version = client.search_model_versions(f"name = '{name}'")[0].version
    page.goto(f"/models/{name}/versions/{version}")
    editor = page.locator("#version-tags")
    editor.locator(".tag-key").fill("validated")
    editor.locator(".tag-value").fill("yes")
    editor.locator(".tag-form button").click()
    page.wait_for_selector("#version-tags tr[data-key='validated']")
    assert client.get_model_version(name, version).tags["validated"] == "yes"
    assert client.get_registered_model(name).tags.get("validated") is None  # the version's, not the model's
    editor.locator("tr[data-key='validated'] .delete-tag").click()
    page.wait_for_selector("#version-tags tr[data-key='validated']", state="detached")
    assert "validated" not in client.get_model_version(name, version).tags
    code, body = _post(f"{ui_url}/ajax-api/ui/models/set-tag", {"name": "no-such-model", "key": "a", "value": "b"})
    assert code == 404 and "no-such-model" in body["message"]
