"""The HTML side: the participant and planner blueprints, and error pages."""

from __future__ import annotations

from flask import Flask, render_template
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from .error_messages import sentence
from .services.errors import ServiceError

# What an error page says, per status: a title, and what to do next. "Try again" only where
# trying again can help (too many tries, a fault or a pause of the server), never for a refusal.
ERROR_TEXTS = {
    400: (
        _l("The request could not be read"),
        _l("The form may have expired. Go back, reload the page and send it again."),
    ),
    401: (
        _l("Sign in first"),
        _l("You are not signed in, or your session has ended. Sign in, then open the page again."),
    ),
    403: (
        _l("You cannot do this"),
        _l(
            "You do not have the right to do this in this project. Ask the project's planner or "
            "an administrator to give you the role it needs."
        ),
    ),
    404: (
        _l("Nothing here"),
        _l("This page or this code does not exist. Check the code and try again."),
    ),
    409: (
        _l("Already changed"),
        _l(
            "Someone changed this in the meantime, or it was already done. Reload the page to "
            "see where things stand."
        ),
    ),
    413: (
        _l("Too large"),
        _l("What was sent is too large. Send a smaller file or a shorter text."),
    ),
    422: (
        _l("Not accepted"),
        _l("Part of what was sent is not accepted. Go back, correct it and send it again."),
    ),
    429: (
        _l("Too many tries"),
        _l("Too many wrong codes were typed from this network. Wait ten minutes, then try again."),
    ),
    500: (
        _l("Something went wrong"),
        _l(
            "The fault is on walkapp's side, not yours. Please try again in a moment; if it "
            "happens again, tell an administrator what you were doing."
        ),
    ),
    503: (
        _l("Not available just now"),
        _l("walkapp is busy or being updated. Please try again in a moment."),
    ),
}
OTHER_REQUEST_ERROR = (
    _l("This cannot be done"),
    _l("Go back to the previous page, or start again from the home page."),
)


def error_texts(code: int) -> tuple:
    """The title and the advice of an error page (a 5xx without its own is a 500)."""
    if code in ERROR_TEXTS:
        return ERROR_TEXTS[code]
    return ERROR_TEXTS[500] if code >= 500 else OTHER_REQUEST_ERROR


def init_app(app: Flask) -> None:
    from .participate import bp as participate_bp
    from .planner import bp as planner_bp
    from .public_pages import bp as public_bp

    app.register_blueprint(participate_bp)
    app.register_blueprint(planner_bp)
    app.register_blueprint(public_bp)  # the residents' pages, /r/<slug>: no sign-in


def _render(code: int, name: str, message: str | None = None):
    title, advice = error_texts(code)
    return render_template(
        "error.html", code=code, name=name, title=title, advice=advice, message=message
    ), code


def error_page(exc: HTTPException):
    if exc.code == 413:
        return too_large_page()
    # The exception's own headers (Retry-After of a 429, Allow of a 405), minus its body's.
    headers = [(k, v) for k, v in exc.get_headers() if k.lower() != "content-type"]
    body, status = _render(exc.code, exc.name)
    return body, status, headers


def too_large_page():
    """413 in words: the limit, nothing saved, and the way back to the form as it was typed."""
    from flask import current_app, request
    from flask_babel import format_decimal
    from flask_babel import gettext as _

    limit = request.max_content_length or current_app.config.get("MAX_CONTENT_LENGTH") or 0
    return render_template(
        "error_too_large.html",
        limit=_("%(size)s MB", size=format_decimal(limit / 2**20, format="#,##0.#")),
        perimeter=(request.endpoint or "").startswith("planner.project_"),
        back_url=request.path,
    ), 413


def refusal_page(exc: ServiceError):
    """A refusal that reached no form: its sentence on the error page, then the advice."""
    return _render(exc.status, "", sentence(exc))
