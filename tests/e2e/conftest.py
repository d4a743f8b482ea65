"""Fixtures of the participant app's end-to-end tests: a phone profile and axe-core.

The browser comes from tests/real_browser.py, the server from tests/live_server.py (one of
each for every suite).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from real_browser import CHROMIUM, CHROMIUM_ARGS, ROOT

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "PHONE", "PLACE", "ROOT"]

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
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
