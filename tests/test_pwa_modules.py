"""The participant app's ES modules: the list the service worker precaches is the folder's
modules and everything they import; theme.js's thresholds are light.py's.

What the modules do is tested by Node's own runner (tests/js/*.test.mjs, `node --test`), run by
./test; the browser tests (tests/e2e/) drive the whole app.
"""

from __future__ import annotations

import re
from pathlib import Path

from walkapp.domain import light
from walkapp.participate import CRITERION_CATEGORY
from walkapp.participate.assets import MODULES, MODULES_DIR

PWA = Path(__file__).resolve().parents[1] / "static" / MODULES_DIR
IMPORT = re.compile(r"""^\s*(?:import|export)\b[^;]*?\bfrom\s+["']([^"']+)["']""", re.M | re.S)
CLASSIC = {"theme.js"}  # runs in <head> before the first paint: not a module


def imports_of(name: str) -> list[str]:
    return IMPORT.findall((PWA / name).read_text())


def test_the_module_list_is_the_folder_and_its_imports():
    files = {p.name for p in PWA.glob("*.js")} - CLASSIC
    assert set(MODULES) == files and len(MODULES) == len(set(MODULES))
    assert MODULES[0] == "app.js"  # the entry the page loads
    for name in MODULES:
        for spec in imports_of(name):
            # Relative and unversioned: the versioned folder is inherited (assets.py).
            assert spec.startswith("./") and "?" not in spec, (name, spec)
            assert spec[2:] in MODULES, (name, spec)


def test_every_module_is_reached_from_the_entry_or_is_a_building_block():
    reached, todo = set(), ["app.js"]
    while todo:
        name = todo.pop()
        if name not in reached:
            reached.add(name)
            todo.extend(spec[2:] for spec in imports_of(name))
    # Every module is reached (guard.js and walkstatus.js are called since issue 10).
    assert set(MODULES) - reached == set()


def test_theme_js_has_the_thresholds_of_light_py():
    source = (PWA / "theme.js").read_text()
    sunrise = re.search(r"var SUNRISE_ELEVATION = (-?[\d.]+);", source).group(1)
    dusk = re.search(r"var CIVIL_DUSK_ELEVATION = (-?[\d.]+);", source).group(1)
    assert float(sunrise) == light.SUNRISE_ELEVATION
    assert float(dusk) == light.CIVIL_DUSK_ELEVATION


def test_stop_categories_name_real_codes():
    from walkapp.domain import vocabularies

    for criterion, category in CRITERION_CATEGORY.items():
        assert criterion in vocabularies.CRITERIA and category in vocabularies.CATEGORIES
