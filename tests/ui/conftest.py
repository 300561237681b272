"""Fixtures of the UI tests: a store filled by ``mltrail demo``, the UI served by uvicorn, headless Chromium.

- ``demo_store`` (session): ``mltrail demo --rows 500 --trials 6`` into a temp folder, once per session.
- ``make_ui_app(tracking_uri)``: the ASGI app under test (the one place to switch to the server's
  ``create_app`` once it exists).
- ``ui_url`` (session): that app on a free 127.0.0.1 port, served by uvicorn in a thread.
- ``browser`` (session): Debian's ``/usr/bin/chromium`` through Playwright. Without a browser the
  tests skip with a message saying so, except under ``CI=true`` where that is a failure.
- ``page``: a fresh page that fails the test on any console error or uncaught page error.
- ``shot(page, name)``: saves a full-page screenshot under the folder printed at the end of the run.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

CHROMIUM = os.environ.get("MLTRAIL_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
_SCREENSHOT_DIR: list[Path] = []


def make_ui_app(tracking_uri: str, artifact_root: str | None = None) -> Any:
    """The server's app (REST API, artifact proxy and UI) over ``tracking_uri``."""
    from mltrail.server import create_app

    return create_app(backend_store_uri=tracking_uri, default_artifact_root=artifact_root, access_log=False)


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A store filled by the seed workflow: ``{"uri", "folder"}``."""
    folder = tmp_path_factory.mktemp("ui-demo")
    uri = f"sqlite:///{folder / 'mltrail.db'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLTRAIL_", "MLFLOW_"))}
    env["MPLBACKEND"] = "Agg"
    result = subprocess.run(
        [sys.executable, "-c", "from mltrail.cli import main; main()", "demo", "--tracking-uri", uri,
         "--rows", "500", "--trials", "6"],
        cwd=folder, env=env, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return {"uri": uri, "folder": str(folder), "output": result.stdout}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def ui_url(demo_store: dict[str, str]) -> Iterator[str]:
    """Base URL of the UI over the demo store, served by uvicorn in a thread for the session."""
    import uvicorn

    port = _free_port()
    config = uvicorn.Config(make_ui_app(demo_store["uri"]), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def _browser_missing(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"UI tests need a browser under CI: {reason}")
    pytest.skip(f"UI tests skipped: {reason} (install Debian's chromium: apt-get install -y chromium)")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Chromium (Debian's package) driven by Playwright."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _browser_missing("the playwright package is not installed")
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        _browser_missing(f"no browser at {CHROMIUM}")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    """A folder outside pytest's rotating temp dirs (set MLTRAIL_UI_SCREENSHOTS to choose it)."""
    chosen = os.environ.get("MLTRAIL_UI_SCREENSHOTS")
    folder = Path(chosen) if chosen else Path(tempfile.mkdtemp(prefix="mltrail-ui-screenshots-"))
    folder.mkdir(parents=True, exist_ok=True)
    _SCREENSHOT_DIR.append(folder)
    return folder


@pytest.fixture
def page(browser: Any, ui_url: str) -> Iterator[Any]:
    """A page whose console errors and uncaught exceptions fail the test."""
    context = browser.new_context(viewport={"width": 1400, "height": 900}, base_url=ui_url)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on("response", lambda r: problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
    page.problems = problems  # tests expecting an error status clear it
    yield page
    context.close()
    assert not problems, "\n".join(problems)


@pytest.fixture
def shot(screenshot_dir: Path) -> Callable[[Any, str], Path]:
    """``shot(page, "runs")`` saves ``runs.png`` (full page) in the screenshot folder."""

    def take(page: Any, name: str) -> Path:
        path = screenshot_dir / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for folder in _SCREENSHOT_DIR:
        terminalreporter.write_line(f"UI screenshots: {folder}")
