"""The suite's tiers (tests/tiers.py) and the seeded, bounded property-based tests."""

from __future__ import annotations

import tiers
from conftest import DATABASES
from hypothesis import settings

SUITE = """
import pytest

@pytest.fixture
def app():
    return "app"

@pytest.fixture
def client(app):
    return "client"

@pytest.fixture
def browser():
    return "browser"

@pytest.fixture
def phone(browser):
    return "phone"

def test_pure():
    pass

def test_page(client):
    pass

def test_screen(phone, client):
    pass

@pytest.mark.db
def test_own_database_file(tmp_path):
    pass
"""
INI = """
[pytest]
addopts = --strict-markers -p no:cacheprovider
markers =
    unit: u
    db: d
    browser: b
"""


def run(pytester, source: str, *args: str):
    pytester.makeini(INI)
    pytester.makepyfile(test_suite=source)
    return pytester.runpytest_inprocess(*args, plugins=[tiers])


def test_the_tier_comes_from_the_fixtures_or_the_mark(pytester):
    for tier, passed in (("unit", 1), ("db", 2), ("browser", 1)):
        result = run(pytester, SUITE, "-m", tier)
        result.assert_outcomes(passed=passed, deselected=4 - passed)
    result = run(pytester, SUITE, "-m", "db", "-v")
    result.stdout.fnmatch_lines(["*test_page PASSED*", "*test_own_database_file PASSED*"])


def test_a_test_in_two_tiers_stops_the_collection(pytester):
    source = SUITE + "\n@pytest.mark.unit\n@pytest.mark.db\ndef test_both():\n    pass\n"
    result = run(pytester, source)
    assert result.ret == 4  # usage error: nothing runs
    result.stderr.fnmatch_lines(["*test_suite.py::test_both: several tiers (db, unit)*"])


def test_a_mark_cannot_contradict_the_fixtures(pytester):
    source = SUITE + "\n@pytest.mark.unit\ndef test_liar(client):\n    pass\n"
    result = run(pytester, source)
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*test_liar: marked unit, but its fixtures make it db*"])


def test_every_test_of_this_run_is_in_exactly_one_tier(request):
    collected = request.config.stash[tiers.COLLECTED]
    assert collected  # the hook ran, before `-m` deselected anything
    loose = [item.nodeid for item in collected if len(set(tiers.tiers_of(item))) != 1]
    assert loose == []


def test_browser_tests_run_once_on_sqlite_and_db_tests_on_every_database(request):
    databases: dict[tuple, set[str]] = {}
    for item in request.config.stash[tiers.COLLECTED]:
        if "app" not in getattr(item, "fixturenames", ()):
            continue
        params = item.callspec.params
        if tiers.tiers_of(item) == ["browser"]:
            assert params["app"] == "sqlite", item.nodeid
        else:
            others = repr(sorted((k, repr(v)) for k, v in params.items() if k != "app"))
            databases.setdefault((item.path, item.originalname, others), set()).add(params["app"])
    for test, ran_on in databases.items():
        assert ran_on == set(DATABASES), test


def test_property_based_tests_are_seeded_and_bounded():
    current = settings()  # what a test without its own @settings gets
    assert settings.get_profile("walkapp") is not None
    assert current.derandomize and current.database is None
    assert current.max_examples <= 100 and current.deadline is not None
