"""The three tiers of the suite, and the check that every test is in exactly one.

- `browser`: real Chromium (the test uses the `browser` fixture, directly or through another,
  such as `phone`). It runs once, on SQLite (conftest's `pytest_generate_tests`).
- `db`: a database (the test uses the `app` fixture, directly or through another, such as
  `client`); with `app`, it runs on SQLite and again on PostgreSQL.
- `unit`: neither; no database, no browser, no server.

The tier is read from the fixtures a test uses. A module (`pytestmark = pytest.mark.db`) or a test
may say its tier itself — a test that touches a database without the `app` fixture must — and it
must then say exactly one, and not contradict its fixtures. Any other case stops the collection
with a usage error that names the tests. `./test unit | db | browser` selects a tier with `-m`.
"""

from __future__ import annotations

import pytest

TIERS = ("unit", "db", "browser")
COLLECTED = pytest.StashKey[list]()  # every test collected, before `-m` deselects any


def inferred_tier(fixturenames) -> str:
    names = set(fixturenames)
    if "browser" in names:
        return "browser"
    if "app" in names:
        return "db"
    return "unit"


def tiers_of(item) -> list[str]:
    return [mark.name for mark in item.iter_markers() if mark.name in TIERS]


def assign(items) -> list[str]:
    """Marks each test with its tier; returns the problems, one line per test."""
    problems = []
    for item in items:
        inferred = inferred_tier(getattr(item, "fixturenames", ()))
        declared = tiers_of(item)
        if not declared:
            item.add_marker(inferred)
        elif len(set(declared)) != 1:
            problems.append(f"{item.nodeid}: several tiers ({', '.join(sorted(set(declared)))})")
        elif inferred != "unit" and declared[0] != inferred:
            problems.append(
                f"{item.nodeid}: marked {declared[0]}, but its fixtures make it {inferred}"
            )
    return problems


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(config, items):
    problems = assign(items)
    if problems:
        raise pytest.UsageError(
            "every test is in exactly one tier (tests/tiers.py):\n  " + "\n  ".join(problems)
        )
    config.stash[COLLECTED] = list(items)
