"""Real headless Chromium, shared by every end-to-end suite (the server: tests/live_server.py).

The browser is Debian's Chromium (Playwright cannot download browsers here). A browser test that
cannot run is a failure, never a skip: `./test` installs Chromium when it is missing.
A test that uses the `browser` fixture is in the `browser` tier (tests/tiers.py): it runs once,
with the `app` fixture on SQLite. Playwright's sync API allows one driver per thread, so there
is one driver and one browser for the whole run; each test opens its own context.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

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
