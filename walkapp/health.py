"""`/healthz`: what the reverse proxy (or any monitoring) polls to know the app can serve.

Three checks, each true or false in the answer: the database answers a ``SELECT 1``, the photo
folder is writable (a temporary file made and deleted there), and the database's migration is
the migrations' head (`walkapp db upgrade` was run after the last upgrade of the app). 200 with
``{"status": "ok", "checks": {...}}`` when all pass, 503 with ``"status": "failing"`` and the
names of the failing ones otherwise; nothing more (no error text, no path, no version).

It is public, never cached, and touches no session: the proxy polls it every few seconds, and
an answer must never carry a cookie (the request's session is replaced by Flask's null session
before the view runs, so nothing is saved, whatever the app's other hooks read).
"""

from __future__ import annotations

import functools
import logging
import tempfile
from pathlib import Path

from flask import Blueprint, Flask, current_app, jsonify
from flask.globals import request_ctx

from .extensions import db
from .resources import resource_dir

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


@bp.before_request
def no_session() -> None:
    """Whatever the app's hooks read or refreshed of the session before this one (the planner's
    idle clock), nothing of it is saved: the request's session becomes Flask's null session,
    which Flask never writes back (no Set-Cookie, no Vary: Cookie)."""
    ctx = request_ctx._get_current_object()
    ctx._session = current_app.session_interface.make_null_session(current_app)


def database_reachable() -> bool:
    try:
        with db.engine.connect() as conn:
            return conn.exec_driver_sql("SELECT 1").scalar() == 1
    except Exception:
        log.exception("health check: the database does not answer")
        return False


def storage_writable() -> bool:
    folder = Path(current_app.config["PHOTO_DIR"])
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".healthz-") as f:
            f.write(b"ok")
            f.flush()
        return True
    except OSError:
        log.exception("health check: the photo folder is not writable")
        return False


@functools.cache  # the migrations of the installed code: they change with a restart only
def migration_heads() -> frozenset[str]:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    directory = str(resource_dir("migrations"))
    config = Config()
    config.set_main_option("script_location", directory)
    return frozenset(ScriptDirectory.from_config(config).get_heads())


def database_revisions() -> frozenset[str]:
    from alembic.migration import MigrationContext

    with db.engine.connect() as conn:
        return frozenset(MigrationContext.configure(conn).get_current_heads())


def migrations_current() -> bool:
    try:
        return database_revisions() == migration_heads()
    except Exception:
        log.exception("health check: the migration state cannot be read")
        return False


CHECKS = {
    "database": database_reachable,
    "storage": storage_writable,
    "migrations": migrations_current,
}


@bp.get("/healthz")
def healthz():
    checks = {name: check() for name, check in CHECKS.items()}
    ok = all(checks.values())
    body = {"status": "ok" if ok else "failing", "checks": checks}
    if not ok:
        body["failed"] = [name for name, passed in checks.items() if not passed]
    response = jsonify(body)
    response.status_code = 200 if ok else 503
    response.headers["Cache-Control"] = "no-store"
    return response
