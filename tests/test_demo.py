"""`walkapp demo`: a realistic project, loadable again without duplicates or orphaned files."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from walkapp.cli import main
from walkapp.domain.geo import point_in_perimeter
from walkapp.extensions import db
from walkapp.models import (
    Attendance,
    CountPeriod,
    CountRecord,
    Finding,
    Observation,
    Participant,
    Photo,
    Project,
    ProjectMember,
    Stop,
    StopNote,
    StoredFile,
    SurveyAnswer,
    User,
    Walk,
    Zone,
)
from walkapp.services import appropriation_figures, demo
from walkapp.services.demo import DEMO_EMAIL, DEMO_PROJECT_NAME, load_demo
from walkapp.services.photo_store import PhotoStore

pytestmark = pytest.mark.db

PLANNER_LINE = re.compile(r"^Planner: (\S+) (\S+)$", re.M)
CODE_LINE = re.compile(r"^Join code: ([A-Z0-9]{8})$", re.M)
URL_LINE = re.compile(r"^Join URL: (\S+)$", re.M)


def run_demo(runner) -> tuple[str, str]:
    result = runner.invoke(main, ["demo"])
    assert result.exit_code == 0, result.output + repr(result.exception)
    planner = PLANNER_LINE.search(result.output)
    code = CODE_LINE.search(result.output)
    url = URL_LINE.search(result.output)
    assert planner and code and url, result.output
    assert planner.group(1) == DEMO_EMAIL
    assert url.group(1) == f"http://localhost:5000/j/{code.group(1)}"
    return planner.group(2), code.group(1)


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def counts() -> dict[str, int]:
    return {
        model.__name__: count(model)
        for model in (
            Project,
            Walk,
            Stop,
            Participant,
            Observation,
            Attendance,
            Photo,
            StoredFile,
            Finding,
            CountPeriod,
            CountRecord,
            SurveyAnswer,
        )
    }


def demo_project() -> Project:
    return db.session.scalars(sa.select(Project).where(Project.name == DEMO_PROJECT_NAME)).one()


def walks_by_title() -> dict[str, Walk]:
    return {w.title: w for w in demo_project().walks}


def observations_of(walk: Walk) -> list[Observation]:
    return list(db.session.scalars(sa.select(Observation).where(Observation.walk_id == walk.id)))


def photo_files(app) -> set[Path]:
    root = Path(app.config["PHOTO_DIR"])
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


@pytest.fixture
def loaded_twice(app, runner):
    """Run the demo twice; yields (counts after run 1, counts after run 2, password, code)."""
    run_demo(runner)
    db.session.expire_all()
    first = counts()
    password, code = run_demo(runner)
    db.session.expire_all()
    return first, counts(), password, code


def test_demo_loads_again_with_the_same_content(loaded_twice):
    first, second, _password, _code = loaded_twice
    assert first == second
    assert second["Project"] == 1
    assert second["Walk"] == 6
    assert 250 <= second["Observation"] <= 400
    assert second["Attendance"] > 0
    assert second["Photo"] >= 10
    # The planner has confirmed the first places the walks named: the annex has findings.
    assert second["Finding"] == demo.DEMO_FINDINGS
    check_events()
    check_inside_perimeter()
    check_light_and_ratings()
    check_counts()
    check_survey()


def check_events() -> None:
    walks = walks_by_title()
    kinds = Counter((w.kind, w.status) for w in walks.values())
    assert kinds == {
        ("exploratory_walk", "closed"): 2,
        ("meeting", "closed"): 1,
        ("exploratory_walk", "open"): 1,
        ("appropriation_survey", "closed"): 1,  # the baseline, before the works
        ("appropriation_survey", "open"): 1,  # the permanent QR codes, after the works
    }
    project = demo_project()
    assert (project.commune, project.insee_code, project.timezone) == (
        "Valenciennes",
        "59606",
        "Europe/Paris",
    )
    meeting = next(w for w in walks.values() if w.kind == "meeting")
    by_gender: Counter[str] = Counter()
    for row in meeting.attendance:
        by_gender[row.gender] += row.count
    assert by_gender["woman"] > by_gender["man"] > 0
    assert observations_of(meeting) == []


def check_inside_perimeter() -> None:
    perimeter = demo_project().perimeter
    spots = db.session.scalars(sa.select(Observation)).all()
    outside = [(o.lat, o.lon) for o in spots if not point_in_perimeter(perimeter, o.lat, o.lon)]
    assert outside == []
    stops = db.session.scalars(sa.select(Stop)).all()
    assert all(point_in_perimeter(perimeter, s.lat, s.lon) for s in stops)


def check_light_and_ratings() -> None:
    walks = walks_by_title()
    night = next(w for t, w in walks.items() if t.startswith("Marche exploratoire de nuit"))
    afternoon = next(w for t, w in walks.items() if t.startswith("Balade de l'après-midi"))
    night_light = Counter(o.light_condition for o in observations_of(night))
    assert night_light["night"] + night_light["twilight"] >= 0.9 * night_light.total()
    assert {o.light_condition for o in observations_of(afternoon)} == {"day"}
    rated = [o for o in observations_of(night) if o.ratings]
    assert len({o.stop_id for o in rated}) == 5
    assert all(len(o.ratings) == 9 for o in rated)


def check_counts() -> None:
    """Usage counts in both phases in several zones, of sensible sizes; fewer women staying in
    the square before the works than after."""
    rows = db.session.execute(
        sa.select(CountPeriod.zone_id, CountPeriod.phase, CountPeriod.kind, sa.func.count())
        .join(CountRecord, CountRecord.period_id == CountPeriod.id)
        .group_by(CountPeriod.id)
    ).all()
    phases_by_zone: dict[int, set[str]] = {}
    for zone_id, phase, kind, n in rows:
        phases_by_zone.setdefault(zone_id, set()).add(phase)
        assert (5 <= n <= 40) if kind == "staying" else (30 <= n <= 150), (kind, n)
    assert sum(phases == {"diagnostic", "after_works"} for phases in phases_by_zone.values()) >= 2
    project = demo_project()
    periods = db.session.scalars(sa.select(CountPeriod)).all()
    assert all(p.started_at < datetime.now(UTC) for p in periods)
    assert {p.time_slot for p in periods} >= {"weekday_day", "weekday_evening", "weekend_day"}
    moving = [p for p in periods if p.kind == "moving"]
    assert all((p.ended_at - p.started_at).total_seconds() >= 600 for p in moving)
    square = "le square"
    shares = {}
    for phase in ("diagnostic", "after_works"):
        genders = Counter(
            db.session.scalars(
                sa.select(CountRecord.gender)
                .join(CountPeriod, CountPeriod.id == CountRecord.period_id)
                .join(Zone, Zone.id == CountPeriod.zone_id)
                .where(
                    Zone.name == square,
                    Zone.project_id == project.id,
                    CountPeriod.phase == phase,
                    CountPeriod.kind == "staying",
                )
            )
        )
        shares[phase] = genders["female"] / (genders["female"] + genders["male"])
    assert 0.22 <= shares["diagnostic"] <= 0.32 < 0.38 <= shares["after_works"] <= 0.48, shares


def test_open_walk_and_planner_account_work(loaded_twice, client):
    _first, _second, password, code = loaded_twice
    walk = db.session.scalars(sa.select(Walk).where(Walk.join_code == code)).one()
    assert walk.status == "open"
    response = client.post(f"/api/v1/walks/{code}/participants", json={"consent": True})
    assert response.status_code == 201, response.json
    assert len(response.json["walk"]["stops"]) == 3

    user = db.session.scalars(sa.select(User).where(User.email == DEMO_EMAIL)).one()
    assert user.check_password(password)
    assert db.session.get(ProjectMember, (user.id, demo_project().id)) is not None
    response = client.post("/planner/login", data={"email": DEMO_EMAIL, "password": password})
    assert response.status_code == 302, response.text


def test_no_photo_file_is_orphaned(app, loaded_twice):
    files = db.session.scalars(sa.select(StoredFile)).all()
    assert files
    used = set(db.session.scalars(sa.select(Photo.file_id)))
    assert {f.id for f in files} <= used
    expected = set()
    for f in files:
        for suffix in (".jpg", ".thumb.jpg"):
            expected.add(Path(app.config["PHOTO_DIR"]) / f.sha256[:2] / f"{f.sha256}{suffix}")
    assert photo_files(app) == expected


def test_summer_night_walk_starts_after_dusk(app, tmp_path):
    """In July dusk is after 22:00 in Valenciennes: the night walk still happens at night."""
    now = datetime(2026, 7, 15, 10, 0, tzinfo=UTC)
    result = load_demo(PhotoStore(tmp_path / "photos"), "secret-demo", now=now)
    walks = walks_by_title()
    night = next(w for t, w in walks.items() if t.startswith("Marche exploratoire de nuit"))
    assert night.starts_at.astimezone(ZoneInfo("Europe/Paris")).hour >= 22
    light = Counter(o.light_condition for o in observations_of(night))
    assert light["night"] + light["twilight"] >= 0.9 * light.total()
    open_walk = db.session.scalars(sa.select(Walk).where(Walk.join_code == result.join_code)).one()
    spots = observations_of(open_walk)
    assert spots
    assert all(open_walk.starts_at <= o.recorded_at <= now for o in spots)
    assert all(o.received_at <= now for o in spots)


@pytest.mark.parametrize("now", [datetime(2026, 1, 20, 19, 0, tzinfo=UTC), None])
def test_each_walks_attendance_stops_and_notes_agree_with_its_spots(app, tmp_path, now):
    """A walk of 12 is never counted as 0: attendance covers its app participants (per gender
    too), and the group's notes are at stops of that walk where its spots are."""
    load_demo(PhotoStore(tmp_path / "photos"), "secret-demo", now=now)
    now = now or datetime.now(UTC)
    walks = [w for w in demo_project().walks if w.kind == "exploratory_walk"]
    assert len(walks) == 3
    for walk in walks:
        counted: Counter[str] = Counter()
        for row in walk.attendance:
            counted[row.gender] += row.count
        people = db.session.scalars(sa.select(Participant).where(Participant.walk_id == walk.id))
        joined = Counter(p.gender or "undisclosed" for p in people)
        assert joined.total() > 0
        assert counted.total() > joined.total(), walk.title  # some came without the app
        assert all(counted[g] >= n for g, n in joined.items()), walk.title
        spots = observations_of(walk)
        stop_ids = {s.id for s in walk.stops}
        assert {o.stop_id for o in spots} - {None} <= stop_ids, walk.title
        notes = db.session.scalars(sa.select(StopNote).where(StopNote.walk_id == walk.id)).all()
        assert notes, walk.title
        for note in notes:
            assert note.stop_id in {o.stop_id for o in spots}, (walk.title, note.text)
            end = walk.closed_at or now
            assert walk.starts_at <= note.created_at <= end, (walk.title, note.text)
    afternoon = next(w for w in walks if w.title.startswith("Balade de l'après-midi"))
    texts = db.session.scalars(sa.select(StopNote.text).where(StopNote.walk_id == afternoon.id))
    assert not [t for t in texts if "soir" in t]  # said by day, of the day


def check_survey() -> None:
    """The appropriation survey's mixed result, as the demo tells it: the square clearly better,
    every zone safer by day, the underpass no better — worse after dark — and its finding's
    follow-up question answered mostly « inchangé » or « pire »; the figures are cached."""
    project = demo_project()
    answers = db.session.scalars(sa.select(SurveyAnswer)).all()
    assert {a.phase for a in answers} == {"diagnostic", "after_works"}
    assert 0 < sum(a.duplicate for a in answers) < 10
    cached = appropriation_figures.cached(project.id)
    assert cached.figures is not None and not cached.stale and cached.pending == 0
    zones = {z.name: str(z.id) for z in db.session.scalars(sa.select(Zone))}
    by_zone = cached.figures["zones"]
    square, underpass = by_zone[zones["le square"]], by_zone[zones["le passage souterrain"]]
    assert square["difference"]["excludes_zero"] and square["difference"]["difference"] > 15
    assert not underpass["difference"]["excludes_zero"]
    assert (
        underpass["safe"]["safe_dark"]["after_works"]["share"]
        < (underpass["safe"]["safe_dark"]["diagnostic"]["share"])
    )
    for zone in by_zone.values():
        day = zone["safe"]["safe_day"]
        assert day["after_works"]["share"] > day["diagnostic"]["share"]
    results = appropriation_figures.recheck_results(project.id)
    assert len(results) == demo.DEMO_FINDINGS and all(r.enough for r in results.values())
    assert sum(r.better > r.same + r.worse for r in results.values()) == demo.DEMO_FINDINGS - 1
