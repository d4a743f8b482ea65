"""The wheel: what it ships; installed in a fresh virtual environment outside the checkout, it
migrates a database and serves; and a build before `npm ci` stops with one sentence.

The wheel is built once per run. No test here takes the database fixtures: each runs once, not
once per database. The install uses pip as the machine configures it (its cache, its indexes,
its find-links): some twenty seconds with the dependencies cached.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import pytest
from hatchling.builders.wheel import WheelBuilder

ROOT = Path(__file__).resolve().parents[1]
# The `db` tier: the installed wheel migrates a database (its own SQLite file), and building and
# installing takes tens of seconds, which the unit tier cannot afford.
pytestmark = pytest.mark.db


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    return Path(next(WheelBuilder(str(ROOT)).build(directory=str(out), versions=["standard"])))


def test_wheel_ships_templates_static_migrations_and_catalogs(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    for expected in (
        "walkapp/templates/base.html",
        "walkapp/static/css/walkapp.css",
        "walkapp/migrations/env.py",
        "walkapp/migrations/versions/0001_initial_schema.py",
        "walkapp/translations/fr/LC_MESSAGES/messages.mo",
        "walkapp/demo_data/place-du-canada-perimeter.geojson",
        "walkapp/exports/README.md",
        # Front-end libraries from npm: an installed app serves them with no node_modules.
        "walkapp/vendor/leaflet/leaflet.js",
        "walkapp/vendor/leaflet-geoman/leaflet-geoman.js",
        "walkapp/vendor/jquery/jquery.min.js",
        "walkapp/vendor/leaflet.markercluster/leaflet.markercluster.js",
    ):
        assert expected in names
    # Development tools and test hooks stay in the checkout.
    assert not [n for n in names if n.startswith(("tests/", "scripts/", "hatch_build"))]


def _environment(tmp_path: Path) -> dict[str, str]:
    """This process's environment without anything that points into the checkout or its venv."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("WALKAPP_", "PYTHON", "VIRTUAL_ENV", "FLASK_"))
    }
    env.update(
        WALKAPP_INSTANCE_PATH=str(tmp_path / "instance"),  # SQLite in instance/walkapp.db
        WALKAPP_TILE_URL="",
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _status(url: str, server: subprocess.Popen, log: Path) -> int:
    """The status of GET url, waiting up to 30 s for the server to listen."""
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(url, timeout=10) as answer:
                answer.read()
                return answer.status
        except urllib.error.HTTPError as error:
            return error.code
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"walkapp serve did not answer {url}:\n{log.read_text()}")
            time.sleep(0.2)


def test_the_wheel_installs_outside_the_checkout_and_serves(wheel, tmp_path):
    env = _environment(tmp_path)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, env=env, cwd=tmp_path)
    python, walkapp = venv / "bin" / "python", venv / "bin" / "walkapp"

    def run(*args: str | Path, timeout: int = 120) -> str:
        done = subprocess.run(
            [str(a) for a in args], env=env, cwd=tmp_path, capture_output=True, text=True,
            timeout=timeout,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    run(python, "-m", "pip", "install", "--quiet", wheel, timeout=900)
    package = Path(run(python, "-c", "import walkapp; print(walkapp.__file__)").strip())
    assert package.is_relative_to(venv), package  # the installed copy, not the checkout
    run(walkapp, "db", "upgrade")

    port, log = _free_port(), tmp_path / "serve.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [walkapp, "serve", "--port", str(port), "--workers", "1", "--threads", "2"],
            env=env, cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            base = f"http://127.0.0.1:{port}"
            assert _status(f"{base}/", server, log) == 200  # a page: templates, catalogs
            assert _status(f"{base}/planner/login", server, log) == 200  # the database
            assert _status(f"{base}/static/css/walkapp.css", server, log) == 200
            assert _status(f"{base}/vendor/leaflet/leaflet.js", server, log) == 200  # from npm
        finally:
            server.terminate()
            server.wait(30)


def test_without_npm_ci_the_build_says_what_to_run(tmp_path):
    """The project's own build configuration, in a tree that has no node_modules/."""
    for name in ("pyproject.toml", "hatch_build.py", "README.md"):
        shutil.copy(ROOT / name, tmp_path / name)
    builder = WheelBuilder(str(tmp_path))
    with pytest.raises(RuntimeError, match=r"missing \(node_modules/.*: run `npm ci` in .* first"):
        next(builder.build(directory=str(tmp_path / "dist"), versions=["standard"]))
