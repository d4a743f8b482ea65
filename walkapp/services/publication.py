"""A project's residents' page: its preview, publication, unpublication, and its rebuild after an
erasure. No Flask here.

What the page shows is computed once, at publication (domain.public_page: hexagons under the k
rule, key figures, findings), and stored as the publication's snapshot: a walk held later
changes nothing until the planner publishes again. An erasure is the exception — the snapshot is
rebuilt, in the erasure's transaction, from what the publication drew from (its `selection`:
the spots up to the last id then, the quotes chosen then) minus what was erased.

The spots are read through observation_filter (scope + narrow): hidden (moderated) spots and
positions known to be wrong (an old app's perimeter centre) never count. Nothing a participant
typed appears unless the planner ticked "include the quotes chosen for the tender annex"
(Finding.quoted_spot_ids), and a harassment report's comment never does.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from ..domain import indicators as ind
from ..domain import public_page as domain
from ..domain.rules import has_control_characters
from ..extensions import db, utcnow
from ..models import Finding, Observation, Project, Publication, Walk
from . import audit
from .errors import Invalid, NotFound, Problem
from .observation_filter import POSITION_NOT_SUSPECT, ObservationFilter, narrow, scope

WALK_KIND = "exploratory_walk"
SLUG_BYTES = 12  # 16 URL-safe characters: no page can be found by trying addresses
# The spots a residents' page counts: visible ones, at a position someone gave.
PAGE_FILTER = ObservationFilter(positions=POSITION_NOT_SUSPECT)


@dataclass(frozen=True)
class Options:
    """What the planner chooses when she publishes."""

    contact: str = ""
    include_quotes: bool = False

    def problems(self) -> dict[str, Problem | str]:
        if len(self.contact) > domain.CONTACT_MAX_LENGTH:
            return {"contact": Problem("too_long", max=domain.CONTACT_MAX_LENGTH)}
        if has_control_characters(self.contact):
            return {"contact": "control_characters"}
        return {}


# --- Reading -------------------------------------------------------------------------------------


def _last_spot_id() -> int:
    """The highest spot id now: ids are never handed out again (migration 0007), so "id up to
    this" is "the spots there were at publication"."""
    return db.session.scalar(sa.select(sa.func.max(Observation.id))) or 0


def _reports(project_id: int, last_spot_id: int) -> list[domain.Report]:
    walk_ids = scope(project_id, PAGE_FILTER)
    columns = sa.select(
        Observation.lat,
        Observation.lon,
        Observation.participant_id,
        Observation.category,
        Observation.feeling,
    ).select_from(Observation)
    query = narrow(columns, walk_ids, PAGE_FILTER).where(Observation.id <= last_spot_id)
    return [domain.Report(*row) for row in db.session.execute(query)]


def _quotes(project_id: int, spot_ids: Iterable[int]) -> list[domain.Quote]:
    """The comments of these spots of the project that are still there and visible, in id
    order (domain.public_page.public_quotes then drops harassment and empty ones)."""
    ids = sorted({int(i) for i in spot_ids})
    if not ids:
        return []
    query = (
        sa.select(Observation.category, Observation.comment)
        .join(Walk, Walk.id == Observation.walk_id)
        .where(
            Walk.project_id == project_id,
            Observation.id.in_(ids),
            Observation.hidden_at.is_(None),
        )
        .order_by(Observation.id)
    )
    return [
        domain.Quote(category, comment or "") for category, comment in db.session.execute(query)
    ]


def _walks(project_id: int) -> dict[str, int]:
    held = sa.select(sa.func.count(Walk.id)).where(
        Walk.project_id == project_id, Walk.kind == WALK_KIND, Walk.status.in_(ind.HELD_STATUSES)
    )
    return {
        "held": db.session.scalar(held) or 0,
        "with_women": db.session.scalar(held.where(Walk.audience.in_(ind.WOMEN_AUDIENCES))) or 0,
    }


def _findings(project_id: int) -> list[Finding]:
    """In the order they were confirmed, as the annex numbers them."""
    query = (
        sa.select(Finding)
        .where(Finding.project_id == project_id)
        .order_by(Finding.created_at, Finding.id)
    )
    return list(db.session.scalars(query))


def _project(project_id: int) -> Project:
    project = db.session.get(Project, project_id)
    if project is None:
        raise NotFound({"project": "not_found"})
    return project


def _build(project: Project, options: Options, k: int) -> tuple[dict, dict]:
    """(snapshot, selection) of the project now."""
    last_spot_id = _last_spot_id()
    findings = _findings(project.id)
    quoted = [
        sorted(int(i) for i in (f.quoted_spot_ids or ())) if options.include_quotes else []
        for f in findings
    ]
    snapshot = domain.snapshot(
        project={"name": project.name, "commune": project.commune},
        reports=_reports(project.id, last_spot_id),
        k=k,
        walks=_walks(project.id),
        findings=[
            {
                "title": f.title,
                "recommendation": f.recommendation,
                "quotes": _quotes(project.id, ids),
            }
            for f, ids in zip(findings, quoted, strict=True)
        ],
        contact=options.contact,
        perimeter=project.perimeter,
    )
    return snapshot, {"last_spot_id": last_spot_id, "quoted": quoted}


# --- Use cases -----------------------------------------------------------------------------------


def current(project_id: int) -> Publication | None:
    return db.session.scalar(sa.select(Publication).where(Publication.project_id == project_id))


def published(slug: str) -> Publication | None:
    """The publication at this address, or None (never published, or unpublished since)."""
    if not slug or len(slug) > 32:
        return None
    return db.session.scalar(sa.select(Publication).where(Publication.slug == slug))


def preview(project_id: int, options: Options, k: int) -> dict:
    """The snapshot a publication would store now (nothing written)."""
    return _build(_project(project_id), options, k)[0]


def publish(project_id: int, user_id: int | None, options: Options, k: int) -> Publication:
    """Publish the page, or publish it again with today's data (same address)."""
    if problems := options.problems():
        raise Invalid(problems)
    project = _project(project_id)
    snapshot, selection = _build(project, options, k)
    publication = current(project_id)
    now = utcnow()
    action = "republish" if publication is not None else "publish"
    if publication is None:
        publication = Publication(
            project_id=project_id, slug=secrets.token_urlsafe(SLUG_BYTES), published_at=now
        )
        db.session.add(publication)
    else:
        publication.republished_at = now
    publication.published_by_id = user_id
    publication.options = {
        "contact": options.contact.strip(),
        "include_quotes": options.include_quotes,
        "k": k,
    }
    publication.snapshot = snapshot
    publication.selection = selection
    db.session.flush()
    audit.record(
        action,
        "publication",
        publication.id,
        user_id=user_id,
        project_id=project_id,
        details={"include_quotes": options.include_quotes, "k": k},
    )
    return publication


def unpublish(project_id: int, user_id: int | None) -> bool:
    """Take the page down (its address answers 404 from now on); False if it was not up."""
    publication = current(project_id)
    if publication is None:
        return False
    audit.record("unpublish", "publication", publication.id, user_id=user_id, project_id=project_id)
    db.session.delete(publication)
    db.session.flush()
    return True


def republish_after_erasure(project_id: int) -> bool:
    """After an erasure's deletes, in its transaction: the page rebuilt from what it was drawn
    from, minus what is gone. False if the project has no page."""
    publication = current(project_id)
    if publication is None:
        return False
    selection = publication.selection or {}
    reports = _reports(project_id, int(selection.get("last_spot_id", 0)))
    quotes: Sequence[list[domain.Quote]] = [
        _quotes(project_id, ids) for ids in selection.get("quoted", ())
    ]
    publication.snapshot = domain.without_erased(publication.snapshot, reports, quotes)
    publication.republished_at = utcnow()
    db.session.flush()
    return True
