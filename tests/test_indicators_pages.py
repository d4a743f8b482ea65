"""Indicators, who is missing, day vs night and stops pages on a small made-up dataset."""

from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from planner_users import login, make_user

from walkapp.extensions import db
from walkapp.models import (
    Attendance,
    Observation,
    Participant,
    Project,
    Stop,
    User,
    Walk,
)
from walkapp.services import indicators as service

LAT, LON = 50.35600, 3.51850
HOSTILE = '<script>window.__pwned=1</script>"${1}\\`'


def add_project(name: str, insee: str | None) -> Project:
    project = Project(name=name, commune="", insee_code=insee, timezone="Europe/Paris")
    db.session.add(project)
    db.session.flush()
    return project


def add_walk(project: Project, start: datetime, stops: int = 0, **fields) -> Walk:
    values = {
        "kind": "exploratory_walk",
        "audience": "women",
        "title": "Marche",
        "status": "closed",
        **fields,
    }
    walk = Walk(
        project_id=project.id,
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        join_code="T" + secrets.token_hex(5).upper(),
        **values,
    )
    walk.stops = [Stop(number=i + 1, name=f"Arrêt {i + 1}", lat=LAT, lon=LON) for i in range(stops)]
    db.session.add(walk)
    db.session.flush()
    return walk


def add_person(walk: Walk, gender: str | None, age_band: str | None = "25_44") -> Participant:
    person = Participant(
        walk_id=walk.id,
        token_hash=secrets.token_hex(32),
        erasure_code_hash=secrets.token_hex(32),
        consent_at=walk.starts_at,
        consent_version="test",
        gender=gender,
        age_band=age_band,
    )
    db.session.add(person)
    db.session.flush()
    return person


def add_spot(person: Participant, **fields) -> Observation:
    at = datetime(2026, 3, 10, 19, 0, tzinfo=UTC)
    values = {
        "category": "lighting",
        "feeling": 3,
        "light_condition": "night",
        "time_slot": "weekday_evening",
        "lat": LAT,
        "lon": LON,
        **fields,
    }
    obs = Observation(
        uuid=uuid.uuid4(),
        participant_id=person.id,
        walk_id=person.walk_id,
        recorded_at=at,
        utc_offset_minutes=60,
        local_date=at.date(),
        **values,
    )
    db.session.add(obs)
    return obs


@dataclass
class World:
    project: Project
    other: Project
    night: Walk
    day: Walk
    planner: User
    other_planner: User


@pytest.fixture
def world(app) -> World:
    """Project A: hand-counted below. Project B: one walk of another planner."""
    a = add_project("Place du Canada", "59606")
    b = add_project("Quartier Nungesser", "59172")
    add_project("Projet sans événement", "59350")
    night = add_walk(a, datetime(2026, 3, 10, 18, tzinfo=UTC), stops=2, title=HOSTILE)
    day = add_walk(a, datetime(2026, 4, 2, 9, tzinfo=UTC), stops=1, audience="mixed")
    add_walk(a, datetime(2026, 12, 1, 9, tzinfo=UTC), audience="girls", status="planned")
    add_walk(a, datetime(2025, 6, 1, 18, tzinfo=UTC))
    meeting = add_walk(a, datetime(2026, 5, 1, 18, tzinfo=UTC), kind="meeting", audience="mixed")
    for gender, band, n in (
        ("woman", "25_44", 7),
        ("man", "25_44", 3),
        ("undisclosed", "45_64", 2),
    ):
        db.session.add(Attendance(walk_id=meeting.id, gender=gender, age_band=band, count=n))
    add_walk(b, datetime(2026, 3, 1, 18, tzinfo=UTC))

    # Night walk: 6 women, 2 men, 1 undisclosed, 1 without a profile.
    women = [add_person(night, "woman") for _ in range(6)]
    men = [add_person(night, "man") for _ in range(2)]
    others = [add_person(night, "undisclosed"), add_person(night, None, None)]
    stop1, stop2 = night.stops
    for person, lighting, feeling in zip(women[:5], [0, 1, 1, 2, 3], [1, 2, 2, 3, 4], strict=True):
        add_spot(
            person, stop_id=stop1.id, feeling=feeling, ratings={"lighting": lighting, "openness": 3}
        )
    add_spot(women[5], stop_id=stop2.id, ratings={"lighting": 0})
    add_spot(women[0], category="harassment")
    add_spot(women[1], category="harassment", time_slot="weekend_evening")
    add_spot(women[2], category="harassment", hidden_at=night.starts_at, hidden_reason="test")
    add_spot(men[0], category="harassment")
    for person in others:
        add_spot(person)
    # The same place by day: 5 women of the daytime walk, and a girl.
    day_people = [add_person(day, "woman") for _ in range(5)] + [add_person(day, "woman", "15_17")]
    day_stop = day.stops[0]
    for person, feeling in zip(day_people, [4, 5, 4, 5, 2, 4], strict=True):
        add_spot(
            person,
            light_condition="day",
            time_slot="weekday_day",
            feeling=feeling,
            stop_id=day_stop.id,
            ratings={"lighting": 3},
        )
    db.session.commit()
    planner = make_user("a@example.org", projects=[a.id])
    other_planner = make_user("b@example.org", projects=[b.id])
    return World(a, b, night, day, planner, other_planner)


def row_attrs(html: str, code: str) -> tuple[str, str]:
    match = re.search(rf'<tr id="ind-{code}" data-value="([^"]*)" data-n="(\d+)"', html)
    assert match, code
    return match[1], match[2]


# --- Indicators -------------------------------------------------------------------------------


def test_project_counts_are_computed_by_the_database(world):
    [counts] = service.project_counts([world.project.id])
    assert counts.events == 5
    assert counts.women_walks_by_year == {2025: 1, 2026: 1}  # the planned walk is not held
    assert counts.participants_by_gender == {"woman": 12, "man": 2, "undisclosed": 1, None: 1}
    assert counts.attendance_by_gender == {"woman": 7, "man": 3, "undisclosed": 2}
    assert counts.women_reporting_harassment == 2  # the hidden spot and the man do not count


def test_year_filter(world):
    [counts] = service.project_counts([world.project.id], year=2025)
    assert counts.events == 1 and counts.women_walks_by_year == {2025: 1}
    assert counts.participants_by_gender == {}
    assert service.event_years([world.project.id]) == [2026, 2025]


def test_project_indicators_page(client, world):
    login(client, world.planner)
    r = client.get(f"/planner/projects/{world.project.id}/indicators?lang=en")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert row_attrs(html, "women_walks") == ("2", "2")
    assert '<span class="hint by-year">(2025: 1; 2026: 1)</span>' in html
    # Each event once: the night walk's and the day walk's app participants (6 of 8 stated, 6 of
    # 6), the meeting's head count (7 of 10 stated).
    value, n = row_attrs(html, "women_share_participants")
    assert n == "24" and float(value) == pytest.approx(19 / 24)
    value, n = row_attrs(html, "women_share_meetings")
    assert n == "10" and float(value) == pytest.approx(0.7)
    value, n = row_attrs(html, "women_harassment_share")
    assert n == "12" and float(value) == pytest.approx(2 / 12)
    assert "79.2" in html and "70.0" in html and "16.7" in html
    assert 'role="img"' in html and "Exploratory walks held with groups of women" in html


def test_project_indicators_page_of_a_year_suppresses_small_shares(client, world):
    login(client, world.planner)
    html = client.get(f"/planner/projects/{world.project.id}/indicators?lang=en&year=2025").text
    assert row_attrs(html, "women_walks") == ("1", "1")
    assert row_attrs(html, "women_share_participants") == ("", "0")
    assert "not enough answers" in html


def test_across_projects_counts_only_visible_projects(client, world):
    login(client, world.other_planner)
    html = client.get("/planner/indicators?lang=en").text
    assert row_attrs(html, "women_walks") == ("1", "1")
    assert row_attrs(html, "projects_covered") == ("1", "1")
    assert row_attrs(html, "communes_covered") == ("1", "1")
    assert "Place du Canada" not in html and "Quartier Nungesser" in html

    admin = make_user("admin@example.org", role="admin")
    login(client, admin)
    html = client.get("/planner/indicators?lang=en").text
    assert row_attrs(html, "women_walks") == ("3", "3")
    assert row_attrs(html, "projects_covered") == ("2", "2")  # the third project has no event
    assert row_attrs(html, "communes_covered") == ("2", "2")
    assert f'id="project-{world.project.id}"' in html


def test_pages_of_another_project_are_404(client, world):
    login(client, world.other_planner)
    base = f"/planner/projects/{world.project.id}"
    for page in ("indicators", "participation", "daynight", "stops"):
        assert client.get(f"{base}/{page}").status_code == 404, page
    login(client, world.planner)
    assert client.get(f"{base}/stops?walk=999999").status_code == 404
    other_walk = db.session.query(Walk).filter_by(project_id=world.other.id).one()
    r = client.get(f"{base}/daynight?a={world.night.id}&b={other_walk.id}")
    assert r.status_code == 404


def test_pages_need_a_login(client, world):
    r = client.get(f"/planner/projects/{world.project.id}/indicators")
    assert r.status_code == 302 and "/planner/login" in r.headers["Location"]


# --- Who is missing ---------------------------------------------------------------------------


def test_participation_page(client, world):
    # Someone without a smartphone, whose spot a facilitator entered: she counts too.
    paper = add_person(world.night, "woman", "65_plus")
    paper.entered_by_id = world.planner.id
    add_spot(paper, entered_by_id=world.planner.id)
    db.session.commit()
    login(client, world.planner)
    html = client.get(f"/planner/projects/{world.project.id}/participation?lang=en").text

    def cell(gender, band, slot):
        m = re.search(rf'id="cell-{gender}-{band}-{slot}" data-n="(\d+)" data-flag="(\w*)"', html)
        assert m, (gender, band, slot)
        return int(m[1]), m[2]

    # Night walk: all 6 women tagged a weekday-evening spot (the hidden one is left out, but
    # that woman has a visible spot at a stop too); one also on a weekend evening.
    assert cell("woman", "25_44", "weekday_evening") == (6, "")
    assert cell("woman", "25_44", "weekend_evening") == (1, "thin")
    assert cell("woman", "25_44", "weekday_day") == (5, "")
    assert cell("woman", "15_17", "weekday_day") == (1, "thin")
    assert cell("man", "25_44", "weekday_evening") == (1, "thin")  # one man tagged a spot
    assert cell("woman", "65_plus", "weekday_evening") == (1, "thin")
    assert cell("woman", "65_plus", "weekday_day") == (0, "empty")
    assert re.search(r'id="not-stated-weekday_evening" data-n="2"', html)
    assert "No girls (15 to 17) in: Weekday, evening; Weekend, daytime; Weekend, evening." in html
    assert "Plan a walk with the youth centre or a secondary school." in html

    # First, the few gaps that matter most (7 women tagged a spot after dark: no night gap);
    # the long group-by-group list, men and boys included, waits behind a disclosure.
    first, details = html.split('<details id="more-suggestions">')
    shown = re.findall(r'<li data-code="(\w+)" data-n="(\d+)"><strong>', first)
    assert shown == [("mobility", "0"), ("residents", "0"), ("senior_women", "1"), ("girls", "1")]
    assert "Invite people with a pushchair, a wheelchair or a walking aid." in first
    assert "(nobody so far)" in first and "(1 so far)" in first
    assert "No girls (15 to 17)" not in first and "men (" not in first
    details = details.split("</details>")[0]
    assert details.count("<li>") == 12 and "No men (25 to 44) in:" in details  # 6 + 6 rows


# --- Stops and day vs night -------------------------------------------------------------------


def test_stops_page(client, world):
    login(client, world.planner)
    html = client.get(
        f"/planner/projects/{world.project.id}/stops?lang=en&walk={world.night.id}"
    ).text
    stop1 = world.night.stops[0].id
    assert re.search(rf'id="stop-{stop1}-lighting" data-mean="1.4000"', html)
    assert re.search(rf'id="stop-{stop1}-openness" data-mean="3.0000"', html)
    assert re.search(rf'id="stop-{stop1}-feeling" data-mean="2.4000"', html)
    # (1.4 + 3) / 2 / 3 * 100
    assert re.search(r'data-score="73.3333"', html)
    stop2 = world.night.stops[1].id
    assert re.search(rf'id="stop-{stop2}-lighting" data-mean=""', html)  # one person
    assert "not enough answers" in html
    assert "<script>window.__pwned" not in html
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in html


def test_daynight_page_same_place_and_paired_walks(client, world):
    login(client, world.planner)
    base = f"/planner/projects/{world.project.id}/daynight?lang=en"
    html = client.get(base).text
    assert re.search(r'<tr id="place-[0-9a-f]+">', html)
    assert "4.0" in html  # day mean feeling: (4+5+4+5+2+4)/6
    assert "17 %" in html  # day: 1 negative of 6
    # Night: 11 shown spots of 9 people, feelings 1, 2, 2, 4 and seven 3s: 30 / 11 = 2.7.
    assert "<td>2.7</td>" in html and "27 %" in html and "9 / 11" in html and "6 / 6" in html
    assert "Night: 27 % negative (n = 9)" in html  # the chart prints it too
    assert "<script>window.__pwned" not in html
    html = client.get(f"{base}&a={world.night.id}&b={world.day.id}").text
    assert re.search(r'id="pair-1-lighting">.*?<td>1.4 \(5\)</td>\s*<td>3.0 \(6\)</td>', html, re.S)
    assert re.search(
        r'id="pair-2-lighting">.*?<td>not enough answers \(1\)</td>\s*<td>—</td>', html, re.S
    )
    assert "<script>window.__pwned" not in html


def test_every_page_renders_in_french_too(client, world):
    login(client, world.planner)
    base = f"/planner/projects/{world.project.id}"
    urls = [
        f"{base}/indicators?lang=fr",
        "/planner/indicators?lang=fr",
        f"{base}/participation?lang=fr",
        f"{base}/daynight?lang=fr&a={world.night.id}&b={world.day.id}",
        f"{base}/stops?lang=fr",
    ]
    for url in urls:
        r = client.get(url)
        assert r.status_code == 200, url
        assert '<html lang="fr">' in r.text and 'role="img"' in r.text, url


def test_hostile_project_name_is_escaped_in_tables_and_charts(client, world):
    world.other.name = HOSTILE
    db.session.commit()
    login(client, world.other_planner)
    html = client.get("/planner/indicators?lang=en").text
    assert "<script>window.__pwned" not in html
    # In the table, as the chart's bar label, in the chart's text alternative, and in the
    # appropriation index's table.
    assert html.count("&lt;script&gt;window.__pwned=1&lt;/script&gt;") == 4
    for page in ("indicators", "participation", "daynight", "stops"):
        html = client.get(f"/planner/projects/{world.other.id}/{page}?lang=en&year=2026").text
        assert "<script>window.__pwned" not in html, page
        assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in html, page


def test_stop_aggregates_count_people_once_and_ratings_each_time(world):
    night = world.night
    woman = db.session.scalars(
        sa.select(Participant).where(Participant.walk_id == night.id, Participant.gender == "woman")
    ).first()
    stop1 = night.stops[0]
    add_spot(woman, stop_id=stop1.id, feeling=5, ratings={"lighting": 3})
    add_spot(woman, stop_id=stop1.id, hidden_at=night.starts_at, ratings={"lighting": 0})
    db.session.commit()
    by_stop = {s.stop_id: s for s in service.stop_inputs([night.id])}
    first = by_stop[stop1.id]
    lighting = first.criteria["lighting"]
    assert (lighting.n, lighting.people) == (6, 5)  # the hidden spot is left out
    assert lighting.total == pytest.approx(0 + 1 + 1 + 2 + 3 + 3)
    assert lighting.total_sq == pytest.approx(0 + 1 + 1 + 4 + 9 + 9)
    assert (lighting.minimum, lighting.maximum) == (0, 3)
    assert first.criteria["openness"].n == 5 and first.criteria["security"].n == 0
    assert (first.people, first.raters) == (5, 5)
    assert (first.feeling.n, first.feeling.people, first.feeling.total) == (6, 5, 17)
    second = by_stop[night.stops[1].id]
    assert (second.people, second.criteria["lighting"].people) == (1, 1)


def test_year_is_the_utc_year_whatever_the_session_time_zone(app):
    project = add_project("Réveillon", "59606")
    add_walk(project, datetime(2025, 12, 31, 23, 30, tzinfo=UTC))  # 00:30 in Paris, 2026
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        db.session.execute(sa.text("SET TIME ZONE 'Europe/Paris'"))
    assert service.event_years([project.id]) == [2025]
    [counts] = service.project_counts([project.id], year=2025)
    assert counts.women_walks_by_year == {2025: 1}


# --- Share of women: one source per event, one definition for the live view ------------------


def test_share_of_women_takes_each_events_head_count_or_its_app_participants(client, world):
    # The night walk's facilitator counted everyone present (with or without a phone): 7 women,
    # 1 man, 1 "prefer not to say". Its 10 app participants no longer count on top of that.
    for gender, n in (("woman", 7), ("man", 1), ("undisclosed", 1)):
        db.session.add(Attendance(walk_id=world.night.id, gender=gender, age_band="25_44", count=n))
    db.session.commit()
    login(client, world.planner)
    html = client.get(f"/planner/projects/{world.project.id}/indicators?lang=en").text
    # Night: head count 7 / 8 stated; day: app participants 6 / 6; meeting: head count 7 / 10.
    value, n = row_attrs(html, "women_share_participants")
    assert n == "24" and float(value) == pytest.approx(20 / 24)

    def source(walk_id: int) -> tuple[str, str, str]:
        m = re.search(
            rf'id="source-{walk_id}" data-source="(\w*)" data-women="(\d+)" data-stated="(\d+)"',
            html,
        )
        assert m, walk_id
        return m[1], m[2], m[3]

    meeting = db.session.scalars(sa.select(Walk).where(Walk.kind == "meeting")).one()
    assert source(world.night.id) == ("attendance", "7", "8")
    assert source(world.day.id) == ("participants", "6", "6")
    assert source(meeting.id) == ("attendance", "7", "10")
    assert html.count("<td>head count</td>") == 2 and "<td>participants in the app</td>" in html
    assert "<script>window.__pwned" not in html  # the night walk's title, in the sources table

    admin = make_user("admin@example.org", role="admin")
    login(client, admin)
    html = client.get("/planner/indicators?lang=en").text
    # Project B's walk has nobody: 2 head counts, 1 walk of app participants.
    assert 'id="share-sources" data-attendance="2" data-participants="1"' in html


def live_share(client, walk: Walk) -> tuple[str, str, str]:
    html = client.get(f"/planner/events/{walk.id}/live?lang=en").text
    m = re.search(r'<dd id="n-women" data-value="([^"]*)" data-n="(\d+)">([^<]*)</dd>', html)
    assert m, html
    return m[1], m[2], m[3]


def indicators_share(client, project: Project) -> tuple[str, str, str]:
    html = client.get(f"/planner/projects/{project.id}/indicators?lang=en").text
    value, n = row_attrs(html, "women_share_participants")
    m = re.search(r'id="ind-women_share_participants".*?<td class="value">([^<]*?)\s*<', html, re.S)
    assert m
    return value, n, m[1].strip()


def test_live_view_and_indicators_give_the_same_share_of_women(client, world):
    walk = db.session.scalars(sa.select(Walk).where(Walk.project_id == world.other.id)).one()
    for gender in ("woman",) * 4 + ("man", "man", "undisclosed"):
        add_person(walk, gender)
    db.session.commit()
    login(client, world.other_planner)
    # Only app participants so far: 4 women of 6 who stated a gender.
    live = live_share(client, walk)
    assert live == indicators_share(client, world.other)
    assert float(live[0]) == pytest.approx(4 / 6) and live[1] == "6" and "66.7" in live[2]

    # The facilitator counts 7 women, 1 man and 1 "prefer not to say": 7 / 8, not 7 / 9.
    cells = [
        {"gender": g, "age_band": "25_44", "count": n, "edited_at": "2026-03-01T19:00:00+00:00"}
        for g, n in (("woman", 7), ("man", 1), ("undisclosed", 1))
    ]
    r = client.put(f"/planner/events/{walk.id}/attendance", json={"cells": cells})
    assert r.status_code == 200, r.text
    answered = r.get_json()["women_share"]
    assert answered["value"] == pytest.approx(7 / 8) and answered["source"] == "attendance"
    live = live_share(client, walk)
    assert live == indicators_share(client, world.other)
    assert float(live[0]) == pytest.approx(7 / 8) and live[1] == "8" and "87.5" in live[2]
    polled = client.get(f"/planner/events/{walk.id}/live.json").get_json()["women_share"]
    assert (polled["n"], polled["text"]) == (int(live[1]), live[2])


def test_stop_charts_label_each_bar_by_its_stop(client, world):
    long_title = "Marche exploratoire de nuit avec le groupe de femmes du centre social, printemps"
    walk = add_walk(world.project, datetime(2026, 3, 20, 18, tzinfo=UTC), title=long_title)
    walk.stops = [
        Stop(number=1, name="Parvis de la gare routière", lat=LAT, lon=LON),
        Stop(number=2, name="Passage souterrain", lat=LAT, lon=LON),
        Stop(number=3, name="Arrêt de bus Canada", lat=LAT, lon=LON),
    ]
    db.session.commit()
    login(client, world.planner)
    html = client.get(f"/planner/projects/{world.project.id}/stops?lang=en").text
    svg = re.search(
        rf'<svg[^>]*aria-labelledby="safety-scores-{walk.id}-title.*?</svg>', html, re.S
    )
    assert svg, html
    labels = re.findall(r'<text x="\d+" y="\d+" text-anchor="end"[^>]*>([^<]*)', svg[0])
    assert labels == [
        "1. Parvis de la gare routière",
        "2. Passage souterrain",
        "3. Arrêt de bus Canada",
    ]
    assert "Safety score per stop (0 to 100): Marche exploratoire de nuit" in svg[0]  # its title
    # Each walk its own chart: the night walk's stops are in theirs, not in this one.
    night = re.search(
        rf'aria-labelledby="safety-scores-{world.night.id}-title.*?</svg>', html, re.S
    )
    assert night and "1. Arrêt 1" in night[0] and "2. Arrêt 2" in night[0]
    assert "Arrêt 1" not in svg[0]
