"""The demo project: "Place du Canada — Valenciennes", realistic and safe to load again.

`load_demo` deletes the demo project if it exists (through the participants' erasure, so that
photo files nobody uses any more are reported), then builds it again, dated relative to `now`:

  1. a night exploratory walk with a women's group, about 30 days ago, closed;
  2. an afternoon walk with teenage girls, on a Wednesday about 3 weeks ago, closed;
  3. a consultation meeting about 10 days ago (attendance counts only), closed;
  4. an exploratory walk open now (started 30 minutes ago): its join code is returned.

Each walk's attendance is what its facilitator counted: its app participants and the few people
who came without the app (so never fewer than its participants); the group's notes are at the
stops its spots are at, worded by day or at night as the walk was.

Usage counts (the Public Life Data Protocol's, services.counts) in each zone, in two phases: a
diagnostic campaign about a year before the works and an after-works one in the last weeks,
each with staying snapshots and 10-15 minute counts of people passing on four occasions
(weekday morning, midday and evening, Saturday afternoon). Fewer women and girls stay in the
square before the works (about 27 %) than after (about 43 %); elsewhere the shares barely
change. The records are bulk inserted. The appropriation survey, before the works and after them
(services.demo_survey): better by day everywhere, still worse at night at the underpass. The
project is in its after-works phase.

Spots follow the streets of the perimeter, in order along each walk's route, with GPS noise and
accuracy worse at night; a few places (underpass, car park, bus stop, the sports ground for the
girls) gather the negative spots of several participants: the hotspots a planner should find.
Everything random comes from `random.Random(seed)`, except secrets (join codes, tokens).

It flushes and never commits: the command's unit of work commits, then unlinks the old
demo's files.
"""

from __future__ import annotations

import math
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from importlib import resources
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from shapely.geometry import LineString, Point

from ..config import CONSENT_VERSION
from ..domain import vocabularies as v
from ..domain.geo import perimeter_geometry, point_in_perimeter
from ..domain.light import CIVIL_DUSK_ELEVATION, light_condition, sun_elevation
from ..domain.vocabularies import CRITERIA
from ..extensions import db, utcnow
from ..models import (
    Attendance,
    CountPeriod,
    CountRecord,
    Observation,
    Participant,
    Project,
    ProjectMember,
    Stop,
    StopNote,
    User,
    Walk,
    Zone,
)
from . import capture, demo_survey, events, hotspots, zones
from .counts import period_time_slot
from .observation_filter import ObservationFilter
from .photo_store import PhotoStore

DEMO_PROJECT_NAME = "Place du Canada — Valenciennes"
DEMO_EMAIL = "urbaniste@demo.walkapp.fr"
TIMEZONE = "Europe/Paris"
PARIS = ZoneInfo(TIMEZONE)
DATA = resources.files("walkapp") / "demo_data"

LonLat = tuple[float, float]
Profile = tuple[str | None, str | None, str | None, str | None]  # gender, age, resident, mobility


@dataclass(frozen=True)
class DemoResult:
    email: str
    password: str
    join_code: str


# --- Places -------------------------------------------------------------------------------------
# Streets and paths of the (illustrative) perimeter, as [longitude, latitude] polylines.
STREETS: dict[str, tuple[LonLat, ...]] = {
    # From the bus station forecourt through the underpass to the shopping centre car park.
    "rue_gare": (
        (3.5150, 50.3546),
        (3.5160, 50.3548),
        (3.5175, 50.3553),
        (3.5188, 50.3551),
        (3.5198, 50.3551),
        (3.5212, 50.3553),
    ),
    # Up the east side, along the square.
    "allee_square": ((3.5212, 50.3553), (3.5206, 50.3560), (3.5205, 50.3568), (3.5198, 50.3574)),
    # The avenue on the north side, westwards.
    "avenue_canada": (
        (3.5198, 50.3574),
        (3.5188, 50.3576),
        (3.5172, 50.3574),
        (3.5157, 50.3568),
        (3.5150, 50.3563),
    ),
    # The pedestrian mall across the middle of the square, eastwards.
    "mail_pieton": ((3.5150, 50.3563), (3.5168, 50.3563), (3.5185, 50.3562), (3.5206, 50.3560)),
}

NIGHT_ROUTE = STREETS["rue_gare"] + STREETS["allee_square"][1:] + STREETS["avenue_canada"][1:2]
AFTERNOON_ROUTE = (
    STREETS["mail_pieton"] + STREETS["allee_square"][2:] + STREETS["avenue_canada"][1:2]
)
OPEN_ROUTE = STREETS["rue_gare"]

HOTSPOT_CATEGORIES = ("lighting", "visibility", "people_around", "harassment")


def _box(west: float, south: float, east: float, north: float) -> dict:
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


# The project's zones, in the planner's order, around the places the walks stop at (inside the
# perimeter): the forecourt and the underpass share an edge (lon 3.5168), which the forecourt,
# first in order, wins.
DEMO_ZONES = (
    ("le parvis", _box(3.5150, 50.3542, 3.5168, 50.3552)),
    ("le passage souterrain", _box(3.5168, 50.3547, 3.5183, 50.3558)),
    ("l'arrêt de bus", _box(3.5180, 50.3571, 3.5195, 50.3580)),
    ("le square", _box(3.5195, 50.3562, 3.5215, 50.3574)),
)


@dataclass(frozen=True)
class StopSpec:
    name: str
    at: LonLat
    categories: tuple[str, ...]  # what people tag here
    feeling: tuple[int, int]  # range at night (one better by day)
    ratings: tuple[int, ...]  # the nine criteria at night, in CRITERIA order
    note: str = ""  # the group's remark, noted by the facilitator (at night)
    hotspot: bool = False
    day_note: str = ""  # the remark of a group walking by day, when it differs

    def note_for(self, night: bool) -> str:
        return self.note if night or not self.day_note else self.day_note


GARE = StopSpec(
    "Parvis de la gare routière",
    (3.5160, 50.3548),
    ("transport_stop", "people_around", "signage", "help_within_reach", "lighting"),
    (2, 4),
    (2, 2, 2, 2, 1, 2, 3, 1, 2),
    "Parvis plutôt éclairé, mais aucun plan du quartier et personne après 21 h.",
    day_note="Parvis animé en journée, mais aucun plan du quartier pour s'orienter.",
)
SOUTERRAIN = StopSpec(
    "Passage souterrain",
    (3.5175, 50.3553),
    HOTSPOT_CATEGORIES + ("maintenance",),
    (1, 2),
    (0, 0, 0, 0, 0, 1, 1, 0, 0),
    "Toutes évitent le passage le soir : trop sombre, pas de réseau, on ne voit pas la sortie.",
    hotspot=True,
    day_note="Même de jour on hésite : on ne voit pas la sortie et il n'y a pas de réseau.",
)
PARKING = StopSpec(
    "Parking du centre commercial",
    (3.5198, 50.3551),
    HOTSPOT_CATEGORIES + ("footpath_access",),
    (1, 2),
    (1, 1, 0, 0, 1, 1, 1, 0, 1),
    "Un seul lampadaire, des groupes stationnent près des entrées, cheminement piéton absent.",
    hotspot=True,
    day_note="Des voitures partout, aucun cheminement piéton jusqu'aux entrées.",
)
SQUARE = StopSpec(
    "Square des Acacias",
    (3.5205, 50.3568),
    ("seating", "maintenance", "good_place", "lighting", "toilets"),
    (2, 4),
    (1, 2, 1, 1, 0, 2, 1, 1, 1),
    "Lieu apprécié en journée ; le soir les bancs sont dans le noir.",
    day_note="Lieu apprécié : de l'ombre, des bancs ; les filles aimeraient un coin à elles.",
)
ARRET = StopSpec(
    "Arrêt de bus Canada",
    (3.5188, 50.3576),
    ("transport_stop", "lighting", "harassment", "people_around"),
    (1, 2),
    (1, 1, 1, 1, 0, 2, 2, 0, 1),
    "Attente longue le soir, abri sans lumière, remarques de passants rapportées par plusieurs.",
    hotspot=True,
    day_note="Abri trop petit, horaires illisibles, remarques de passants rapportées.",
)
MAISON = StopSpec(
    "Entrée de la maison de quartier",
    (3.5150, 50.3563),
    ("good_place", "help_within_reach", "seating"),
    (3, 4),
    (2, 3, 2, 2, 2, 2, 1, 2, 2),
    "Point de départ rassurant : l'équipe est là, on connaît tout le monde.",
)
CITY_STADE = StopSpec(
    "City-stade",
    (3.5168, 50.3563),
    ("people_around", "harassment", "seating", "visibility"),
    (1, 2),
    (2, 3, 1, 1, 0, 2, 1, 0, 1),
    "Les filles disent ne jamais y jouer : le terrain est occupé par les garçons plus âgés.",
    hotspot=True,
)


@dataclass(frozen=True)
class WalkSpec:
    title: str
    audience: str
    group_description: str
    meeting_point: str
    route: tuple[LonLat, ...]
    stops: tuple[StopSpec, ...]
    profiles: tuple[Profile, ...]
    spots: tuple[int, int]  # per participant
    categories: dict[str, int]  # weights of the spots between stops
    raters: int  # participants who rate the nine criteria at every stop
    photos: int
    # People the facilitator counted who did not join with the app (no smartphone, or no wish
    # to): (gender, age band, count). With the profiles, they make the walk's attendance.
    without_app: tuple[tuple[str, str, int], ...] = ()
    age_seen: str = "25_44"  # the age band counted for a profile that gave none
    lead_minutes: int = 10  # welcome and consent before walking
    walk_minutes: int = 90  # from the first to the last stop


NIGHT_WALK = WalkSpec(
    "Marche exploratoire de nuit — groupe de femmes du centre social",
    "women",
    "Groupe de femmes du centre social, accompagné par deux animatrices.",
    "Devant le centre social",
    NIGHT_ROUTE,
    (GARE, SOUTERRAIN, PARKING, SQUARE, ARRET),
    (
        ("woman", "25_44", "yes", "pushchair"),
        ("woman", "45_64", "yes", "none"),
        ("woman", "65_plus", "yes", "none"),
        ("woman", "18_24", "no", "none"),
        ("woman", "25_44", "yes", "none"),
        ("woman", "45_64", "yes", None),
        ("woman", "25_44", None, "none"),
        ("woman", "65_plus", "yes", "wheelchair"),
        ("woman", "18_24", "yes", "none"),
        ("woman", "45_64", "no", None),
        ("undisclosed", None, "yes", None),
        ("woman", "25_44", "yes", "none"),
    ),
    (13, 19),
    {
        "lighting": 4,
        "visibility": 3,
        "people_around": 3,
        "help_within_reach": 2,
        "signage": 2,
        "maintenance": 3,
        "footpath_access": 3,
        "seating": 1,
        "toilets": 1,
        "transport_stop": 1,
        "harassment": 1,
        "good_place": 3,
    },
    raters=5,
    photos=8,
    without_app=(("woman", "65_plus", 2), ("woman", "45_64", 1)),
    age_seen="45_64",
)
AFTERNOON_WALK = WalkSpec(
    "Balade de l'après-midi avec les adolescentes de la maison de quartier",
    "girls",
    "Adolescentes de l'accueil jeunes de la maison de quartier, avec leur animatrice.",
    "Maison de quartier",
    AFTERNOON_ROUTE,
    (MAISON, CITY_STADE, SQUARE, ARRET),
    (
        ("woman", "15_17", "yes", "none"),
        ("woman", "15_17", "yes", None),
        ("woman", "under_15", "yes", "none"),
        ("woman", "15_17", "no", "none"),
        ("woman", "under_15", "yes", None),
        (None, "15_17", "yes", None),
        ("woman", "under_15", None, "none"),
        ("woman", "15_17", "yes", "none"),
    ),
    (12, 15),
    {
        "lighting": 1,
        "visibility": 2,
        "people_around": 3,
        "help_within_reach": 1,
        "signage": 1,
        "maintenance": 3,
        "footpath_access": 2,
        "seating": 4,
        "toilets": 2,
        "transport_stop": 1,
        "harassment": 2,
        "good_place": 4,
    },
    raters=3,
    photos=5,
    without_app=(("woman", "under_15", 1),),
    age_seen="15_17",
)
OPEN_WALK = WalkSpec(
    "Marche exploratoire en cours — habitantes du quartier",
    "women",
    "Habitantes du quartier, marche ouverte à toutes, avec une animatrice de la Métropole.",
    "Parvis de la gare routière",
    OPEN_ROUTE,
    (GARE, SOUTERRAIN, PARKING),
    (
        ("woman", "25_44", "yes", "none"),
        ("woman", "45_64", "yes", "none"),
        ("woman", "18_24", "yes", None),
        ("woman", "65_plus", "yes", "walking_aid"),
    ),
    (4, 6),
    NIGHT_WALK.categories,
    raters=0,
    photos=2,
    without_app=(("woman", "45_64", 1),),
    lead_minutes=5,
    walk_minutes=55,
)

MEETING_ATTENDANCE = (
    ("woman", "18_24", 2),
    ("woman", "25_44", 8),
    ("woman", "45_64", 7),
    ("woman", "65_plus", 6),
    ("man", "18_24", 1),
    ("man", "25_44", 4),
    ("man", "45_64", 5),
    ("man", "65_plus", 4),
    ("non_binary", "25_44", 1),
)

PROJECT_DESCRIPTION = (
    "Le quartier de la Place du Canada, quartier prioritaire de la politique de la ville, va "
    "faire l'objet d'un réaménagement complet de la place et de ses abords. Avant d'écrire le "
    "cahier des charges, la Métropole conduit un diagnostic sensible au genre avec les "
    "habitantes et les habitants : marches exploratoires de jour et de nuit, puis réunion de "
    "concertation."
)

# Comments people type, by category: (said of a bad spot, said of a good one).
COMMENTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "lighting": (
        (
            "Lampadaire éteint depuis des semaines",
            "Éclairage trop faible, on ne voit pas où on met les pieds",
            "Tout le passage est dans le noir",
            "La lumière est cachée par les arbres",
            "Un seul lampadaire pour tout le parking",
        ),
        ("Bien éclairé, on voit les visages", "Nouvel éclairage, ça change tout"),
    ),
    "visibility": (
        (
            "On ne voit pas qui arrive au bout du passage",
            "Recoin derrière le local poubelles, on pourrait s'y cacher",
            "Les haies sont trop hautes, on ne voit rien",
            "Les camionnettes garées bouchent la vue",
            "Angle mort, on sursaute à chaque fois",
        ),
        ("On voit loin, on peut anticiper",),
    ),
    "people_around": (
        (
            "Personne le soir, on se sent seule",
            "Désert dès que les magasins ferment",
            "Groupes qui stationnent, on change de trottoir",
            "Que des hommes ici, on ne s'arrête pas",
        ),
        ("Ici il y a du monde le soir, ça rassure", "Des familles jusqu'à tard, c'est vivant"),
    ),
    "help_within_reach": (
        (
            "Pas de réseau dans le souterrain",
            "Aucun commerce ouvert le soir",
            "Personne à qui demander de l'aide",
        ),
        (
            "Le tabac est ouvert jusqu'à 22 h, on peut s'y réfugier",
            "La pharmacie connaît tout le monde",
        ),
    ),
    "signage": (
        (
            "Aucun panneau pour la gare routière",
            "Plan du quartier illisible, tagué",
            "On ne sait pas où mène ce chemin",
            "Le nom de la rue n'est indiqué nulle part",
        ),
        ("Plan du quartier clair",),
    ),
    "maintenance": (
        (
            "Poubelles qui débordent",
            "Odeur d'urine dans l'escalier",
            "Tags et vitres cassées, impression d'abandon",
            "Dépôts sauvages contre le muret",
        ),
        ("Endroit propre et bien entretenu",),
    ),
    "footpath_access": (
        (
            "Trottoir encombré, impossible avec la poussette",
            "Voitures garées sur le trottoir",
            "Pas de rampe, le fauteuil ne passe pas",
            "Trottoir défoncé, on se tord la cheville",
            "Bordure trop haute au passage piéton",
        ),
        ("Trottoir large et plat, agréable avec la poussette",),
    ),
    "seating": (
        (
            "Pas un seul banc pour se reposer",
            "Bancs retirés l'an dernier",
            "Les bancs sont toujours occupés par les mêmes groupes",
            "On aimerait des bancs face à face pour discuter",
        ),
        ("Bancs à l'ombre, on s'y pose avec les copines",),
    ),
    "toilets": (
        (
            "Pas de toilettes publiques dans tout le quartier",
            "Toilettes fermées en permanence",
            "Avec les enfants, il faut rentrer à la maison",
        ),
        (),
    ),
    "transport_stop": (
        (
            "L'abri bus n'a pas de lumière",
            "Un bus toutes les 30 minutes le soir, longue attente",
            "Arrêt isolé, on attend dans le noir",
            "Horaires affichés illisibles",
        ),
        ("Arrêt bien placé, on voit le bus arriver",),
    ),
    "harassment": (
        (
            "Des hommes stationnent devant l'entrée, remarques déplacées",
            "On m'a déjà suivie jusqu'à l'arrêt",
            "Sifflements quand on passe",
            "Regards insistants, on presse le pas",
            "Des garçons font des remarques quand on passe",
            "Les grands nous disent de partir",
        ),
        (),
    ),
    "good_place": (
        (),
        (
            "Bel endroit, on aime venir avec les enfants",
            "Les commerçants connaissent tout le monde",
            "Espace ouvert, on voit loin",
            "Aire de jeux agréable l'après-midi",
            "À garder tel quel",
            "Coin calme avec de l'ombre",
        ),
    ),
}

# Feeling range of a spot between stops, by category (one worse at night for the first three).
FEELING_RANGE = {
    "lighting": (2, 3),
    "visibility": (2, 3),
    "people_around": (2, 4),
    "help_within_reach": (3, 4),
    "signage": (2, 3),
    "maintenance": (2, 3),
    "footpath_access": (1, 3),
    "seating": (2, 4),
    "toilets": (2, 3),
    "transport_stop": (2, 4),
    "harassment": (1, 2),
    "good_place": (4, 5),
}
WORSE_AT_NIGHT = ("lighting", "visibility", "people_around")

# Which demo picture suits a spot, by category: (by day, at night).
PICTURES = {
    "lighting": ("day-path.jpg", "night-street.jpg"),
    "visibility": ("day-path.jpg", "underpass.jpg"),
    "footpath_access": ("cluttered-footpath.jpg", "cluttered-footpath.jpg"),
    "maintenance": ("cluttered-footpath.jpg", "underpass.jpg"),
    "seating": ("bench-square.jpg", None),
    "good_place": ("bench-square.jpg", None),
}


# --- Geometry -----------------------------------------------------------------------------------

METRES_PER_DEGREE = 111_320.0


class Route:
    """A walk's route in a local metric plane (equirectangular: fine over a few hundred metres)."""

    def __init__(self, points: tuple[LonLat, ...]):
        self.lat0 = points[0][1]
        self.kx = METRES_PER_DEGREE * math.cos(math.radians(self.lat0))
        self.line = LineString([self._xy(p) for p in points])

    def _xy(self, p: LonLat) -> tuple[float, float]:
        return p[0] * self.kx, p[1] * METRES_PER_DEGREE

    def fraction(self, p: LonLat) -> float:
        return self.line.project(Point(self._xy(p)), normalized=True)

    def at(self, fraction: float) -> LonLat:
        point = self.line.interpolate(min(max(fraction, 0.0), 1.0), normalized=True)
        return point.x / self.kx, point.y / METRES_PER_DEGREE

    def jitter(self, p: LonLat, rng: random.Random, metres: tuple[float, float]) -> LonLat:
        distance, angle = rng.uniform(*metres), rng.uniform(0, 2 * math.pi)
        return (
            p[0] + distance * math.cos(angle) / self.kx,
            p[1] + distance * math.sin(angle) / METRES_PER_DEGREE,
        )


def _inside(perimeter: dict, rng: random.Random, route: Route, p: LonLat) -> LonLat:
    """`p` moved by 5-15 m of GPS noise, kept inside the perimeter."""
    for _ in range(10):
        lon, lat = route.jitter(p, rng, (5.0, 15.0))
        if point_in_perimeter(perimeter, lat, lon):
            return lon, lat
    return p


# --- Times --------------------------------------------------------------------------------------


def _local(day: date, hh: int, mm: int) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=PARIS)


def _weekday_near(now: datetime, days_ago: int, weekday: int) -> date:
    """The given weekday (Monday 0) of the week that was `days_ago` days before `now`."""
    day = (now.astimezone(PARIS) - timedelta(days=days_ago)).date()
    return day + timedelta(days=weekday - day.weekday())


def _night_start(day: date) -> datetime:
    """20:30, or later in summer: a night walk starts once civil twilight is over."""
    lon, lat = GARE.at
    start = _local(day, 20, 30)
    for _ in range(6):
        if sun_elevation(lat, lon, start) < CIVIL_DUSK_ELEVATION:
            break
        start += timedelta(minutes=30)
    return start


@dataclass(frozen=True)
class Timeline:
    """When the group of a walk is where along its route."""

    starts_at: datetime
    ends_at: datetime
    spec: WalkSpec
    latest: datetime  # no spot after this (the end of a closed walk, `now` for an open one)

    def when(self, fraction: float) -> datetime:
        minutes = self.spec.lead_minutes + fraction * self.spec.walk_minutes
        return self.starts_at + timedelta(minutes=minutes)

    @property
    def reached(self) -> float:
        """How far along the route the group can be at `latest`."""
        minutes = (self.latest - self.starts_at).total_seconds() / 60 - self.spec.lead_minutes
        return min(max(minutes / self.spec.walk_minutes, 0.0), 1.0)


# --- Building -----------------------------------------------------------------------------------


@dataclass
class Builder:
    """What every step of the building needs, and the spots made so far."""

    rng: random.Random
    now: datetime
    user: User
    project: Project
    spots: list[tuple[Observation, Participant, Walk]] = field(default_factory=list)

    @property
    def perimeter(self) -> dict:
        return self.project.perimeter or {}

    def new_walk(self, title: str, kind: str, audience: str, **fields) -> Walk:
        # By id (both are flushed): a walk joins the session only through its join code.
        walk = Walk(
            project_id=self.project.id,
            kind=kind,
            audience=audience,
            title=title,
            facilitator_id=self.user.id,
            **fields,
        )
        events.add_with_join_code(walk)
        return walk


def _walk_from_spec(b: Builder, spec: WalkSpec, timeline: Timeline, status: str) -> Walk:
    walk = b.new_walk(
        spec.title,
        "exploratory_walk",
        spec.audience,
        group_description=spec.group_description,
        meeting_point=spec.meeting_point,
        starts_at=timeline.starts_at.astimezone(PARIS),
        ends_at=timeline.ends_at.astimezone(PARIS),
        status=status,
        opened_at=timeline.starts_at,
        closed_at=timeline.ends_at if status == "closed" else None,
    )
    walk.stops = [
        Stop(number=i, name=s.name, lon=s.at[0], lat=s.at[1]) for i, s in enumerate(spec.stops, 1)
    ]
    return walk


def _meeting(b: Builder, now: datetime) -> Walk:
    day = _weekday_near(now, 10, 1)  # a Tuesday evening
    starts, ends = _local(day, 18, 30), _local(day, 20, 30)
    walk = b.new_walk(
        "Réunion de concertation — restitution du diagnostic",
        "meeting",
        "mixed",
        group_description="Habitantes et habitants, associations et commerçants du quartier.",
        meeting_point="Salle polyvalente de la maison de quartier",
        starts_at=starts,
        ends_at=ends,
        status="closed",
        opened_at=starts,
        closed_at=ends,
    )
    walk.attendance = [Attendance(gender=g, age_band=a, count=n) for g, a, n in MEETING_ATTENDANCE]
    return walk


def _timelines(now: datetime) -> tuple[Timeline, Timeline, Timeline]:
    night_start = _night_start(_weekday_near(now, 30, 3))  # a Thursday evening
    night_end = night_start + timedelta(hours=2)
    afternoon_day = _weekday_near(now, 21, 2)  # a Wednesday afternoon
    afternoon = (_local(afternoon_day, 14, 30), _local(afternoon_day, 16, 30))
    open_start, open_end = now - timedelta(minutes=30), now + timedelta(hours=2)
    return (
        Timeline(night_start, night_end, NIGHT_WALK, night_end),
        Timeline(*afternoon, AFTERNOON_WALK, afternoon[1]),
        Timeline(open_start, open_end, OPEN_WALK, now - timedelta(minutes=1)),
    )


# --- Participants and spots ---------------------------------------------------------------------


def _participant(walk: Walk, profile: Profile, consent_at: datetime) -> Participant:
    answers = dict(zip(capture.PROFILE_FIELDS, profile, strict=True))
    return capture.new_participant(
        walk, consent_version=CONSENT_VERSION, consent_at=consent_at, profile=answers
    ).participant


@dataclass(frozen=True)
class WalkPlan:
    walk: Walk
    spec: WalkSpec
    timeline: Timeline
    night: bool


@dataclass(frozen=True)
class Draft:
    """A spot before it is stored: where along the route, what, and at which stop."""

    fraction: float
    category: str
    feeling: int
    stop: StopSpec | None = None
    ratings: dict[str, int] | None = None


def _clip(value: int, low: int, high: int) -> int:
    return min(max(value, low), high)


def _ratings(rng: random.Random, stop: StopSpec, night: bool) -> dict[str, int]:
    shift = 0 if night else 1
    return {
        code: _clip(base + shift + rng.choice((-1, 0, 0, 1)), 0, 3)
        for code, base in zip(CRITERIA.codes, stop.ratings, strict=True)
    }


def _stop_feeling(rng: random.Random, stop: StopSpec, category: str, night: bool) -> int:
    if category == "good_place":
        return rng.randint(4, 5)
    low, high = stop.feeling
    shift = 0 if night else 1
    return _clip(rng.randint(low, high) + shift, 1, 5)


def _path_feeling(rng: random.Random, category: str, night: bool) -> int:
    low, high = FEELING_RANGE[category]
    shift = -1 if night and category in WORSE_AT_NIGHT else 0
    return _clip(rng.randint(low, high) + shift, 1, 5)


def _rating_draft(rng: random.Random, route: Route, stop: StopSpec, night: bool) -> Draft:
    ratings = _ratings(rng, stop, night)
    feeling = _clip(ratings["perceived_safety"] + 1 + rng.choice((0, 0, 1)), 1, 5)
    category = "good_place" if feeling >= 4 else rng.choice(stop.categories)
    fraction = route.fraction(stop.at) + rng.uniform(-0.005, 0.01)
    return Draft(fraction, category, feeling, stop, ratings)


def _stop_draft(rng: random.Random, route: Route, stops: list[StopSpec], night: bool) -> Draft:
    weights = [3 if s.hotspot else 1 for s in stops]
    stop = rng.choices(stops, weights)[0]
    category = rng.choice(stop.categories)
    fraction = route.fraction(stop.at) + rng.uniform(-0.01, 0.015)
    # A spot at a stop is tagged with the stop most of the time, not always.
    tagged = stop if rng.random() < 0.7 else None
    return Draft(fraction, category, _stop_feeling(rng, stop, category, night), tagged)


def _path_draft(
    rng: random.Random, spec: WalkSpec, profile: Profile, reached: float, night: bool
) -> Draft:
    weights = dict(spec.categories)
    if profile[3] in ("pushchair", "wheelchair", "walking_aid"):
        weights["footpath_access"] = weights.get("footpath_access", 0) + 6
    category = rng.choices(list(weights), list(weights.values()))[0]
    return Draft(rng.uniform(0, reached), category, _path_feeling(rng, category, night))


def _drafts(
    rng: random.Random, plan: WalkPlan, route: Route, profile: Profile, rater: bool
) -> list[Draft]:
    spec, night, reached = plan.spec, plan.night, plan.timeline.reached
    stops = [s for s in spec.stops if route.fraction(s.at) <= reached]
    drafts = [_rating_draft(rng, route, s, night) for s in stops] if rater else []
    for _ in range(rng.randint(*spec.spots) - len(drafts)):
        if stops and rng.random() < 0.45:
            drafts.append(_stop_draft(rng, route, stops, night))
        else:
            drafts.append(_path_draft(rng, spec, profile, reached, night))
    return sorted(drafts, key=lambda d: d.fraction)


def _comment(rng: random.Random, draft: Draft) -> str | None:
    negative, positive = COMMENTS[draft.category]
    pool = positive if draft.feeling >= 4 else negative
    if not pool or rng.random() >= 0.3:
        return None
    return rng.choice(pool)


def _recorded_at(rng: random.Random, tl: Timeline, fraction: float) -> datetime:
    when = tl.when(fraction) + timedelta(seconds=rng.uniform(-60, 60))
    when = min(max(when, tl.starts_at + timedelta(minutes=2)), tl.latest)
    # As the phone sends it: local wall-clock time with the device's offset.
    return when.astimezone(PARIS)


def _received_at(rng: random.Random, recorded: datetime, now: datetime) -> datetime:
    delay = rng.uniform(2, 20) if rng.random() < 0.85 else rng.uniform(60, 900)  # outbox
    return min(recorded + timedelta(seconds=delay), now)


def _observation(
    b: Builder, plan: WalkPlan, who: Participant, route: Route, d: Draft
) -> Observation:
    rng = b.rng
    recorded = _recorded_at(rng, plan.timeline, d.fraction)
    base = d.stop.at if d.stop else route.at(d.fraction)
    lon, lat = _inside(b.perimeter, rng, route, base)
    accuracy = rng.uniform(8, 30) if plan.night else rng.uniform(4, 15)
    obs = Observation(
        uuid=uuid.UUID(int=rng.getrandbits(128), version=4),
        participant=who,
        walk=plan.walk,
        received_at=_received_at(rng, recorded, b.now),
    )
    stop_ids = {s.name: s.id for s in plan.walk.stops}
    fields = {
        "lat": round(lat, 6),
        "lon": round(lon, 6),
        "accuracy_m": round(accuracy, 1),
        "position_source": "gps",  # the demo's phones all had a fix (with its accuracy)
        "recorded_at": recorded,
        "category": d.category,
        "feeling": d.feeling,
        "ratings": d.ratings,
        "stop_id": stop_ids[d.stop.name] if d.stop else None,
        "comment": _comment(rng, d),
    }
    capture.apply_fields(obs, plan.walk, fields)
    return obs


def _populate(b: Builder, plan: WalkPlan) -> list[Participant]:
    spec, route = plan.spec, Route(plan.spec.route)
    people = []
    for i, profile in enumerate(spec.profiles):
        who = _participant(plan.walk, profile, plan.timeline.starts_at)
        people.append(who)
        drafts = _drafts(b.rng, plan, route, profile, i < spec.raters)
        b.spots.extend((_observation(b, plan, who, route, d), who, plan.walk) for d in drafts)
    return people


def _attendance(spec: WalkSpec) -> list[Attendance]:
    """Who the facilitator counted: everyone who joined with the app (a profile without a
    gender counted as "prefer not to say", without an age band as the band seen), and the
    people without it. So a walk's attendance is never below its app participants."""
    cells: dict[tuple[str, str], int] = {}
    seen = [(g or "undisclosed", a or spec.age_seen, 1) for g, a, _r, _m in spec.profiles]
    for gender, age_band, n in seen + list(spec.without_app):
        cells[gender, age_band] = cells.get((gender, age_band), 0) + n
    return [Attendance(gender=g, age_band=a, count=n) for (g, a), n in sorted(cells.items())]


def _stop_notes(b: Builder, plan: WalkPlan) -> list[StopNote]:
    """The group's remark at each stop it stood at: reached by now, and where its spots are
    (a remark made by day or at night, as the walk was)."""
    route = Route(plan.spec.route)
    at_stops = {obs.stop_id for obs, _who, walk in b.spots if walk is plan.walk}
    notes = []
    for spec_stop, stop in zip(plan.spec.stops, plan.walk.stops, strict=True):
        fraction = route.fraction(spec_stop.at)
        text = spec_stop.note_for(plan.night)
        if text and stop.id in at_stops and fraction <= plan.timeline.reached:
            at = min(plan.timeline.when(fraction) + timedelta(minutes=8), plan.timeline.latest)
            notes.append(
                StopNote(
                    walk_id=plan.walk.id,
                    stop=stop,
                    author=b.user,
                    text=text,
                    created_at=at,
                )
            )
    return notes


# --- Photos -------------------------------------------------------------------------------------


def _picture(obs: Observation) -> str | None:
    by_day, at_night = PICTURES.get(obs.category, (None, None))
    return by_day if obs.light_condition == "day" else at_night


def _add_photos(b: Builder, store: PhotoStore, plans: list[WalkPlan]) -> None:
    cache: dict[str, bytes] = {}
    for plan in plans:
        candidates = [
            (obs, who)
            for obs, who, walk in b.spots
            if walk is plan.walk and _picture(obs) is not None
        ]
        for obs, who in b.rng.sample(candidates, min(plan.spec.photos, len(candidates))):
            name = _picture(obs)
            if name not in cache:
                cache[name] = DATA.joinpath(name).read_bytes()
            capture.add_photo(who, obs.uuid, cache[name], store)


# --- Removing the previous demo -----------------------------------------------------------------


def _remove_previous(store: PhotoStore) -> None:
    """Delete the demo project(s) with their participants' spots and photos (files no photo
    uses any more are unlinked after the commit)."""
    projects = db.session.scalars(sa.select(Project).where(Project.name == DEMO_PROJECT_NAME)).all()
    for project in projects:
        participants = db.session.scalars(
            sa.select(Participant).join(Walk).where(Walk.project_id == project.id)
        ).all()
        for participant in participants:
            capture.erase_participant(participant, store)
        db.session.delete(project)
    db.session.flush()


def _demo_user(password: str) -> User:
    user = db.session.scalar(sa.select(User).where(User.email == DEMO_EMAIL))
    if user is None:
        user = User(email=DEMO_EMAIL, name="Urbaniste (démo)", role="planner")
        db.session.add(user)
    user.active = True
    user.set_password(password)
    return user


def _new_project(user: User) -> Project:
    text = DATA.joinpath("place-du-canada-perimeter.geojson").read_text(encoding="utf-8")
    project = Project(
        name=DEMO_PROJECT_NAME,
        commune="Valenciennes",
        insee_code="59606",
        timezone=TIMEZONE,
        # The works are done: the after-works counts and survey are under way (the walks and
        # the baseline were the diagnostic's; each count and answer keeps its own phase).
        phase="after_works",
        description=PROJECT_DESCRIPTION,
        perimeter=perimeter_geometry(text),
    )
    db.session.add(project)
    db.session.add(ProjectMember(user=user, project=project, role="planner"))
    db.session.flush()
    # Its zones before its spots: each spot is attached as it is made (capture.apply_fields).
    db.session.add_all(
        Zone(project_id=project.id, name=name, geometry=perimeter_geometry(geometry), position=i)
        for i, (name, geometry) in enumerate(DEMO_ZONES, start=1)
    )
    project.zones_version = zones.new_version()
    db.session.flush()
    return project


def _plan(b: Builder, spec: WalkSpec, timeline: Timeline, status: str, night: bool) -> WalkPlan:
    return WalkPlan(_walk_from_spec(b, spec, timeline, status), spec, timeline, night)


def _plans(b: Builder) -> list[WalkPlan]:
    """The three walks with spots (night, afternoon, open now); the meeting is made too."""
    night, afternoon, open_now = _timelines(b.now)
    plans = [
        _plan(b, NIGHT_WALK, night, "closed", night=True),
        _plan(b, AFTERNOON_WALK, afternoon, "closed", night=False),
    ]
    _meeting(b, b.now)  # between the two in time, and so in id
    dark_now = light_condition(GARE.at[1], GARE.at[0], b.now) != "day"
    plans.append(_plan(b, OPEN_WALK, open_now, "open", night=dark_now))
    return plans


# What the demo's planner wrote when she confirmed the places the walks named (by the place's
# most reported category): the tender annex of the demo project has findings to show.
FINDING_TEXTS = {
    "lighting": (
        "Passage sombre après la tombée de la nuit",
        "Reprendre l'éclairage du cheminement : points lumineux plus rapprochés, lumière blanche "
        "qui rend les visages reconnaissables, aucun point noir entre deux candélabres.",
    ),
    "visibility": (
        "Recoins sans visibilité",
        "Supprimer les recoins et dégager les vues : haies taillées à hauteur d'yeux, "
        "pas de mobilier qui masque l'entrée.",
    ),
    "harassment": (
        "Lieu de harcèlement signalé par plusieurs participantes",
        "Rendre le lieu visible et fréquenté à toute heure : éclairage, vues dégagées depuis "
        "les rues voisines, activités en rez-de-chaussée.",
    ),
    "footpath_access": (
        "Cheminement encombré, difficile avec une poussette",
        "Rétablir un cheminement continu de 1,40 m libre de tout obstacle.",
    ),
}
DEFAULT_FINDING_TEXT = (
    "Lieu signalé par plusieurs participantes",
    "À traiter dans le projet d'aménagement, avec les participantes.",
)
DEMO_FINDINGS = 3


def _confirm_findings(b: Builder) -> None:
    """The demo's planner has confirmed the first hotspots the walks made, as a planner would
    after reading the hotspots page."""
    places = hotspots.project_hotspots(b.project.id, ObservationFilter())
    for place in places[:DEMO_FINDINGS]:
        top = place.top_categories[0][0] if place.top_categories else ""
        title, recommendation = FINDING_TEXTS.get(top, DEFAULT_FINDING_TEXT)
        hotspots.confirm(
            b.project.id,
            place.key,
            ObservationFilter(),
            title=title,
            recommendation=recommendation,
            user_id=b.user.id,
        )


# --- Usage counts ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CountSpec:
    """How a zone is used, for its demo counts."""

    staying: tuple[int, int]  # people in a snapshot
    passing: tuple[int, int]  # people passing in 10 minutes
    women_staying: tuple[float, float]  # share of women and girls staying: diagnostic, after
    line: str  # where the passing counts are made
    postures: dict[str, float]  # weights of the codes that stand out (the others: 1)
    activities: dict[str, float]
    women_passing: float = 0.48


COUNT_SPECS = {
    "le parvis": CountSpec(
        (8, 25),
        (70, 150),
        (0.33, 0.36),
        "Sortie de la gare routière",
        {"standing": 8, "sitting_informal": 3},
        {"waiting_other": 6, "conversing": 5, "electronic_engagement": 4, "smoking": 2},
    ),
    "le passage souterrain": CountSpec(
        (5, 9),
        (30, 70),
        (0.25, 0.30),
        "Entrée côté gare",
        {"standing": 8, "sitting_informal": 2},
        {"waiting_other": 4, "electronic_engagement": 3, "smoking": 3},
        women_passing=0.40,
    ),
    "l'arrêt de bus": CountSpec(
        (6, 22),
        (40, 110),
        (0.40, 0.45),
        "Trottoir de l'avenue, devant l'abri",
        {"standing": 6, "sitting_formal": 4},
        {"waiting_transfer": 12, "electronic_engagement": 4, "conversing": 3},
        women_passing=0.52,
    ),
    "le square": CountSpec(
        (14, 40),
        (35, 100),
        (0.27, 0.43),
        "Allée du square, entrée sud",
        {"sitting_formal": 8, "standing": 4, "sitting_informal": 3},
        {"recreation_passive": 7, "conversing": 7, "recreation_active": 5, "consuming": 3},
    ),
}
# (days before `now` for the diagnostic campaign, and for the after-works one), with the day of
# the week and the local time of each occasion (Monday 0).
COUNT_CAMPAIGNS = (("diagnostic", 375), ("after_works", 14))
COUNT_OCCASIONS = ((1, 8, 30), (3, 12, 30), (4, 19, 30), (5, 15, 0))
AGE_WEIGHTS = {"0-14": 1.5, "15-24": 2.0, "25-64": 5.0, "65+": 1.5}
MODE_WEIGHTS = {
    "pedestrian_walking": 30,
    "pedestrian_carried": 2,
    "pedestrian_supported": 0.5,
    "pedestrian_rolling": 1.5,
    "bicyclist": 3,
}
GROUP_WEIGHTS = {"1": 5, "2": 4, "3-7": 2, "8+": 0.3}
WEATHER_WEIGHTS = {"sun_exposed": 3, "light_clouds": 4, "heavy_clouds": 3, "light_rain": 1}
UNKNOWN_SHARE = 0.03  # people the counter could not tell


def _pick(
    rng: random.Random, vocabulary: v.Vocabulary, weights: dict[str, float], rest: float = 1.0
) -> str:
    """A code of `vocabulary`, those in `weights` (if it still has them) by their weight, the
    others by `rest`: a new code of the vocabulary appears too, the demo never breaks."""
    codes = vocabulary.codes
    return rng.choices(codes, weights=[weights.get(code, rest) for code in codes])[0]


def _genders(rng: random.Random, n: int, women_share: float) -> list[str]:
    """`n` perceived genders with that share of women among those told (shuffled)."""
    unknown = round(n * UNKNOWN_SHARE * rng.uniform(0.0, 2.0))
    told = n - unknown
    women = round(told * min(max(women_share + rng.uniform(-0.03, 0.03), 0.0), 1.0))
    genders = ["female"] * women + ["male"] * (told - women) + ["unknown"] * unknown
    rng.shuffle(genders)
    return genders


def _count_records(
    rng: random.Random, period: CountPeriod, spec: CountSpec, phase_index: int
) -> list[dict]:
    staying = period.kind == "staying"
    n = rng.randint(*(spec.staying if staying else spec.passing))
    share = spec.women_staying[phase_index] if staying else spec.women_passing
    length = (period.ended_at - period.started_at).total_seconds()
    rows = []
    for gender in _genders(rng, n, share):
        row = {
            "uuid": uuid.UUID(int=rng.getrandbits(128), version=4),
            "period_id": period.id,
            "recorded_at": period.started_at + timedelta(seconds=rng.uniform(0, length)),
            "gender": gender,
            "age_group": _pick(rng, v.AGE_GROUPS, AGE_WEIGHTS),
            "mode": None,
            "posture": None,
            "activity": None,
            "group_size": None,
        }
        if staying:
            row["posture"] = _pick(rng, v.POSTURES, spec.postures, rest=0.3)
            row["activity"] = _pick(rng, v.ACTIVITIES, spec.activities, rest=0.25)
            row["group_size"] = _pick(rng, v.GROUP_SIZES, GROUP_WEIGHTS)
        else:
            row["mode"] = _pick(rng, v.MOVING_MODES, MODE_WEIGHTS, rest=0.5)
        rows.append(row)
    return rows


def _count_periods(b: Builder, zone: Zone, spec: CountSpec) -> list[tuple[CountPeriod, int]]:
    periods = []
    for phase_index, (phase, days_ago) in enumerate(COUNT_CAMPAIGNS):
        for weekday, hh, mm in COUNT_OCCASIONS:
            start = _local(_weekday_near(b.now, days_ago, weekday), hh, mm)
            weather = _pick(b.rng, v.WEATHER, WEATHER_WEIGHTS)
            festive = phase == "after_works" and weekday == 5 and zone.name == "le square"
            for kind, minutes, line in (
                ("staying", 5, ""),
                ("moving", b.rng.choice((10, 12, 15)), spec.line),
            ):
                started = start + timedelta(minutes=0 if kind == "staying" else 10)
                period = CountPeriod(
                    uuid=uuid.UUID(int=b.rng.getrandbits(128), version=4),
                    project_id=b.project.id,
                    zone_id=zone.id,
                    kind=kind,
                    phase=phase,  # the campaign's, not the project's current phase
                    started_at=started.astimezone(UTC),
                    ended_at=(started + timedelta(minutes=minutes)).astimezone(UTC),
                    time_slot=period_time_slot(b.project, zone, started),
                    weather=weather,
                    time_character="communal_event" if festive else "none",
                    line=line,
                    counted_by_id=b.user.id,
                )
                periods.append((period, phase_index))
    return periods


def _counts(b: Builder) -> None:
    """Counting periods of both phases in every demo zone, their people bulk inserted."""
    planned = []
    for zone in db.session.scalars(
        sa.select(Zone).where(Zone.project_id == b.project.id).order_by(Zone.position)
    ):
        spec = COUNT_SPECS[zone.name]
        planned.extend((period, index, spec) for period, index in _count_periods(b, zone, spec))
    db.session.add_all(period for period, _index, _spec in planned)
    db.session.flush()  # the periods' ids
    records = [
        row for period, index, spec in planned for row in _count_records(b.rng, period, spec, index)
    ]
    if records:
        db.session.execute(sa.insert(CountRecord), records)


# --- Entry point --------------------------------------------------------------------------------


def has_projects() -> bool:
    return db.session.scalar(sa.select(Project.id).limit(1)) is not None


def load_demo(
    store: PhotoStore, password: str, *, now: datetime | None = None, seed: int = 2026
) -> DemoResult:
    """(Re)load the demo project; flushes, never commits. See the module docstring."""
    _remove_previous(store)
    user = _demo_user(password)
    b = Builder(random.Random(seed), now or utcnow(), user, _new_project(user))
    plans = _plans(b)
    db.session.flush()  # stops get their ids
    for plan in plans:
        db.session.add_all(_populate(b, plan))
        db.session.add_all(_stop_notes(b, plan))
        plan.walk.attendance = _attendance(plan.spec)
    db.session.add_all(obs for obs, _who, _walk in b.spots)
    db.session.flush()
    _add_photos(b, store, plans)
    _confirm_findings(b)
    _counts(b)
    demo_survey.add_surveys(b)
    return DemoResult(DEMO_EMAIL, password, plans[-1].walk.join_code)
