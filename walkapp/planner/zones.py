"""A project's zones: the list (order, spots attached, overlaps), a map with the perimeter and
the zones, and the forms to add (drawn or from a file), rename, redraw, move, delete and import.

Reading is READ; every change is EDIT_PROJECT, then starts the job that re-attaches the spots
(services.zones): the page links to it and says how it stands. The map is Leaflet + Geoman like
the perimeter's (static/planner/zones.js): what is drawn goes into the forms' hidden
`zone_drawn` field as GeoJSON, cleaned by the server like an uploaded file.
"""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..access import may, project_or_404
from ..domain.permissions import EDIT_PROJECT, READ
from ..error_messages import flash_refusal
from ..services import zones as service
from ..services.errors import ServiceError
from .blueprint import bp
from .forms import (
    ZoneDeleteForm,
    ZoneForm,
    ZoneImportForm,
    ZoneMoveForm,
    ZoneRedrawForm,
    ZoneRenameForm,
)
from .jobs import status_texts
from .projects import PERIMETER_BODY_LIMIT

STEPS = {"up": -1, "down": 1}


def _map_config(project, zones) -> dict:
    config = current_app.config
    return {
        "perimeter": project.perimeter,
        "zones": [{"id": z.id, "name": z.name, "geometry": z.geometry} for z in zones],
        "home": list(config.get("DEFAULT_PLACE") or ()) or None,
        "tiles": config.get("TILE_URL") or "",
        "attribution": config.get("TILE_ATTRIBUTION") or "",
        "lang": str(get_locale()),
    }


def _page(project, add_form: ZoneForm | None = None, import_form=None, status: int = 200):
    zones = service.list_zones(project.id)
    job = service.latest_job(project.id)
    overlaps = service.overlapping(zones)
    overlapping = {z.id: [] for z in zones}
    for first, second in overlaps:
        overlapping[first.id].append(second)
        overlapping[second.id].append(first)
    return (
        render_template(
            "planner/zones.html",
            project=project,
            zones=zones,
            counts=service.spot_counts(project.id),
            unattached=service.unattached_count(project.id),
            overlaps=overlaps,
            overlapping=overlapping,
            outside={z.id for z in service.outside_perimeter(project, zones)},
            job=job,
            job_status=status_texts().get(job.status, job.status) if job else None,
            can_edit=may(project.id, EDIT_PROJECT),
            add_form=add_form or ZoneForm(formdata=None),
            import_form=import_form or ZoneImportForm(formdata=None),
            rename_form=ZoneRenameForm,
            redraw_form=ZoneRedrawForm(formdata=None),
            move_form=ZoneMoveForm(formdata=None),
            delete_form=ZoneDeleteForm(formdata=None),
            map_config=_map_config(project, zones),
            body_limit=PERIMETER_BODY_LIMIT,
        ),
        status,
    )


@bp.get("/projects/<int:project_id>/zones")
@login_required
def zones(project_id: int):
    project = project_or_404(project_id, READ)
    return _page(project)


def _done(project, job, text: str):
    if job is not None:
        flash(text + " " + _("The spots are being attached to the zones again."), "ok")
    else:
        flash(_("Nothing changed."), "info")
    return redirect(url_for("planner.zones", project_id=project.id), code=303)


def _refused(project, exc: ServiceError, **forms):
    flash_refusal(exc)
    return _page(project, status=422, **forms)


@bp.post("/projects/<int:project_id>/zones/add")
@login_required
def zone_add(project_id: int):
    project = project_or_404(project_id, EDIT_PROJECT)
    request.max_content_length = PERIMETER_BODY_LIMIT
    form = ZoneForm()
    if not form.validate_on_submit():
        return _page(project, add_form=form, status=422)
    try:
        job = service.create_zone(
            project.id, form.name.data, form.geometry_data(), user_id=current_user.id
        )
    except ServiceError as exc:
        return _refused(project, exc, add_form=form)
    return _done(project, job, _("The zone is added."))


@bp.post("/projects/<int:project_id>/zones/import")
@login_required
def zone_import(project_id: int):
    project = project_or_404(project_id, EDIT_PROJECT)
    request.max_content_length = PERIMETER_BODY_LIMIT
    form = ZoneImportForm()
    upload = form.zones_file.data if form.validate_on_submit() else None
    if upload is None or not getattr(upload, "filename", ""):
        form.zones_file.errors = [*form.zones_file.errors, _("Choose a GeoJSON file.")]
        return _page(project, import_form=form, status=422)
    try:
        job = service.import_geojson(project.id, upload.read(), user_id=current_user.id)
    except ServiceError as exc:
        return _refused(project, exc, import_form=form)
    return _done(project, job, _("The zones of the file are imported."))


@bp.post("/projects/<int:project_id>/zones/<int:zone_id>/rename")
@login_required
def zone_rename(project_id: int, zone_id: int):
    project = project_or_404(project_id, EDIT_PROJECT)
    form = ZoneRenameForm()
    if not form.validate_on_submit():
        flash(" ".join(str(e) for e in form.name.errors) or _("Nothing changed."), "error")
        return _page(project, status=422)
    try:
        job = service.rename_zone(project.id, zone_id, form.name.data, user_id=current_user.id)
    except ServiceError as exc:
        return _refused(project, exc)
    return _done(project, job, _("The zone is renamed."))


@bp.post("/projects/<int:project_id>/zones/<int:zone_id>/redraw")
@login_required
def zone_redraw(project_id: int, zone_id: int):
    project = project_or_404(project_id, EDIT_PROJECT)
    request.max_content_length = PERIMETER_BODY_LIMIT
    form = ZoneRedrawForm()
    if not form.validate_on_submit():
        return _page(project, status=422)
    try:
        job = service.redraw_zone(
            project.id, zone_id, form.geometry_data(), user_id=current_user.id
        )
    except ServiceError as exc:
        return _refused(project, exc)
    return _done(project, job, _("The zone is redrawn."))


@bp.post("/projects/<int:project_id>/zones/<int:zone_id>/move")
@login_required
def zone_move(project_id: int, zone_id: int):
    project = project_or_404(project_id, EDIT_PROJECT)
    form = ZoneMoveForm()
    if not form.validate_on_submit() or form.direction.data not in STEPS:
        return _page(project, status=422)
    try:
        job = service.move_zone(
            project.id, zone_id, STEPS[form.direction.data], user_id=current_user.id
        )
    except ServiceError as exc:
        return _refused(project, exc)
    return _done(project, job, _("The order of the zones is changed."))


@bp.post("/projects/<int:project_id>/zones/<int:zone_id>/delete")
@login_required
def zone_delete(project_id: int, zone_id: int):
    project = project_or_404(project_id, EDIT_PROJECT)
    form = ZoneDeleteForm()
    if not form.validate_on_submit():
        return _page(project, status=422)
    try:
        job = service.delete_zone(project.id, zone_id, user_id=current_user.id)
    except ServiceError as exc:
        return _refused(project, exc)
    return _done(project, job, _("The zone is deleted."))
