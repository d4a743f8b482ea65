"""Issue 14, "Privacy": the privacy page (French and English, linked from the home page and the
consent screen, the map tiles' sentence), each project's retention (the project form, the join
answer, the consent screen), `walkapp purge` at the edge of a retention, and a route trace that
stops when its walk closes. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from html import unescape
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import DATA, auth
from planner_users import login, make_user
from werkzeug.test import encode_multipart

from walkapp.cli import main
from walkapp.config import OSM_TILES
from walkapp.extensions import db, utcnow
from walkapp.models import (
    AuditEvent,
    Observation,
    Participant,
    Photo,
    Project,
    TrackPoint,
    Walk,
)
from walkapp.services import retention
from walkapp.services.photo_store import PhotoStore
from walkapp.unit_of_work import unit

EN = "?lang=en"
FIELDS = {
    "name": "Place du Canada",
    "commune": "Valenciennes",
    "insee_code": "59606",
    "description": "",
    "phase": "diagnostic",
    "timezone": "Europe/Paris",
}


def text(response) -> str:
    """The page with typed values' isolation (<bdi>) taken out."""
    return unescape(response.get_data(as_text=True).replace("<bdi>", "").replace("</bdi>", ""))


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def multipart(client, url: str, fields: dict):
    boundary, body = encode_multipart(dict(fields))
    return client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")


# --- The privacy page -----------------------------------------------------------------------------


def test_privacy_page_in_french_and_english(client, app):
    app.config["DATA_CONTROLLER"] = "Ville de Test"
    french = client.get("/privacy")
    assert french.status_code == 200
    page = text(french)
    assert '<html lang="fr">' in page
    for sentence in (
        "Confidentialité",
        "Ni nom, ni numéro de téléphone, ni adresse e-mail.",
        "sans leurs métadonnées",
        "plan d'action égalité",
        "24 mois après sa clôture",
        "Un projet est clos quand il est archivé, sinon à la fin de son dernier événement.",
        "Responsable des données\u202f: Ville de Test.",
        "«\xa0Mes points\xa0», puis «\xa0Effacer toutes mes données\xa0»",
    ):
        assert sentence in page, sentence
    assert 'href="/erase"' in page

    english = text(client.get("/privacy" + EN))
    assert '<html lang="en">' in english
    for sentence in (
        "<h1>Privacy</h1>",
        "No name, no phone number, no e-mail address.",
        "without their metadata",
        "equality action plan",
        "24 months after the project closes",
        "A project closes when it is archived, or else at the end of its last event.",
        "Responsible for the data: Ville de Test.",
        "“My spots”, then “Erase all my data”",
        "A pseudonymous token",
        "Your route during the walk, only if you tick the box",
    ):
        assert sentence in english, sentence


def test_privacy_tiles_sentence_says_where_tiles_come_from(client, app):
    assert app.config["TILE_URL"] == ""  # the tests' setting: no tiles
    assert "maps have no background tiles: no request leaves walkapp" in text(
        client.get("/privacy" + EN)
    )
    assert "les cartes n'ont pas de fond de carte" in text(client.get("/privacy?lang=fr"))

    app.config["TILE_URL"] = OSM_TILES
    english = text(client.get("/privacy" + EN))
    assert "come from OpenStreetMap's servers (tile.openstreetmap.org)" in english
    assert "your phone's address on the Internet (IP address) and the area the map shows" in english
    assert "no background tiles" not in english
    french = text(client.get("/privacy?lang=fr"))
    assert "vient des serveurs d'OpenStreetMap (tile.openstreetmap.org)" in french

    app.config["TILE_URL"] = "https://tuiles.valenciennes-metropole.fr/{z}/{x}/{y}.png"
    english = text(client.get("/privacy" + EN))
    assert "come from tuiles.valenciennes-metropole.fr, the tile server this site" in english
    assert "OpenStreetMap" not in english

    app.config["TILE_URL"] = "/tiles/{z}/{x}/{y}.png"
    assert "come from this site's own server" in text(client.get("/privacy" + EN))


def test_home_page_links_to_the_privacy_page(client):
    for lang, words in (("fr", "Confidentialité"), ("en", "Privacy")):
        page = text(client.get(f"/?lang={lang}"))
        assert 'href="/privacy"' in page
        assert words in page


def test_consent_screen_states_the_retention_and_links_to_the_privacy_page(client, make_walk):
    walk = make_walk()
    walk.project.retention_months = 6
    db.session.commit()
    english = text(client.get(f"/j/{walk.join_code}{EN}"))
    assert "Kept for 6 months after the project closes, then erased." in english
    link = f'href="/privacy?code={walk.join_code}"'
    assert link in english
    assert "Privacy: what is kept, why, for how long, how to erase it" in english
    french = text(client.get(f"/j/{walk.join_code}?lang=fr"))
    assert "Gardées 6 mois après la clôture du projet, puis effacées." in french
    assert link in french

    walk.project.retention_months = 1
    db.session.commit()
    assert "Kept for 1 month after the project closes" in text(
        client.get(f"/j/{walk.join_code}{EN}")
    )

    # The link: the walk's project's retention, and the day it is due once the project closed.
    page = text(client.get(f"/privacy?code={walk.join_code}&lang=en"))
    assert "For the walk Marche de nuit: kept 1 month after the project closes" in page
    assert "due for erasure" not in page  # the walk is open: the project has not closed
    walk.project.retention_months = 36
    walk.project.archived_at = datetime(2026, 3, 15, 12, tzinfo=UTC)
    db.session.commit()
    page = text(client.get(f"/privacy?code={walk.join_code}&lang=en"))
    assert "kept 36 months after the project closes, then erased." in page
    assert "It is due for erasure after March 15, 2029." in page
    french = text(client.get(f"/privacy?code={walk.join_code}&lang=fr"))
    assert "gardées 36 mois après la clôture du projet" in french
    assert "15 mars 2029" in french


def test_privacy_page_with_an_unknown_code_says_the_default(client):
    page = text(client.get("/privacy?code=ZZZZ-ZZZZ&lang=en"))
    assert "Each project sets how long its data is kept: 24 months" in page


# --- Retention on the project form ----------------------------------------------------------------


@pytest.fixture
def planner(app):
    return make_user("planner@x.fr", "planner")


def test_retention_is_set_at_creation_and_editable(client, planner):
    login(client, planner)
    form = text(client.get("/planner/projects/new" + EN))
    assert 'name="retention_months"' in form and 'value="24"' in form
    assert 'min="1"' in form and 'max="120"' in form
    r = multipart(client, "/planner/projects/new", {**FIELDS, "retention_months": "36"})
    assert r.status_code == 302, text(r)
    project = db.session.scalar(sa.select(Project))
    assert project.retention_months == 36

    edit = f"/planner/projects/{project.id}/edit"
    assert 'value="36"' in text(client.get(edit))
    assert multipart(client, edit, {**FIELDS, "retention_months": "120"}).status_code == 302
    db.session.expire_all()
    assert project.retention_months == 120
    changes = db.session.scalars(
        sa.select(AuditEvent.details).where(AuditEvent.action == "edit")
    ).all()
    assert {"retention_months": [36, 120]} in changes


def test_retention_defaults_to_24_months(client, planner):
    login(client, planner)
    assert multipart(client, "/planner/projects/new", FIELDS).status_code == 302
    assert db.session.scalar(sa.select(Project.retention_months)) == retention.DEFAULT_MONTHS == 24


@pytest.mark.parametrize("value", ["0", "121", "-5", "2.5", "abc", "", "99999999999999999999"])
def test_bad_retentions_are_refused(client, planner, value):
    login(client, planner)
    r = client.post(
        "/planner/projects/new" + EN,
        data={**FIELDS, "retention_months": value},
        content_type="multipart/form-data",
    )
    assert r.status_code == 422
    assert "A whole number of months, from 1 to 120." in text(r)
    assert count(Project) == 0


def test_the_service_refuses_a_bad_retention_too(app, planner):
    from walkapp.services import projects
    from walkapp.services.errors import Invalid

    for months in (0, 121, None):
        with pytest.raises(Invalid) as refused:
            projects.create_project(
                projects.ProjectData(name="X", retention_months=months), user_id=planner.id
            )
        assert refused.value.codes == {"retention_months": "retention_range"}
    db.session.rollback()


# --- The join answer ------------------------------------------------------------------------------


def test_join_answer_gives_the_retention(client, make_walk, join):
    walk = make_walk()
    assert join(walk)[2]["walk"]["retention_months"] == 24
    walk.project.retention_months = 60
    db.session.commit()
    assert join(walk)[2]["walk"]["retention_months"] == 60
    schema = client.get("/api/v1/openapi.json").json["components"]["schemas"]["WalkOut"]
    assert "retention_months" in schema["required"]


# --- Purge ----------------------------------------------------------------------------------------


def _fill(client, walk, join) -> str:
    """A participant with a spot, a photo and a route trace; her token."""
    from test_photos_api import new_spot, upload

    token = join(walk, track_consent=True, profile={"gender": "woman"})[0]
    obs_id = new_spot(client, token)
    photo = (DATA / "day-path.jpg").read_bytes()
    assert upload(client, token, obs_id, photo).status_code == 201
    t0 = utcnow() - timedelta(minutes=5)
    points = [
        {"lat": 50.356, "lon": 3.518, "t": (t0 + timedelta(seconds=i)).isoformat()}
        for i in range(3)
    ]
    assert (
        client.post("/api/v1/me/track", headers=auth(token), json={"points": points}).status_code
        == 201
    )
    return token


def _close(walk: Walk, at: datetime) -> None:
    walk.status, walk.closed_at, walk.ends_at = "closed", at, at
    db.session.commit()


def _purge(app, now: datetime) -> list[retention.Purged]:
    with unit():
        return retention.purge(now, PhotoStore(app.config["PHOTO_DIR"]))


def test_purge_at_the_edge_of_the_retention(app, client, make_walk, join):
    walk = make_walk()
    token = _fill(client, walk, join)
    _fill(client, walk, join)
    kept = make_walk()  # another project, still open: never purged
    kept_token = _fill(client, kept, join)
    closed = utcnow()
    _close(walk, closed)
    due = retention.add_months(closed, 24)
    db.session.expire_all()
    assert retention.erased_after(db.session.get(Project, walk.project_id)) == due

    assert _purge(app, due - timedelta(days=1)) == []
    assert count(Participant) == 3 and count(Observation) == 3 and count(Photo) == 3
    assert db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "purge")).all() == []

    purged = _purge(app, due + timedelta(days=1))
    assert [(p.project_id, p.participants, p.spots, p.photos, p.track_points) for p in purged] == [
        (walk.project_id, 2, 2, 2, 6)
    ]
    left = db.session.scalars(sa.select(Participant.walk_id)).all()
    assert left == [kept.id]
    assert count(Observation) == count(Photo) == 1 and count(TrackPoint) == 3
    entry = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "purge")).one()
    target = (entry.target_type, entry.target_id, entry.project_id, entry.user_id)
    assert target == ("project", str(walk.project_id), walk.project_id, None)
    assert entry.details["participants"] == 2 and entry.details["spots"] == 2
    assert entry.details["photos"] == 2 and entry.details["track_points"] == 6
    assert entry.details["retention_months"] == 24
    # The project, its event and its stops stay; the phone is told its data was erased.
    assert db.session.get(Walk, walk.id) is not None
    r = client.get("/api/v1/me", headers=auth(token))
    assert r.status_code == 401 and r.json["codes"] == {"auth": "erased"}
    assert client.get("/api/v1/me", headers=auth(kept_token)).status_code == 200

    assert _purge(app, due + timedelta(days=2)) == []  # nothing left: no second audit entry
    assert (
        len(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "purge")).all())
        == 1
    )


def test_an_archived_project_closes_when_it_is_archived(app, client, make_walk, join):
    walk = make_walk()
    _fill(client, walk, join)
    _close(walk, utcnow() - timedelta(days=400))
    project = db.session.get(Project, walk.project_id)
    project.retention_months = 12
    project.archived_at = archived = utcnow() - timedelta(days=10)
    db.session.commit()
    assert retention.closes_at(project) == archived
    assert _purge(app, retention.add_months(archived, 12) - timedelta(days=1)) == []
    assert len(_purge(app, retention.add_months(archived, 12) + timedelta(days=1))) == 1
    assert count(Participant) == 0


def test_a_project_with_an_open_event_has_not_closed(app, client, make_walk, join):
    walk = make_walk(ends_at=utcnow() - timedelta(days=30))  # still open, long after its end
    _fill(client, walk, join)
    assert retention.closes_at(db.session.get(Project, walk.project_id)) is None
    assert _purge(app, utcnow() + timedelta(days=365 * 20)) == []
    assert count(Participant) == 1


def test_walkapp_purge_command(app, client, runner, make_walk, join):
    result = runner.invoke(main, ["purge"])
    assert result.exit_code == 0, result.output
    assert "Nothing to erase" in result.output

    walk = make_walk()
    _fill(client, walk, join)
    _close(walk, utcnow() - timedelta(days=3 * 365))
    result = runner.invoke(main, ["purge"])
    assert result.exit_code == 0, result.output
    assert f"Project {walk.project_id} (Place du Canada)" in result.output
    assert (
        "kept 24 months: erased 1 participants, 1 spots, 1 photos, 3 route points" in result.output
    )
    db.session.expire_all()
    assert count(Participant) == 0 and count(Photo) == 0
    assert list(Path(app.config["PHOTO_DIR"]).rglob("*.jpg")) == []  # files unlinked


def test_add_months_keeps_the_day_or_takes_the_months_last():
    assert retention.add_months(datetime(2026, 1, 31, 20, tzinfo=UTC), 1) == datetime(
        2026, 2, 28, 20, tzinfo=UTC
    )
    assert retention.add_months(datetime(2027, 11, 15, tzinfo=UTC), 24) == datetime(
        2029, 11, 15, tzinfo=UTC
    )
    assert retention.add_months(datetime(2026, 12, 1, tzinfo=UTC), 1) == datetime(
        2027, 1, 1, tzinfo=UTC
    )
    assert retention.add_months(datetime(2028, 2, 29, tzinfo=UTC), 12) == datetime(
        2029, 2, 28, tzinfo=UTC
    )


# --- The route trace stops when the walk closes ---------------------------------------------------


def test_track_points_after_the_walk_closed_are_dropped(client, make_walk, join):
    walk = make_walk()
    token = join(walk, track_consent=True)[0]
    closed = utcnow() - timedelta(minutes=10)

    def point(minutes: int) -> dict:
        return {"lat": 50.356, "lon": 3.518, "t": (closed + timedelta(minutes=minutes)).isoformat()}

    _close(walk, closed)
    r = client.post(
        "/api/v1/me/track", headers=auth(token), json={"points": [point(-5), point(0), point(5)]}
    )
    assert (r.status_code, r.json["stored"]) == (201, 2)
    r = client.post("/api/v1/me/track", headers=auth(token), json={"points": [point(1), point(9)]})
    assert (r.status_code, r.json["stored"]) == (201, 0)
    times = db.session.scalars(sa.select(TrackPoint.recorded_at).order_by(TrackPoint.recorded_at))
    assert list(times) == [closed - timedelta(minutes=5), closed]
