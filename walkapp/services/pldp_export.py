"""A project's usage counts as the Public Life Data Protocol's tables (exporters/pldp.py): its
zones are the locations, its counting periods the surveys, one study per phase of the project
that has counts (the protocol's Study has a project phase; a survey has none), the people
counted one row each. Read only; no Flask request (it runs in a job: walkapp.export_jobs).

The right to export and the audit entry are the request's (export_jobs.request_pldp).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import IO, Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from ..domain import counts as domain
from ..domain import spreadsheet as sheet
from ..domain.vocabularies import PROJECT_PHASES
from ..exporters import layers, pldp
from ..extensions import db, utcnow
from ..models import CountPeriod, CountRecord, Project, Zone
from .errors import NotFound

Progress = Callable[[int, int], Any]
FILE_WORD = "pldp"  # the same in every language: the protocol's name
FALLBACK_SLUG = "walkapp"


def has_counts(project_id: int) -> bool:
    query = sa.select(CountPeriod.id).where(CountPeriod.project_id == project_id).limit(1)
    return db.session.scalar(query) is not None


def file_name(project: Project, today: date | None = None) -> str:
    """ "place-du-canada-pldp-2026-12-01.zip", the day in the project's time zone."""
    day = today or utcnow().astimezone(ZoneInfo(project.timezone)).date()
    return f"{sheet.slug(project.name) or FALLBACK_SLUG}-{FILE_WORD}-{day.isoformat()}.zip"


def _study_id(project: Project, phase: str) -> str:
    return f"{project.id}-{phase}"


def _studies(project: Project, periods: list[CountPeriod], zones: list[Zone], tz) -> list[dict]:
    by_phase: dict[str, list[datetime]] = {}
    for period in periods:
        by_phase.setdefault(period.phase, []).append(period.started_at)
    if not by_phase:
        by_phase[project.phase] = []
    order = {code: i for i, code in enumerate(PROJECT_PHASES.codes)}
    areas = "; ".join(zone.name for zone in zones)
    rows = []
    for phase in sorted(by_phase, key=lambda p: (order.get(p, len(order)), p)):
        days = sorted(when.astimezone(tz).date() for when in by_phase[phase])
        rows.append(
            {
                "id": _study_id(project, phase),
                "agency": project.commune,
                "title": project.name,
                "project": project.name,
                "project_phase": phase,
                "start_date": days[0] if days else None,
                "end_date": days[-1] if days else None,
                "areas": areas,
                "protocol_version": pldp.PROTOCOL_VERSION,
                "notes": "Exported by walkapp. Gender and age are perceived by the counter.",
            }
        )
    return rows


def _location(project: Project, zone: Zone) -> dict:
    return {
        "id": zone.id,
        "agency": project.commune,
        "country": "France" if project.insee_code else None,
        "city": project.commune,
        "name_primary": zone.name,
        "name_secondary": project.name,
        "geometry": layers.wkt(zone.geometry),
        "geometry_type": pldp.GEOMETRY_TYPE,
    }


def _survey(project: Project, period: CountPeriod, tz) -> dict:
    return {
        "id": period.id,
        "location": period.zone_id,
        "study": _study_id(project, period.phase),
        "time_start": period.started_at.astimezone(tz),
        "time_stop": period.ended_at.astimezone(tz) if period.ended_at else None,
        "time_character": period.time_character or "none",
        "representation": pldp.REPRESENTATION,
        "microclimate": period.weather,
        "method": pldp.METHOD,
    }


def _people(project_id: int, kinds: dict[int, str]) -> tuple[list[dict], list[dict]]:
    query = (
        sa.select(CountRecord)
        .join(CountPeriod, CountPeriod.id == CountRecord.period_id)
        .where(CountPeriod.project_id == project_id)
        .order_by(CountRecord.id)
    )
    moving, staying = [], []
    for record in db.session.scalars(query):
        row = {
            "id": record.id,
            "survey": record.period_id,
            "total": 1,
            "gender": record.gender,
            "age": record.age_group,
        }
        if kinds[record.period_id] == domain.MOVING:
            moving.append({**row, "mode": record.mode})
        else:
            staying.append(
                {
                    **row,
                    "posture": record.posture,
                    "activities": record.activity,
                    "groups": record.group_size,
                }
            )
    return moving, staying


def write_project(project_id: int, out: IO[bytes], *, progress: Progress | None = None) -> dict:
    """The project's counts as the protocol's ZIP, written to `out`; the rows of each file."""
    project = db.session.get(Project, project_id)
    if project is None:
        raise NotFound({"project": "not_found"})
    tz = ZoneInfo(project.timezone)
    zones = list(
        db.session.scalars(sa.select(Zone).where(Zone.project_id == project_id).order_by(Zone.id))
    )
    periods = list(
        db.session.scalars(
            sa.select(CountPeriod)
            .where(CountPeriod.project_id == project_id)
            .order_by(CountPeriod.id)
        )
    )
    moving, staying = _people(project_id, {p.id: p.kind for p in periods})
    notes = [{"survey": p.id, "line": p.line, "note": p.note} for p in periods if p.line or p.note]
    return pldp.write_zip(
        out,
        _studies(project, periods, zones, tz),
        [_location(project, zone) for zone in zones],
        [_survey(project, period, tz) for period in periods],
        moving,
        staying,
        notes=notes,
        progress=progress,
    )
