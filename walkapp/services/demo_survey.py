"""The demo project's appropriation survey: the same questionnaire before the works and after.

- A baseline survey (« état initial ») about a year before the works, closed: 25 respondents per
  zone, in the diagnostic phase.
- The post-works survey on permanent QR codes (one per zone) since three weeks ago: 30
  respondents per zone in the after-works phase, a few phones answering twice the same day
  (kept, flagged, out of the index), and the three findings' follow-up questions, published.

A plausible mixed result: by day every zone feels safer after the works, the square most of all
(people stay there now); after dark the underpass is still avoided — worse than before — and
its finding's follow-up question is mostly answered « inchangé » or « pire ».

Answers are drawn around a favourability level per zone, phase and item (0 worst … 1 best), as
respondents' answers vary around what a place is like; everything random comes from the demo's
`random.Random`.
"""

from __future__ import annotations

import random
import uuid
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from shapely.geometry import shape

from ..config import CONSENT_VERSION
from ..domain import appropriation as items
from ..domain.light import light_condition
from ..domain.timeslots import time_slot
from ..extensions import db
from ..models import (
    Finding,
    IndicatorCache,
    Project,
    RecheckItem,
    SurveyAnswer,
    Walk,
    Zone,
)
from . import appropriation, appropriation_figures, capture, zones

PARIS = ZoneInfo("Europe/Paris")
BASELINE_DAYS_AGO = 370
POST_WORKS_DAYS_AGO = 21
PER_ZONE = {"diagnostic": 25, "after_works": 30}
TWICE_A_DAY = 6  # post-works phones that answer again the same day at the QR

# Favourability (before, after) per zone: day = walking alone by day, dark = after dark (and
# avoidance), use, stay, belong (legitimacy), night (comes after dark).
LEVELS = {
    "le parvis": {
        "day": (0.55, 0.72),
        "dark": (0.30, 0.42),
        "use": (0.62, 0.66),
        "stay": (0.25, 0.40),
        "belong": (0.45, 0.58),
        "night": (0.35, 0.42),
    },
    "le passage souterrain": {
        "day": (0.42, 0.62),
        "dark": (0.36, 0.14),
        "use": (0.45, 0.48),
        "stay": (0.08, 0.12),
        "belong": (0.30, 0.34),
        "night": (0.25, 0.15),
    },
    "l'arrêt de bus": {
        "day": (0.55, 0.70),
        "dark": (0.35, 0.45),
        "use": (0.70, 0.72),
        "stay": (0.30, 0.35),
        "belong": (0.45, 0.55),
        "night": (0.45, 0.50),
    },
    "le square": {
        "day": (0.50, 0.82),
        "dark": (0.30, 0.45),
        "use": (0.45, 0.70),
        "stay": (0.30, 0.75),
        "belong": (0.40, 0.72),
        "night": (0.20, 0.35),
    },
}
ITEM_LEVEL = {
    "use_frequency": "use",
    "stay_or_pass": "stay",
    "safe_alone_day": "day",
    "safe_alone_dark": "dark",
    "avoidance": "dark",
    "ps_feeling_safe": "day",
    "belonging": "belong",
    "ps_identity": "belong",
    "night_use": "night",
}
SKIPPED = 0.08  # an item left unanswered
SPREAD = 0.22  # how far one respondent's answer strays from the place's level
GENDERS = (("woman", 0.78), ("man", 0.18), ("non_binary", 0.02), (None, 0.02))
AGE_BANDS = (
    ("15_17", 0.06),
    ("18_24", 0.18),
    ("25_44", 0.36),
    ("45_64", 0.26),
    ("65_plus", 0.14),
)
# How people came (soft mobility): before, after the works.
ARRIVAL = {
    "diagnostic": (("walking", 0.42), ("cycling", 0.04), ("public_transport", 0.3), ("car", 0.24)),
    "after_works": (("walking", 0.5), ("cycling", 0.1), ("public_transport", 0.28), ("car", 0.12)),
}
CHANGES = {
    "le parvis": ("Plus de bancs, on attend le bus assise.", "Le parvis est plus clair le soir."),
    "le passage souterrain": (
        "Le jour ça va, mais le soir je fais toujours le tour.",
        "L'éclairage est en panne depuis une semaine.",
        "Il faudrait fermer le passage la nuit ou le surveiller.",
    ),
    "l'arrêt de bus": ("L'abri est vitré, on voit qui arrive.",),
    "le square": (
        "Les jeux et les tables attirent du monde, je m'y arrête maintenant.",
        "Les haies coupées, on voit tout le square depuis la rue.",
    ),
}
# The follow-up question of a finding in `zone`: how often its answers say better, unchanged,
# worse (the rest: don't know).
RECHECK_ODDS = {"le passage souterrain": (0.2, 0.45, 0.28)}
RECHECK_ODDS_ELSEWHERE = (0.58, 0.28, 0.08)


def _weighted(rng: random.Random, options):
    codes, weights = zip(*options, strict=True)
    return rng.choices(codes, weights=weights)[0]


def _near(rng: random.Random, item: items.Item, level: float):
    """The answer of someone who finds the place about `level` (0-1) for this item."""
    target = min(1.0, max(0.0, rng.gauss(level, SPREAD)))
    if item.scale is not None:
        low, high = item.scale
        return low + round(target * (high - low))
    return min(item.choices, key=lambda c: abs((c.score or 0) - target)).code


def _answers(rng: random.Random, zone: str, phase: str) -> dict:
    index = 0 if phase == "diagnostic" else 1
    levels = {key: pair[index] for key, pair in LEVELS[zone].items()}
    out: dict[str, object] = {}
    for code, level_key in ITEM_LEVEL.items():
        if rng.random() >= SKIPPED:
            out[code] = _near(rng, items.BY_CODE[code], levels[level_key])
    out["arrival_mode"] = _weighted(rng, ARRIVAL[phase])
    if phase == "after_works" and rng.random() < 0.15:
        out["changes_since_works"] = rng.choice(CHANGES[zone])
    return out


def _moment(rng: random.Random, day: date) -> datetime:
    """By day mostly; a third in the evening, after dark in winter."""
    hour = (
        rng.choice((10, 11, 12, 14, 15, 16, 17))
        if rng.random() < 0.67
        else rng.choice((19, 20, 21))
    )
    return datetime.combine(day, time(hour, rng.randrange(60)), tzinfo=PARIS)


def _survey(b, title: str, days_ago: int, *, permanent: bool, closed: bool) -> Walk:
    starts = datetime.combine((b.now - timedelta(days=days_ago)).date(), time(9), tzinfo=PARIS)
    ends = starts + (timedelta(days=14) if closed else timedelta(days=180))
    return b.new_walk(
        title,
        appropriation.SURVEY,
        "mixed",
        group_description="Habitantes et habitants, usagères et usagers du quartier.",
        meeting_point="QR codes sur le mobilier urbain de chaque zone",
        starts_at=starts,
        ends_at=ends,
        status="closed" if closed else "open",
        opened_at=starts,
        closed_at=ends if closed else None,
        permanent=permanent,
    )


def _rechecks(project: Project, questionnaire_id: int) -> list[RecheckItem]:
    """The findings' follow-up questions, as the demo's planner worded and published them."""
    out = []
    findings = db.session.scalars(
        sa.select(Finding).where(Finding.project_id == project.id).order_by(Finding.id)
    )
    for position, finding in enumerate(findings, start=1):
        zone_id = zones.zone_of(project.id, project.zones_version, finding.lat, finding.lon)
        zone = db.session.get(Zone, zone_id) if zone_id else None
        place = f" ({zone.name})" if zone else ""
        out.append(
            RecheckItem(
                questionnaire_id=questionnaire_id,
                finding_id=finding.id,
                zone_id=zone_id,
                prompt_fr=f"« {finding.title} »{place} : depuis les travaux, est-ce amélioré, "
                "inchangé ou pire ?",
                prompt_en=f"“{finding.title}”{place}: since the works, is it better, unchanged "
                "or worse?",
                position=position,
                published=True,
            )
        )
    db.session.add_all(out)
    db.session.flush()
    return out


def _recheck_answers(rng: random.Random, rechecks, zone_names: dict, zone: str) -> dict:
    out = {}
    for recheck in rechecks:
        where = zone_names.get(recheck.zone_id, "")
        better, same, worse = RECHECK_ODDS.get(where, RECHECK_ODDS_ELSEWHERE)
        if where != zone and rng.random() < 0.3:
            continue  # not asked, or skipped: not her place
        roll = rng.random()
        out[appropriation.recheck_code(recheck)] = (
            "better"
            if roll < better
            else "same"
            if roll < better + same
            else "worse"
            if roll < better + same + worse
            else "dont_know"
        )
    return out


def add_surveys(b) -> None:
    """The baseline and post-works surveys of the demo project, their answers bulk inserted and
    the index's figures computed into the cache (the demo needs no worker to show them)."""
    project, rng = b.project, b.rng
    questionnaire = appropriation.built_in_questionnaire(project.id, user_id=b.user.id)
    baseline = _survey(
        b, "Enquête d'appropriation — état initial", BASELINE_DAYS_AGO, permanent=False, closed=True
    )
    post_works = _survey(
        b,
        "Enquête d'appropriation après travaux (QR codes)",
        POST_WORKS_DAYS_AGO,
        permanent=True,
        closed=False,
    )
    db.session.flush()
    rechecks = _rechecks(project, questionnaire.id)
    zone_rows = db.session.scalars(
        sa.select(Zone).where(Zone.project_id == project.id).order_by(Zone.position)
    ).all()
    zone_names = {z.id: z.name for z in zone_rows}
    item_map = appropriation.item_map(questionnaire)
    rows = []
    for phase, walk in (("diagnostic", baseline), ("after_works", post_works)):
        first_day = walk.starts_at.astimezone(PARIS).date()
        days = (min(walk.ends_at, b.now) - walk.starts_at).days or 1
        for zone in zone_rows:
            centre = shape(zone.geometry).representative_point()
            for i in range(PER_ZONE[phase]):
                recorded = _moment(rng, first_day + timedelta(days=rng.randrange(days)))
                answers = _answers(rng, zone.name, phase)
                if phase == "after_works":
                    answers |= _recheck_answers(rng, rechecks, zone_names, zone.name)
                profile = {
                    "gender": _weighted(rng, GENDERS),
                    "age_band": _weighted(rng, AGE_BANDS),
                }
                participant = capture.new_participant(
                    walk, consent_version=CONSENT_VERSION, consent_at=recorded, profile=profile
                ).participant
                twice = phase == "after_works" and i < TWICE_A_DAY // len(zone_rows) + 1
                for again in (False, True) if twice else (False,):
                    at = recorded + timedelta(hours=2) if again else recorded
                    rows.append((participant, walk, zone, phase, at, answers, again, centre))
    db.session.flush()  # the participants' ids
    db.session.execute(
        sa.insert(SurveyAnswer),
        [
            {
                "uuid": uuid.UUID(int=rng.getrandbits(128), version=4),
                "participant_id": participant.id,
                "walk_id": walk.id,
                "questionnaire_id": questionnaire.id,
                "zone_id": zone.id,
                "phase": phase,
                "recorded_at": at,
                "utc_offset_minutes": int(at.utcoffset().total_seconds() // 60),
                "received_at": at,
                "local_date": at.date(),
                "time_slot": time_slot(at, light_condition(centre.y, centre.x, at)),
                "answers": answers,
                "scores": items.dimension_scores(item_map, answers),
                "duplicate": again,
            }
            for participant, walk, zone, phase, at, answers, again, centre in rows
        ],
    )
    computed = appropriation_figures.compute(project.id)
    db.session.add_all(
        IndicatorCache(project_id=project.id, key=key, data=data, stale=False)
        for key, data in computed.items()
    )
