"""UI workload: time to painted pages in headless Chromium, beside the store's size.

Measures, with Playwright driving Debian's ``/usr/bin/chromium`` against the
server's app (uvicorn in a thread, the same ``create_app`` as ``mltrail ui``):

- the runs table of an experiment of N runs (default 100,000): navigation
  start to the first 100 rows painted (target <= 1 s);
- a run page whose metric has a 100,000-step history: to the drawn chart
  (target <= 1 s) and the size of the history payload the chart reads
  (target <= 200 KB);
- the sweep page of a 500-trial sweep: to its loss, importance and
  per-parameter charts and trials table, and to every chart drawn (parallel
  coordinates last) (target <= 1.5 s);
- the compare page of that sweep: to its SVG charts and diff table, and to the
  contour plot, the one view drawn by plotly.js (loaded only for it, after
  the rest).

The charts are the UI's own SVG (``static/plot.js``); plotly.js from the
``plotly`` wheel is timed alone too (what a chart page cost when every chart
was plotly's). Each page is loaded ``--repeat`` times in one browser (files
cached after the first load, as for a user) and the median is printed with
the first load. The big runs store is built once with bulk inserts (see
``ui_runs_table.py``) and reused; the history run and the sweep are added to
it when missing.

    python benchmarks/ui_pages.py --db /tmp/mltrail-ui-bench.db
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from typing import Any, Callable

sys.path.insert(0, os.path.dirname(__file__))
from ui_runs_table import find_or_build, store_size  # noqa: E402

CHROMIUM = os.environ.get("MLTRAIL_TEST_CHROMIUM", "/usr/bin/chromium")
HISTORY_STEPS = 100_000
TRIALS = 500


def history_run(store: Any) -> str:
    """A run with a 100,000-step ``loss`` history (noisy decay with a few spikes); created once."""
    from mltrail.entities import Metric

    existing = store.get_experiment_by_name("bench-history")
    found = store.search_runs([existing.experiment_id], None) if existing else []
    if found:
        return found[0].info.run_id
    eid = store.create_experiment("bench-history")
    run_id = store.create_run(eid, "bench", int(time.time() * 1000), run_name="long-history").info.run_id
    rng = random.Random(7)
    t0 = int(time.time() * 1000)
    for start in range(0, HISTORY_STEPS, 1000):
        batch = []
        for step in range(start, start + 1000):
            value = 2.0 / (1 + step / 5000) + rng.gauss(0, 0.02) + (3.0 if step % 17_000 == 0 else 0.0)
            batch.append(Metric("loss", value, t0 + step * 10, step))
        store.log_batch(run_id, metrics=batch, params=[], tags=[])
    store.update_run_info(run_id, "FINISHED", t0 + HISTORY_STEPS * 10, None)
    return run_id


def sweep_run(store: Any) -> str:
    """A hyperopt-like sweep: a parent run with 500 trial runs (params x, lr, depth, booster; metric loss)."""
    import json

    from mltrail._system_tags import PARENT_RUN_ID
    from mltrail.entities import Metric, Param, RunTag

    existing = store.get_experiment_by_name("bench-sweep")
    if existing:
        parents = store.search_runs([existing.experiment_id], "attributes.run_name = 'sweep-500'")
        if parents:
            return parents[0].info.run_id
    eid = existing.experiment_id if existing else store.create_experiment("bench-sweep")
    now = int(time.time() * 1000)
    parent = store.create_run(eid, "bench", now, run_name="sweep-500").info.run_id
    space = {"x": "uniform(-5, 5)", "lr": "loguniform(1e-4, 1)", "depth": "quniform(2, 12, 1)",
             "booster": "choice(['gbtree', 'dart'])"}
    folder = tempfile.mkdtemp()
    with open(os.path.join(folder, "search_space.json"), "w") as fh:
        json.dump(space, fh)
    from mltrail.artifacts import get_artifact_repository

    get_artifact_repository(store.get_run(parent).info.artifact_uri).log_artifact(os.path.join(folder, "search_space.json"))
    rng = random.Random(3)
    for trial in range(TRIALS):
        x, lr, depth = rng.uniform(-5, 5), 10 ** rng.uniform(-4, 0), rng.randint(2, 12)
        booster = rng.choice(["gbtree", "dart"])
        loss = (x - 1) ** 2 + abs(lr - 0.1) * 3 + depth * 0.05 + (0.3 if booster == "dart" else 0) + rng.gauss(0, 0.1)
        child = store.create_run(eid, "bench", now + trial, run_name=f"trial-{trial}",
                                 tags=[RunTag(PARENT_RUN_ID, parent)]).info.run_id
        store.log_batch(child, metrics=[Metric("loss", loss, now + trial, 0)],
                        params=[Param("x", repr(x)), Param("lr", repr(lr)), Param("depth", str(depth)),
                                Param("booster", booster)], tags=[])
        store.update_run_info(child, "FINISHED", now + trial + 1, None)
    store.update_run_info(parent, "FINISHED", now + TRIALS + 1, None)
    return parent


def serve(uri: str, artifact_root: str) -> tuple[str, Callable[[], None]]:
    """The server's app on a free port, in a thread: (base URL, stop)."""
    import socket

    import uvicorn

    from mltrail.server import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = create_app(backend_store_uri=uri, default_artifact_root=artifact_root, access_log=False)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)

    def stop() -> None:
        server.should_exit = True
        thread.join(10)

    return f"http://127.0.0.1:{port}", stop


_PAINTED = "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(() => done(performance.now()))))"
_PLOTLY = "() => new Promise((done) => { const s = document.createElement('script'); s.src = '/static-ui/plotly.min.js'; \
s.onload = () => done(performance.now()); document.head.append(s); })"


def time_page(context: Any, url: str, mark: str, repeat: int) -> tuple[float, float]:
    """(first load, median of the rest) in ms from navigation start to the page's User Timing ``mark``
    (set by the UI's JS right after the table / chart is drawn), waiting for the frame after it."""
    times = []
    for _ in range(repeat):
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(url, wait_until="commit")
        page.wait_for_function(f"performance.getEntriesByName('{mark}').length > 0", timeout=120_000)
        page.evaluate(_PAINTED)
        times.append(page.evaluate(f"performance.getEntriesByName('{mark}')[0].startTime"))
        page.close()
        if errors:
            raise RuntimeError(f"{url}: {errors}")
    rest = times[1:] or times
    return times[0], statistics.median(rest)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--db", default="/tmp/mltrail-ui-bench.db", help="SQLite file (built when missing)")
    parser.add_argument("--uri", default=None, help="a database URI instead of the SQLite file")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    from mltrail.store.sql import SqlTrackingStore

    uri = args.uri or f"sqlite:///{args.db}"
    artifact_root = os.path.join(os.path.dirname(os.path.abspath(args.db)), "mltrail-ui-bench-artifacts")
    eid, built = find_or_build(uri, args.runs)
    if built is not None:
        print(f"built {args.runs:,} runs in {built:.1f} s")
    store = SqlTrackingStore(uri, artifact_root=artifact_root)
    history = history_run(store)
    sweep = sweep_run(store)
    print(f"store: {store.engine.dialect.name}, {args.runs:,} runs + a {HISTORY_STEPS:,}-step history "
          f"+ a {TRIALS}-trial sweep, {store_size(store)}")
    print(f"machine load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    store.close()

    base, stop = serve(uri, artifact_root)
    try:
        import httpx

        payload = httpx.get(f"{base}/ajax-api/ui/metric-history", params={"runs": history, "key": "loss",
                                                                          "max_points": 2000}, timeout=60)
        payload.raise_for_status()
        points = len(payload.json()["series"][0]["steps"])
        print(f"history payload: {len(payload.content) / 1024:.0f} KB ({points:,} of {HISTORY_STEPS:,} points)"
              f"  target <= 200 KB")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                        args=["--no-sandbox", "--disable-gpu", "--headless"])
            context = browser.new_context(viewport={"width": 1400, "height": 900})
            cases = [
                (f"runs table ({args.runs:,} runs), first 100 painted", f"{base}/runs?experiments={eid}",
                 "mltrail:table", 1000),
                (f"run page, {HISTORY_STEPS:,}-step history charted", f"{base}/runs/{history}",
                 "mltrail:chart", 1000),
                (f"sweep page, {TRIALS} trials, charts + table", f"{base}/runs/{sweep}/sweep",
                 "mltrail:sweep-charts", 1500),
                (f"sweep page, {TRIALS} trials, + parallel coords", f"{base}/runs/{sweep}/sweep",
                 "mltrail:sweep-all-charts", 1500),
                (f"compare page, {TRIALS} trials, SVG charts", f"{base}/compare?parent={sweep}",
                 "mltrail:compare-charts", None),
                (f"compare page, {TRIALS} trials, + plotly contour", f"{base}/compare?parent={sweep}",
                 "mltrail:contour", None),
            ]
            plotly = []
            for _ in range(args.repeat):  # what every chart page paid first when its charts were plotly's
                page = context.new_page()
                page.goto(f"{base}/models")
                start = page.evaluate("performance.now()")
                plotly.append(page.evaluate(_PLOTLY) - start)
                page.close()
            print(f"{'plotly.min.js alone, loaded and evaluated':48s} median {statistics.median(plotly[1:] or plotly):7.0f} ms"
                  "  (now only for the contour)")
            for name, url, mark, target in cases:
                first, median = time_page(context, url, mark, args.repeat)
                goal = f"  target <= {target} ms" if target else ""
                print(f"{name:48s} median {median:7.0f} ms  (first load {first:.0f} ms){goal}")
            browser.close()
    finally:
        stop()


if __name__ == "__main__":
    main()
