"""End-to-end fixtures: the app served by a real HTTP server, driven by real headless Chromium.

The browser is Debian's Chromium (Playwright cannot download browsers here). A browser test that
cannot run is a failure, never a skip: `./test` installs Chromium when it is missing.
The server is werkzeug's, threaded, on 127.0.0.1 (a secure context, as service workers,
geolocation and crypto.randomUUID() need), and it serves the `app` fixture: every e2e test runs
on SQLite and again on PostgreSQL.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = os.environ.get("WALKAPP_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
]
# A phone on Place du Canada, Valenciennes: 360 x 800, touch, French, located.
PLACE = {"latitude": 50.3561, "longitude": 3.5187, "accuracy": 8}
PHONE = {
    "viewport": {"width": 360, "height": 800},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "fr-FR",
    "timezone_id": "Europe/Paris",
    "geolocation": PLACE,
    "permissions": ["geolocation"],
    "service_workers": "allow",
}


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
    with LiveServer(app) as server:
        yield server


@pytest.fixture
def phone(browser):
    """A fresh phone: its own storage, service workers and caches."""
    context = browser.new_context(**PHONE)
    context.set_default_timeout(15_000)
    yield context
    context.close()


@pytest.fixture
def axe_source() -> Path:
    if not AXE.is_file():
        pytest.fail("axe-core is missing: run `npm ci` (./test does)")
    return AXE
