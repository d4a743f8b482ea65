"""Golden results of the observation filter on every page that lists spots.

For 34 filter combinations (the query strings a planner's address carries), on the demo
project and on a generated project, this records which spots each page shows, in order:

- triage: every page followed by keyset cursor (ids in order, the total) and the filters its
  paging links carry;
- gallery: the same for the photos;
- map: the count of the page, the points of the (aggregated) map document (their number and a
  digest: points carry no id), the markers' spots in order, the filters the map frame carries;
- map cells: total and spots in order of the JSON of the two busiest map cells;
- hotspots: the spots the statistics run on and the hotspots found (cell and number of reports),
  both sorted (the query has no order), and the filters their links carry.

Each combination goes through the real page (the view parses the query string); the service
function the view calls is watched to read what it returned. A spot is named by its rank among
the project's spots by (recorded_at, uuid), a photo by its rank by (its spot, its file's hash),
an event by its position among the project's events: never by a database id, so SQLite and
PostgreSQL give the same file. Lists of ranks are written as runs ("9-7,3-5,1").

The expected results are tests/data/golden_filters.json, written from the code as it was before
the filters were made one (issue 8). Regenerate it only from code whose results are known right:

    WALKAPP_REGEN_GOLDEN=1 WALKAPP_TEST_DATABASES=sqlite \\
        .venv/bin/python -m pytest tests/test_observation_filter_golden.py -p no:cacheprovider

(the demo's data comes from services.demo with a fixed seed and a fixed "now": a change of the
demo itself changes the demo's half of the file, not a change of the filters).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html import unescape
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from conftest import DATA, perimeter
from planner_users import login, make_user

from walkapp.domain import maps as map_domain
from walkapp.domain.vocabularies import EVENT_KINDS
from walkapp.extensions import db
from walkapp.models import (
    Observation,
    Participant,
    Photo,
    Project,
    ProjectMember,
    StoredFile,
    User,
    Walk,
)
from walkapp.services import hotspots as hotspot_service
from walkapp.services import maps as map_service
from walkapp.services import triage as triage_service
from walkapp.services.demo import DEMO_PROJECT_NAME, load_demo
from walkapp.services.photo_store import PhotoStore

pytestmark = pytest.mark.db

GOLDEN = DATA / "golden_filters.json"
REGEN = bool(os.environ.get("WALKAPP_REGEN_GOLDEN"))
DEMO_NOW = datetime(2026, 11, 20, 20, 0, tzinfo=UTC)
PARIS = ZoneInfo("Europe/Paris")
SURVEY = EVENT_KINDS.codes[1]  # the after-works survey (its code may be renamed)

# name -> query string. "#0".."#3": the project's events in time order; "#other": an event of
# another project; "@first", "@mid", "@last": local dates of the project's spots.
COMBOS: dict[str, dict[str, str | list[str]]] = {
    "none": {},
    "event-0": {"event": "#0"},
    "event-1-2": {"event": ["#1", "#2"]},
    "event-other-project": {"event": "#other"},
    "event-own-and-other": {"event": ["#0", "#other"]},
    "event-unknown": {"event": "999999"},
    "bad-values": {  # every one dropped, as a stale bookmark's: the same as no filter
        "event": ["abc", "-1", "1e3", "１２"],
        "kind": "picnic",
        "feeling": ["7", "x", "0"],
        "light": "dusk",
        "gender": "?",
        "age": "old",
        "from": "2026-13-45",
        "to": "garbage",
        "photo": "maybe",
        "facilitator": "1",
        "hidden": "everything",
    },
    "kind-meeting": {"kind": "meeting"},
    "kind-walk": {"kind": "exploratory_walk"},
    "kind-walk-survey": {"kind": ["exploratory_walk", SURVEY]},
    "category-two": {"category": ["lighting", "visibility"]},
    "category-harassment": {"category": "harassment"},
    "category-bad": {"category": ["nonsense", "good_place"]},
    "feeling-1-2": {"feeling": ["1", "2"]},
    "feeling-5": {"feeling": "5"},
    "light-night": {"light": "night"},
    "light-day-twilight": {"light": ["day", "twilight"]},
    "gender-woman": {"gender": "woman"},
    "gender-man-nb": {"gender": ["man", "non_binary"]},
    "age-teens": {"age": ["15_17", "18_24"]},
    "gender-and-age": {"gender": "woman", "age": "25_44"},
    "from-mid": {"from": "@mid"},
    "to-mid": {"to": "@mid"},
    "from-first-to-mid": {"from": "@first", "to": "@mid"},
    "photo-yes": {"photo": "yes"},
    "photo-no": {"photo": "no"},
    "facilitator-yes": {"facilitator": "yes"},
    "facilitator-no": {"facilitator": "no"},
    "hidden-include": {"hidden": "include"},
    "hidden-only": {"hidden": "only"},
    "mixed-triage": {
        "event": "#0",
        "category": "lighting",
        "light": "night",
        "feeling": ["1", "2"],
    },
    "mixed-map": {"kind": "exploratory_walk", "gender": "woman", "light": "night", "to": "@mid"},
    "mixed-flags": {"photo": "yes", "hidden": "include", "category": ["lighting", "harassment"]},
    "mixed-all": {
        "event": ["#0", "#1", "#3"],
        "kind": "exploratory_walk",
        "category": ["lighting", "visibility", "people_around"],
        "feeling": ["1", "2", "3"],
        "light": ["night", "twilight"],
        "age": ["25_44", "45_64", "65_plus"],
        "to": "@last",
        "facilitator": "no",
    },
}

PAGER_FIRST = re.compile(r'<nav class="pager"[^>]*>\s*<a href="([^"]+)"')
MAP_FRAME = re.compile(r'<iframe[^>]*\bsrc="([^"]+)"')
MAP_LINK = re.compile(r'href="(/planner/projects/\d+/(?:map|hotspots/[^/"]+/confirm)\?[^"]*)"')


# --- Watching what the views get from the services ------------------------------------------


class Spy:
    """Wraps module.name; keeps (args, result) of each call since the last take()."""

    def __init__(self, monkeypatch, module, name: str):
        self.original = getattr(module, name)
        self.calls: list[tuple[tuple, object]] = []

        def spy(*args, **kwargs):
            result = self.original(*args, **kwargs)
            self.calls.append((args, result))
            return result

        monkeypatch.setattr(module, name, spy)

    def take(self) -> tuple[tuple, object]:
        calls, self.calls = self.calls, []
        assert calls, "the view did not call the service"
        return calls[0]


def runs(numbers) -> str:
    """[9, 8, 7, 3, 4, 5, 1] -> "9-7,3-5,1": lists of ranks in time order stay short."""
    numbers, parts, i = list(numbers), [], 0
    while i < len(numbers):
        j, step = i, 0
        if i + 1 < len(numbers) and abs(numbers[i + 1] - numbers[i]) == 1:
            step = numbers[i + 1] - numbers[i]
            while j + 1 < len(numbers) and numbers[j + 1] - numbers[j] == step:
                j += 1
        parts.append(f"{numbers[i]}-{numbers[j]}" if j > i else str(numbers[i]))
        i = j + 1
    return ",".join(parts)


@dataclass
class Names:
    """Stable names of a project's rows: ranks and positions, never database ids.

    A spot is its rank among the project's spots by (recorded_at, uuid); a photo its rank by
    (its spot's rank, its file's hash); an event its position by (starts_at, title).
    """

    spots: dict[int, int]  # observation id -> rank
    events: dict[str, int]  # "#0" -> walk id
    dates: dict[str, str]
    photos: dict[int, int] = field(default_factory=dict)  # photo id -> rank

    def spot(self, obs_id: int) -> int:
        return self.spots.get(obs_id, -1 - obs_id)  # another project's spot: never expected

    def event_name(self, walk_id: str) -> str:
        by_id = {str(v): k for k, v in self.events.items()}
        return by_id.get(walk_id, walk_id)

    def query(self, combo: dict[str, str | list[str]]) -> list[tuple[str, str]]:
        pairs = []
        for name, values in combo.items():
            for value in [values] if isinstance(values, str) else values:
                value = str(self.events.get(value, self.dates.get(value, value)))
                pairs.append((name, value))
        return pairs

    def carried(self, url: str | None, drop=("after", "before", "lang", "aggregate")) -> list:
        """The filters a link carries, events named, in a stable order."""
        if url is None:
            return []
        pairs = parse_qsl(urlsplit(unescape(url)).query, keep_blank_values=True)
        named = [(k, self.event_name(v) if k == "event" else v) for k, v in pairs if k not in drop]
        return [list(pair) for pair in sorted(named)]


def names_of(project_id: int, other_walk_id: int) -> Names:
    rows = db.session.execute(
        sa.select(Observation.id, Observation.uuid, Observation.recorded_at, Observation.local_date)
        .join(Walk, Walk.id == Observation.walk_id)
        .where(Walk.project_id == project_id)
    ).all()
    ranked = sorted(rows, key=lambda row: (row.recorded_at, str(row.uuid)))
    walks = db.session.scalars(
        sa.select(Walk).where(Walk.project_id == project_id).order_by(Walk.starts_at, Walk.title)
    ).all()
    dates = sorted({row.local_date for row in rows})
    names = Names(
        spots={row.id: rank for rank, row in enumerate(ranked)},
        events={**{f"#{i}": w.id for i, w in enumerate(walks)}, "#other": other_walk_id},
        dates={
            "@first": dates[0].isoformat(),
            "@mid": dates[len(dates) // 2].isoformat(),
            "@last": dates[-1].isoformat(),
        },
    )
    photos = db.session.execute(
        sa.select(Photo.id, Photo.observation_id, StoredFile.sha256).join(
            StoredFile, StoredFile.id == Photo.file_id
        )
    )
    keyed = sorted((names.spot(obs_id), sha, photo_id) for photo_id, obs_id, sha in photos)
    names.photos = {photo_id: rank for rank, (_s, _h, photo_id) in enumerate(keyed)}
    return names


def busiest_cells(project_id: int, n: int = 2) -> list[str]:
    rows = db.session.execute(
        sa.select(Observation.lat, Observation.lon)
        .join(Walk, Walk.id == Observation.walk_id)
        .where(Walk.project_id == project_id, Observation.hidden_at.is_(None))
    )
    counts = Counter(map_domain.cell_of_map(lat, lon) for lat, lon in rows)
    return [cell for cell, _n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))][:n]


# --- The pages ------------------------------------------------------------------------------


@dataclass
class Pages:
    client: object
    project_id: int
    names: Names
    cells: list[str]
    spies: dict[str, Spy]

    def get(self, path: str, query) -> str:
        r = self.client.get(f"/planner/projects/{self.project_id}/{path}", query_string=query)
        assert r.status_code == 200, (path, query, r.status_code)
        return r.get_data(as_text=True)

    def _keyset(self, path: str, spy: Spy, query, key, cursor_of) -> dict:
        """Page 1 through the view, the next pages by cursor, and the filters of the links."""
        self.get(path, query)
        (project_id, filters), page = spy.take()
        total, rows = page.total, list(page.rows)
        while page.next_cursor is not None:
            page = spy.original(project_id, filters, after=page.next_cursor)
            rows.extend(page.rows)
        link = None
        if len(rows) > 1:  # the page after a row links back to the first page
            html = self.get(path, [*query, ("after", cursor_of(rows[-2]).encode())])
            spy.take()
            match = PAGER_FIRST.search(html)
            link = match[1] if match else None
        return {"total": total, "rows": runs(map(key, rows)), "link": self.names.carried(link)}

    def triage(self, query) -> dict:
        return self._keyset(
            "observations",
            self.spies["triage"],
            query,
            lambda obs: self.names.spot(obs.id),
            lambda obs: triage_service.Cursor(obs.recorded_at, obs.id),
        )

    def gallery(self, query) -> dict:
        return self._keyset(
            "photos",
            self.spies["gallery"],
            query,
            lambda item: self.names.photos[item.photo.id],
            lambda item: triage_service.Cursor(item.observation.recorded_at, item.photo.id),
        )

    def map(self, query) -> dict:
        html = self.get("map", query)
        (project_id, filters), count = self.spies["count"].take()
        frame = MAP_FRAME.search(html)
        self.get("map/document", [*query, ("aggregate", "1")])
        _args, points = self.spies["points"].take()
        plain = sorted([round(lat, 6), round(lon, 6), int(feeling)] for lat, lon, feeling in points)
        digest = hashlib.sha256(json.dumps(plain).encode()).hexdigest()[:16]
        markers = map_service.spots(project_id, filters)
        return {
            "count": count,
            "points": [len(points), digest],
            "markers": runs(self.names.spot(obs.id) for obs in markers),
            "link": self.names.carried(unescape(frame[1]) if frame else None),
        }

    def map_cells(self, query) -> dict:
        found = {}
        for cell in self.cells:
            self.get(f"map/cells/{cell}.json", query)
            _args, result = self.spies["cell"].take()
            found[cell] = [result.total, runs(self.names.spot(obs.id) for obs in result.spots)]
        return found

    def hotspots(self, query) -> dict:
        html = self.get("hotspots", query)
        _args, spots = self.spies["hotspot_spots"].take()
        _args, found = self.spies["hotspots"].take()
        links = sorted({json.dumps(self.names.carried(url)) for url in MAP_LINK.findall(html)})
        return {
            "spots": runs(sorted(self.names.spot(s.id) for s in spots)),
            # by place: their rank rests on z-scores, whose last digits follow the spots' order
            "hotspots": sorted(
                [h.key, h.kind, h.n_reports] for h in found.hotspots + found.consensus
            ),
            "links": [json.loads(link) for link in links],
        }

    def everything(self, combo) -> dict:
        query = self.names.query(combo)
        return {
            "triage": self.triage(query),
            "gallery": self.gallery(query),
            "map": self.map(query),
            "map_cells": self.map_cells(query),
            "hotspots": self.hotspots(query),
        }


# --- The projects ---------------------------------------------------------------------------


def other_project_walk() -> int:
    """A project nobody of the test reads, with spots: its event in a filter matches nothing."""
    project = Project(name="Autre projet", timezone="Europe/Paris", perimeter=perimeter())
    start = datetime(2026, 10, 22, 17, 0, tzinfo=UTC)
    walk = Walk(
        project=project,
        kind="exploratory_walk",
        audience="women",
        title="Ailleurs",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        join_code="GOLDOTHR",
        status="closed",
        closed_at=start + timedelta(hours=2),
    )
    db.session.add(walk)
    db.session.flush()
    someone = _participant(walk, "woman", "25_44")
    for i in range(3):
        _spot(walk, someone, uuid.UUID(int=i + 1, version=4), start + timedelta(minutes=i), {})
    return walk.id


def _participant(walk: Walk, gender: str | None, age: str | None) -> Participant:
    who = Participant(
        walk_id=walk.id,
        token_hash=os.urandom(32).hex(),
        erasure_code_hash=os.urandom(32).hex(),
        consent_at=walk.starts_at,
        consent_version="golden",
        gender=gender,
        age_band=age,
    )
    db.session.add(who)
    db.session.flush()
    return who


def _spot(walk: Walk, who: Participant, spot_uuid, at: datetime, fields: dict) -> Observation:
    values = {
        "lat": 50.3561,
        "lon": 3.5187,
        "category": "lighting",
        "feeling": 2,
        "light_condition": "night",
        **fields,
    }
    obs = Observation(
        uuid=spot_uuid,
        participant_id=who.id,
        walk_id=walk.id,
        recorded_at=at,
        utc_offset_minutes=int(at.astimezone(PARIS).utcoffset().total_seconds() // 60),
        received_at=at + timedelta(seconds=5),
        local_date=at.astimezone(PARIS).date(),
        time_slot="weekday_evening",
        **values,
    )
    db.session.add(obs)
    db.session.flush()  # one at a time: ids follow the order of creation on every database
    return obs


PROFILES = [
    ("woman", "25_44"),
    ("woman", "45_64"),
    ("woman", "15_17"),
    ("woman", "18_24"),
    ("woman", "65_plus"),
    ("woman", "under_15"),
    ("man", "25_44"),
    ("man", "45_64"),
    ("non_binary", "18_24"),
    ("undisclosed", None),
    (None, "15_17"),
    (None, None),
]
CATEGORIES = ("lighting", "visibility", "people_around", "harassment", "maintenance", "good_place")
DARK_PLACE = (50.35572, 3.51795)  # near the underpass: where most unease is reported


def generated_project(planner_id: int, moderator_id: int) -> int:
    """A project of 4 events (each kind), 18 participants, 180 spots; fixed seed, fixed times."""
    rng = random.Random(20261130)
    project = Project(name="Projet généré", timezone="Europe/Paris", perimeter=perimeter())
    local = [  # (kind, title, local start): night and day walks, a survey, a meeting
        ("exploratory_walk", "Marche de nuit", datetime(2026, 10, 6, 19, 30)),
        ("exploratory_walk", "Marche de jour", datetime(2026, 10, 13, 14, 0)),
        ("meeting", "Réunion publique", datetime(2026, 10, 20, 18, 0)),
        (SURVEY, "Enquête sur place", datetime(2026, 11, 3, 16, 30)),
    ]
    walks = []
    for i, (kind, title, start) in enumerate(local):
        start = start.replace(tzinfo=PARIS).astimezone(UTC)
        walks.append(
            Walk(
                project=project,
                kind=kind,
                audience="women" if i < 2 else "mixed",
                title=title,
                starts_at=start,
                ends_at=start + timedelta(hours=2),
                join_code=f"GOLDGEN{i}",
                status="closed",
                closed_at=start + timedelta(hours=2),
            )
        )
    db.session.add_all(walks)
    db.session.flush()
    people = [_participant(walks[i % 4], *PROFILES[i % len(PROFILES)]) for i in range(18)]
    files = [
        StoredFile(
            sha256=hashlib.sha256(f"golden-{k}".encode()).hexdigest(),
            width=640 + 10 * k,
            height=480,
            byte_size=1000 + k,
        )
        for k in range(4)
    ]
    db.session.add_all(files)
    db.session.flush()
    previous_at = None
    for i in range(180):
        who = people[rng.randrange(len(people))]
        walk = next(w for w in walks if w.id == who.walk_id)
        at = walk.starts_at + timedelta(seconds=rng.randrange(-3600, 3 * 3600), microseconds=i)
        if i % 25 == 24 and previous_at is not None:
            at = previous_at  # the same instant as the spot before: the id decides the order
        previous_at = at
        dark = rng.random() < 0.45
        base = (
            DARK_PLACE if dark else (50.3545 + rng.random() * 0.003, 3.5145 + rng.random() * 0.007)
        )
        fields = {
            "lat": round(base[0] + rng.uniform(-0.00012, 0.00012), 6),
            "lon": round(base[1] + rng.uniform(-0.00018, 0.00018), 6),
            "category": rng.choice(CATEGORIES[:3] if dark else CATEGORIES),
            "feeling": rng.choice((1, 1, 2, 2, 3) if dark else (1, 2, 3, 4, 5)),
            "light_condition": rng.choice(("day", "twilight", "night", "night")),
            "comment": f"spot {i}" if rng.random() < 0.4 else None,
        }
        if rng.random() < 0.15:
            fields["entered_by_id"] = planner_id
        if rng.random() < 0.1:
            fields.update(
                hidden_at=at + timedelta(days=1), hidden_reason="golden", hidden_by_id=moderator_id
            )
        obs = _spot(walk, who, uuid.UUID(int=rng.getrandbits(128), version=4), at, fields)
        draw = rng.random()
        for k in range(2 if draw < 0.05 else 1 if draw < 0.3 else 0):
            db.session.add(Photo(observation_id=obs.id, file_id=files[(i + k) % len(files)].id))
    db.session.flush()
    return project.id


# --- The test -------------------------------------------------------------------------------


def _write(project: str, found: dict) -> None:
    golden = json.loads(GOLDEN.read_text()) if GOLDEN.exists() else {}
    golden[project] = found
    lines = ["{"]
    for p, (name, section) in enumerate(sorted(golden.items())):
        lines.append(f"{json.dumps(name)}: {{")
        combos = sorted(section.items())
        for c, (combo, result) in enumerate(combos):
            comma = "," if c < len(combos) - 1 else ""
            lines.append(f"  {json.dumps(combo)}: {json.dumps(result, sort_keys=True)}{comma}")
        lines.append("}," if p < len(golden) - 1 else "}")
    lines.append("}")
    GOLDEN.write_text("\n".join(lines) + "\n")


def _project(app, name: str) -> tuple[int, int, User]:
    """(project id, other project's event id, its planner): the project `name`, committed."""
    planner = make_user("planner@golden.fr")
    moderator = make_user("moderator@golden.fr")
    if name == "demo":
        load_demo(PhotoStore(app.config["PHOTO_DIR"]), "golden-demo-password", now=DEMO_NOW)
        project_id = db.session.scalars(
            sa.select(Project.id).where(Project.name == DEMO_PROJECT_NAME)
        ).one()
    else:
        project_id = generated_project(planner.id, moderator.id)
    other_walk_id = other_project_walk()
    db.session.add(ProjectMember(user_id=planner.id, project_id=project_id, role="planner"))
    db.session.commit()
    return project_id, other_walk_id, planner


@pytest.mark.parametrize("project", ["demo", "generated"])
def test_filters_give_the_golden_results(app, client, monkeypatch, project):
    project_id, other_walk_id, planner = _project(app, project)
    login(client, planner)
    spies = {
        "triage": Spy(monkeypatch, triage_service, "observations_page"),
        "gallery": Spy(monkeypatch, triage_service, "gallery_page"),
        "count": Spy(monkeypatch, map_service, "count"),
        "points": Spy(monkeypatch, map_service, "points"),
        "cell": Spy(monkeypatch, map_service, "cell_spots"),
        "hotspot_spots": Spy(monkeypatch, hotspot_service, "spots"),
        "hotspots": Spy(monkeypatch, hotspot_service, "analysis"),
    }
    names = names_of(project_id, other_walk_id)
    pages = Pages(client, project_id, names, busiest_cells(project_id), spies)
    found = {name: pages.everything(combo) for name, combo in COMBOS.items()}
    found["_cells"] = pages.cells
    if REGEN and app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        _write(project, found)
    expected = json.loads(GOLDEN.read_text())[project]
    assert found["_cells"] == expected["_cells"]
    assert set(found) == set(expected)
    differences = [
        f"{combo} / {page}: expected {want!r:.300}, got {found[combo].get(page)!r:.300}"
        for combo, results in expected.items()
        if combo != "_cells"
        for page, want in results.items()
        if found[combo].get(page) != want
    ]
    assert not differences, f"{len(differences)} differences:\n" + "\n".join(differences[:12])
