"""Hotspots of a project, and the findings planners confirm from them. No Flask here.

The statistics are domain.hotspots (pure); this module reads what they need — the visible spots
(``hidden_at IS NULL``) of the project's events, narrowed by the observation filter, selecting
only the columns the statistics use; the events' stops in order and the participants' traces
(the study area); the project's perimeter — and keeps findings (areas), each change in the audit
log.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from ..domain import hotspots as domain
from ..domain.rules import has_control_characters
from ..extensions import db, utcnow
from ..models import Finding, Observation, Participant, Photo, Project, Stop, StoredFile, TrackPoint
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


def _stops(walk_ids: list[int]) -> list[tuple[int, domain.StopPoint]]:
    query = (
        sa.select(Stop.walk_id, Stop.number, Stop.name, Stop.lat, Stop.lon)
        .where(Stop.walk_id.in_(walk_ids))
        .order_by(Stop.walk_id, Stop.number)
    )
    return [
        (row.walk_id, domain.StopPoint(row.number, row.name, row.lat, row.lon))
        for row in db.session.execute(query)
    ]


def _traces(walk_ids: list[int]) -> list[list[tuple[float, float]]]:
    """Each participant's recorded route, in time order."""
    query = (
        sa.select(TrackPoint.participant_id, TrackPoint.lat, TrackPoint.lon)
        .join(Participant, Participant.id == TrackPoint.participant_id)
        .where(Participant.walk_id.in_(walk_ids))
        .order_by(TrackPoint.participant_id, TrackPoint.recorded_at)
    )
    traces: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for participant_id, lat, lon in db.session.execute(query):
        traces[participant_id].append((lat, lon))
    return list(traces.values())


def analysis(project_id: int, filters: ObservationFilter) -> domain.Analysis:
    """The project's hotspots under `filters` (or its consensus places), and how they were
    found: the study area is the events' stops in order, the traces and the spots."""
    found = spots(project_id, filters)
    walk_ids = scope(project_id, replace(filters, hidden=HIDDEN_EXCLUDE))
    stops = _stops(walk_ids)
    routes: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for walk_id, stop in stops:
        routes[walk_id].append((stop.lat, stop.lon))
    perimeter = db.session.scalar(sa.select(Project.perimeter).where(Project.id == project_id))
    return domain.analyse(
        found,
        lines=[*routes.values(), *_traces(walk_ids)],
        stops=[stop for _walk, stop in stops],
        perimeter=perimeter,
    )


def project_hotspots(project_id: int, filters: ObservationFilter) -> list[domain.Hotspot]:
    """The project's hotspots under `filters`, highest z first."""
    return analysis(project_id, filters).hotspots


def place(project_id: int, key: str, filters: ObservationFilter) -> domain.Hotspot | None:
    """The hotspot or consensus place of this key under `filters`, if there is one."""
    found = analysis(project_id, filters)
    return next((h for h in found.hotspots + found.consensus if h.key == key), None)


# --- Findings -------------------------------------------------------------------------------


def _clean(title: str | None, recommendation: str | None) -> tuple[str, str]:
    title = " ".join((title or "").split())
    recommendation = (recommendation or "").strip()
    errors = {}
    if not title or len(title) > TITLE_MAX_LENGTH:
        errors["title"] = Problem("length", min=1, max=TITLE_MAX_LENGTH)
    if not recommendation or len(recommendation) > RECOMMENDATION_MAX_LENGTH:
        errors["recommendation"] = Problem("length", min=1, max=RECOMMENDATION_MAX_LENGTH)
    for name, text in (("title", title), ("recommendation", recommendation)):
        if name not in errors and has_control_characters(text):  # PostgreSQL refuses NUL
            errors[name] = Problem("control_characters")
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


def finding_of(findings: list[Finding], hotspot: domain.Hotspot) -> Finding | None:
    """The finding this hotspot already is: the same place (key), or one whose area holds the
    hotspot's peak or shares spots with it."""
    ids = set(hotspot.spot_ids)
    for finding in findings:
        if finding.place_key == hotspot.key or ids & set(finding.spot_ids or ()):
            return finding
        if domain.area_contains(finding.geometry, hotspot.lat, hotspot.lon):
            return finding
    return None


def findings_of(project_id: int, places: list[domain.Hotspot]) -> dict[str, Finding]:
    """Place key -> the finding it already is, for the places that are one."""
    findings = project_findings(project_id)
    matched = {h.key: finding_of(findings, h) for h in places}
    return {key: finding for key, finding in matched.items() if finding is not None}


def project_finding(project_id: int, finding_id: int) -> Finding:
    """A finding of the project, or NotFound (another project's looks unknown)."""
    finding = db.session.get(Finding, finding_id)
    if finding is None or finding.project_id != project_id:
        raise NotFound({"finding": "finding_unknown"})
    return finding


def confirm(
    project_id: int,
    key: str,
    filters: ObservationFilter,
    *,
    title: str | None,
    recommendation: str | None,
    user_id: int,
) -> Finding:
    """Make a hotspot a finding, with the statistics computed now (never sent by the browser).

    The finding is the place's area, with the spots inside it and the figures now. NotFound if
    the key is not (or no longer) a hotspot or consensus place under these filters; Conflict if
    the place is already a finding (edit that one).
    """
    title, recommendation = _clean(title, recommendation)
    hotspot = place(project_id, key, filters)
    if hotspot is None:
        raise NotFound({"place": "not_a_hotspot"})
    if finding_of(project_findings(project_id), hotspot) is not None:
        raise Conflict({"place": "already_a_finding"})
    snapshot: dict[str, Any] = {**hotspot.snapshot(), "filters": _filter_snapshot(filters)}
    now = utcnow()
    finding = Finding(
        project_id=project_id,
        place_key=hotspot.key,
        geometry=hotspot.geometry(),
        spot_ids=list(hotspot.spot_ids),
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
        raise Conflict({"place": "already_a_finding"}) from None
    audit.record(
        "create",
        "finding",
        finding.id,
        user_id=user_id,
        project_id=project_id,
        details={"place": hotspot.key, "title": title, "z": snapshot["z"], "p": snapshot["p"]},
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
        details={"place": finding.place_key, **changed},
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
            "place": finding.place_key,
            "title": finding.title,
            "recommendation": finding.recommendation,
        },
    )
    db.session.delete(finding)
    db.session.flush()
