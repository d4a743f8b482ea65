"""Observation triage and the photo gallery of a project; hiding and showing a spot again.

Thin views: parse the query string, call services.triage / services.moderation, render.
A paging cursor that does not parse is a 400 page (not silently the first page: a broken link
should say it is broken). Unknown filter values (a stale bookmark) are dropped.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict

from ..access import may, project_or_404
from ..domain import vocabularies
from ..domain.permissions import MODERATE, READ
from ..domain.rules import has_control_characters
from ..error_messages import flash_refusal
from ..services import moderation
from ..services import triage as service
from ..services.errors import Conflict, Invalid, NotFound
from ..services.observation_filter import (
    CATEGORY,
    EVENT,
    FACILITATOR,
    FEELING,
    HIDDEN,
    LIGHT,
    PHOTO,
    from_args,
    to_args,
)
from .blueprint import bp

# The fields of the filter the triage page offers. The gallery reads the same ones from its
# address (its form shows the event and the category), but never shows hidden spots.
TRIAGE_FIELDS = (EVENT, CATEGORY, FEELING, LIGHT, PHOTO, FACILITATOR, HIDDEN)
GALLERY_FIELDS = TRIAGE_FIELDS


# --- Parsing the query string ---------------------------------------------------------------


def cursors_from_args(args: MultiDict) -> dict[str, service.Cursor | None]:
    """after= and before= (at most one of them), or a 400 page."""
    found = {name: args.get(name) for name in ("after", "before")}
    if all(found.values()):
        abort(400, description="after and before together")
    try:
        return {name: service.Cursor.parse(v) if v else None for name, v in found.items()}
    except service.BadCursor:
        abort(400, description="bad paging cursor")


def _paging_urls(endpoint: str, project_id: int, filters, page) -> dict[str, str | None]:
    args = to_args(filters)

    def link(**cursor):
        return url_for(endpoint, project_id=project_id, **args, **cursor)

    return {
        "first_url": link(),
        "next_url": link(after=page.next_cursor.encode()) if page.next_cursor else None,
        "prev_url": link(before=page.prev_cursor.encode()) if page.prev_cursor else None,
    }


# --- Pages ----------------------------------------------------------------------------------


@bp.get("/projects/<int:project_id>/observations")
@login_required
def triage(project_id: int):
    project = project_or_404(project_id, READ)
    filters = from_args(request.args, TRIAGE_FIELDS)
    page = service.observations_page(project.id, filters, **cursors_from_args(request.args))
    people = service.user_names(
        user_id for obs in page.rows for user_id in (obs.entered_by_id, obs.hidden_by_id)
    )
    return render_template(
        "planner/triage.html",
        project=project,
        walks={walk.id: walk for walk in service.project_walks(project.id)},
        vocab=vocabularies,
        filters=filters,
        page=page,
        people=people,
        can_moderate=may(project.id, MODERATE),
        here=request.full_path,
        **_paging_urls("planner.triage", project.id, filters, page),
    )


@bp.get("/projects/<int:project_id>/photos")
@login_required
def gallery(project_id: int):
    project = project_or_404(project_id, READ)
    filters = from_args(request.args, GALLERY_FIELDS)
    page = service.gallery_page(project.id, filters, **cursors_from_args(request.args))
    return render_template(
        "planner/gallery.html",
        project=project,
        walks={walk.id: walk for walk in service.project_walks(project.id)},
        vocab=vocabularies,
        filters=filters,
        page=page,
        filter_args=to_args(filters),  # the viewer of each photo keeps the filter
        **_paging_urls("planner.gallery", project.id, filters, page),
    )


@bp.get("/projects/<int:project_id>/photos/<int:photo_id>")
@login_required
def gallery_photo(project_id: int, photo_id: int):
    """One photo of the gallery with its spot's context, and links to the photos before and
    after it in the gallery (the same filter, kept in every link)."""
    project = project_or_404(project_id, READ)
    filters = from_args(request.args, GALLERY_FIELDS)
    view = service.gallery_photo(project.id, filters, photo_id)
    if view is None:
        abort(404)
    args = to_args(filters)

    def photo_url(other_id: int | None) -> str | None:
        if other_id is None:
            return None
        return url_for("planner.gallery_photo", project_id=project.id, photo_id=other_id, **args)

    cursor = {"after": view.back.encode()} if view.back else {}
    back_url = url_for("planner.gallery", project_id=project.id, **args, **cursor)
    return render_template(
        "planner/gallery_photo.html",
        project=project,
        view=view,
        obs=view.item.observation,
        photo=view.item.photo,
        newer_url=photo_url(view.newer),
        older_url=photo_url(view.older),
        back_url=f"{back_url}#photo-{photo_id}",
    )


# --- Moderation -----------------------------------------------------------------------------


def _back_to_triage(project_id: int):
    """Back to the triage page the form was on (its filters and cursor), never elsewhere, and
    never with a control character (a CR LF would split the Location header: a 500)."""
    target = request.form.get("next", "")
    parts = urlsplit(target)
    own_path = url_for("planner.triage", project_id=project_id)
    forged = has_control_characters(target, allowed="") or "\x7f" in target or "\\" in target
    if parts.scheme or parts.netloc or parts.path != own_path or forged:
        target = own_path
    return redirect(target, code=303)


def _observation_or_404(project_id: int, observation_id: int):
    project_or_404(project_id, MODERATE)
    try:
        return moderation.project_observation(project_id, observation_id)
    except NotFound:
        abort(404)


@bp.post("/projects/<int:project_id>/observations/<int:observation_id>/hide")
@login_required
def hide_observation(project_id: int, observation_id: int):
    obs = _observation_or_404(project_id, observation_id)
    try:
        reason = request.form.get("reason")
        moderation.hide(obs, reason, user_id=current_user.id, project_id=project_id)
    except (Invalid, Conflict) as exc:
        flash_refusal(exc)
    else:
        flash(_("The spot is hidden. It stays stored, with the reason."), "ok")
    return _back_to_triage(project_id)


@bp.post("/projects/<int:project_id>/observations/<int:observation_id>/unhide")
@login_required
def unhide_observation(project_id: int, observation_id: int):
    obs = _observation_or_404(project_id, observation_id)
    try:
        moderation.unhide(obs, user_id=current_user.id, project_id=project_id)
    except Conflict as exc:
        flash_refusal(exc)
    else:
        flash(_("The spot is shown again."), "ok")
    return _back_to_triage(project_id)
