"""End-to-end fixtures of the planner workspace: the app on a real HTTP server, real Chromium.

The server, the browser path and flags and the phone profile are the participant app's
(tests/e2e/conftest.py): one definition of each. The browser itself is started here in a thread
of its own, because Playwright's sync API allows one driver per thread and the participant
suite keeps its session-wide driver alive in the main thread until the end of the run.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from e2e.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE, LiveServer

FLOW_TIMEOUT_S = 240

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "PHONE", "LiveServer"]


@pytest.fixture
def live_server(app):
    """The app served on 127.0.0.1; QR codes and links point at it (BASE_URL)."""
    with LiveServer(app) as server:
        previous = app.config["BASE_URL"]
        app.config["BASE_URL"] = server.url
        yield server
        app.config["BASE_URL"] = previous


@pytest.fixture
def in_browser() -> Callable[[Callable[[Any], Any]], Any]:
    """in_browser(flow) runs flow(browser) with a fresh headless Chromium in its own thread and
    returns its result; an exception or a failed assertion inside is raised here."""
    from pathlib import Path

    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).is_file():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium (./test does)")

    def run(flow: Callable[[Any], Any]) -> Any:
        outcome: dict[str, Any] = {}

        def target() -> None:
            try:
                with sync_playwright() as driver:
                    browser = driver.chromium.launch(
                        executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
                    )
                    try:
                        outcome["value"] = flow(browser)
                    finally:
                        browser.close()
            except BaseException as exc:  # handed over to the test's thread
                outcome["error"] = exc

        thread = threading.Thread(target=target, name="planner-e2e-browser", daemon=True)
        thread.start()
        thread.join(FLOW_TIMEOUT_S)
        if thread.is_alive():
            pytest.fail(f"the browser flow took more than {FLOW_TIMEOUT_S} s")
        if "error" in outcome:
            raise outcome["error"]
        return outcome.get("value")

    return run
