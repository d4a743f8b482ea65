"""The residents' pages: a project's published page at its unguessable address, for anyone, no
sign-in (the feedback loop of DESIGN.md). What it shows is the publication's snapshot, frozen
when the planner published it (services.publication); an unpublished page answers 404.

Never cached (an unpublished page must disappear at once), never indexed by search engines
(the address is shared with the residents, not advertised).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date
from flask import Blueprint, abort, current_app, make_response, render_template
from flask_babel import get_locale
from flask_babel import gettext as _

from .domain import public_page as domain
from .extensions import db
from .models import Project, Publication
from .services import publication as service

bp = Blueprint("public", __name__)


def page_date(when: datetime | None, timezone: str) -> str:
    """A publication's date in the project's time zone and the page's language."""
    if when is None:
        return ""
    return format_date(when.astimezone(ZoneInfo(timezone)).date(), "long", locale=get_locale())


def map_config(snapshot: dict) -> dict:
    """What static/public/residents.js draws: the hexagons (GeoJSON, figures only), the
    perimeter, the tiles of the deployment (none: a plain background)."""
    config = current_app.config
    return {
        "cells": domain.feature_collection(snapshot),
        "perimeter": snapshot.get("perimeter"),
        "tiles": config.get("TILE_URL") or "",
        "attribution": config.get("TILE_ATTRIBUTION") or "",
        "labels": {
            # %(num)s is replaced by the hexagon's figure in the browser.
            "reports": _("Reports: %(num)s", num="%(num)s"),
            "participants": _("Participants: %(num)s", num="%(num)s"),
            "mean_feeling": _("Mean feeling: %(num)s (1 very unsafe, 5 safe)", num="%(num)s"),
        },
    }


def page_context(snapshot: dict, publication: Publication | None, project: Project) -> dict:
    """What templates/public/residents_macros.html needs, for the page and its preview."""
    timezone = project.timezone or "Europe/Paris"
    return {
        "page": snapshot,
        "map_config": map_config(snapshot),
        "published_on": page_date(publication.published_at if publication else None, timezone),
        "updated_on": page_date(publication.republished_at if publication else None, timezone),
    }


@bp.get("/r/<slug>")
def residents(slug: str):
    publication = service.published(slug)
    if publication is None or publication.snapshot.get("version") != domain.SNAPSHOT_VERSION:
        abort(404)
    project = db.session.get(Project, publication.project_id)
    response = make_response(
        render_template(
            "public/residents.html", **page_context(publication.snapshot, publication, project)
        )
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response
