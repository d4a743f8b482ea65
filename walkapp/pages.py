"""The HTML side: the participant and planner blueprints, and error pages."""

from __future__ import annotations

from flask import Flask, render_template
from werkzeug.exceptions import HTTPException

from .error_messages import sentence
from .services.errors import ServiceError


def init_app(app: Flask) -> None:
    from .participate import bp as participate_bp
    from .planner import bp as planner_bp

    app.register_blueprint(participate_bp)
    app.register_blueprint(planner_bp)


def error_page(exc: HTTPException):
    return render_template("error.html", code=exc.code, name=exc.name), exc.code


def refusal_page(exc: ServiceError):
    """A refusal that reached no form: its sentence on the error page."""
    return render_template(
        "error.html", code=exc.status, name="", message=sentence(exc)
    ), exc.status
