"""The counter's phone: usage counts of the Public Life Data Protocol, offline like the live view.

- `count` is the page (static/planner/count.js): choose a zone and people staying or passing,
  start the period, one tap per person, undo, end the period. Everything is kept on the phone
  first and sent in order (the live view's service worker keeps the page for offline use).
- `counts_sync` (POST) takes the phone's batches (services.counts.sync): a resend changes
  nothing, so the phone may send a batch again whenever it did not see the answer.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from flask import jsonify, render_template, url_for
from flask_babel import get_locale, get_translations
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf
from pydantic import Field

from ..access import project_or_404
from ..api.schemas import Instant, Strict, Text, _literal
from ..api.spec import json_body
from ..domain import vocabularies as v
from ..domain.permissions import FACILITATE
from ..i18n import labels
from ..services import counts as service
from ..services import zones as zones_service
from .blueprint import bp
from .live import json_view, live_assets

DEFAULT_MODE = "pedestrian_walking"  # most people passing: the toggle starts there
ZoneId = Annotated[int, Field(ge=1, le=2**31 - 1)]


class PeriodBody(Strict):
    uuid: uuid.UUID
    zone_id: ZoneId
    kind: _literal(v.COUNT_KINDS)
    started_at: Instant
    ended_at: Instant | None = None
    weather: _literal(v.WEATHER) | None = None
    time_character: _literal(v.TIME_CHARACTERS) = "none"
    line: Annotated[Text, Field(max_length=service.LINE_MAX_LENGTH)] = ""
    note: Annotated[Text, Field(max_length=service.NOTE_MAX_LENGTH)] = ""


class RecordBody(Strict):
    uuid: uuid.UUID
    period_uuid: uuid.UUID
    recorded_at: Instant
    gender: _literal(v.PERCEIVED_GENDERS)
    age_group: _literal(v.AGE_GROUPS)
    mode: _literal(v.MOVING_MODES) | None = None
    posture: _literal(v.POSTURES) | None = None
    activity: _literal(v.ACTIVITIES) | None = None
    group_size: _literal(v.GROUP_SIZES) | None = None


class SyncBody(Strict):
    periods: Annotated[list[PeriodBody], Field(max_length=service.MAX_PERIODS_PER_BATCH)] = []
    records: Annotated[list[RecordBody], Field(max_length=service.MAX_RECORDS_PER_BATCH)] = []
    undone: Annotated[list[uuid.UUID], Field(max_length=service.MAX_RECORDS_PER_BATCH)] = []


def _labels() -> dict:
    return {
        vocab.name: labels(vocab)
        for vocab in (
            v.COUNT_KINDS,
            v.PERCEIVED_GENDERS,
            v.AGE_GROUPS,
            v.MOVING_MODES,
            v.POSTURES,
            v.ACTIVITIES,
            v.GROUP_SIZES,
            v.WEATHER,
            v.TIME_CHARACTERS,
        )
    }


def _strings() -> dict[str, str]:
    """What the page's script writes, in the page's language."""
    return {
        "online": _("Online"),
        "offline": _("Offline: your counts are kept on this phone"),
        "all_sent": _("Everything is sent."),
        "sending": _("Sending…"),
        "sign_in": _("Your session has ended: sign in again, your counts are kept."),
        "refused": _("The server refused a change: %(reason)s"),
        # Counts: both forms, %(n)s left for count.js (it picks one by Intl.PluralRules).
        "pending_people": {
            "one": get_translations().ngettext(
                "%(n)s person waiting to be sent", "%(n)s people waiting to be sent", 1
            ),
            "other": get_translations().ngettext(
                "%(n)s person waiting to be sent", "%(n)s people waiting to be sent", 2
            ),
        },
        "pending": {
            "one": get_translations().ngettext(
                "%(n)s change waiting to be sent", "%(n)s changes waiting to be sent", 1
            ),
            "other": get_translations().ngettext(
                "%(n)s change waiting to be sent", "%(n)s changes waiting to be sent", 2
            ),
        },
        "counted": _("Counted: %(who)s"),
        "undone": _("Taken back: %(who)s"),
        "nothing_to_undo": _("Nobody counted yet in this period."),
        "short_moving": _(
            "The protocol asks for at least %(n)s minutes of counting people passing. "
            "End the period anyway?"
        ),
        "ended": _("Period ended in %(zone)s (%(kind)s): %(n)s counted in %(minutes)s min."),
        "choose_zone": _("Choose the zone first."),
        "leave_pending": _("Some counts are not sent yet. Leave anyway?"),
    }


@bp.get("/projects/<int:project_id>/count")
@login_required
def count(project_id: int):
    project = project_or_404(project_id, FACILITATE)
    zones = zones_service.list_zones(project.id)
    data = {
        "project_id": project.id,
        "zones": [{"id": z.id, "name": z.name} for z in zones],
        "urls": {
            "sync": url_for("planner.counts_sync", project_id=project.id),
            "sw": url_for("planner.live_sw"),
            "login": url_for("planner.login"),
            "page": url_for("planner.count", project_id=project.id),
        },
        "lang": str(get_locale()),
        "labels": _labels(),
        "strings": _strings(),
        "min_moving_minutes": int(service.MIN_MOVING_PERIOD.total_seconds() // 60),
        "max_records": service.MAX_RECORDS_PER_BATCH,
        "csrf_token": generate_csrf(),
    }
    return render_template(
        "planner/count.html",
        project=project,
        zones=zones,
        data=data,
        assets=live_assets(),
        vocab=v,
        default_mode=DEFAULT_MODE if DEFAULT_MODE in v.MOVING_MODES else v.MOVING_MODES.codes[0],
    )


@bp.post("/projects/<int:project_id>/counts/sync")
@json_view
def counts_sync(project_id: int):
    project = project_or_404(project_id, FACILITATE)
    body = json_body(SyncBody)
    answer = service.sync(
        project.id,
        [service.PeriodIn(**p.model_dump()) for p in body.periods],
        [service.RecordIn(**r.model_dump()) for r in body.records],
        list(body.undone),
        user_id=current_user.id,
    )
    answer["csrf_token"] = generate_csrf()  # a page kept offline since an old sign-in
    return jsonify(answer)
