"""Export files: each checks the EXPORT permission of the role (domain/permissions.py; the view
or the job has checked membership: not a member is a 404), gives every spot its reference
(services/spot_references.py: the same in the annex, the tables and the photo ZIP), writes the
file to a binary file object the caller opened — streamed: rows are read and written in
batches, memory does not grow with the project — and records an audit entry (who, which
format and layer, which filters, how many rows) in the caller's unit of work. Each returns a
small summary (the counts, and ``withheld`` when a profile filter keeps too few people).

The data exports and the photos are separate files: a table never drags the media along.
`progress(done, total)` is called now and then (a job shows it). No Flask request here (the
functions run in a request or in a background job alike; labels and headings come from the
catalogs in the export's `language`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import IO, Any
from zoneinfo import ZoneInfo

from flask_babel import force_locale, gettext

from ..domain import spreadsheet as sheet
from ..domain.permissions import EXPORT, can
from ..domain.thresholds import MIN_PEOPLE_FOR_FIGURE
from ..exporters import geojson, layers, photos_zip, tabular
from ..extensions import db, utcnow
from ..models import Project
from . import audit, spot_references
from .errors import Forbidden, NotFound
from .maps import MAP_FIELDS
from .observation_filter import ObservationFilter, to_args
from .photo_store import PhotoStore

# An export reads the map's filter fields from its address (hidden spots never leave).
EXPORT_FIELDS = MAP_FIELDS
LAYERS = sheet.LAYERS
DEFAULT_LANGUAGE = "fr"

Progress = Callable[[int, int], Any]

# The words of file names (file_name's `kind`), msgids: "signalements" in French.
KIND_WORDS = {
    sheet.SPOTS: sheet.N_("spots"),
    sheet.FINDINGS: sheet.N_("findings"),
    sheet.STOPS: sheet.N_("stops"),
    sheet.PERIMETER: sheet.N_("perimeter"),
    sheet.ZONES: sheet.N_("zones"),
    "data": sheet.N_("data"),
    "photos": sheet.N_("photos"),
    "annex": sheet.N_("tender annex"),
    "answers": sheet.N_("survey answers"),
}
FALLBACK_SLUG = "walkapp"


def _check_allowed(role: str) -> None:
    if not can(role, EXPORT):
        raise Forbidden({"body": "export_not_allowed"})


def _check_layer(layer: str) -> None:
    if layer not in LAYERS:
        raise ValueError(f"layer must be one of {LAYERS}")


def _begin(project_id: int, role: str, *, prepared: bool = False) -> Project:
    _check_allowed(role)
    project = db.session.get(Project, project_id)
    if project is None:
        raise NotFound({"project": "not_found"})
    if not prepared:
        spot_references.assign(project_id)
    return project


def prepare(
    project_id: int, filters: ObservationFilter | None, details: dict[str, Any], *, user_id, role
) -> Project:
    """The request's half of an export built in the background (walkapp.export_jobs): the
    right checked, the references handed out and the export recorded (who, what, which
    filters), all in the request's unit of work. The job then only reads (`prepared=True`):
    it never holds SQLite's write lock for a long build, and its file holds the spots that had
    a reference when the planner asked for it."""
    project = _begin(project_id, role)
    _record(project_id, user_id, filters, details)
    return project


def _record(
    project_id: int, user_id: int, filters: ObservationFilter | None, summary: dict[str, Any]
) -> None:
    details = {**summary, "filters": to_args(filters or ObservationFilter())}
    audit.record(
        "export", "project", project_id, user_id=user_id, project_id=project_id, details=details
    )


def _layer_summary(fmt: str, layer: layers.Layer, rows: int) -> dict[str, Any]:
    summary: dict[str, Any] = {"format": fmt, "layer": layer.name, layer.name: rows}
    if layer.withheld:
        summary["withheld"] = layer.withheld
    return summary


def write_geojson(
    project_id: int,
    filters: ObservationFilter | None,
    out: IO[bytes],
    *,
    layer: str = sheet.SPOTS,
    user_id: int,
    role: str,
    progress: Progress | None = None,
    prepared: bool = False,
) -> dict[str, Any]:
    """One layer (spots, findings, stops, perimeter) as a GeoJSON FeatureCollection."""
    _check_layer(layer)
    project = _begin(project_id, role, prepared=prepared)
    opened = layers.open_layer(layer, project, filters)
    summary = _layer_summary("geojson", opened, geojson.write(opened, out, progress))
    if not prepared:
        _record(project_id, user_id, filters, summary)
    return summary


def write_csv(
    project_id: int,
    filters: ObservationFilter | None,
    out: IO[bytes],
    *,
    layer: str = sheet.SPOTS,
    french: bool = False,
    lambert93: bool = False,
    language: str = DEFAULT_LANGUAGE,
    user_id: int,
    role: str,
    progress: Progress | None = None,
    prepared: bool = False,
) -> dict[str, Any]:
    """One layer as CSV: UTF-8 with BOM; `french`: ``;`` and decimal commas; `lambert93`: X/Y
    columns; labels in `language`."""
    _check_layer(layer)
    project = _begin(project_id, role, prepared=prepared)
    opened = layers.open_layer(layer, project, filters, lambert93=lambert93)
    with force_locale(language):
        rows = tabular.write_csv(opened, out, french=french, lambert93=lambert93, progress=progress)
    summary = _layer_summary("csv", opened, rows)
    if not prepared:
        _record(project_id, user_id, filters, summary)
    return summary


def write_xlsx(
    project_id: int,
    filters: ObservationFilter | None,
    out: IO[bytes],
    *,
    lambert93: bool = False,
    language: str = DEFAULT_LANGUAGE,
    user_id: int,
    role: str,
    progress: Progress | None = None,
    prepared: bool = False,
) -> dict[str, Any]:
    """Every layer, one sheet each, then the definitions sheet; headings and labels in
    `language` (codes beside the labels)."""
    project = _begin(project_id, role, prepared=prepared)
    opened = [layers.open_layer(n, project, filters, lambert93=lambert93) for n in LAYERS]
    total = sum(layer.total for layer in opened)
    summary: dict[str, Any] = {"format": "xlsx"}
    with force_locale(language):
        book = tabular.XlsxWriter()
        done = 0
        for layer in opened:

            def step(rows: int, before: int = done) -> None:
                if progress is not None:
                    progress(before + rows, total)

            summary[layer.name] = book.layer(layer, lambert93=lambert93, progress=step)
            done += summary[layer.name]
            if layer.withheld:
                summary["withheld"] = layer.withheld
        book.definitions(_about(project, filters, summary), lambert93=lambert93)
        book.save(out)
    if progress is not None:
        progress(done, total)
    if not prepared:
        _record(project_id, user_id, filters, summary)
    return summary


def _about(
    project: Project, filters: ObservationFilter | None, summary: dict[str, Any]
) -> list[tuple[str, Any]]:
    """The first lines of the definitions sheet (in the current language)."""
    rows: list[tuple[str, Any]] = [
        (gettext("Project"), project.name),
        (gettext("Commune"), project.commune),
        (gettext("Exported on"), _today(project)),
        (gettext("Filters"), describe_filters(filters) or gettext("none: every spot")),
        (gettext("Spots"), summary.get(sheet.SPOTS, 0)),
        (
            gettext("Hidden spots"),
            gettext("left out (moderated spots never leave walkapp)"),
        ),
    ]
    if summary.get("withheld"):
        rows.append(
            (
                gettext("Spots withheld"),
                gettext(
                    "The filter on the participants' profile keeps fewer than %(num)s people:"
                    " no spot is shown, so that nobody can be singled out.",
                    num=MIN_PEOPLE_FOR_FIGURE,
                ),
            )
        )
    return rows


def describe_filters(filters: ObservationFilter | None) -> str:
    """The filter as its address says it ("category=lighting,visibility; light=night")."""
    args = to_args(filters or ObservationFilter())
    return "; ".join(
        f"{name}={','.join(value) if isinstance(value, list) else value}"
        for name, value in args.items()
    )


def write_photos_zip(
    project_id: int,
    filters: ObservationFilter | None,
    out: IO[bytes],
    store: PhotoStore,
    *,
    user_id: int,
    role: str,
    progress: Progress | None = None,
    prepared: bool = False,
) -> dict[str, Any]:
    """The photos of the filter's spots as a ZIP of ``S042-1.jpg`` entries, byte for byte."""
    project = _begin(project_id, role, prepared=prepared)
    summary = {"format": "zip", "layer": "photos"}
    summary.update(photos_zip.write(project, filters, out, store, progress))
    if not prepared:
        _record(project_id, user_id, filters, summary)
    return summary


def _today(project: Project) -> date:
    return utcnow().astimezone(ZoneInfo(project.timezone)).date()


def file_name(
    project: Project,
    kind: str,
    ext: str,
    *,
    language: str = DEFAULT_LANGUAGE,
    today: date | None = None,
) -> str:
    """ "place-du-canada-signalements-2026-12-01.csv": the project's name and the kind of file
    (KIND_WORDS) in `language`, made ASCII, and the day in the project's time zone — safe as
    is in a Content-Disposition header."""
    with force_locale(language):
        word = gettext(KIND_WORDS[kind])
    day = (today or _today(project)).isoformat()
    name = sheet.slug(project.name) or FALLBACK_SLUG
    extension = sheet.slug(ext) or "bin"
    return f"{name}-{sheet.slug(word) or kind}-{day}.{extension}"


# Media types of the files, for the views and jobs that serve them.
MEDIA_TYPES = {
    "geojson": geojson.MEDIA_TYPE,
    "csv": tabular.CSV_MEDIA_TYPE,
    "xlsx": tabular.XLSX_MEDIA_TYPE,
    "zip": photos_zip.MEDIA_TYPE,
}
