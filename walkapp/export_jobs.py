"""The exports and the tender annex as background jobs (walkapp.jobs): what a planner asks for
on the exports page is recorded and prepared in her request (services.exports.prepare: the
right, the spots' references, the audit entry), then built by the worker, which only reads.

- `request_export(...)` / `request_annex(...)` / `request_pldp(...)` / `request_answers(...)`:
  the request's half; returns the Job.
- the builders `export`, `annex`, `pldp` (the usage counts in the Public Life Data Protocol's
  tables, services.pldp_export) and `answers` (a questionnaire's answers,
  services.answers_export) write the file and report their progress.

Imported by the app factory, so that the web server (which starts jobs) and `walkapp worker`
(which builds them) know the same kinds.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from . import jobs
from .domain import spreadsheet as sheet
from .domain.permissions import EXPORT, can
from .exporters import annex_docx, clause_library
from .extensions import db
from .models import Job, Project, ProjectMember, User
from .services import annex, answers_export, audit, exports, pldp_export
from .services.errors import Forbidden, Invalid, NotFound
from .services.observation_filter import ObservationFilter, from_args, to_args
from .services.photo_store import PhotoStore

# What the exports page offers: a format, and for some a layer.
DATA_FORMATS = ("geojson", "csv", "xlsx")
PHOTOS = "zip"
FORMATS = (*DATA_FORMATS, PHOTOS)
LAYERED = ("geojson", "csv")  # one layer per file; XLSX holds them all, one sheet each
LANGUAGES = clause_library.LANGUAGES
EXPORT_KINDS = ("export", "annex", "pldp", "answers")  # the jobs the exports page lists
EXTENSIONS = {"geojson": "geojson", "csv": "csv", "xlsx": "xlsx", PHOTOS: "zip"}


def _role(user_id: int | None, project_id: int) -> str | None:
    """The user's role in the project when the job runs (an admin: admin; gone: None)."""
    if user_id is None:
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.active:
        return None
    if user.role == "admin":
        return "admin"
    member = db.session.get(ProjectMember, (user_id, project_id))
    return member.role if member is not None else None


def _filters(params: dict[str, Any]) -> ObservationFilter:
    return from_args(MultiDict(params.get("filters") or {}), exports.EXPORT_FIELDS)


def request_export(
    project_id: int,
    filters: ObservationFilter,
    *,
    format: str,
    layer: str = sheet.SPOTS,
    french: bool = False,
    lambert93: bool = False,
    language: str = LANGUAGES[0],
    user_id: int,
    role: str,
) -> Job:
    """Record and prepare an export of the project (services.exports.prepare), queue its build."""
    if format not in FORMATS or layer not in exports.LAYERS or language not in LANGUAGES:
        raise Invalid({"format": "invalid"})
    params: dict[str, Any] = {"format": format, "language": language}
    if format in LAYERED:
        params["layer"] = layer
    if format == "csv":
        params["french"] = bool(french)
    if format in ("csv", "xlsx"):
        params["lambert93"] = bool(lambert93)
    exports.prepare(project_id, filters, dict(params), user_id=user_id, role=role)
    params["filters"] = to_args(filters)
    return jobs.start("export", project_id=project_id, user_id=user_id, params=params)


@jobs.task("export", label=_l("Data export"))
def build_export(ctx: jobs.JobContext) -> None:
    params = ctx.params
    project = db.session.get(Project, ctx.project_id)
    role = _role(ctx.user_id, ctx.project_id)
    if project is None or role is None:
        raise Forbidden({"body": "export_not_allowed"})
    fmt, language = params["format"], params.get("language", LANGUAGES[0])
    layer = params.get("layer", "data" if fmt == "xlsx" else "photos")
    path = ctx.output(exports.file_name(project, layer, EXTENSIONS[fmt], language=language))
    common: dict[str, Any] = {
        "user_id": ctx.user_id,
        "role": role,
        "progress": ctx.progress,
        "prepared": True,
    }
    filters = _filters(params)
    with open(path, "wb") as out:
        if fmt == "geojson":
            exports.write_geojson(project.id, filters, out, layer=layer, **common)
        elif fmt == "csv":
            exports.write_csv(
                project.id,
                filters,
                out,
                layer=layer,
                french=params.get("french", False),
                lambert93=params.get("lambert93", False),
                language=language,
                **common,
            )
        elif fmt == "xlsx":
            exports.write_xlsx(
                project.id,
                filters,
                out,
                lambert93=params.get("lambert93", False),
                language=language,
                **common,
            )
        else:
            store = PhotoStore(current_app.config["PHOTO_DIR"])
            exports.write_photos_zip(project.id, filters, out, store, **common)


def request_annex(project_id: int, *, language: str, user_id: int, role: str) -> Job:
    """Record and prepare the tender annex (DOCX) of the project, queue its build."""
    if language not in LANGUAGES:
        raise Invalid({"language": "invalid"})
    params = {"format": "docx", "layer": "annex", "language": language}
    exports.prepare(project_id, None, dict(params), user_id=user_id, role=role)
    return jobs.start("annex", project_id=project_id, user_id=user_id, params=params)


@jobs.task("annex", label=_l("Tender annex (DOCX)"))
def build_annex(ctx: jobs.JobContext) -> None:
    project = db.session.get(Project, ctx.project_id)
    if project is None or not can(_role(ctx.user_id, ctx.project_id) or "", EXPORT):
        raise Forbidden({"body": "export_not_allowed"})
    language = ctx.params.get("language", LANGUAGES[0])
    with force_locale(language):
        content = annex.annex_content(
            project.id, language=language, instance_path=current_app.instance_path, prepared=True
        )
        path = ctx.output(exports.file_name(project, "annex", "docx", language=language))
        with open(path, "wb") as out:
            annex_docx.write_docx(
                content,
                out,
                photos=PhotoStore(current_app.config["PHOTO_DIR"]),
                progress=ctx.progress,
            )


def request_pldp(project_id: int, *, user_id: int, role: str) -> Job:
    """Record the export of the project's usage counts (PLDP ZIP), queue its build. No spot
    references: the file holds none."""
    if not can(role, EXPORT):
        raise Forbidden({"body": "export_not_allowed"})
    if db.session.get(Project, project_id) is None:
        raise NotFound({"project": "not_found"})
    params = {"format": "pldp"}
    audit.record(
        "export", "project", project_id, user_id=user_id, project_id=project_id, details=params
    )
    return jobs.start("pldp", project_id=project_id, user_id=user_id, params=dict(params))


@jobs.task("pldp", label=_l("Usage counts (Public Life Data Protocol)"))
def build_pldp(ctx: jobs.JobContext) -> None:
    project = db.session.get(Project, ctx.project_id)
    if project is None or not can(_role(ctx.user_id, ctx.project_id) or "", EXPORT):
        raise Forbidden({"body": "export_not_allowed"})
    path = ctx.output(pldp_export.file_name(project))
    with open(path, "wb") as out:
        pldp_export.write_project(project.id, out, progress=ctx.progress)


def request_answers(
    project_id: int,
    questionnaire_id: int,
    *,
    format: str,
    french: bool = False,
    language: str = LANGUAGES[0],
    user_id: int,
    role: str,
) -> Job:
    """Record the export of a questionnaire's answers (CSV or XLSX), queue its build."""
    if not can(role, EXPORT):
        raise Forbidden({"body": "export_not_allowed"})
    if db.session.get(Project, project_id) is None:
        raise NotFound({"project": "not_found"})
    if format not in answers_export.FORMATS or language not in LANGUAGES:
        raise Invalid({"format": "invalid"})
    answers_export.questionnaire_of(project_id, questionnaire_id)
    params: dict[str, Any] = {
        "format": format,
        "layer": answers_export.KIND,
        "questionnaire": questionnaire_id,
        "language": language,
    }
    if format == "csv":
        params["french"] = bool(french)
    audit.record(
        "export", "project", project_id, user_id=user_id, project_id=project_id, details=params
    )
    return jobs.start("answers", project_id=project_id, user_id=user_id, params=dict(params))


@jobs.task("answers", label=_l("Survey answers"))
def build_answers(ctx: jobs.JobContext) -> None:
    project = db.session.get(Project, ctx.project_id)
    if project is None or not can(_role(ctx.user_id, ctx.project_id) or "", EXPORT):
        raise Forbidden({"body": "export_not_allowed"})
    params = ctx.params
    fmt, language = params["format"], params.get("language", LANGUAGES[0])
    name = exports.file_name(project, answers_export.KIND, fmt, language=language)
    with open(ctx.output(name), "wb") as out:
        answers_export.write(
            project.id,
            params["questionnaire"],
            out,
            format=fmt,
            french=params.get("french", False),
            language=language,
            progress=ctx.progress,
        )


def recent_jobs(project_id: int, limit: int = 10) -> list[Job]:
    """The project's latest jobs, newest first (the exports page lists them)."""
    return list(
        db.session.scalars(
            sa.select(Job)
            .where(Job.project_id == project_id, Job.kind.in_(EXPORT_KINDS))
            .order_by(Job.id.desc())
            .limit(limit)
        )
    )
