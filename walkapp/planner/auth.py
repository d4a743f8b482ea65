"""Signing in and out; failed sign-ins throttled; idle sessions expire, except mid-walk.

Every signed-in session has a record (models.UserSession) whose random token the cookie carries
(`TOKEN_KEY`): Flask's signed cookie alone cannot be revoked, a record can. Signing out deletes
the record, so a copy of the cookie taken before opens nothing; a new password, deactivation
and an administrator's "sign out everywhere" delete all of the user's records.

Sessions. A signed-in session is permanent and ends after PERMANENT_SESSION_LIFETIME without
any request (WALKAPP_SESSION_HOURS, 8 by default); every request refreshes it. Exception: while
the user facilitates an open walk (Walk.facilitator_id, status "open"), it never ends — a
facilitator whose phone is offline in the street for hours must not find herself signed out
with the group waiting. It ends at the first idle check after the walk is closed.

How: the session stores the time of its last request (`SEEN_KEY`), and a before-request hook
compares it with the lifetime. Flask's signed-cookie session would also refuse a cookie signed
longer ago than the lifetime, and the browser would drop it; `WalkSessionInterface`
(walkapp/sessions.py, installed by the app factory) lifts both limits for a session flagged
`KEEP_KEY` (set after each request from the database: does the user lead an open walk?). The
flag is signed with the cookie, so nobody can set it by hand.
"""

from __future__ import annotations

import math
import time
from urllib.parse import urlsplit

from flask import (
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required, login_user, logout_user

from ..domain import rules
from ..extensions import login_manager
from ..models import User
from ..ratelimit import failure_limiter
from ..services import accounts
from ..services.errors import Invalid
from ..sessions import KEEP_KEY
from .blueprint import bp
from .forms import LoginForm

SEEN_KEY = "seen"  # Unix time of the session's last request
TOKEN_KEY = "sid"  # the token of the session's record (services.accounts.open_session)
# Requests that neither refresh nor check a session: files anyone may fetch.
PASSIVE_ENDPOINTS = frozenset(
    {"static", "participate.leaflet", "planner.vendor", "planner.map_vendor"}
)

login_manager.login_view = "planner.login"
login_manager.login_message = _l("Please sign in to see this page.")


def _session_user_id(value: object) -> int | None:
    """The user id of the session's "_user_id" (User.get_id), or None."""
    if not isinstance(value, str) or not value.isdigit() or len(value) >= 10:
        return None
    return int(value)


@login_manager.user_loader
def load_user(value: str) -> User | None:
    """The session's user, while its session record lives: signing out, a new password,
    deactivation and "sign out everywhere" end it for every copy of the cookie."""
    user_id, token = _session_user_id(value), session.get(TOKEN_KEY)
    if user_id is None or not isinstance(token, str):
        return None
    return accounts.session_user(user_id, token)


def _signed_in_user_id() -> int | None:
    # No cookie, no session to look at (and reading it would add "Vary: Cookie" to answers
    # that participants' phones and caches share).
    if request.endpoint in PASSIVE_ENDPOINTS or not request.cookies.get(
        current_app.config["SESSION_COOKIE_NAME"]
    ):
        return None
    return _session_user_id(session.get("_user_id"))


def _end_session() -> None:
    for key in ("_user_id", "_fresh", "_id", SEEN_KEY, KEEP_KEY, TOKEN_KEY):
        session.pop(key, None)
    flash(_("Your session has expired. Please sign in again."), "info")


@bp.before_app_request
def expire_idle_session() -> None:
    """End a session idle for longer than the lifetime — unless its user leads an open walk."""
    user_id = _signed_in_user_id()
    if user_id is None:
        return
    now = int(time.time())
    idle = now - session.get(SEEN_KEY, 0)
    if idle > current_app.permanent_session_lifetime.total_seconds():
        # This read is the first statement of the request's unit of work (unit_of_work.py).
        still_kept = session.get(KEEP_KEY) and accounts.facilitates_open_walk(user_id)
        if not still_kept:
            _end_session()
            return
    session[SEEN_KEY] = now


@bp.after_app_request
def keep_session_during_open_walk(response):
    """Flag the session of a user who leads an open walk (read after the view's own changes,
    so opening a walk keeps the session from that answer on)."""
    user_id = _signed_in_user_id()
    if user_id is None or SEEN_KEY not in session or response.status_code >= 500:
        return response
    # The view's unit of work has ended: this read sees its changes, in a read of its own.
    if accounts.facilitates_open_walk(user_id):
        session[KEEP_KEY] = True
    else:
        session.pop(KEEP_KEY, None)
    return response


def _safe_next(target: str | None) -> str | None:
    """Only a path of this site (never //elsewhere or https://elsewhere), and no control
    character (a CR LF would split the Location header)."""
    if not target or rules.has_control_characters(target, allowed="") or "\x7f" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return None if "\\" in target else target


def _signed_in(user: User):
    session.clear()  # nothing of the anonymous session carries over (session fixation)
    session[TOKEN_KEY] = accounts.open_session(user)
    login_user(user)
    session.permanent = True
    session[SEEN_KEY] = int(time.time())
    return redirect(_safe_next(request.args.get("next")) or url_for("planner.projects"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    status, headers = 200, {}
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(
                form.email.data,
                form.password.data,
                address=request.remote_addr or "unknown",
                limiter=failure_limiter(),
            )
        except accounts.LoginThrottled as exc:
            minutes = math.ceil(exc.retry_after / 60)
            flash(
                _(
                    "Too many failed sign-ins from this network or for this account. "
                    "Wait %(minutes)s minutes, then try again.",
                    minutes=minutes,
                ),
                "error",
            )
            status, headers = 429, {"Retry-After": str(exc.retry_after)}
        except Invalid:
            flash(_("Wrong email or password."), "error")
            status = 422
        else:
            return _signed_in(user)
    elif request.method == "POST":
        status = 422
    return render_template("planner/login.html", form=form), status, headers


@bp.post("/logout")
@login_required
def logout():
    token = session.get(TOKEN_KEY)
    if isinstance(token, str):
        accounts.end_session(token)
    logout_user()
    for key in (SEEN_KEY, KEEP_KEY, TOKEN_KEY):
        session.pop(key, None)
    return redirect(url_for("participate.home"))
