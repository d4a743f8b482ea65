"""The app factory, its settings, the SQLite rules and the CLI (the wheel: test_wheel.py)."""

from __future__ import annotations

import stat

import pytest
import sqlalchemy as sa

from walkapp import create_app
from walkapp.cli import main
from walkapp.config import DB_POOL_SIZE, engine_options, settings_from_env
from walkapp.extensions import db
from walkapp.models import User


def test_settings_from_the_environment():
    env = {
        "WALKAPP_DATABASE_URL": "postgresql+psycopg://u@h/db",
        "WALKAPP_BASE_URL": "https://walkapp.example.fr/",
        "WALKAPP_TILE_URL": "",
        "WALKAPP_SECRET_KEY": "k",
    }
    settings = settings_from_env(env)
    assert settings["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/db"
    assert settings["BASE_URL"] == "https://walkapp.example.fr"
    assert settings["TILE_URL"] == ""
    assert settings["SECRET_KEY"] == "k"
    defaults = settings_from_env({})
    assert "SQLALCHEMY_DATABASE_URI" not in defaults and "SECRET_KEY" not in defaults
    assert defaults["TILE_URL"].startswith("https://tile.openstreetmap.org/")


def test_secret_key_is_made_once_and_kept_private(tmp_path, monkeypatch):
    monkeypatch.delenv("WALKAPP_SECRET_KEY", raising=False)
    first = create_app({"INSTANCE_PATH": str(tmp_path)})
    second = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert len(first.config["SECRET_KEY"]) == 64
    mode = stat.S_IMODE((tmp_path / "secret_key").stat().st_mode)
    assert mode == 0o600
    assert first.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'walkapp.db'}"


@pytest.mark.db  # its own SQLite file, not the `app` fixture
def test_sqlite_pragmas(tmp_path):
    app = create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "k"})
    with app.app_context():
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 15000
        db.engine.dispose()


def test_create_user_command(app, runner):
    result = runner.invoke(
        main,
        ["create-user", "Planner@Example.fr", "--role", "admin"],
        input="a-long-password\na-long-password\n",
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User))
    assert user.email == "planner@example.fr" and user.role == "admin"
    assert user.check_password("a-long-password") and "a-long-password" not in user.password_hash


@pytest.mark.db
def test_each_process_keeps_a_connection_per_server_thread(app):
    """Beyond the pool's size a thread of `walkapp serve` would open a connection per request."""
    assert db.engine.pool.size() == DB_POOL_SIZE >= 8


def test_an_in_memory_sqlite_gets_no_pool_size():
    assert "pool_size" not in engine_options("sqlite://", {"pool_pre_ping": True})
    assert engine_options("sqlite:////tmp/w.db", {})["pool_size"] == DB_POOL_SIZE
