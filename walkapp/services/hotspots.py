"""Hotspots of a project, and the findings planners confirm from them. No Flask here.

The statistics are domain.hotspots (pure); this module reads the spots they need — the visible
ones (``hidden_at IS NULL``) of the project's events, narrowed by the observation filter,
selecting only the columns the statistics use — and keeps findings, each change in the audit log.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from ..domain import hotspots as domain
from ..extensions import db, utcnow
from ..models import Finding, Observation, Photo, StoredFile
from . import audit
from .errors import Conflict, Invalid, NotFound, Problem
from .observation_filter import (
    CATEGORY,
    EVENT,
    HIDDEN,
    HIDDEN_EXCLUDE,
    LIGHT,
    ObservationFilter,
    narrow,
    scope,
    to_args,
)

TITLE_MAX_LENGTH = 200
RECOMMENDATION_MAX_LENGTH = 5000


@dataclass(frozen=True)
class PhotoRef:
    """What a thumbnail needs: the photo's id and the size of its file."""

    id: int
    width: int
    height: int


def _filter_snapshot(filters: ObservationFilter) -> dict[str, Any]:
    """The filter a finding was confirmed under: the three keys findings have always kept (the
    fields the hotspots page offers), then any other field set, by its query-string name."""
    others = to_args(filters)
    for name in (EVENT, LIGHT, CATEGORY, HIDDEN):
        others.pop(name, None)
    return {
        "events": list(filters.walk_ids),
        "light": list(filters.light_conditions),
        "categories": list(filters.categories),
        **others,
    }


def _photos(walk_ids: list[int], filters: ObservationFilter) -> dict[int, list[PhotoRef]]:
    """The photos of the matching spots, by spot id (one query, only spots that have some)."""
    query = narrow(
        sa.select(Photo.observation_id, Photo.id, StoredFile.width, StoredFile.height)
        .join(Observation, Photo.observation_id == Observation.id)
        .join(StoredFile, Photo.file_id == StoredFile.id),
        walk_ids,
        filters,
    ).order_by(Photo.id)
    found: dict[int, list[PhotoRef]] = defaultdict(list)
    for obs_id, photo_id, width, height in db.session.execute(query):
        found[obs_id].append(PhotoRef(photo_id, width, height))
    return found


def spots(project_id: int, filters: ObservationFilter) -> list[domain.Spot]:
    """The matching visible spots (whatever the filter says of hidden ones) as the plain records
    the statistics take."""
    filters = replace(filters, hidden=HIDDEN_EXCLUDE)
    walk_ids = scope(project_id, filters)
    photos = _photos(walk_ids, filters)
    columns = sa.select(
        Observation.id,
        Observation.participant_id,
        Observation.lat,
        Observation.lon,
        Observation.feeling,
        Observation.category,
        Observation.light_condition,
        Observation.comment,
        Observation.recorded_at,
    )
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
        for row in db.session.execute(narrow(columns, walk_ids, filters))
    ]


def project_hotspots(project_id: int, filters: ObservationFilter) -> list[domain.Hotspot]:
    """The project's hotspots under `filters`, highest z first."""
    return domain.hotspots(spots(project_id, filters))


# --- Findings -------------------------------------------------------------------------------


def _clean(title: str | None, recommendation: str | None) -> tuple[str, str]:
    title = " ".join((title or "").split())
    recommendation = (recommendation or "").strip()
    errors = {}
    if not title or len(title) > TITLE_MAX_LENGTH:
        errors["title"] = Problem("length", min=1, max=TITLE_MAX_LENGTH)
    if not recommendation or len(recommendation) > RECOMMENDATION_MAX_LENGTH:
        errors["recommendation"] = Problem("length", min=1, max=RECOMMENDATION_MAX_LENGTH)
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
        raise NotFound({"finding": "finding_unknown"})
    return finding


def confirm(
    project_id: int,
    cell: str,
    filters: ObservationFilter,
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
        raise NotFound({"cell": "not_a_hotspot"})
    exists = sa.select(Finding.id).where(Finding.project_id == project_id, Finding.cell == cell)
    if db.session.scalar(exists) is not None:
        raise Conflict({"cell": "already_a_finding"})
    snapshot: dict[str, Any] = {**hotspot.snapshot(), "filters": _filter_snapshot(filters)}
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
        raise Conflict({"cell": "already_a_finding"}) from None
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
