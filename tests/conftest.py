"""Shared fixtures.

Every test that touches the database takes the `app` fixture, which is parametrized over SQLite
(a real file, built by the migrations) and PostgreSQL (the real server at WALKAPP_TEST_PG_URL).
PostgreSQL is never silently skipped: if it does not answer, those tests fail. A developer may
run SQLite alone with WALKAPP_TEST_DATABASES=sqlite — except in CI, where that is refused.
A browser test tests the browser: it gets the app on SQLite only, once.

Each test is in one tier, `unit`, `db` or `browser` (tests/tiers.py); Hypothesis runs under the
`walkapp` profile: seeded, bounded in examples and time.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
import tiers
from commit_guard import CommitGuard
from hypothesis import settings
from live_server import live_server  # noqa: F401 (fixture)
from lost_answers import LostAnswers
from lost_answers import install as install_lost_answers
from real_browser import browser, playwright_driver  # noqa: F401 (fixtures)
from tiers import pytest_collection_modifyitems  # noqa: F401 (hook: marks and checks tiers)

from walkapp import create_app
from walkapp.extensions import db, utcnow

DATA = Path(__file__).parent / "data"
PG_URL = os.environ.get("WALKAPP_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
pytest_plugins = ["pytester"]  # tests/test_tiers.py runs pytest on small suites

# Property-based tests: the same examples on every run (derandomized: seeded by the test itself),
# a bounded number of them, a bound on each, and no example database in the working tree. A test
# may lower `max_examples` or raise `deadline` with its own @settings; it keeps the rest.
settings.register_profile(
    "walkapp",
    derandomize=True,
    database=None,
    max_examples=100,
    deadline=timedelta(seconds=2),
    print_blob=True,
)
settings.load_profile("walkapp")

# The request lines propagate to pytest's capture (caplog, and the report of a failed test)
# rather than to request_log's writer thread, which would print them outside any capture.
logging.getLogger("walkapp.requests").addHandler(logging.NullHandler())


def _databases() -> list[str]:
    wanted = os.environ.get("WALKAPP_TEST_DATABASES", "sqlite,postgresql").split(",")
    if os.environ.get("CI") and "postgresql" not in wanted:
        raise pytest.UsageError("CI must run the database tests on PostgreSQL too")
    return [name.strip() for name in wanted if name.strip()]


DATABASES = _databases()


def pytest_generate_tests(metafunc):
    """The databases of the `app` fixture: all of them, or SQLite alone for a browser test."""
    if "app" in metafunc.fixturenames:
        browser_test = tiers.inferred_tier(metafunc.fixturenames) == "browser"
        metafunc.parametrize("app", ["sqlite"] if browser_test else DATABASES, indirect=True)


def base_config(instance: Path) -> dict:
    return {
        "TESTING": True,
        "INSTANCE_PATH": str(instance),
        "SECRET_KEY": "test-secret",
        "WTF_CSRF_ENABLED": False,
        "BASE_URL": "http://localhost:5000",
        "TILE_URL": "",
    }


def _upgrade(app) -> None:
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A database file built once by the migrations; each test gets a copy."""
    instance = tmp_path_factory.mktemp("sqlite-template")
    path = instance / "template.db"
    app = create_app({**base_config(instance), "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    _upgrade(app)
    return path


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory) -> str:
    """The test database, emptied and migrated once per session."""
    engine = sa.create_engine(PG_URL)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA public CASCADE")
        conn.exec_driver_sql("CREATE SCHEMA public")
    engine.dispose()
    instance = tmp_path_factory.mktemp("pg-migrate")
    _upgrade(create_app({**base_config(instance), "SQLALCHEMY_DATABASE_URI": PG_URL}))
    return PG_URL


def _copy_sqlite(template: Path, target: Path) -> None:
    src, dst = sqlite3.connect(template), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


def _truncate_all() -> None:
    tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
    with db.engine.begin() as conn:
        conn.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")


@pytest.fixture(autouse=True)
def commit_guard():
    """Fails any test during which walkapp code commits outside the unit-of-work boundary."""
    guard = CommitGuard()
    guard.install()
    try:
        yield guard
    finally:
        guard.uninstall()
    if guard.violations:
        pytest.fail(
            f"commit outside the unit-of-work boundary, from {sorted(set(guard.violations))}"
        )


@pytest.fixture
def app_config() -> dict:
    """Extra settings for the app; a test module overrides this fixture to change them."""
    return {}


def _forget_request_globals() -> None:
    from flask import g

    g.pop("_login_user", None)
    g.pop("_flask_babel", None)
    g.pop("csrf_token", None)  # Flask-WTF's, made from the session of the request that asked


@pytest.fixture
def app(request, tmp_path, app_config):
    """The app on a migrated, empty database; the app context is pushed. Parametrized by
    `pytest_generate_tests`: "sqlite" or "postgresql"."""
    instance = tmp_path / "instance"
    config = base_config(instance)
    if request.param == "sqlite":
        db_path = tmp_path / "walkapp.db"
        _copy_sqlite(request.getfixturevalue("sqlite_template"), db_path)
        config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{db_path}"
    else:
        config["SQLALCHEMY_DATABASE_URI"] = request.getfixturevalue("postgres_url")
    config.update(app_config)
    app = create_app(config)
    # The test's app context is shared by its requests (and `g` with it): forget what
    # Flask-Login and Flask-Babel cache there before each request — first of all, before the
    # app's own hooks — so that each finds its own user and language, as in production.
    app.before_request_funcs.setdefault(None, []).insert(0, _forget_request_globals)
    with app.app_context():
        yield app
        db.session.remove()
        if request.param == "postgresql":
            _truncate_all()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    """Runs the `walkapp` command on the app: `runner.invoke(walkapp.cli.main, [...])`."""
    return app.test_cli_runner()


@pytest.fixture
def lost_answers(app) -> LostAnswers:
    """The app's answers to chosen requests get lost (tests/lost_answers.py): `.arm(method,
    path)`. Through the test client and the live server alike."""
    return install_lost_answers(app)


# --- Factories ----------------------------------------------------------------------------------


def perimeter() -> dict:
    import json

    from walkapp.domain.geo import perimeter_geometry

    return perimeter_geometry(json.loads((DATA / "place-du-canada-perimeter.geojson").read_text()))


@pytest.fixture
def make_walk(app):
    """make_walk(status="open", stops=2) -> Walk, in a project of its own, committed."""
    from walkapp.domain.join_codes import new_join_code
    from walkapp.models import Project, Stop, Walk

    def make(status: str = "open", stops: int = 2, **fields) -> Walk:
        project = Project(
            name="Place du Canada",
            commune="Valenciennes",
            insee_code="59606",
            timezone="Europe/Paris",
            perimeter=perimeter(),
        )
        now = utcnow()
        defaults = {
            "kind": "exploratory_walk",
            "audience": "women",
            "title": "Marche de nuit",
            "starts_at": now - timedelta(hours=1),
            "ends_at": now + timedelta(hours=1),
            "join_code": new_join_code(),
            "closed_at": now - timedelta(minutes=30) if status == "closed" else None,
        }
        walk = Walk(project=project, status=status, **{**defaults, **fields})
        walk.stops = [
            Stop(number=i + 1, name=f"Arrêt {i + 1}", lat=50.3560 + i / 2000, lon=3.5185)
            for i in range(stops)
        ]
        db.session.add(walk)
        db.session.commit()
        return walk

    return make


@pytest.fixture
def join(client):
    """join(walk, **body) -> (token, erasure_code, answer json), through the API."""

    def do_join(walk, **body):
        response = client.post(
            f"/api/v1/walks/{walk.join_code}/participants", json={"consent": True, **body}
        )
        assert response.status_code == 201, response.json
        return response.json["token"], response.json["erasure_code"], response.json

    return do_join


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# --- Reporting ----------------------------------------------------------------------------------


def pytest_terminal_summary(terminalreporter):
    """Say which databases the run used, so a CI log shows PostgreSQL really ran."""
    ran: Counter[str] = Counter()
    for outcome in ("passed", "failed", "error"):
        for report in terminalreporter.stats.get(outcome, []):
            if getattr(report, "when", "call") != "call" and outcome != "error":
                continue
            for name in ("sqlite", "postgresql"):
                if f"[{name}" in report.nodeid or f"-{name}]" in report.nodeid:
                    ran[f"{name} {outcome}"] += 1
    lines = [f"{key}: {count}" for key, count in sorted(ran.items())]
    terminalreporter.write_line("databases: " + ("; ".join(lines) or "none"))
