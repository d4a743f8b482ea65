"""Hotspots of a project, and the findings planners confirm from them. No Flask here.

The statistics are domain.hotspots (pure); this module reads the spots they need — the visible
ones (``hidden_at IS NULL``) of the project's events, narrowed by the filters, selecting only
the columns the statistics use — and keeps findings, each change in the audit log.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from ..domain import hotspots as domain
from ..extensions import db, utcnow
from ..models import Finding, Observation, Photo, StoredFile
from . import audit
from . import triage as triage_service
from .errors import Conflict, Invalid, NotFound

TITLE_MAX_LENGTH = 200
RECOMMENDATION_MAX_LENGTH = 5000


@dataclass(frozen=True)
class Filters:
    """Which spots the statistics run on; an empty tuple means "any"."""

    walk_ids: tuple[int, ...] = ()
    light_conditions: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, list]:
        return {
            "events": list(self.walk_ids),
            "light": list(self.light_conditions),
            "categories": list(self.categories),
        }


@dataclass(frozen=True)
class PhotoRef:
    """What a thumbnail needs: the photo's id and the size of its file."""

    id: int
    width: int
    height: int


def _where(project_id: int, filters: Filters) -> list[sa.ColumnElement[bool]]:
    """Visible spots of the project's (filtered) events: the triage page's own conditions."""
    scoped = triage_service.Filters(
        walk_ids=filters.walk_ids,
        light_conditions=filters.light_conditions,
        categories=filters.categories,
        hidden=triage_service.HIDDEN_EXCLUDE,
    )
    return triage_service.conditions(triage_service.scope(project_id, scoped), scoped)


def _photos(where: list[sa.ColumnElement[bool]]) -> dict[int, list[PhotoRef]]:
    """The photos of the matching spots, by spot id (one query, only spots that have some)."""
    query = (
        sa.select(Photo.observation_id, Photo.id, StoredFile.width, StoredFile.height)
        .join(Observation, Photo.observation_id == Observation.id)
        .join(StoredFile, Photo.file_id == StoredFile.id)
        .where(*where)
        .order_by(Photo.id)
    )
    found: dict[int, list[PhotoRef]] = defaultdict(list)
    for obs_id, photo_id, width, height in db.session.execute(query):
        found[obs_id].append(PhotoRef(photo_id, width, height))
    return found


def spots(project_id: int, filters: Filters) -> list[domain.Spot]:
    """The matching spots as the plain records the statistics take."""
    where = _where(project_id, filters)
    photos = _photos(where)
    query = sa.select(
        Observation.id,
        Observation.participant_id,
        Observation.lat,
        Observation.lon,
        Observation.feeling,
        Observation.category,
        Observation.light_condition,
        Observation.comment,
        Observation.recorded_at,
    ).where(*where)
    return [
        domain.Spot(
            id=row.id,
            participant_id=row.participant_id,
            lat=row.lat,
            lon=row.lon,
            feeling=row.feeling,
            category=row.category,
            light_condition=row.light_condition,
            comment=row.comment,
            recorded_at=row.recorded_at,
            photos=tuple(photos.get(row.id, ())),
        )
        for row in db.session.execute(query)
    ]


def project_hotspots(project_id: int, filters: Filters) -> list[domain.Hotspot]:
    """The project's hotspots under `filters`, highest z first."""
    return domain.hotspots(spots(project_id, filters))


# --- Findings -------------------------------------------------------------------------------


def _clean(title: str | None, recommendation: str | None) -> tuple[str, str]:
    title = " ".join((title or "").split())
    recommendation = (recommendation or "").strip()
    errors = {}
    if not title or len(title) > TITLE_MAX_LENGTH:
        errors["title"] = f"1 to {TITLE_MAX_LENGTH} characters"
    if not recommendation or len(recommendation) > RECOMMENDATION_MAX_LENGTH:
        errors["recommendation"] = f"1 to {RECOMMENDATION_MAX_LENGTH} characters"
    if errors:
        raise Invalid(errors)
    return title, recommendation


def project_findings(project_id: int) -> list[Finding]:
    query = (
        sa.select(Finding)
        .where(Finding.project_id == project_id)
        .order_by(Finding.created_at.desc(), Finding.id.desc())
    )
    return list(db.session.scalars(query))


def findings_by_cell(project_id: int) -> dict[str, Finding]:
    return {finding.cell: finding for finding in project_findings(project_id)}


def project_finding(project_id: int, finding_id: int) -> Finding:
    """A finding of the project, or NotFound (another project's looks unknown)."""
    finding = db.session.get(Finding, finding_id)
    if finding is None or finding.project_id != project_id:
        raise NotFound({"finding": "unknown finding"})
    return finding


def confirm(
    project_id: int,
    cell: str,
    filters: Filters,
    *,
    title: str | None,
    recommendation: str | None,
    user_id: int,
) -> Finding:
    """Make a hotspot a finding, with the statistics computed now (never sent by the browser).

    NotFound if the cell is not (or no longer) a hotspot under these filters; Conflict if the
    project already has a finding there (edit that one).
    """
    title, recommendation = _clean(title, recommendation)
    hotspot = next((h for h in project_hotspots(project_id, filters) if h.cell == cell), None)
    if hotspot is None:
        raise NotFound({"cell": "not a hotspot"})
    exists = sa.select(Finding.id).where(Finding.project_id == project_id, Finding.cell == cell)
    if db.session.scalar(exists) is not None:
        raise Conflict({"cell": "already a finding"})
    snapshot: dict[str, Any] = {**hotspot.snapshot(), "filters": filters.as_dict()}
    now = utcnow()
    finding = Finding(
        project_id=project_id,
        cell=cell,
        lat=hotspot.lat,
        lon=hotspot.lon,
        title=title,
        recommendation=recommendation,
        statistics=snapshot,
        created_by_id=user_id,
        created_at=now,
        updated_at=now,
    )
    try:
        with db.session.begin_nested():  # two planners confirming the same place at once
            db.session.add(finding)
    except IntegrityError:
        raise Conflict({"cell": "already a finding"}) from None
    audit.record(
        "create",
        "finding",
        finding.id,
        user_id=user_id,
        project_id=project_id,
        details={"cell": cell, "title": title, "z": snapshot["z"], "p": snapshot["p"]},
    )
    return finding


def edit(finding: Finding, *, title: str | None, recommendation: str | None, user_id: int):
    """Change a finding's title and recommendation; the log keeps what they said before."""
    title, recommendation = _clean(title, recommendation)
    changed = {
        name: [getattr(finding, name), value]  # [before, after], as the audit page shows them
        for name, value in (("title", title), ("recommendation", recommendation))
        if getattr(finding, name) != value
    }
    if not changed:
        return finding
    finding.title, finding.recommendation = title, recommendation
    finding.updated_at = utcnow()
    audit.record(
        "edit",
        "finding",
        finding.id,
        user_id=user_id,
        project_id=finding.project_id,
        details={"cell": finding.cell, **changed},
    )
    db.session.flush()
    return finding


def delete(finding: Finding, *, user_id: int) -> None:
    audit.record(
        "delete",
        "finding",
        finding.id,
        user_id=user_id,
        project_id=finding.project_id,
        details={
            "cell": finding.cell,
            "title": finding.title,
            "recommendation": finding.recommendation,
        },
    )
    db.session.delete(finding)
    db.session.flush()
