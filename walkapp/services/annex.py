"""The tender-specification annex of a project, assembled from the database; the planner's
choices for it (quotes and photos of each finding, the award weights). No Flask here.

`annex_content` reads everything the document needs once and hands back plain records
(domain.annex); the DOCX writer and the preview only word them. It hands out the spots'
references first (services.spot_references), so the annex, the CSV/XLSX and the photo ZIP name
a spot alike. Nothing a participant typed or photographed goes into the annex unless the planner
chose it (Finding.quoted_spot_ids, Finding.chosen_photo_ids), and a harassment spot only with
her explicit confirmation (domain.annex.choice_problem). Hidden spots are never cited or shown;
an erased one is only its reference, « retiré à la demande de la participante ».

Each finding carries the answers to its follow-up question after the works, the women's
(services.appropriation_figures.recheck_results, worded by domain.rechecks).

The counts of the context are those of the indicators pages (services.indicators): who took
part per walk (`walk_people`), who is missing (`participation_profile`, then
domain.participation.priorities).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from os import PathLike

import sqlalchemy as sa

from ..domain import annex as domain
from ..domain import hotspots as hs
from ..domain import indicators as ind
from ..domain.participation import priorities
from ..domain.rechecks import RecheckAnswers, answers_by_finding
from ..extensions import db, utcnow
from ..models import Finding, Observation, Photo, Project, Stop, StoredFile, Walk
from . import audit, spot_references
from .appropriation_figures import recheck_results
from .errors import Invalid, NotFound
from .indicators import participation_profile, walk_people
from .zones import list_zones

WALK_KIND = "exploratory_walk"
CHUNK = 5000  # ids per IN (...): well under any database's limit of bound parameters


def _library(language: str, instance_path: str | PathLike[str] | None):
    from ..exporters import clause_library  # the library lives beside the documents it feeds

    return clause_library.load(language, instance_path)


# --- Reading ---------------------------------------------------------------------------------


def _chunks(ids: Sequence[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield list(ids[start : start + CHUNK])


def findings_in_order(project_id: int) -> list[Finding]:
    """The project's findings in the order they were confirmed: their numbers in the annex."""
    query = (
        sa.select(Finding)
        .where(Finding.project_id == project_id)
        .order_by(Finding.created_at, Finding.id)
    )
    return list(db.session.scalars(query))


def spot_facts(project_id: int, spot_ids: Iterable[int]) -> dict[int, domain.SpotFacts]:
    """{spot id: what the annex may use of it} for the spots given that have a reference: shown,
    hidden (moderated) or erased (a reference but no row any more)."""
    wanted = sorted({int(i) for i in spot_ids})
    refs = spot_references.labels(project_id) if wanted else {}
    rows = {}
    columns = sa.select(
        Observation.id,
        Observation.category,
        Observation.feeling,
        Observation.local_date,
        Observation.light_condition,
        Observation.comment,
        Observation.hidden_at,
    ).join(Walk, Walk.id == Observation.walk_id)
    for chunk in _chunks([i for i in wanted if i in refs]):
        query = columns.where(Walk.project_id == project_id, Observation.id.in_(chunk))
        for row in db.session.execute(query):
            rows[row.id] = row
    facts = {}
    for spot_id in wanted:
        reference = refs.get(spot_id)
        if reference is None:  # erased before it was ever referenced: nothing to trace
            continue
        row = rows.get(spot_id)
        if row is None:
            facts[spot_id] = domain.SpotFacts(spot_id, reference, domain.ERASED)
        elif row.hidden_at is not None:
            facts[spot_id] = domain.SpotFacts(spot_id, reference, domain.HIDDEN)
        else:
            facts[spot_id] = domain.SpotFacts(
                spot_id,
                reference,
                domain.SHOWN,
                row.category,
                row.feeling,
                row.local_date,
                row.light_condition,
                row.comment,
            )
    return facts


@dataclass(frozen=True)
class PhotoRow:
    id: int
    spot_id: int
    sha256: str
    width: int
    height: int


def photos_of(spot_ids: Iterable[int]) -> list[PhotoRow]:
    """The photos of these spots, in the order they were added."""
    found = []
    query = sa.select(
        Photo.id, Photo.observation_id, StoredFile.sha256, StoredFile.width, StoredFile.height
    ).join(StoredFile, StoredFile.id == Photo.file_id)
    for chunk in _chunks(sorted(set(spot_ids))):
        found += [
            PhotoRow(*row)
            for row in db.session.execute(query.where(Photo.observation_id.in_(chunk)))
        ]
    return sorted(found, key=lambda p: p.id)


SAME_STOP_M = 25.0  # two walks' stops of the same name closer than this are one place


def _stops(project_id: int) -> tuple[domain.StopMark, ...]:
    """The places the project's walks stopped at, each once: a stop of the same name within
    SAME_STOP_M of one already met is that place. Labelled by the walks' own numbers when
    they agree (one number per place, none used twice), else 1, 2, 3... in the order the walks
    first reached them — the map's labels must stay unique."""
    query = (
        sa.select(Stop.number, Stop.name, Stop.lat, Stop.lon)
        .join(Walk, Walk.id == Stop.walk_id)
        .where(Walk.project_id == project_id)
        .order_by(Walk.starts_at, Walk.id, Stop.number)
    )
    places: list[tuple[set[int], str, str, float, float]] = []  # numbers, key, name, lat, lon
    for number, name, lat, lon in db.session.execute(query):
        key = " ".join(name.split()).casefold()
        for numbers, other, _name, plat, plon in places:
            if other == key and _metres(lat, lon, plat, plon) < SAME_STOP_M:
                numbers.add(number)
                break
        else:
            places.append(({number}, key, name, lat, lon))
    own = [next(iter(p[0])) for p in places if len(p[0]) == 1]
    agree = len(own) == len(places) and len(set(own)) == len(own)
    return tuple(
        domain.StopMark(str(min(numbers)) if agree else str(i), name, lat, lon)
        for i, (numbers, _key, name, lat, lon) in enumerate(places, start=1)
    )


def _metres(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Distance on the ground, near enough for tens of metres (equirectangular)."""
    x = math.radians(lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2))
    return 6_371_000 * math.hypot(x, math.radians(lat2 - lat1))


def _nearest(stops: Sequence[domain.StopMark], lat: float, lon: float):
    if not stops:
        return None
    points = [hs.StopPoint(i, s.name, s.lat, s.lon) for i, s in enumerate(stops)]
    xy = hs.to_metric([s.lat for s in stops], [s.lon for s in stops])
    point, distance = hs.nearest_stop(points, xy, hs.to_metric([lat], [lon])[0])
    return domain.NearestStop(stops[point.number].label, point.name, distance)


def _walks(project_id: int) -> tuple[domain.WalkSummary, ...]:
    walks = list(
        db.session.scalars(
            sa.select(Walk)
            .where(
                Walk.project_id == project_id,
                Walk.kind == WALK_KIND,
                Walk.status.in_(ind.HELD_STATUSES),
            )
            .order_by(Walk.starts_at, Walk.id)
        )
    )
    light: dict[int, dict[str, int]] = defaultdict(dict)
    query = (
        sa.select(Observation.walk_id, Observation.light_condition, sa.func.count())
        .join(Walk, Walk.id == Observation.walk_id)
        .where(Walk.project_id == project_id, Observation.hidden_at.is_(None))
        .group_by(Observation.walk_id, Observation.light_condition)
    )
    for walk_id, condition, n in db.session.execute(query):
        light[walk_id][condition] = n
    summaries = []
    for walk in walks:
        people = walk_people(walk)
        summaries.append(
            domain.WalkSummary(
                title=walk.title,
                audience=walk.audience,
                starts_at=walk.starts_at,
                light_counts=dict(light.get(walk.id, {})),
                people_by_gender=dict(people.people_by_gender),
                people_source=people.source,
            )
        )
    return tuple(summaries)


def _section(
    number: int,
    finding: Finding,
    facts: dict[int, domain.SpotFacts],
    photos: list[PhotoRow],
    library,
    stops: Sequence[domain.StopMark],
    rechecks: Mapping[int, RecheckAnswers],
) -> domain.FindingSection:
    spots = [facts[int(i)] for i in finding.spot_ids or () if int(i) in facts]
    categories = domain.reported_categories(spots)
    chosen = domain.clause_categories(categories)
    clauses = library.for_categories(chosen)
    chosen_photos = set(finding.chosen_photo_ids or ())
    by_id = {s.id: s for s in spots}
    shown_photos = tuple(
        domain.ChosenPhoto(
            p.id,
            by_id[p.spot_id].reference,
            by_id[p.spot_id].category or "",
            p.sha256,
            p.width,
            p.height,
        )
        for p in photos
        if p.id in chosen_photos and p.spot_id in by_id and by_id[p.spot_id].status == domain.SHOWN
    )
    stats = finding.statistics or {}
    return domain.FindingSection(
        number=number,
        finding_id=finding.id,
        title=finding.title,
        recommendation=finding.recommendation,
        lat=finding.lat,
        lon=finding.lon,
        geometry=finding.geometry,
        stop=_nearest(stops, finding.lat, finding.lon),
        n_reports=int(stats.get("n_reports", len(spots))),
        n_participants=int(stats.get("n_participants", 0)),
        n_night=int(stats.get("n_night", 0)),
        categories=categories,
        clause_categories=chosen,
        references=tuple(sorted((s.reference for s in spots), key=domain.reference_order)),
        quotes=domain.quotes_of(spots, finding.quoted_spot_ids or ()),
        photos=shown_photos,
        requirements=domain.requirements_for(spots, clauses),
        recheck=rechecks.get(finding.id),
    )


def annex_content(
    project_id: int,
    *,
    language: str,
    instance_path: str | PathLike[str] | None,
    prepared: bool = False,
) -> domain.Annex:
    """Everything the annex of the project says, in `language` (the clause library's): the
    walks held and who is missing, the findings with their requirements, the appendix of the
    spots, the equality policy and the award criteria. Hands out missing references first
    (flushes, never commits) — unless `prepared`: the request that started the job did it
    (services.exports.prepare), and the job only reads."""
    project = db.session.get(Project, project_id)
    if project is None:
        raise NotFound({"project": "not_found"})
    if not prepared:
        spot_references.assign(project_id)
    library = _library(language, instance_path)
    findings = findings_in_order(project_id)
    all_ids = [int(i) for f in findings for i in f.spot_ids or ()]
    facts = spot_facts(project_id, all_ids)
    photo_spots = {
        int(i)
        for f in findings
        if f.chosen_photo_ids
        for i in f.spot_ids or ()
        if int(i) in facts and facts[int(i)].status == domain.SHOWN
    }
    photos = photos_of(photo_spots)
    stops = _stops(project_id)
    # The loop closed: each finding's follow-up answers after the works, the women's.
    rechecks = answers_by_finding(recheck_results(project_id, population="women"), language)
    sections = tuple(
        _section(n, f, facts, photos, library, stops, rechecks)
        for n, f in enumerate(findings, start=1)
    )
    quoted = {int(i) for f in findings for i in f.quoted_spot_ids or ()}
    # A spot inside two findings' areas is quoted in the appendix if either finding quotes it.
    appendix = domain.appendix_rows(
        (facts[i] for i in dict.fromkeys(all_ids) if i in facts), quoted
    )
    award, custom = domain.award_lines(library.award_criteria, project.award_weights)
    return domain.Annex(
        project_id=project.id,
        project_name=project.name,
        commune=project.commune,
        insee_code=project.insee_code,
        timezone=project.timezone,
        language=language,
        generated_at=utcnow(),
        perimeter=project.perimeter,
        walks=_walks(project_id),
        gaps=tuple(
            domain.Gap(g.code, g.n) for g in priorities(participation_profile([project_id]))
        ),
        stops=stops,
        findings=sections,
        appendix=appendix,
        equality_policy=library.equality_policy,
        award=award,
        award_other=domain.other_weight(award),
        custom_weights=custom,
        zones=tuple(domain.ZoneMark(z.name, z.geometry) for z in list_zones(project_id)),
        library_problems=tuple(getattr(library, "problems", ()) or ()),
    )


# --- The planner's choices -------------------------------------------------------------------


@dataclass(frozen=True)
class ChoiceSpot:
    """A spot of a finding as the choices form lists it."""

    facts: domain.SpotFacts
    photos: tuple[PhotoRow, ...]

    @property
    def harassment(self) -> bool:
        return self.facts.category == domain.HARASSMENT


def finding_spots(finding: Finding) -> list[ChoiceSpot]:
    """The finding's spots that can be chosen from (shown ones), in reference order, each with
    its photos. Assigns the references first, so the form names spots as the annex will."""
    spot_references.assign(finding.project_id)
    facts = spot_facts(finding.project_id, finding.spot_ids or ())
    shown = {i: f for i, f in facts.items() if f.status == domain.SHOWN}
    photos: dict[int, list[PhotoRow]] = defaultdict(list)
    for photo in photos_of(shown):
        photos[photo.spot_id].append(photo)
    ordered = sorted(shown.values(), key=lambda f: domain.reference_order(f.reference))
    return [ChoiceSpot(f, tuple(photos.get(f.id, ()))) for f in ordered]


def save_choices(
    finding: Finding,
    *,
    quoted_spot_ids: Iterable[int],
    photo_ids: Iterable[int],
    confirmed_harassment_ids: Iterable[int],
    user_id: int,
) -> Finding:
    """Keep what the annex may show of the finding: the comments to quote and the photos.
    Invalid if one is not the finding's, or is of a harassment spot not confirmed."""
    quoted = sorted({int(i) for i in quoted_spot_ids})
    photo_list = sorted({int(i) for i in photo_ids})
    spot_references.assign(finding.project_id)
    facts = spot_facts(finding.project_id, finding.spot_ids or ())
    photo_spots = {p.id: p.spot_id for p in photos_of(facts)}
    problem = domain.choice_problem(
        facts, photo_spots, quoted, photo_list, {int(i) for i in confirmed_harassment_ids}
    )
    if problem is not None:
        raise Invalid({"choices": problem})
    before = {
        "quoted": list(finding.quoted_spot_ids or []),
        "photos": list(finding.chosen_photo_ids or []),
    }
    after = {"quoted": quoted, "photos": photo_list}
    if before == after:
        return finding
    finding.quoted_spot_ids, finding.chosen_photo_ids = quoted, photo_list
    finding.updated_at = utcnow()
    harassment = [
        i
        for i in quoted + [photo_spots[p] for p in photo_list]
        if facts[i].category == domain.HARASSMENT
    ]
    audit.record(
        "edit",
        "finding",
        finding.id,
        user_id=user_id,
        project_id=finding.project_id,
        details={
            "annex_choices": [before, after],
            **({"harassment_confirmed": sorted(set(harassment))} if harassment else {}),
        },
    )
    db.session.flush()
    return finding


def criteria_codes(instance_path: str | PathLike[str] | None) -> list[str]:
    return [c.code for c in _library("fr", instance_path).award_criteria]


def set_award_weights(
    project: Project,
    weights: dict[str, int] | None,
    *,
    instance_path: str | PathLike[str] | None,
    user_id: int,
) -> None:
    """The planner's weights of the award criteria (None: back to the library's defaults).
    Invalid unless whole numbers from 0 to 100 for exactly the library's criteria, adding up
    to 100."""
    if weights is not None:
        problem = domain.weights_problem(criteria_codes(instance_path), weights)
        if problem is not None:
            raise Invalid({"weights": problem})
        weights = dict(weights)
    if project.award_weights == weights:
        return
    audit.record(
        "edit",
        "project",
        project.id,
        user_id=user_id,
        project_id=project.id,
        details={"award_weights": [project.award_weights, weights]},
    )
    project.award_weights = weights
    db.session.flush()
