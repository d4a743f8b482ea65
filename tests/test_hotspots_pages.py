"""The hotspots page and the findings confirmed from it (planner workspace)."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

import h3
import pytest
import sqlalchemy as sa
from planner_users import PASSWORD, login, make_user
from sqlalchemy.exc import IntegrityError
from test_planner_triage import T0, add_participant, add_photo, add_spot

from walkapp.domain import cells
from walkapp.extensions import db
from walkapp.models import AuditEvent, Finding, Project, User, Walk
from walkapp.services import hotspots as service
from walkapp.services.errors import Conflict
from walkapp.services.observation_filter import ObservationFilter

# Places of Valenciennes far apart in H3 steps: a calm walk around BACKGROUND, the corner three
# women found unsafe (HOT) and the one where one person tagged thirty spots (LONE).
BACKGROUND = cells.cell_of(50.3661, 3.5187)
HOT = cells.cell_of(50.3561, 3.5187)
LONE = cells.cell_of(50.3561, 3.5387)
HOSTILE = '<script>window.__pwned=1</script><img src=x onerror="alert(1)">`${x}`\\`'
ROW = re.compile(r'<tr id="place-([0-9a-f]{16})"')


def at(cell: str) -> dict[str, float]:
    lat, lon = cells.centre(cell)
    return {"lat": lat, "lon": lon}


def hotspots_url(project_id: int) -> str:
    return f"/planner/projects/{project_id}/hotspots"


def confirm_url(project_id: int, key: str) -> str:
    return f"/planner/projects/{project_id}/hotspots/{key}/confirm"


def listed(html: str) -> list[str]:
    return ROW.findall(html)


@dataclass
class World:
    project_id: int
    night_walk: Walk
    other_walk: Walk
    planner: User
    hot_photo: int
    hot: str  # the key of the place HOT


@pytest.fixture
def world(app, make_walk) -> World:
    """Two events of one project, each with a calm participant who tags every cell within 5
    steps of BACKGROUND "safe" (a background of 91 cells, 127 with their neighbours), at night
    in the night walk, by day in the other.

    The night walk: three participants each tag HOT "very unsafe" once (with a comment, one of
    them hostile, and one photo). The other event: one person tags LONE thirty times, "very
    unsafe", by day.
    """
    night = make_walk(title="Marche de nuit")
    # The calm walk lies 1 km from make_walk's perimeter; without a perimeter every spot is in
    # the study area (the clipping is tested in test_hotspots_domain).
    db.session.get(Project, night.project_id).perimeter = None
    other = Walk(
        project_id=night.project_id,
        kind="exploratory_walk",
        audience="mixed",
        title="Marche du samedi",
        starts_at=T0,
        ends_at=T0 + timedelta(hours=2),
        join_code="TESTH" + secrets.token_hex(2).upper(),
        status="open",
    )
    db.session.add(other)
    db.session.flush()
    for walk, light in ((night, "night"), (other, "day")):
        calm = add_participant(walk)
        for i, cell in enumerate(sorted(h3.grid_disk(BACKGROUND, 5))):
            add_spot(calm, i, feeling=5, light_condition=light, category="good_place", **at(cell))
    comments = ["Personne ne passe ici le soir", HOSTILE, "Pas de lumière sous le pont"]
    hot_spots = [
        add_spot(add_participant(night), 100 + i, feeling=1, comment=text, **at(HOT))
        for i, text in enumerate(comments)
    ]
    loner = add_participant(other)
    for i in range(30):
        add_spot(loner, 200 + i, feeling=1, light_condition="day", **at(LONE))
    db.session.commit()
    photo_id = add_photo(app, hot_spots[0])
    db.session.commit()
    planner = make_user("planner@x.fr", projects=[night.project_id])
    (hot,) = service.analysis(night.project_id, ObservationFilter()).hotspots
    return World(night.project_id, night, other, planner, photo_id, hot.key)


def _confirm(client, world: World, **data):
    form = {"title": "Passage sous le pont", "recommendation": "Éclairer le passage.", **data}
    return client.post(confirm_url(world.project_id, world.hot), data=form)


# --- The page -------------------------------------------------------------------------------


def test_the_page_lists_a_hotspot_of_three_people_not_one_of_one_person(client, world):
    login(client, world.planner)
    r = client.get(hotspots_url(world.project_id), query_string={"lang": "en"})
    assert r.status_code == 200
    assert listed(r.text) == [world.hot]
    html = r.text
    assert 'data-n-reports="3"' in html and 'data-n-participants="3"' in html
    assert f'src="/api/v1/photos/{world.hot_photo}/thumbnail"' in html
    assert "Personne ne passe ici le soir" in html and "Pas de lumière sous le pont" in html
    # 3 people: below 5, share at night and mean feeling are not shown as numbers.
    assert html.count("Not enough answers (n = 3 people)") == 2
    assert f'href="{confirm_url(world.project_id, world.hot)}"' in html


def test_thirty_spots_of_one_person_are_significant_but_no_hotspot(client, world):
    only_lone = ObservationFilter(walk_ids=(world.other_walk.id,))
    spots = service.spots(world.project_id, only_lone)
    assert len([s for s in spots if cells.cell_of(s.lat, s.lon) == LONE]) == 30
    # One person made it: no candidate, no hotspot, in that event or over the whole project.
    found = service.analysis(world.project_id, only_lone)
    assert found.tested is False and found.consensus == []  # 2 participants: too few to test
    assert service.analysis(world.project_id, ObservationFilter()).n_tested == 3  # HOT's 3
    login(client, world.planner)
    url = hotspots_url(world.project_id)
    assert listed(client.get(url, query_string={"event": world.other_walk.id}).text) == []
    assert listed(client.get(url).text) == [world.hot]


def test_the_filters_narrow_the_spots(client, world):
    login(client, world.planner)
    url = hotspots_url(world.project_id)
    assert listed(client.get(url, query_string={"light": "night"}).text) == [world.hot]
    # Daylight spots only: the three night spots leave, so does the hotspot.
    assert listed(client.get(url, query_string={"light": "day"}).text) == []
    assert listed(client.get(url, query_string={"event": world.night_walk.id}).text) == [world.hot]
    assert listed(client.get(url, query_string={"event": "999999", "light": "dusk"}).text) == []


def test_hidden_spots_leave_the_statistics(client, world):
    from walkapp.models import Observation

    hot = db.session.scalars(sa.select(Observation).where(Observation.comment.is_not(None))).all()
    hot[0].hidden_at = T0
    db.session.commit()
    login(client, world.planner)
    assert listed(client.get(hotspots_url(world.project_id)).text) == []


def test_a_hostile_comment_is_escaped(client, world):
    login(client, world.planner)
    html = client.get(hotspots_url(world.project_id)).text
    assert "<script>window.__pwned" not in html and "<img src=x" not in html
    assert (
        "&lt;script&gt;window.__pwned=1&lt;/script&gt;&lt;img src=x onerror=&#34;alert(1)" in html
    )


# --- Findings -------------------------------------------------------------------------------


def test_confirming_a_hotspot_stores_a_finding_with_its_statistics(client, world):
    login(client, world.planner)
    page = client.get(confirm_url(world.project_id, world.hot), query_string={"lang": "en"})
    assert page.status_code == 200 and "Confirm the finding" in page.text
    expected = next(
        h
        for h in service.project_hotspots(world.project_id, ObservationFilter())
        if h.key == world.hot
    )
    r = _confirm(client, world, title="  Passage   sous le pont ")
    assert r.status_code == 303
    assert r.headers["Location"].endswith(f"/planner/projects/{world.project_id}/findings")
    finding = db.session.scalars(sa.select(Finding)).one()
    assert (finding.project_id, finding.place_key, finding.title) == (
        world.project_id,
        world.hot,
        "Passage sous le pont",
    )
    assert finding.recommendation == "Éclairer le passage."
    assert (finding.lat, finding.lon) == pytest.approx(cells.centre(HOT))
    assert finding.geometry == expected.geometry() and finding.geometry["type"] == "Polygon"
    assert sorted(finding.spot_ids) == sorted(expected.spot_ids) and len(finding.spot_ids) == 3
    assert finding.created_by_id == world.planner.id
    stats = finding.statistics
    assert stats["z"] == pytest.approx(expected.z, abs=1e-6) and stats["p"] < 0.05
    assert (stats["n_reports"], stats["n_participants"], stats["n_night"]) == (3, 3, 3)
    assert stats["share_night"] == 1.0 and stats["mean_feeling"] == 1.0
    assert stats["top_categories"] == [["lighting", 3]]
    assert stats["filters"] == {"events": [], "light": [], "categories": []}
    event = db.session.scalars(sa.select(AuditEvent)).one()
    assert (event.action, event.target_type, event.target_id) == (
        "create",
        "finding",
        str(finding.id),
    )
    assert (event.user_id, event.project_id) == (world.planner.id, world.project_id)
    assert event.details["place"] == world.hot

    listing = client.get(f"/planner/projects/{world.project_id}/findings").text
    assert f'id="finding-{finding.id}"' in listing and "Éclairer le passage." in listing
    hotspots_page = client.get(hotspots_url(world.project_id)).text
    assert f"#finding-{finding.id}" in hotspots_page
    # Confirming the same place again leads to the existing finding.
    again = client.get(confirm_url(world.project_id, world.hot))
    assert again.status_code == 302 and f"/findings/{finding.id}/edit" in again.headers["Location"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Finding)) == 1


def test_a_finding_is_edited_and_deleted_with_the_audit_log(client, world):
    login(client, world.planner)
    assert _confirm(client, world).status_code == 303
    finding_id = db.session.scalars(sa.select(Finding.id)).one()
    edit_url = f"/planner/projects/{world.project_id}/findings/{finding_id}/edit"
    assert client.get(edit_url).status_code == 200
    r = client.post(edit_url, data={"title": "Pont", "recommendation": "Éclairer et ouvrir."})
    assert r.status_code == 303
    db.session.expire_all()
    finding = db.session.get(Finding, finding_id)
    assert (finding.title, finding.recommendation) == ("Pont", "Éclairer et ouvrir.")
    assert finding.updated_at >= finding.created_at
    r = client.post(edit_url, data={"title": "", "recommendation": "x"})
    assert r.status_code == 200 and 'aria-invalid="true"' in r.text
    r = client.post(f"/planner/projects/{world.project_id}/findings/{finding_id}/delete")
    assert r.status_code == 303
    db.session.expire_all()
    assert db.session.get(Finding, finding_id) is None
    events = db.session.execute(
        sa.select(AuditEvent.action, AuditEvent.target_type, AuditEvent.details).order_by(
            AuditEvent.id
        )
    ).all()
    assert [(a, t) for a, t, _ in events] == [
        ("create", "finding"),
        ("edit", "finding"),
        ("delete", "finding"),
    ]
    assert events[1][2]["title"] == ["Passage sous le pont", "Pont"]
    assert events[2][2]["recommendation"] == "Éclairer et ouvrir."


def test_one_finding_per_place(world):
    def confirm():
        return service.confirm(
            world.project_id,
            world.hot,
            ObservationFilter(),
            title="Pont",
            recommendation="Éclairer.",
            user_id=world.planner.id,
        )

    first = confirm()
    db.session.commit()
    with pytest.raises(Conflict):
        confirm()
    db.session.rollback()
    twin = Finding(
        project_id=world.project_id,
        place_key=first.place_key,
        geometry=first.geometry,
        spot_ids=[],
        lat=first.lat,
        lon=first.lon,
        title="Doublon",
        recommendation="x",
        statistics={},
    )
    db.session.add(twin)
    with pytest.raises(IntegrityError):  # the database says it too (two planners at once)
        db.session.flush()
    db.session.rollback()


def test_a_finding_needs_a_title_and_a_recommendation(client, world):
    login(client, world.planner)
    r = _confirm(client, world, title="   ", recommendation="")
    assert r.status_code == 200 and r.text.count('aria-invalid="true"') == 2
    r = _confirm(client, world, title="x" * 201)
    assert r.status_code == 200
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Finding)) == 0


def test_only_a_hotspot_can_be_confirmed(client, world):
    login(client, world.planner)
    for key in (LONE, "0" * 16, "not-a-key", world.hot[:-1], world.hot.upper()):
        assert client.get(confirm_url(world.project_id, key)).status_code == 404
        r = client.post(
            confirm_url(world.project_id, key), data={"title": "t", "recommendation": "r"}
        )
        assert r.status_code == 404
    # Under a filter that leaves it out, HOT is no hotspot either.
    r = client.post(
        confirm_url(world.project_id, world.hot) + "?light=day",
        data={"title": "t", "recommendation": "r"},
    )
    assert r.status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Finding)) == 0


def test_a_viewer_reads_but_cannot_confirm(client, world):
    login(client, world.planner)
    assert _confirm(client, world).status_code == 303
    finding_id = db.session.scalars(sa.select(Finding.id)).one()
    viewer = make_user("viewer@x.fr", role="viewer", projects=[world.project_id])
    login(client, viewer)
    page = client.get(hotspots_url(world.project_id))
    assert page.status_code == 200 and listed(page.text) == [world.hot]
    assert "/confirm" not in page.text
    findings = client.get(f"/planner/projects/{world.project_id}/findings")
    assert findings.status_code == 200 and "/edit" not in findings.text
    assert client.get(confirm_url(world.project_id, world.hot)).status_code == 403
    assert _confirm(client, world).status_code == 403
    base = f"/planner/projects/{world.project_id}/findings/{finding_id}"
    assert client.get(f"{base}/edit").status_code == 403
    assert (
        client.post(f"{base}/edit", data={"title": "t", "recommendation": "r"}).status_code == 403
    )
    assert client.post(f"{base}/delete").status_code == 403
    assert db.session.get(Finding, finding_id).title == "Passage sous le pont"


def test_a_planner_of_another_project_sees_nothing(client, world, make_walk):
    login(client, world.planner)
    assert _confirm(client, world).status_code == 303
    finding_id = db.session.scalars(sa.select(Finding.id)).one()
    elsewhere = make_walk()
    outsider = make_user("outsider@x.fr", projects=[elsewhere.project_id])
    login(client, outsider)
    base = f"/planner/projects/{world.project_id}"
    for url in (
        hotspots_url(world.project_id),
        f"{base}/findings",
        confirm_url(world.project_id, world.hot),
    ):
        assert client.get(url).status_code == 404
    assert client.get(f"{base}/findings/{finding_id}/edit").status_code == 404
    assert client.post(f"{base}/findings/{finding_id}/delete").status_code == 404
    # Their own project's address with another project's finding: unknown too.
    own = f"/planner/projects/{elsewhere.project_id}/findings/{finding_id}"
    assert client.get(f"{own}/edit").status_code == 404
    assert client.post(f"{own}/delete").status_code == 404
    assert db.session.get(Finding, finding_id) is not None
    assert client.get(f"/planner/projects/{elsewhere.project_id}/hotspots").status_code == 200


def test_a_hostile_finding_is_escaped(client, world):
    login(client, world.planner)
    assert _confirm(client, world, title=HOSTILE[:200], recommendation=HOSTILE).status_code == 303
    for url in (f"/planner/projects/{world.project_id}/findings", hotspots_url(world.project_id)):
        html = client.get(url).text
        assert "<script>window.__pwned" not in html and "<img src=x" not in html
        assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in html


# --- CSRF -----------------------------------------------------------------------------------


class TestWithCsrf:
    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_confirming_needs_the_form_token(self, client, world):

        login_page = client.get("/planner/login").text
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page)[1]
        r = client.post(
            "/planner/login",
            data={"email": world.planner.email, "password": PASSWORD, "csrf_token": token},
        )
        assert r.status_code == 302
        data = {"title": "Pont", "recommendation": "Éclairer."}
        assert client.post(confirm_url(world.project_id, world.hot), data=data).status_code == 400
        page = client.get(confirm_url(world.project_id, world.hot)).text
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)[1]
        r = client.post(
            confirm_url(world.project_id, world.hot), data={**data, "csrf_token": token}
        )
        assert r.status_code == 303
        finding_id = db.session.scalars(sa.select(Finding.id)).one()
        delete = f"/planner/projects/{world.project_id}/findings/{finding_id}/delete"
        assert client.post(delete).status_code == 400
        assert db.session.get(Finding, finding_id) is not None
