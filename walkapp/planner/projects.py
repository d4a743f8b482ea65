"""Projects: the list of mine, a project's page, create and edit (perimeter included), the
project's audit log, and the drawing plug-in's files.

The perimeter comes either from a GeoJSON file or from the map (Leaflet + Geoman, from npm),
which puts what was drawn into a hidden field as GeoJSON; both go through
domain.geo.perimeter_geometry, whose refusal is worded next to the field. A new or changed
perimeter that raises questions (domain.perimeter_checks: swapped axes, far from France, too
large, leaving out stops or spots) is saved only once "I confirm this perimeter" is ticked; until
then the page comes back with the questions, and with the shape read in the hidden field (a file
cannot be sent back to a browser). The browser checks a file's size before sending it; the 413
page says what happened (pages.py).
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import format_decimal, get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..access import may, project_or_404, role_in, visible_projects_query
from ..domain.permissions import EDIT_PROJECT, READ, can
from ..error_messages import show_on_form
from ..extensions import db
from ..i18n import label
from ..models import Project
from ..resources import npm_dist
from ..services import projects as service
from ..services.errors import Invalid
from .blueprint import bp
from .forms import COMMON_TIMEZONES, ProjectForm, before_arg, question_sentence

# A perimeter file is small (domain.geo caps it at 20,000 points, well under 1 MB).
PERIMETER_BODY_LIMIT = 2 * 1024 * 1024
# The drawing plug-in's files that pages load (npm package @geoman-io/leaflet-geoman-free).
GEOMAN_FILES = ("leaflet-geoman.min.js", "leaflet-geoman.css")
YEAR = 365 * 24 * 3600
AUDIT_VALUE_CHARS = 300  # a longer value is cut on the log's page (it stays whole in the database)

# --- Template helpers ---------------------------------------------------------------------------


def geoman_dir() -> Path:
    """Geoman from npm (package.json): inside the wheel, or node_modules in a checkout."""
    return npm_dist("leaflet-geoman", "@geoman-io/leaflet-geoman-free/dist")


@cache
def _digest(path: Path, _mtime: float) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def vendor_url(filename: str) -> str:
    path = geoman_dir() / filename
    return url_for("planner.vendor", filename=filename, v=_digest(path, path.stat().st_mtime))


def audit_value(value: object) -> str:
    """One value of an audit entry's details as text ([before, after] as "before → after")."""
    if isinstance(value, list) and len(value) == 2:
        text = f"{audit_value(value[0])} → {audit_value(value[1])}"
    elif isinstance(value, dict | list):
        text = json.dumps(value, ensure_ascii=False)
    else:
        text = "—" if value is None or value == "" else str(value)
    return text if len(text) <= AUDIT_VALUE_CHARS else text[: AUDIT_VALUE_CHARS - 1] + "…"


def user_can(action: str, project: Project | None = None) -> bool:
    """May the signed-in user do `action` in `project` (by their role there), or, without a
    project, by their account's role (manage accounts, create projects)?"""
    if not current_user.is_authenticated:
        return False
    return may(project.id, action) if project is not None else can(current_user.role, action)


@bp.context_processor
def planner_helpers() -> dict:
    return {
        "audit_action": lambda code: label("audit_action", code),
        "audit_target": lambda code: label("audit_target", code),
        "audit_field": lambda key: label("audit_field", key),
        "audit_value": audit_value,
        "user_can": user_can,
        "vendor_url": vendor_url,
        "role_label": lambda code: label("user_role", code),
    }


@bp.get("/vendor/<path:filename>")
def vendor(filename: str):
    """The drawing plug-in's own files, served by the app (no CDN: pages work offline)."""
    if filename not in GEOMAN_FILES:
        abort(404)
    cached = request.args.get("v") is not None
    return send_from_directory(geoman_dir(), filename, max_age=YEAR if cached else None)


def _map_config(project: Project | None) -> dict:
    """What perimeter.js draws, and where the map opens: the perimeter (it frames itself), else
    around the project's stops and spots, else at the deployment's default place."""
    config = current_app.config
    points = None
    if project is not None and project.id is not None and not project.perimeter:
        points = service.points_bounds(project.id)
    return {
        "perimeter": project.perimeter if project else None,
        "points": points,
        "home": list(config.get("DEFAULT_PLACE") or ()) or None,
        "tiles": config.get("TILE_URL") or "",
        "attribution": config.get("TILE_ATTRIBUTION") or "",
        "lang": str(get_locale()),
        "labels": {
            "map": _("Map of the perimeter"),
            "file_shown": _("The file's shape is shown on the map; it is saved with the form."),
            "file_unreadable": _("This file could not be read as GeoJSON."),
            "file_too_large": _(
                "This file weighs %(size)s MB, and this form accepts at most %(max)s MB. "
                "Nothing was sent: choose a lighter file (fewer points), or draw the perimeter "
                "on the map.",
                size="{size}",
                max=format_decimal(PERIMETER_BODY_LIMIT / 2**20, format="#,##0.#"),
            ),
        },
    }


# --- Pages --------------------------------------------------------------------------------------


@bp.get("/")
@login_required
def projects():
    mine = db.session.scalars(service.with_events(visible_projects_query())).all()
    archived = db.session.scalars(visible_projects_query(archived=True)).all()
    return render_template(
        "planner/projects.html",
        projects=mine,
        archived=archived,
        counts=service.event_counts(p.id for p in mine),
        can_create=can(current_user.role, EDIT_PROJECT),
    )


@bp.get("/projects/<int:project_id>")
@login_required
def project(project_id: int):
    found = project_or_404(project_id, READ)
    return render_template(
        "planner/project.html",
        project=found,
        counts=service.event_counts([found.id]),
        map_config=_map_config(found),
        # Archiving and deleting stay open on an archived project (to take it out again).
        can_end=can(role_in(found.id) or "", EDIT_PROJECT),
    )


def _render_form(form: ProjectForm, found: Project | None, questions=()):
    status = 422 if request.method == "POST" else 200
    if form.perimeter_given and form.perimeter is not None:
        # The shape read (from the map or a file) comes back in the hidden field: nothing is
        # lost, and the check boxes answer for it.
        form.perimeter_drawn.data = _geojson_text(form.perimeter)
        form.perimeter_origin.data = form.perimeter_source
    return render_template(
        "planner/project_form.html",
        form=form,
        project=found,
        map_config=_map_config(found),
        common_timezones=COMMON_TIMEZONES,
        body_limit=PERIMETER_BODY_LIMIT,
        questions=[(question_sentence(q), q.fix) for q in questions],
    ), status


def _unanswered_questions(form: ProjectForm, found: Project | None) -> list:
    """The questions about the perimeter posted, unless "I confirm this perimeter" was ticked
    for it (an unchanged perimeter, or none, raises no question)."""
    if not form.perimeter_given:
        return []
    questions = service.perimeter_questions(found, form.perimeter)
    return [] if form.perimeter_confirmed_here else questions


@bp.route("/projects/new", methods=["GET", "POST"])
@login_required
def project_new():
    if not can(current_user.role, EDIT_PROJECT):
        abort(403)
    request.max_content_length = PERIMETER_BODY_LIMIT
    form = ProjectForm()
    questions: list = []
    if form.validate_on_submit() and not (questions := _unanswered_questions(form, None)):
        try:
            created = service.create_project(
                form.project_data(),
                user_id=current_user.id,
                perimeter=form.perimeter,
                perimeter_source=form.perimeter_source,
            )
        except Invalid as exc:
            show_on_form(form, exc)  # a rule the form did not catch (it should)
        else:
            flash(_("The project is created."), "ok")
            return redirect(url_for("planner.project", project_id=created.id))
    return _render_form(form, None, questions)


@bp.route("/projects/<int:project_id>/edit", methods=["GET", "POST"])
@login_required
def project_edit(project_id: int):
    found = project_or_404(project_id, EDIT_PROJECT)
    request.max_content_length = PERIMETER_BODY_LIMIT
    form = ProjectForm(obj=found)
    if request.method == "GET":
        form.perimeter_drawn.data = _geojson_text(found.perimeter)
    questions: list = []
    if form.validate_on_submit() and not (questions := _unanswered_questions(form, found)):
        try:
            changes = service.update_project(found, form.project_data(), user_id=current_user.id)
            moved = form.perimeter_given and service.set_perimeter(
                found, form.perimeter, user_id=current_user.id, source=form.perimeter_source
            )
        except Invalid as exc:
            show_on_form(form, exc)  # a rule the form did not catch (it should)
        else:
            flash(_("Changes saved.") if changes or moved else _("Nothing changed."), "ok")
            return redirect(url_for("planner.project", project_id=found.id))
    return _render_form(form, found, questions)


def _geojson_text(geometry: dict | None) -> str:
    return json.dumps(geometry, separators=(",", ":")) if geometry else ""


@bp.get("/projects/<int:project_id>/audit")
@login_required
def audit(project_id: int):
    found = project_or_404(project_id, READ)
    entries, following = service.audit_entries(found.id, before=before_arg())
    return render_template(
        "planner/audit.html",
        project=found,
        entries=entries,
        following=following,
        page_endpoint="planner.audit",
        page_args={"project_id": found.id},
    )
