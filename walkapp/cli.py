"""The `walkapp` command: serve, demo, create-user (plus Flask's and Flask-Migrate's `db`)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

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
            self.cfg.set("accesslog", "-")
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


for _command in (serve, demo, create_user):
    main.add_command(_command)
