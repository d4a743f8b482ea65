"""The facilitator's live view: a phone page that works offline.

- `live` is the page; `live_json` what it polls every 10 s while online (no long-lived
  connection); `live_attendance` (PUT) and `live_note` (POST) take what the page queued, offline
  included. JSON routes answer 401 JSON (never a redirect to the login page) when the session is
  gone, so the page keeps its queue and says "sign in again".
- `live_sw` is the page's service worker, served under /planner/ so that its scope is the planner
  workspace (not the participant app's). It keeps the live pages and their files for offline use.
"""

from __future__ import annotations

import hashlib
import json
from functools import wraps
from pathlib import Path
from typing import Annotated

from flask import current_app, jsonify, render_template, url_for
from flask_babel import get_locale, get_translations
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf
from pydantic import Field

from ..access import walk_or_404
from ..api.schemas import AgeBand, Gender, Instant, StopId, Strict, Text
from ..api.spec import json_body
from ..domain import vocabularies as v
from ..domain.permissions import FACILITATE
from ..error_messages import error_body
from ..i18n import labels
from ..participate.assets import assets as pwa_assets
from ..services import facilitation
from ..services.errors import ServiceError, Unauthorized
from .blueprint import bp
from .indicators import not_enough, share_percent

# The counter's phone page (planner/counting.py) shares the worker: its files are kept too.
LIVE_STATIC = ("planner/live.js", "planner/live.css", "planner/count.js", "planner/count.css")
BASE_CSS = "css/walkapp.css"
SW_FILE = "planner/live-sw.js"
POLL_SECONDS = 10


# --- Request bodies ----------------------------------------------------------------------------


class CellIn(Strict):
    gender: Gender
    age_band: AgeBand
    count: Annotated[int, Field(ge=0, le=100_000)]
    edited_at: Instant


class AttendanceIn(Strict):
    cells: Annotated[
        list[CellIn], Field(min_length=1, max_length=len(v.GENDERS.codes) * len(v.AGE_BANDS.codes))
    ]


class NoteIn(Strict):
    stop_id: StopId | None = None
    text: Annotated[Text, Field(min_length=1, max_length=facilitation.NOTE_MAX_LENGTH)]


# --- Helpers -----------------------------------------------------------------------------------


def json_view(view):
    """Signed-in JSON route: 401 without a session, refusals in the API's error shape."""

    @wraps(view)
    def wrapper(**kwargs):
        try:
            if not current_user.is_authenticated:
                raise Unauthorized({"auth": "signed_out"})
            return view(**kwargs)
        except ServiceError as exc:
            return jsonify(error_body(exc)), exc.status

    return wrapper


def _file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def live_assets() -> dict[str, str]:
    """Versioned URLs of the page's own files (?v=hash: a changed file is fetched again)."""
    static = Path(current_app.static_folder)
    return {
        name: url_for("static", filename=name, v=_file_hash(static / name)) for name in LIVE_STATIC
    }


def precache() -> tuple[list[str], str]:
    """What the worker keeps for offline use: the exact URLs the live page loads (its own files,
    and what base.html links), and a version that changes whenever one of those files does."""
    static = Path(current_app.static_folder)
    urls = [
        *live_assets().values(),
        url_for("static", filename=BASE_CSS),  # linked without ?v by base.html
        pwa_assets().url("pwa/theme.js"),
    ]
    whole = hashlib.sha256(json.dumps(urls).encode())
    whole.update((static / BASE_CSS).read_bytes())
    whole.update((static / SW_FILE).read_bytes())
    return urls, whole.hexdigest()[:16]


def share_text(share: dict) -> dict:
    """The walk's share of women (facilitation.women_share) with the words the page shows:
    the same rounding as the indicators pages."""
    value = share["value"]
    sources = {
        "attendance": _("From the head count, n = %(n)s.", n=share["n"]),
        "participants": _("From the participants in the app, n = %(n)s.", n=share["n"]),
    }
    return {
        **share,
        "text": not_enough() if value is None else share_percent(value),
        "source_text": sources.get(share["source"], ""),
    }


def _snapshot(walk) -> dict:
    snapshot = facilitation.live_snapshot(walk)
    snapshot["women_share"] = share_text(snapshot["women_share"])
    return snapshot


def _labels() -> dict:
    return {
        "categories": labels(v.CATEGORIES),
        "feelings": labels(v.FEELINGS),
        "genders": labels(v.GENDERS),
        "age_bands": labels(v.AGE_BANDS),
    }


def _strings() -> dict[str, str | dict[str, str]]:
    """What the page's script writes, in the page's language."""
    return {
        "online": _("Online"),
        "offline": _("Offline: your counts are kept on this phone"),
        # A count: both forms, %(n)s left for live.js (it picks one by Intl.PluralRules).
        "pending": {
            "one": get_translations().ngettext(
                "%(n)s change waiting to be sent", "%(n)s changes waiting to be sent", 1
            ),
            "other": get_translations().ngettext(
                "%(n)s change waiting to be sent", "%(n)s changes waiting to be sent", 2
            ),
        },
        "all_sent": _("Everything is sent."),
        "sending": _("Sending…"),
        "sign_in": _("Your session has ended: sign in again, your counts are kept."),
        "refused": _("The server refused a change: %(reason)s"),
        "updated": _("Updated at %(time)s"),
        "no_spots": _("No spot yet."),
        "entered_by_you": _("entered by a facilitator"),
        "stop": _("Stop %(n)s"),
        "whole_walk": _("Whole walk"),
        "note_queued": _("Note kept: it will be sent when the phone is back online."),
        "note_saved": _("Note saved."),
        "note_empty": _("Write the group's remark first."),
        "leave_pending": _("Some changes are not sent yet. Leave anyway?"),
        "share_pending": _("Changes still waiting to be sent are not in this share yet."),
    }


# --- Pages and JSON ----------------------------------------------------------------------------


@bp.get("/events/<int:walk_id>/live")
@login_required
def live(walk_id: int):
    walk = walk_or_404(walk_id, FACILITATE)
    lang = str(get_locale())
    data = {
        "walk_id": walk.id,
        "urls": {
            "json": url_for("planner.live_json", walk_id=walk.id),
            "attendance": url_for("planner.live_attendance", walk_id=walk.id),
            "note": url_for("planner.live_note", walk_id=walk.id),
            "sw": url_for("planner.live_sw"),
            "login": url_for("planner.login"),
            "page": url_for("planner.live", walk_id=walk.id),
        },
        "poll_seconds": POLL_SECONDS,
        "lang": lang,
        "labels": _labels(),
        "strings": _strings(),
        "snapshot": _snapshot(walk),
        "csrf_token": generate_csrf(),
    }
    return render_template(
        "planner/live.html",
        walk=walk,
        data=data,
        assets=live_assets(),
        genders=list(v.GENDERS),
        age_bands=list(v.AGE_BANDS),
        attendance=data["snapshot"]["attendance"],
    )


@bp.get("/events/<int:walk_id>/live.json")
@json_view
def live_json(walk_id: int):
    walk = walk_or_404(walk_id, FACILITATE)
    snapshot = _snapshot(walk)
    # A fresh token: a page kept offline since before a new sign-in still sends valid requests.
    snapshot["csrf_token"] = generate_csrf()
    response = jsonify(snapshot)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.put("/events/<int:walk_id>/attendance")
@json_view
def live_attendance(walk_id: int):
    walk = walk_or_404(walk_id, FACILITATE)
    body = json_body(AttendanceIn)
    edits = [facilitation.CellEdit(**cell.model_dump()) for cell in body.cells]
    results = facilitation.set_attendance(walk, edits, user_id=current_user.id)
    return jsonify(
        {
            "cells": [
                {
                    "gender": r.gender,
                    "age_band": r.age_band,
                    "count": r.count,
                    "applied": r.applied,
                }
                for r in results
            ],
            "attendance": facilitation.attendance_table(walk),
            "women_share": share_text(facilitation.women_share(walk)),
        }
    )


@bp.post("/events/<int:walk_id>/live/notes")
@json_view
def live_note(walk_id: int):
    walk = walk_or_404(walk_id, FACILITATE)
    body = json_body(NoteIn)
    note, created = facilitation.add_stop_note(
        walk, stop_id=body.stop_id, text=body.text, user_id=current_user.id
    )
    return jsonify({"id": note.id, "created": created}), 201 if created else 200


@bp.get("/live-sw.js")
def live_sw():
    """The live view's service worker. Served from /planner/ so its scope is /planner/."""
    urls, version = precache()
    source = (Path(current_app.static_folder) / SW_FILE).read_text(encoding="utf-8")
    config = {"version": version, "precache": urls, "scope": url_for("planner.projects")}
    body = f"self.LIVE_CONFIG = {json.dumps(config)};\n{source}"
    response = current_app.response_class(body, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = url_for("planner.projects")
    return response
