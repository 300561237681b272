"""Every UI page in headless Chromium over a store filled by ``mltrail demo``.

The ``page`` fixture fails a test on any console error; tests that provoke an
error response on purpose (a 400 or 404 logs "Failed to load resource")
clear ``page.problems`` after checking what the user sees.
"""

from __future__ import annotations

import urllib.request
from typing import Any

import pytest

from mltrail._system_tags import PARENT_RUN_ID

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def demo(demo_store: dict[str, str]) -> dict[str, Any]:
    """Ids from the demo store: experiment, sweep parent, trials, best trial, baseline."""
    from mltrail.client import Client

    client = Client(demo_store["uri"])
    experiment = client.get_experiment_by_name("nyc-taxi-experiment")
    runs = client.search_runs([experiment.experiment_id], max_results=100)
    trials = [r for r in runs if r.data.tags.get(PARENT_RUN_ID)]
    parent_id = trials[0].data.tags[PARENT_RUN_ID]
    parent = client.get_run(parent_id)
    return {"client": client, "experiment_id": experiment.experiment_id, "parent": parent, "trials": trials,
            "best": parent.data.tags["best_trial_run_id"], "runs": runs}


def _table_column(page: Any, header_text: str) -> list[str]:
    headers = page.locator("#runs-table thead th").all_inner_texts()
    index = next(i for i, h in enumerate(headers) if h.strip().startswith(header_text))
    return page.locator(f"#runs-table tbody tr td:nth-child({index + 1})").all_inner_texts()


def test_every_page_loads_without_errors(page: Any, shot: Any, demo: dict[str, Any]) -> None:
    eid, parent, best = demo["experiment_id"], demo["parent"], demo["best"]
    page.goto("/")
    assert page.locator("#experiments").get_by_role("link", name="nyc-taxi-experiment").is_visible()
    row = page.locator("#experiments tr", has_text="nyc-taxi-experiment")
    assert row.locator("td.num").inner_text() == str(len(demo["runs"]))
    shot(page, "01-experiments")

    page.goto(f"/runs?experiments={eid}")
    page.wait_for_selector("#runs-table tbody tr[data-run-id]")
    assert "top-level runs" in page.locator("#status-line").inner_text()
    assert page.locator(f"tr[data-run-id='{parent.info.run_id}'] .expander").is_visible()
    page.locator(f"tr[data-run-id='{parent.info.run_id}'] .expander").click()
    page.wait_for_selector("#runs-table tr.child")
    assert page.locator("#runs-table tr.child").count() == len(demo["trials"])
    shot(page, "02-runs-nested-expanded")

    page.goto(f"/runs/{best}")
    page.wait_for_selector("#charts .chart[data-drawn='1']")
    assert page.locator("h1").inner_text().startswith(demo["client"].get_run(best).info.run_name)
    assert "Parameters" in page.locator("main").inner_text()
    page.locator(".tree .entry", has_text="model").first.click()
    page.wait_for_selector("#register-form")
    page.locator(".tree .entry", has_text="MLmodel").click()
    page.wait_for_selector("#artifact-preview pre.code")
    assert "flavors" in page.locator("#artifact-preview pre.code").inner_text()
    shot(page, "03-run")

    page.goto(f"/runs/{parent.info.run_id}/sweep")
    page.wait_for_selector("#trials tbody tr")
    shot(page, "04-sweep")

    page.goto(f"/compare?parent={parent.info.run_id}")
    page.wait_for_function("/compared|Could not/.test(document.getElementById('status-line').textContent)", timeout=60_000)
    assert page.locator("#status-line").inner_text().endswith("runs compared")
    # the history chart opens on a metric the trials logged per iteration, not the one-step loss
    assert page.locator("#hist-key").input_value() == "metrics.validation-rmse"
    assert page.locator("#histories svg path.trace-line").count() == len(demo["trials"])
    page.wait_for_selector("#contour[data-drawn='1']", timeout=60_000)  # plotly loads last
    shot(page, "05-compare")

    page.goto("/models")
    assert page.get_by_role("link", name="nyc-taxi-regressor").is_visible()
    shot(page, "06-models")
    page.goto("/models/nyc-taxi-regressor")
    assert page.locator("#versions tbody tr").count() >= 1
    shot(page, "07-model")
    page.goto("/models/nyc-taxi-regressor/versions/1")
    assert "Staging" in page.locator("h1").inner_text()
    shot(page, "08-model-version")


def test_sorting_on_metric_and_min_columns(page: Any, demo: dict[str, Any]) -> None:
    eid = demo["experiment_id"]
    page.goto(f"/runs?experiments={eid}&nested=0&cols=metrics.loss,metrics.validation-rmse:min,params.max_depth")
    page.wait_for_selector("#runs-table tbody tr[data-run-id]")
    page.locator("#runs-table th[data-col='metrics.loss']").click()
    page.wait_for_selector("#runs-table th.sorted.asc[data-col='metrics.loss']")
    losses = [float(v) for v in _table_column(page, "loss") if v]
    assert len(losses) == len(demo["trials"]) and losses == sorted(losses)
    assert "sort=metrics.loss" in page.url and "dir=asc" in page.url
    page.locator("#runs-table th[data-col='metrics.loss']").click()
    page.wait_for_selector("#runs-table th.sorted:not(.asc)[data-col='metrics.loss']")
    losses_desc = [float(v) for v in _table_column(page, "loss") if v]
    assert losses_desc == sorted(losses, reverse=True)
    # min over each trial's validation history, ascending: the best trial comes first
    page.locator("#runs-table th[data-col='metrics.validation-rmse:min']").click()
    page.wait_for_selector("#runs-table th.sorted.asc[data-col='metrics.validation-rmse:min']")
    first = page.locator("#runs-table tbody tr").first.get_attribute("data-run-id")
    assert first == demo["best"]


def test_filter_and_bad_filter_error(page: Any, demo: dict[str, Any]) -> None:
    eid = demo["experiment_id"]
    losses = sorted(t.data.metrics["loss"] for t in demo["trials"])
    page.goto(f"/runs?experiments={eid}&nested=0&cols=metrics.loss")
    page.wait_for_selector("#runs-table tbody tr[data-run-id]")
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "filter"
    page.keyboard.type(f"metrics.loss <= {losses[2]!r}")
    page.keyboard.press("Enter")
    page.wait_for_function("document.getElementById('status-line').textContent.startsWith('3 runs')")
    assert page.locator("#runs-table tbody tr[data-run-id]").count() == 3
    assert "filter=metrics.loss" in page.url

    page.fill("#filter", "metrics.loss < AND")
    page.keyboard.press("Enter")
    page.wait_for_selector("#filter-error:not([hidden])")
    message = page.locator("#filter-error-msg").inner_text()
    assert "position 15" in message and "AND" in message
    pointer = page.locator("#filter-error-pointer").inner_text().splitlines()
    assert pointer[1].index("^") == 15
    page.problems.clear()  # the 400 answer is logged by the browser


def test_grouping_by_param_with_metric_stats(page: Any, demo: dict[str, Any]) -> None:
    eid = demo["experiment_id"]
    page.goto(f"/runs?experiments={eid}&group=params.max_depth&agg=metrics.loss")
    page.wait_for_selector("#groups-table tbody tr")
    rows = page.locator("#groups-table tbody tr").all()
    by_depth: dict[str, list[float]] = {}
    for t in demo["trials"]:
        by_depth.setdefault(t.data.params["max_depth"], []).append(t.data.metrics["loss"])
    assert len(rows) == len(by_depth)
    for row in rows:
        cells = row.locator("td").all_inner_texts()
        values = by_depth[cells[0]]
        assert int(cells[1]) == len(values)
        assert float(cells[3]) == pytest.approx(min(values), rel=1e-5)
        assert float(cells[4]) == pytest.approx(max(values), rel=1e-5)


def test_compare_selected_runs(page: Any, shot: Any, demo: dict[str, Any]) -> None:
    eid = demo["experiment_id"]
    page.goto(f"/runs?experiments={eid}&nested=0&cols=metrics.loss")
    page.wait_for_selector("#runs-table tbody tr[data-run-id]")
    chosen = [t.info.run_id for t in demo["trials"][:3]]
    for run_id in chosen:
        page.locator(f"tr[data-run-id='{run_id}'] input.select").check()
    assert "sel=" in page.url
    page.locator("#compare").click()
    page.wait_for_function("/compared|Could not/.test(document.getElementById('status-line').textContent)", timeout=60_000)
    assert page.locator("#status-line").inner_text() == "3 runs compared"
    assert page.locator("#diff thead th a").count() == 3
    only_diff = page.locator("#diff tbody tr").count()
    page.locator("#only-diff").uncheck()
    assert page.locator("#diff tbody tr").count() > only_diff
    assert page.locator("#diff tr[data-key='params.max_depth']").count() == 1
    # parallel coordinates and scatter are the UI's SVG: one line / one dot per run
    assert page.locator("#parcoords path.pc-line").count() == 3
    assert page.locator("#scatter .trace-markers circle").count() == 3
    # the contour is plotly.js's, loaded only for it, after the rest is drawn
    page.wait_for_selector("#contour[data-drawn='1']", timeout=60_000)
    assert page.locator("#contour .plot-container").count() == 1
    shot(page, "09-compare-selected")


def test_brushing_an_axis_keeps_the_runs_in_its_range_and_a_legend_click_hides_a_run(
        page: Any, ui_url: str, demo: dict[str, Any]) -> None:
    import json

    parent_id = demo["parent"].info.run_id
    page.goto(f"/compare?parent={parent_id}")
    page.wait_for_function("/compared|Could not/.test(document.getElementById('status-line').textContent)", timeout=60_000)
    with urllib.request.urlopen(f"{ui_url}/ajax-api/ui/compare?parent={parent_id}") as answer:
        losses = [r["metrics"]["loss"] for r in json.loads(answer.read())["runs"]]  # the lines' order
    assert len(set(losses)) == len(losses) > 2
    grip = page.locator("#parcoords g.pc-axis[data-label='loss'] rect.pc-grip").bounding_box()
    x = grip["x"] + grip["width"] / 2
    page.mouse.move(x, grip["y"] + 1)  # drag along the top third of the loss axis: the highest losses
    page.mouse.down()
    page.mouse.move(x, grip["y"] + grip["height"] / 3, steps=5)
    page.mouse.up()

    def indices(selector: str) -> list[int]:
        return [int(i) for i in page.locator(selector).evaluate_all("(ps) => ps.map((p) => p.dataset.index)")]

    kept, filtered = indices("#parcoords path.pc-line:not(.filtered)"), indices("#parcoords path.pc-line.filtered")
    assert kept and filtered and sorted(kept + filtered) == list(range(len(losses)))
    assert min(losses[i] for i in kept) > max(losses[i] for i in filtered)
    assert page.locator("#parcoords").get_attribute("data-kept") == str(len(kept))
    page.mouse.click(x, grip["y"] + grip["height"] / 2)  # a click on the axis clears its brush
    assert page.locator("#parcoords path.pc-line.filtered").count() == 0

    lines = page.locator("#histories svg path.trace-line")
    shown = lines.count()
    item = page.locator("#histories .legend-item").first
    item.click()
    assert lines.count() == shown - 1 and "off" in item.get_attribute("class")
    item.click()
    assert lines.count() == shown and "off" not in item.get_attribute("class")


def test_sweep_page_shows_best_trial_and_importance(page: Any, demo: dict[str, Any]) -> None:
    parent = demo["parent"]
    page.goto(f"/runs/{parent.info.run_id}/sweep")
    page.wait_for_selector("#trials tbody tr")
    assert page.locator("#trials tbody tr").count() == len(demo["trials"])
    best_row = page.locator("#trials tbody tr.best-trial")
    assert best_row.count() == 1
    assert best_row.locator("a").first.get_attribute("href") == f"/runs/{demo['best']}"
    assert page.locator("#best a").get_attribute("href") == f"/runs/{demo['best']}"
    # each trial links to the model it logged: its run page opens with that model folder selected
    assert page.locator("#trials tbody tr a.model-link").count() == len(demo["trials"])
    best_row.locator("a.model-link").click()
    page.wait_for_selector("#register-form")
    assert page.url.split("?")[0].endswith(f"/runs/{demo['best']}")
    assert page.locator(".tree .entry.current").inner_text().endswith("model")
    page.go_back()
    page.wait_for_selector("#trials tbody tr")
    page.wait_for_selector("#sweep-app[data-drawn='1']")
    # every varied parameter ranked, one bar each; one parallel-coordinates line per trial
    ranked = page.locator("#importance .bar").count()
    assert ranked >= 2 and ranked == page.locator("#param-charts .chart").count()
    assert page.locator("#parcoords path.pc-line").count() == len(demo["trials"])
    assert page.locator("#parcoords .pc-axis").count() == ranked + 1  # + the loss axis
    # the best trial is the one star on the loss chart and on each parameter's chart
    assert page.locator("#loss-chart .star").count() == 1 and page.locator("#param-charts .star").count() == ranked
    assert "max_depth" in page.locator("pre.code").inner_text()  # search_space.json
    # nothing on the sweep page needs plotly.js
    assert page.evaluate("typeof window.Plotly") == "undefined"


def test_long_history_chart_keeps_spikes_zooms_to_full_detail_and_smooths(page: Any, shot: Any, demo: dict[str, Any]) -> None:
    from mltrail.entities import Metric

    client = demo["client"]
    run_id = client.create_run(demo["experiment_id"], run_name="long-history").info.run_id
    values = [1.0 + (i % 7) * 0.01 for i in range(5_000)]
    values[3_333] = 50.0  # a one-step spike
    for start in range(0, 5_000, 1_000):
        client.log_batch(run_id, metrics=[Metric("loss", values[i], 1_000 + i, i) for i in range(start, start + 1_000)])
    client.set_terminated(run_id)
    try:
        page.goto(f"/runs/{run_id}")
        chart = page.locator("#charts .chart[data-key='loss']")
        page.wait_for_selector("#charts .chart[data-key='loss'][data-drawn='1']")
        trace = lambda: page.evaluate(  # noqa: E731
            "() => { const t = document.querySelector(\"#charts .chart[data-key='loss'] .plot-area\").parentElement.data[0];"
            " return { x: t.x, y: t.y }; }")
        drawn = trace()
        assert len(drawn["x"]) <= 2_000 and 50.0 in drawn["y"]  # downsampled on the server, the spike kept
        assert chart.locator(".plot-note").text_content().startswith("2,000 of 5,000 points")
        # drag across about a tenth of the x axis: that step range is read again, every point of it
        box = chart.locator(".plot-bg").bounding_box()
        y = box["y"] + box["height"] / 2
        page.mouse.move(box["x"] + box["width"] * 0.40, y)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] * 0.45, y, steps=4)
        page.mouse.up()
        page.wait_for_function("document.querySelector(\"#charts .chart[data-key='loss']\").dataset.detail > 0")
        zoomed = trace()
        steps = zoomed["x"]
        assert steps == list(range(steps[0], steps[-1] + 1)) and 150 < len(steps) < 400  # full detail
        assert zoomed["y"] == values[steps[0]:steps[-1] + 1]
        assert chart.locator(".plot-note").text_content().endswith("every point · double-click: all")
        shot(page, "11-run-long-history-zoomed")
        # smoothing (EMA) applies to what is drawn, from the full range again
        page.evaluate("() => { const s = document.getElementById('smoothing'); s.value = '0.9';"
                      " s.dispatchEvent(new Event('change')); }")
        page.wait_for_function("(raw) => { const t = document.querySelector(\"#charts .chart[data-key='loss']\").data[0];"
                               " return t.x[0] === 0 && t.y[1] !== raw; }", arg=drawn["y"][1])
        smooth = trace()
        assert smooth["x"] == drawn["x"] and smooth["y"][0] == drawn["y"][0]
        assert smooth["y"][1] == pytest.approx(0.9 * drawn["y"][0] + 0.1 * drawn["y"][1])
        assert max(smooth["y"]) < 50.0 * 0.2  # the spike is smoothed away
        # the chart options live in the URL: a reload (or a shared link) draws the same view
        page.check("#log-y")
        assert "smooth=0.9" in page.url and "logy=1" in page.url
        page.reload()
        page.wait_for_selector("#charts .chart[data-key='loss'][data-drawn='1']")
        assert page.input_value("#smoothing") == "0.9" and page.is_checked("#log-y")
        assert page.evaluate("document.querySelector(\"#charts .chart[data-key='loss']\").layout.yaxis.type") == "log"
    finally:
        client.delete_run(run_id)


def test_register_model_from_artifacts_and_transition_stage(page: Any, shot: Any, demo: dict[str, Any]) -> None:
    trial = next(t for t in demo["trials"] if t.info.run_id != demo["best"])
    page.goto(f"/runs/{trial.info.run_id}")
    page.locator(".tree .entry", has_text="model").first.click()
    page.fill("#register-name", "ui-registered")
    page.locator("#register-form button").click()
    page.wait_for_selector("#register-form a")
    assert page.locator("#register-form a").inner_text() == "ui-registered v1"
    page.locator("#register-form a").click()
    page.wait_for_url("**/models/ui-registered/versions/1")
    page.select_option("#stage", "Production")
    page.locator("#archive").check()
    page.locator("#stage-form button").click()
    page.wait_for_function("document.querySelector('h1').textContent.includes('Production')")
    assert page.locator("#stage-history tbody tr").first.locator("td").nth(2).inner_text() == "Production"
    shot(page, "10-registered-version")
    mv = demo["client"].get_model_version("ui-registered", "1")
    assert mv.current_stage == "Production" and mv.run_id == trial.info.run_id
    # the tree's "model" folder is the trial's MLflow 3 logged model: the version points at it
    assert mv.model_id and mv.source == f"models:/{mv.model_id}"


def test_live_table_shows_a_new_run_without_reload(page: Any, demo: dict[str, Any]) -> None:
    eid = demo["experiment_id"]
    page.goto(f"/runs?experiments={eid}")
    page.wait_for_selector("#runs-table tbody tr[data-run-id]")
    run = demo["client"].create_run(eid, run_name="appeared-live")
    try:
        page.wait_for_selector(f"tr[data-run-id='{run.info.run_id}']", timeout=20_000)
        assert page.locator(f"tr[data-run-id='{run.info.run_id}'] .status").inner_text() == "RUNNING"
    finally:
        demo["client"].delete_run(run.info.run_id)


def _status(url: str) -> tuple[int, dict[str, str], str]:
    try:
        with urllib.request.urlopen(url) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


@pytest.mark.parametrize(
    "path, status, text",
    [
        ("/runs/0123456789abcdef0123456789abcdef", 404, "0123456789abcdef0123456789abcdef"),
        ("/runs/not-a-run", 404, "not-a-run"),
        ("/runs?experiments=424242", 404, "424242"),
        ("/models/no-such-model", 404, "no-such-model"),
        ("/compare", 400, "Nothing to compare"),
        ("/ajax-api/ui/runs?experiments=1&cols=bogus.column", 400, "bogus.column"),
        ("/ajax-api/ui/runs?experiments=1&filter=params.x%20%3D%3D%201", 400, "position"),
    ],
)
def test_error_pages_have_status_and_message(ui_url: str, path: str, status: int, text: str) -> None:
    code, _, body = _status(ui_url + path)
    assert code == status
    assert text in body and "Traceback" not in body


def test_hostile_artifact_paths_and_sandboxed_html(page: Any, ui_url: str, demo: dict[str, Any], tmp_path: Any) -> None:
    client = demo["client"]
    run = client.create_run(demo["experiment_id"], run_name="hostile-artifacts")
    page_html = "<h1 id='t'>report</h1><script>parent.document.body.dataset.pwned='1';document.title='ran'</script>"
    client.log_text(run.info.run_id, page_html, "report.html")
    client.set_terminated(run.info.run_id)
    run_id = run.info.run_id
    for hostile in ("../../../../etc/passwd", "/etc/passwd", "..%2F..%2Fmltrail.db"):
        code, _, body = _status(f"{ui_url}/runs/{run_id}/artifact?path={hostile}")
        assert code in (400, 404) and "root:" not in body and "Traceback" not in body
        code, _, body = _status(f"{ui_url}/ajax-api/ui/artifact-preview?run_id={run_id}&path={hostile}")
        assert code in (400, 404) and "root:" not in body
    code, headers, _ = _status(f"{ui_url}/runs/{run_id}/artifact?path=report.html")
    assert code == 200 and {k.lower(): v for k, v in headers.items()}["content-security-policy"].startswith("sandbox")
    page.goto(f"/runs/{run_id}")
    page.locator(".tree .entry", has_text="report.html").click()
    frame = page.wait_for_selector("#artifact-preview iframe")
    assert frame.get_attribute("sandbox") == ""
    page.wait_for_timeout(500)
    assert page.evaluate("document.body.dataset.pwned") is None
    page.problems[:] = [p for p in page.problems if "Blocked script execution" not in p]
    client.delete_run(run_id)
