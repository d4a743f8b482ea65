"""Real headless Chromium and a real HTTP server, shared by every end-to-end suite.

The browser is Debian's Chromium (Playwright cannot download browsers here). A browser test that
cannot run is a failure, never a skip: `./test` installs Chromium when it is missing.
The server is werkzeug's, threaded, on 127.0.0.1 (a secure context, as service workers,
geolocation and crypto.randomUUID() need), and it serves the `app` fixture: every e2e test runs
on SQLite and again on PostgreSQL. Playwright's sync API allows one driver per thread, so there
is one driver and one browser for the whole run; each test opens its own context.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("WALKAPP_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
]


@pytest.fixture(scope="session")
def playwright_driver():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright_driver):
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium (./test does)")
    browser = playwright_driver.chromium.launch(
        executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
    )
    yield browser
    browser.close()


class LiveServer:
    def __init__(self, app):
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.thread.join(10)
        self.server.server_close()


@pytest.fixture
def live_server(app):
    """The app served on 127.0.0.1; QR codes and links point at it (BASE_URL)."""
    with LiveServer(app) as server:
        previous = app.config["BASE_URL"]
        app.config["BASE_URL"] = server.url
        yield server
        app.config["BASE_URL"] = previous
