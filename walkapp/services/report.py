"""The annual monitoring report's content, read from the database. No Flask here.

`report_content(user_id, period)` gathers what the DOCX and HTML writers word (domain.report):
the indicators of every project the user may export (services.indicators.project_counts, the
very counts the indicators pages show, for the same period), their events of the period, who is
missing, and the findings with their follow-up (and the women's answers to their follow-up
question after the works: services.appropriation_figures.recheck_results). It only reads.

The scope is the projects whose data the user may export (domain.permissions.EXPORT): every
project for an administrator, her projects where her role allows it for anyone else. Current
projects are all in it (with "no event" when none ran); an archived one only if it ran events in
the period — it is reported for the year it ran.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence

import sqlalchemy as sa

from ..domain import indicators as ind
from ..domain import report as domain
from ..domain.participation import priorities
from ..domain.permissions import EXPORT, ROLE_ACTIONS
from ..domain.rechecks import answers_by_finding
from ..extensions import db, utcnow
from ..models import Finding, Observation, Project, ProjectMember, User, Walk
from . import indicators as counts_service
from .appropriation_figures import recheck_results
from .errors import Forbidden, NotFound

LANGUAGES = ("fr", "en")


def exportable_project_ids(user_id: int) -> list[int]:
    """The projects whose data `user_id` may export, archived ones included; [] for an account
    that is gone or deactivated."""
    user = db.session.get(User, user_id)
    if user is None or not user.active:
        return []
    query = sa.select(Project.id).order_by(Project.id)
    if user.role != "admin":
        roles = [role for role, actions in ROLE_ACTIONS.items() if EXPORT in actions]
        query = query.join(ProjectMember).where(
            ProjectMember.user_id == user_id, ProjectMember.role.in_(roles)
        )
    return list(db.session.scalars(query))


def is_admin(user_id: int) -> bool:
    user = db.session.get(User, user_id)
    return user is not None and user.active and user.role == "admin"


def check_allowed(user_id: int, project_ids: Collection[int] | None = None) -> list[int]:
    """The projects of the report `user_id` asks for (all hers when `project_ids` is None):
    Forbidden if she may export none, NotFound if she names one that is not hers."""
    allowed = exportable_project_ids(user_id)
    if not allowed:
        raise Forbidden({"body": "export_not_allowed"})
    if project_ids is None:
        return allowed
    wanted = sorted(set(project_ids))
    if not wanted or not set(wanted) <= set(allowed):
        raise NotFound({"project": "not_found"})
    return wanted


def report_years(user_id: int) -> list[int]:
    """The years with events in the user's projects, newest first (the form's choices)."""
    ids = exportable_project_ids(user_id)
    return counts_service.event_years(ids) if ids else []


# --- Reading ------------------------------------------------------------------------------


def _events(scope: Sequence[int], period: domain.Period) -> dict[int, list[domain.Event]]:
    """Per project, its events of the period (in UTC, as the indicators count them), with what
    each one contributed to the share of women."""
    where = [
        Walk.project_id.in_(scope),
        Walk.starts_at >= period.start_utc,
        Walk.starts_at < period.end_utc,
    ]
    rows = db.session.execute(
        sa.select(
            Walk.project_id,
            Walk.id,
            Walk.title,
            Walk.kind,
            Walk.audience,
            Walk.status,
            Walk.starts_at,
        )
        .where(*where)
        .order_by(Walk.starts_at, Walk.id)
    ).all()
    found: dict[int, list[domain.Event]] = defaultdict(list)
    for pid, wid, title, kind, audience, status, starts_at in rows:
        found[pid].append(domain.Event(wid, title, kind, audience, status, starts_at))
    return found


def _with_people(events: list[domain.Event], people: Sequence[ind.EventPeople]):
    by_walk = {p.walk_id: p for p in people}
    result = []
    for event in events:
        counted = by_walk.get(event.walk_id)
        if counted is None:
            result.append(event)
            continue
        result.append(
            domain.Event(
                event.walk_id,
                event.title,
                event.kind,
                event.audience,
                event.status,
                event.starts_at,
                source=counted.source,
                women=counted.women,
                stated=counted.stated,
            )
        )
    return tuple(result)


def _post_works_spots(project_id: int, period: domain.Period) -> list[tuple]:
    """(walk start, spot) of the project's held post-works surveys that started before the
    period's end; hidden spots are left out."""
    query = (
        sa.select(
            Walk.starts_at,
            Observation.lat,
            Observation.lon,
            Observation.feeling,
            Observation.participant_id,
            Observation.walk_id,
        )
        .join(Walk, Walk.id == Observation.walk_id)
        .where(
            Walk.project_id == project_id,
            Walk.kind == domain.POST_WORKS,
            Walk.status.in_(ind.HELD_STATUSES),
            Walk.starts_at < period.end_utc,
            Observation.hidden_at.is_(None),
        )
    )
    return [
        (starts_at, domain.Spot(lat, lon, feeling, participant, walk))
        for starts_at, lat, lon, feeling, participant, walk in db.session.execute(query)
    ]


def _post_works_starts(project_id: int, period: domain.Period) -> list:
    return list(
        db.session.scalars(
            sa.select(Walk.starts_at).where(
                Walk.project_id == project_id,
                Walk.kind == domain.POST_WORKS,
                Walk.status.in_(ind.HELD_STATUSES),
                Walk.starts_at < period.end_utc,
            )
        )
    )


def _findings(
    project: Project, period: domain.Period, language: str
) -> tuple[domain.FindingReport, ...]:
    """The findings confirmed before the period's end, numbered as in the tender annex (in the
    order they were confirmed), each with its follow-up, and the women's answers to its
    follow-up question after the works (its wording in `language`)."""
    findings = list(
        db.session.scalars(
            sa.select(Finding)
            .where(Finding.project_id == project.id)
            .order_by(Finding.created_at, Finding.id)
        )
    )
    if not findings:
        return ()
    spots = _post_works_spots(project.id, period)
    surveys = _post_works_starts(project.id, period)
    rechecks = answers_by_finding(
        recheck_results(project.id, population="women", before=period.end_utc), language
    )
    result = []
    for number, finding in enumerate(findings, start=1):
        if not finding.created_at < period.end_utc:
            continue
        later = [spot for starts_at, spot in spots if starts_at >= finding.created_at]
        surveyed = any(starts_at >= finding.created_at for starts_at in surveys)
        stats = finding.statistics or {}
        result.append(
            domain.FindingReport(
                number=number,
                finding_id=finding.id,
                title=finding.title,
                recommendation=finding.recommendation,
                confirmed_at=finding.created_at,
                n_reports=domain.statistic(stats, "n_reports"),
                n_participants=domain.statistic(stats, "n_participants"),
                mean_feeling_before=domain.statistic(stats, "mean_feeling", float),
                follow_up=domain.follow_up(project.phase, surveyed),
                after=domain.after_works(finding.geometry, later),
                new_in_period=period.contains(finding.created_at),
                recheck=rechecks.get(finding.id),
            )
        )
    return tuple(result)


# --- The content ----------------------------------------------------------------------------


def report_content(
    user_id: int,
    period: domain.Period,
    project_ids: Collection[int] | None = None,
    *,
    language: str = LANGUAGES[0],
    progress=None,
) -> domain.Report:
    """The report of `period` over the projects `user_id` may export (or those of
    `project_ids` among them). Forbidden / NotFound as `check_allowed`."""
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}")
    scope = check_allowed(user_id, project_ids)
    counted = counts_service.project_counts(scope, period=period)
    archived = dict(
        db.session.execute(
            sa.select(Project.id, Project.archived_at.is_not(None)).where(Project.id.in_(scope))
        ).all()
    )
    kept = [c for c in counted if domain.in_report(c.events, bool(archived.get(c.project_id)))]
    events = _events([c.project_id for c in kept], period)
    projects, profiles = [], []
    for done, counts in enumerate(kept):
        project = db.session.get(Project, counts.project_id)
        profile = counts_service.participation_profile([project.id], period)
        profiles.append(profile)
        projects.append(
            domain.ProjectReport(
                project_id=project.id,
                name=project.name,
                commune=project.commune or "",
                insee_code=project.insee_code,
                phase=project.phase,
                archived=project.archived_at is not None,
                indicators=tuple(ind.project_indicators(counts)),
                events=_with_people(events.get(project.id, []), counts.events_people),
                missing=priorities(profile),
                findings=_findings(project, period, language),
            )
        )
        if progress is not None:
            progress(done + 1, len(kept))
    return domain.Report(
        period=period,
        language=language,
        generated_at=utcnow(),
        totals=tuple(ind.overall_indicators(kept)),
        projects=tuple(projects),
        missing=domain.missing_across(profiles),
        all_projects=is_admin(user_id) and set(scope) == set(exportable_project_ids(user_id)),
    )


def exportable_projects(user_id: int) -> list[tuple[int, str, bool]]:
    """(id, name, archived) of the projects the user may report on, by name."""
    ids = exportable_project_ids(user_id)
    if not ids:
        return []
    rows = db.session.execute(
        sa.select(Project.id, Project.name, Project.archived_at.is_not(None))
        .where(Project.id.in_(ids))
        .order_by(Project.name, Project.id)
    )
    return [(pid, name, bool(archived)) for pid, name, archived in rows]
