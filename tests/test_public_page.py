"""The residents' page (issue 16, the feedback loop): published by a planner, public without
sign-in, frozen at publication, rebuilt by an erasure, taken down to a 404.

The acceptance test parses the page: the hexagons are read from the map's JSON and each one is
recounted from the database (at least k distinct participants and k reports, the figures
shown); every number of the page is compared with every spot's coordinates (none appears,
harassment reports first).
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from datetime import timedelta

import h3
import pytest
import sqlalchemy as sa
from conftest import auth
from planner_users import login, make_user
from shapely.geometry import Polygon
from test_planner_triage import add_participant, add_spot

from walkapp.config import parse_min_count, settings_from_env
from walkapp.domain import cells
from walkapp.domain.join_codes import new_join_code
from walkapp.extensions import db, utcnow
from walkapp.models import AuditEvent, Finding, Observation, Project, Publication, Walk
from walkapp.services import publication as service

K = 5
MAP_CONFIG = re.compile(
    r'<script type="application/json" id="residents-map-config">(.*?)</script>', re.S
)
DECIMAL = re.compile(r"-?\d+\.\d{4,}")
MEETING_POINT = "Parvis de la gare"
FUTURE_MEETING_POINT = "Devant la médiathèque Simone-Veil"
FUTURE_TITLE = "Marche des Tilleuls"
LIGHTING_QUOTE = "Le lampadaire du passage est éteint"
HARASSMENT_QUOTE = "Un homme m'a suivie jusqu'au pont"
HIDDEN_QUOTE = "Propos masqué par la modération"
UNCHOSEN_COMMENT = "Commentaire que personne n'a choisi"


def place(lat: float, lon: float) -> tuple[float, float]:
    return cells.centre(cells.cell_of(lat, lon, cells.MAP_RESOLUTION))


A = place(50.3561, 3.5187)  # six people, one harassment report among them: shown
B = place(50.3561, 3.5387)  # one person thirty times and three others: four people, not shown
C = place(50.3661, 3.5187)  # two harassment reports of two women: not shown


def near(centre: tuple[float, float], i: int) -> dict[str, float]:
    """A position inside the cell of `centre`, a few metres off it (each spot its own)."""
    lat, lon = centre[0] + 0.00011 + i * 0.0000031, centre[1] + 0.00017 - i * 0.0000047
    assert cells.cell_of(lat, lon, cells.MAP_RESOLUTION) == cells.cell_of(
        *centre, cells.MAP_RESOLUTION
    )
    return {"lat": lat, "lon": lon}


@dataclass
class Scene:
    project_id: int
    walk: Walk
    planner: object
    quoted: dict[str, int]  # comment -> spot id


@pytest.fixture
def scene(app, make_walk) -> Scene:
    walk = make_walk(meeting_point=MEETING_POINT)
    project_id = walk.project_id
    now = utcnow()
    db.session.add(
        Walk(
            project_id=project_id,
            kind="exploratory_walk",
            audience="women",
            title=FUTURE_TITLE,
            meeting_point=FUTURE_MEETING_POINT,
            starts_at=now + timedelta(days=10),
            ends_at=now + timedelta(days=10, hours=2),
            join_code=new_join_code(),
            status="planned",
        )
    )
    people = [add_participant(walk) for _ in range(9)]
    n = iter(range(1000))
    spots = {}
    for i, person in enumerate(people[:6]):  # A: six people
        comment = LIGHTING_QUOTE if i == 1 else UNCHOSEN_COMMENT if i == 2 else None
        spot = add_spot(person, i, feeling=1, comment=comment, **near(A, next(n)))
        spots.setdefault(comment, spot.id)
    spots[HARASSMENT_QUOTE] = add_spot(
        people[0],
        10,
        category="harassment",
        feeling=1,
        comment=HARASSMENT_QUOTE,
        **near(A, next(n)),
    ).id
    hidden = add_spot(people[3], 11, comment=HIDDEN_QUOTE, **near(A, next(n)))
    hidden.hidden_at, hidden.hidden_reason = utcnow(), "Test"
    spots[HIDDEN_QUOTE] = hidden.id
    for minute in range(30):  # B: one person, thirty times
        add_spot(people[6], 20 + minute, feeling=1, **near(B, next(n)))
    for person in people[:3]:
        add_spot(person, 60, **near(B, next(n)))
    for person in people[7:]:  # C: two harassment reports
        add_spot(
            person, 70, category="harassment", feeling=1, comment="Insultes", **near(C, next(n))
        )
    db.session.add(
        Finding(
            project_id=project_id,
            place_key="test-place-a",
            lat=near(A, 1)["lat"],
            lon=near(A, 1)["lon"],
            geometry={"type": "Point", "coordinates": [near(A, 1)["lon"], near(A, 1)["lat"]]},
            spot_ids=[spots[LIGHTING_QUOTE]],
            title="Le passage sous le pont",
            recommendation="Éclairer le passage et dégager la vue.",
            statistics={},
            quoted_spot_ids=[spots[LIGHTING_QUOTE], spots[HARASSMENT_QUOTE], spots[HIDDEN_QUOTE]],
        )
    )
    db.session.commit()
    planner = make_user("urbaniste@ville.fr", "planner", projects=[project_id])
    return Scene(project_id, walk, planner, spots)


def publish(client, scene: Scene, **form) -> str:
    """Publish through the planner's form; the page's address."""
    login(client, scene.planner)
    r = client.post(f"/planner/projects/{scene.project_id}/public/publish", data=form)
    assert r.status_code == 303, r.get_data(as_text=True)[-2000:]
    client.post("/planner/logout")
    return public_path(scene.project_id)


def public_path(project_id: int) -> str:
    slug = db.session.scalar(
        sa.select(Publication.slug).where(Publication.project_id == project_id)
    )
    db.session.rollback()
    return f"/r/{slug}"


def page_of(client, path: str) -> tuple[str, dict | None]:
    r = client.get(path + "?lang=en")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    found = MAP_CONFIG.search(html)
    return html, json.loads(found.group(1)) if found else None


def visible_spots(project_id: int):
    query = (
        sa.select(
            Observation.lat, Observation.lon, Observation.participant_id, Observation.category
        )
        .join(Walk, Walk.id == Observation.walk_id)
        .where(Walk.project_id == project_id, Observation.hidden_at.is_(None))
    )
    return db.session.execute(query).all()


def all_spots(project_id: int):
    query = (
        sa.select(Observation.lat, Observation.lon, Observation.category)
        .join(Walk, Walk.id == Observation.walk_id)
        .where(Walk.project_id == project_id)
    )
    return db.session.execute(query).all()


def cell_of_outline(ring: list[list[float]]) -> str:
    """The H3 cell a published outline draws (and check that it draws exactly that cell)."""
    centre = Polygon(ring).centroid
    cell = h3.latlng_to_cell(centre.y, centre.x, cells.MAP_RESOLUTION)
    corners = {(round(lon, 6), round(lat, 6)) for lat, lon in cells.boundary(cell)}
    assert {tuple(p) for p in ring} == corners
    return cell


def test_the_page_shows_no_spot_position_and_no_hexagon_under_k(app, client, scene):
    """Acceptance: harassment reports and a participant with many spots in one place."""
    path = publish(client, scene, contact="democratie@valenciennes.fr", include_quotes="y")
    anonymous = app.test_client()
    html, config = page_of(anonymous, path)

    features = config["cells"]["features"]
    assert features, "place A passes the k rule"
    spots = visible_spots(scene.project_id)
    for feature in features:
        cell = cell_of_outline(feature["geometry"]["coordinates"][0])
        inside = [s for s in spots if h3.latlng_to_cell(s.lat, s.lon, cells.MAP_RESOLUTION) == cell]
        people = {s.participant_id for s in inside}
        assert len(people) >= K and len(inside) >= K
        assert feature["properties"]["reports"] == len(inside)
        assert feature["properties"]["participants"] == len(people)
    drawn = {cell_of_outline(f["geometry"]["coordinates"][0]) for f in features}
    assert drawn == {cells.cell_of(*A, cells.MAP_RESOLUTION)}  # not B (4 people), not C (2)

    numbers = [float(x) for x in DECIMAL.findall(html)]
    harassment = [s for s in all_spots(scene.project_id) if s.category == "harassment"]
    assert len(harassment) == 3
    for spot in all_spots(scene.project_id):  # harassment or not, hidden or not: none
        for value in (spot.lat, spot.lon):
            assert not [x for x in numbers if abs(x - value) < 1e-6], (spot, value)
        assert f"{spot.lat:.5f}" not in html and f"{spot.lon:.5f}" not in html


def test_the_page_has_figures_findings_and_contact_never_a_walks_meeting_point(app, client, scene):
    path = publish(client, scene, contact="democratie@valenciennes.fr")
    html, _ = page_of(app.test_client(), path)
    figures = re.search(r'<ul class="key-figures" id="key-figures">(.*?)</ul>', html, re.S).group(1)
    text = " ".join(re.sub(r"<[^>]+>", " ", figures).split())
    assert "1 exploratory walk held, 1 of them with a group of women" in text
    assert "9 participants who reported places" in text
    assert "42 reports" in text  # 43 spots, one of them hidden
    assert "report of harassment" not in text  # 3 reports by 3 women: under k
    assert "Le passage sous le pont" in html and "Éclairer le passage et dégager la vue." in html
    assert "democratie@valenciennes.fr" in html
    for words in (MEETING_POINT, FUTURE_MEETING_POINT, FUTURE_TITLE, "Marche de nuit"):
        assert words not in html
    future = db.session.scalar(sa.select(Walk).where(Walk.title == FUTURE_TITLE))
    assert future.starts_at.date().isoformat() not in html


def test_no_comment_appears_unless_the_planner_chose_the_quotes(app, client, scene):
    path = publish(client, scene)
    html, _ = page_of(app.test_client(), path)
    for comment in (LIGHTING_QUOTE, HARASSMENT_QUOTE, HIDDEN_QUOTE, UNCHOSEN_COMMENT, "Insultes"):
        assert comment not in html.replace("&#39;", "'")

    publish(client, scene, include_quotes="y")
    html, _ = page_of(app.test_client(), path)
    shown = html.replace("&#39;", "'")
    assert LIGHTING_QUOTE in shown  # chosen for the annex
    for comment in (HARASSMENT_QUOTE, HIDDEN_QUOTE, UNCHOSEN_COMMENT, "Insultes"):
        assert comment not in shown


def test_the_page_is_frozen_until_published_again(app, client, scene):
    path = publish(client, scene)
    _, before = page_of(app.test_client(), path)
    html_before = page_of(app.test_client(), path)[0]
    walk = db.session.get(Walk, scene.walk.id)
    for _ in range(K):  # five new people at B: it would pass now
        add_spot(add_participant(walk), 90, **near(B, 50))
    db.session.commit()
    html, after = page_of(app.test_client(), path)
    assert after == before
    assert html == html_before

    assert publish(client, scene) == path  # published again: same address, today's data
    html, again = page_of(app.test_client(), path)
    assert len(again["cells"]["features"]) == 2
    assert "Updated on" in html


def _join_and_tag(client, walk, centre, i, **spot) -> tuple[str, str]:
    joined = client.post(f"/api/v1/walks/{walk.join_code}/participants", json={"consent": True})
    assert joined.status_code == 201
    body = {
        "id": str(uuid.uuid4()),
        "recorded_at": (utcnow() - timedelta(minutes=1)).isoformat(),
        "category": "lighting",
        "feeling": 2,
        **near(centre, i),
        **spot,
    }
    r = client.post("/api/v1/observations", json=body, headers=auth(joined.json["token"]))
    assert r.status_code == 201, r.json
    return joined.json["token"], joined.json["erasure_code"]


def _erase_with_the_phone(client, token: str, _code: str) -> None:
    assert client.delete("/api/v1/me", headers=auth(token)).status_code == 204


def _erase_with_the_code(client, _token: str, code: str) -> None:
    assert client.post("/api/v1/erasure", json={"erasure_code": code}).status_code == 204


@pytest.mark.parametrize("erase", [_erase_with_the_phone, _erase_with_the_code])
def test_an_erasure_publishes_the_page_again_without_what_was_erased(app, client, make_walk, erase):
    walk = make_walk()
    D = place(50.3600, 3.5250)
    tagged = [_join_and_tag(client, walk, D, i) for i in range(K)]
    quoted_comment = "Ici le trottoir est trop étroit pour une poussette"
    token, code = tagged[0]
    r = client.post(
        "/api/v1/observations",
        json={
            "id": str(uuid.uuid4()),
            "recorded_at": (utcnow() - timedelta(minutes=1)).isoformat(),
            "category": "footpath_access",
            "feeling": 2,
            "comment": quoted_comment,
            **near(D, 9),
        },
        headers=auth(token),
    )
    assert r.status_code == 201
    spot_id = db.session.scalar(
        sa.select(Observation.id).where(Observation.comment == quoted_comment)
    )
    db.session.add(
        Finding(
            project_id=walk.project_id,
            place_key="test-place-d",
            lat=D[0],
            lon=D[1],
            geometry={"type": "Point", "coordinates": [D[1], D[0]]},
            spot_ids=[spot_id],
            title="Trottoir étroit",
            recommendation="Élargir le trottoir.",
            statistics={},
            quoted_spot_ids=[spot_id],
        )
    )
    db.session.commit()
    planner = make_user("urbaniste@ville.fr", "planner", projects=[walk.project_id])
    path = publish(client, Scene(walk.project_id, walk, planner, {}), include_quotes="y")
    html, config = page_of(app.test_client(), path)
    assert len(config["cells"]["features"]) == 1 and quoted_comment in html
    # A later spot (five more people elsewhere) is not on the page, before or after the erasure.
    E = place(50.3700, 3.5250)
    for i in range(K):
        _join_and_tag(client, walk, E, i)

    erase(client, token, code)
    html, config = page_of(app.test_client(), path)
    assert config is None  # D has four people left: no hexagon at all
    assert "No place has enough reports" in html
    assert quoted_comment not in html
    assert "Trottoir étroit" in html  # the planner's texts stay as published
    figures = db.session.scalar(
        sa.select(Publication.snapshot).where(Publication.project_id == walk.project_id)
    )["figures"]
    assert figures["participants"] == K - 1 and figures["reports"] == K - 1


def test_an_erased_spot_leaves_the_page_at_once(app, client, make_walk):
    walk = make_walk()
    D = place(50.3600, 3.5250)
    tagged = [_join_and_tag(client, walk, D, i) for i in range(K)]
    planner = make_user("urbaniste@ville.fr", "planner", projects=[walk.project_id])
    path = publish(client, Scene(walk.project_id, walk, planner, {}))
    assert page_of(app.test_client(), path)[1] is not None
    own = client.get("/api/v1/me/observations", headers=auth(tagged[0][0])).json
    spot = own[0]["id"] if isinstance(own, list) else own["observations"][0]["id"]
    r = client.delete(f"/api/v1/observations/{spot}", headers=auth(tagged[0][0]))
    assert r.status_code == 204
    assert page_of(app.test_client(), path)[1] is None


def test_unpublished_is_404_and_anyone_may_read_a_published_page(app, client, scene):
    path = publish(client, scene)
    anonymous = app.test_client()
    r = anonymous.get(path)
    assert r.status_code == 200
    assert r.headers["Cache-Control"] == "no-store"
    assert "noindex" in r.headers["X-Robots-Tag"]
    assert '<html lang="fr"' in r.get_data(as_text=True)  # French by default
    assert anonymous.get("/r/not-a-published-page").status_code == 404

    login(client, scene.planner)
    r = client.post(f"/planner/projects/{scene.project_id}/public/unpublish")
    assert r.status_code == 303
    assert anonymous.get(path).status_code == 404
    actions = db.session.scalars(
        sa.select(AuditEvent.action)
        .where(AuditEvent.project_id == scene.project_id, AuditEvent.target_type == "publication")
        .order_by(AuditEvent.id)
    ).all()
    assert actions == ["publish", "unpublish"]
    # Published again later: a new address, the old one stays dead.
    r = client.post(f"/planner/projects/{scene.project_id}/public/publish", data={})
    assert r.status_code == 303
    assert public_path(scene.project_id) != path
    assert anonymous.get(path).status_code == 404


def test_the_address_cannot_be_guessed(app, client, scene):
    path = publish(client, scene)
    slug = path.removeprefix("/r/")
    assert len(slug) >= 16 and str(scene.project_id) != slug


def test_planner_rights_and_the_preview(app, client, scene):
    url = f"/planner/projects/{scene.project_id}/public"
    viewer = make_user("lectrice@ville.fr", "viewer", projects=[scene.project_id])
    login(client, viewer)
    r = client.get(url + "?lang=en")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "Not published" in html and "residents-map-config" in html  # the preview
    assert 'action="' + url + '/publish"' not in html  # no form for a reader
    assert client.post(url + "/publish", data={}).status_code == 403
    assert client.post(url + "/unpublish").status_code == 403
    elsewhere = make_user("ailleurs@ville.fr", "planner")
    login(client, elsewhere)
    assert client.get(url).status_code == 404
    assert app.test_client().get(url).status_code == 302  # to the sign-in page

    login(client, scene.planner)
    preview = client.get(url + "?lang=en&quotes=yes").get_data(as_text=True)
    assert LIGHTING_QUOTE in preview.replace("&#39;", "'")
    assert HARASSMENT_QUOTE not in preview.replace("&#39;", "'")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Publication)) == 0


def test_a_hostile_contact_is_refused_and_nothing_is_published(app, client, scene):
    login(client, scene.planner)
    url = f"/planner/projects/{scene.project_id}/public/publish"
    assert client.post(url, data={"contact": "x" * 501}).status_code == 422
    assert client.post(url, data={"contact": "a\x00b"}).status_code == 422
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Publication)) == 0
    hostile = "<script>alert(1)</script>`${x}`"
    assert client.post(url, data={"contact": hostile}).status_code == 303
    html = app.test_client().get(public_path(scene.project_id)).get_data(as_text=True)
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html


def test_k_comes_from_the_settings(app, client, scene):
    assert settings_from_env({"WALKAPP_PUBLIC_MIN_COUNT": "7"})["PUBLIC_MIN_COUNT"] == 7
    assert settings_from_env({})["PUBLIC_MIN_COUNT"] == 5
    for wrong in ("1", "cinq", ""):
        with pytest.raises(ValueError):
            parse_min_count(wrong)
    app.config["PUBLIC_MIN_COUNT"] = 4  # B: four people, 33 reports, now shown
    path = publish(client, scene)
    _, config = page_of(app.test_client(), path)
    assert len(config["cells"]["features"]) == 2
    assert db.session.scalar(sa.select(Publication.options))["k"] == 4


def test_deleting_the_project_deletes_its_page(app, client, scene):
    path = publish(client, scene)
    db.session.execute(sa.delete(Project).where(Project.id == scene.project_id))
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Publication)) == 0
    assert app.test_client().get(path).status_code == 404


def test_the_service_rebuilds_only_a_published_page(app, scene):
    assert service.republish_after_erasure(scene.project_id) is False


def test_an_archived_project_can_take_its_page_down_not_publish(app, client, scene):
    path = publish(client, scene)
    db.session.get(Project, scene.project_id).archived_at = utcnow()
    db.session.get(Walk, scene.walk.id).status = "closed"
    db.session.commit()
    login(client, scene.planner)
    url = f"/planner/projects/{scene.project_id}/public"
    html = client.get(url + "?lang=en").get_data(as_text=True)
    assert "Take the page down" in html and 'action="' + url + '/publish"' not in html
    assert client.post(url + "/publish", data={}).status_code == 409
    assert client.post(url + "/unpublish").status_code == 303
    assert app.test_client().get(path).status_code == 404
    audit = client.get(f"/planner/projects/{scene.project_id}/audit?lang=en").get_data(as_text=True)
    assert "Taking down · residents&#39; page" in audit or "Taking down · residents' page" in audit
