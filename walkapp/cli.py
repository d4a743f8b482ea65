"""The `walkapp` command: serve, demo, create-user, purge, backup, restore (plus Flask's and
Flask-Migrate's `db`)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from . import create_app
from .domain.vocabularies import USER_ROLES


# The commands are this group's (added at the end of the module): the command line depends on
# the app factory, never the other way round. Flask's own commands and Flask-Migrate's `db` come
# from the app (`app.cli`), as FlaskGroup does.
@click.group(cls=FlaskGroup, create_app=create_app, add_default_commands=True)
def main() -> None:
    """walkapp: exploratory walks, maps and indicators for gender-sensitive planning."""


@contextmanager
def command_unit() -> Iterator[None]:
    """A command's one unit of work (unit_of_work.py): a refusal prints its sentence, exits 1."""
    from .error_messages import sentence
    from .services.errors import ServiceError
    from .unit_of_work import unit

    try:
        with unit(write=True):
            yield
    except ServiceError as exc:
        raise click.ClickException(sentence(exc)) from None


@click.command()
@click.option("--host", default=lambda: os.environ.get("WALKAPP_HOST", "127.0.0.1"))
@click.option("--port", default=lambda: int(os.environ.get("WALKAPP_PORT", "5000")), type=int)
@click.option("--workers", default=2, show_default=True, help="processes")
@click.option("--threads", default=8, show_default=True, help="threads per process")
@click.option(
    "--keepalive",
    default=75,
    show_default=True,
    help="seconds an idle connection stays open (phones send a spot every few seconds)",
)
@click.option("--certfile", type=click.Path(exists=True, dir_okay=False), help="HTTPS")
@click.option("--keyfile", type=click.Path(exists=True, dir_okay=False), help="HTTPS")
@with_appcontext
def serve(host, port, workers, threads, keepalive, certfile, keyfile):
    """Serve with gunicorn (production server; threads for slow phones on slow networks)."""
    from gunicorn.app.base import BaseApplication

    app = current_app._get_current_object()
    instance_path = app.instance_path

    class Server(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", threads)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("keepalive", keepalive)
            # A listening socket per worker: the kernel deals new connections out evenly. On
            # one shared socket, the worker that wakes first takes most of a burst (8 of 50
            # phones on one worker, 42 on the other, seen in bench/submit_floor.py), and a
            # phone keeps its connection, and its worker, for the whole walk.
            self.cfg.set("reuse_port", True)
            # No access log: its lines hold the path and the query string (join codes, spot
            # ids). walkapp logs each request itself, without them (request_log.py).
            self.cfg.set("accesslog", None)
            if certfile and keyfile:
                self.cfg.set("certfile", certfile)
                self.cfg.set("keyfile", keyfile)

        def load(self):
            return create_app({"INSTANCE_PATH": instance_path})

    scheme = "https" if certfile else "http"
    click.echo(f"walkapp on {scheme}://{host}:{port}/ (Ctrl+C to stop)")
    Server().run()


@click.command()
@click.option("--if-empty", is_flag=True, help="only when the database holds no project yet")
@with_appcontext
def demo(if_empty: bool):
    """Load the realistic demo project "Place du Canada — Valenciennes" (safe to run again)."""
    from .services import demo as demo_service
    from .services.photo_store import PhotoStore

    with command_unit():
        if if_empty and demo_service.has_projects():
            click.echo(
                "The database already holds projects: demo not loaded "
                "(`walkapp demo` reloads it and prints a new password)."
            )
            return
        store = PhotoStore(current_app.config["PHOTO_DIR"])
        result = demo_service.load_demo(store, password=secrets.token_urlsafe(9))
    base = current_app.config["BASE_URL"]
    click.echo(f"Planner: {result.email} {result.password}")
    click.echo(f"Join code: {result.join_code}")
    click.echo(f"Join URL: {base}/j/{result.join_code}")


@click.command("create-user")
@click.argument("email")
@click.option("--name", default="")
@click.option("--role", type=click.Choice(USER_ROLES.codes), default="planner", show_default=True)
@click.password_option()
@with_appcontext
def create_user(email: str, name: str, role: str, password: str):
    """Create an account (or, for an existing e-mail, set its name, role and password)."""
    from .services import accounts

    with command_unit():
        user, created = accounts.create_or_update_user(
            accounts.NewUser(email=email, name=name, role=role, password=password), by=None
        )
    click.echo(f"{'Created' if created else 'Updated'} {user.role} {user.email}")


@click.command()
@with_appcontext
def purge():
    """Erase the participants of every project whose retention has passed (services.retention);
    remove the background jobs' files older than JOB_RETENTION_DAYS (walkapp.jobs)."""
    from . import jobs
    from .extensions import utcnow
    from .services import retention
    from .services.photo_store import PhotoStore

    with command_unit():
        purged = retention.purge(utcnow(), PhotoStore(current_app.config["PHOTO_DIR"]))
    with command_unit():
        results = jobs.purge_expired(utcnow())
    click.echo(f"Job results removed after their retention: {results}")
    for p in purged:
        click.echo(
            f"Project {p.project_id} ({p.name}), closed {p.closed_at:%Y-%m-%d}, kept "
            f"{p.retention_months} months: erased {p.participants} participants, {p.spots} spots, "
            f"{p.photos} photos, {p.track_points} route points"
        )
    if not purged:
        click.echo("Nothing to erase: no project's retention has passed.")


@click.command()
@click.option("--workers", default=1, show_default=True, help="jobs run at once (threads)")
@with_appcontext
def worker(workers: int):
    """Run the background jobs (annexes, reports, exports, photo ZIPs): the queue's consumer.
    Beside `walkapp serve`, one per machine (or more: they share the queue)."""
    import logging

    from . import jobs

    app = current_app._get_current_object()
    huey_log = logging.getLogger("huey")
    if not huey_log.handlers:
        huey_log.addHandler(logging.StreamHandler())
        huey_log.setLevel(logging.INFO)
    with command_unit():
        interrupted = jobs.recover_interrupted()
    if interrupted:
        click.echo(f"{interrupted} jobs were interrupted by a stopped worker: marked failed")
    queue = app.extensions[jobs.EXTENSION_KEY]
    click.echo(f"walkapp worker: {workers} at once, on {queue.describe()} (Ctrl+C to stop)")
    jobs.consumer(app, workers=workers).run()


@click.command()
@click.argument("archive", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup(archive: Path):
    """Write the database, every photo and the erasure journal to ARCHIVE (.tar.gz)."""
    from .services import backup as backup_service

    try:
        manifest = backup_service.backup(current_app._get_current_object(), archive)
    except backup_service.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    rows = sum(manifest.counts.values())
    click.echo(
        f"Backed up {manifest.data['database']} (migration {manifest.data['alembic_revision']}): "
        f"{rows} rows, {len(manifest.photos)} photo files -> {archive}"
    )
    if not manifest.data["erasure_journal"]:
        click.echo("No erasure journal yet (nobody was erased on this instance).")


@click.command()
@click.argument("archive", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def restore(archive: Path):
    """Restore ARCHIVE (from `walkapp backup`) into this empty instance, then erase again whoever
    the erasure journal (the archive's and this instance's) says was erased."""
    from .services import backup as backup_service
    from .services.photo_store import PhotoStore

    app = current_app._get_current_object()
    try:
        plan = backup_service.prepare(app, archive)
    except backup_service.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    try:
        try:
            backup_service.install(app, plan)
        except backup_service.BackupError as exc:
            raise click.ClickException(str(exc)) from None
        try:
            with command_unit():
                store = PhotoStore(app.config["PHOTO_DIR"])
                erased = backup_service.reapply_erasures(plan, store)
        except Exception as exc:
            raise click.ClickException(
                f"The data is restored but the erasures of the journal could not be applied "
                f"again ({exc}): do not open the app to anyone; fix the cause, then empty the "
                "instance and restore again."
            ) from exc
        backup_service.write_journal(app, plan)
    finally:
        backup_service.finish(plan)
    manifest = plan.manifest
    click.echo(
        f"Restored {manifest.data['database']} of {manifest.data['created_at']} "
        f"({sum(manifest.counts.values())} rows, {plan.photos} photo files); "
        f"{len(plan.journal_entries)} journal entries, {erased} erased again."
    )
    click.echo("Then `walkapp db upgrade` if this walkapp is newer than the backup's.")


for _command in (serve, demo, create_user, purge, worker, backup, restore):
    main.add_command(_command)


@main.command("clauses-check")
@with_appcontext
def clauses_check():
    """Check the clause library of the tender annex (exports/clauses/ and this instance's own
    clauses/ folder): prints every problem as "file, line N: reason", exits 1 if there is any."""
    from .exporters import clause_library

    problems = clause_library.check(current_app.instance_path)
    for problem in problems:
        click.echo(str(problem))
    if problems:
        click.get_current_context().exit(1)
    counts = ", ".join(
        f"{len(clause_library.load(language, current_app.instance_path).clauses)} clauses in "
        f"{language}"
        for language in clause_library.LANGUAGES
    )
    click.echo(f"Clause library: {counts}; no problem.")
