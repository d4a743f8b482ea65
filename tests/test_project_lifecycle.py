"""A project's end: archived (read-only, out of the current lists and indicators, still in its
year's figures) and deleted (everything erased, photo files included, audited)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from conftest import auth
from planner_users import login, make_user
from test_photos_api import new_spot, stored_files, upload

from walkapp.extensions import db
from walkapp.models import (
    AuditEvent,
    Observation,
    Participant,
    Photo,
    Project,
    ProjectMember,
    StoredFile,
    Walk,
)

DATA = Path(__file__).parent / "data"


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_an_archived_project_is_read_only_and_leaves_the_current_lists(app, client, make_walk):
    walk = make_walk(status="closed")
    project_id, year = walk.project_id, walk.starts_at.year
    planner = make_user("p@x.fr", "planner", projects=[project_id])
    login(client, planner)

    assert client.post(f"/planner/projects/{project_id}/archive").status_code == 302
    db.session.expire_all()
    assert db.session.get(Project, project_id).archived_at is not None
    page = client.get(f"/planner/projects/{project_id}").get_data(as_text=True)
    assert "Archivé le" in page
    assert f"/planner/projects/{project_id}/edit" not in page  # no button that would be refused

    # Nothing can be changed: the edit form, a new event, the event's own changes.
    r = client.get(f"/planner/projects/{project_id}/edit")
    assert r.status_code == 409
    assert "Ce projet est archivé" in r.get_data(as_text=True)
    before = count(Walk)
    r = client.post(
        f"/planner/projects/{project_id}/events/new",
        data={"kind": "exploratory_walk", "title": "Une autre"},
    )
    assert r.status_code == 409 and count(Walk) == before
    assert client.post(f"/planner/events/{walk.id}/delete").status_code == 409
    assert count(Walk) == before
    # ...but it can be read and exported.
    assert client.get(f"/planner/projects/{project_id}/observations").status_code == 200
    assert client.get(f"/api/v1/projects/{project_id}/observations.geojson").status_code == 200

    # Out of the current list and indicators; in the year it ran.
    home = client.get("/planner/").get_data(as_text=True)
    current, _, archived = home.partition("Projets archivés")
    assert "Place du Canada" not in current and "Place du Canada" in archived
    assert "Place du Canada" not in client.get("/planner/indicators").get_data(as_text=True)
    assert "Place du Canada" in client.get(f"/planner/indicators?year={year}").get_data(
        as_text=True
    )

    assert client.post(f"/planner/projects/{project_id}/unarchive").status_code == 302
    db.session.expire_all()
    assert db.session.get(Project, project_id).archived_at is None
    assert client.get(f"/planner/projects/{project_id}/edit").status_code == 200
    actions = db.session.scalars(
        sa.select(AuditEvent.action)
        .where(AuditEvent.target_type == "project")
        .order_by(AuditEvent.id)
    ).all()
    assert [a for a in actions if a != "export"] == ["archive", "unarchive"]


def test_a_project_with_an_open_walk_is_not_archived(app, client, make_walk):
    walk = make_walk(status="open")
    login(client, make_user("p@x.fr", "planner", projects=[walk.project_id]))
    r = client.post(f"/planner/projects/{walk.project_id}/archive")
    assert r.status_code == 409
    assert "fermez-la avant" in r.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Project, walk.project_id).archived_at is None


def test_only_the_projects_planners_archive_or_delete_it(app, client, make_walk):
    walk = make_walk(status="closed")
    for role in ("viewer", "facilitator"):
        login(client, make_user(f"{role}@x.fr", role, projects=[walk.project_id]))
        assert client.post(f"/planner/projects/{walk.project_id}/archive").status_code == 403
        assert client.get(f"/planner/projects/{walk.project_id}/delete").status_code == 403
        r = client.post(
            f"/planner/projects/{walk.project_id}/delete", data={"confirm_name": "Place du Canada"}
        )
        assert r.status_code == 403
    login(client, make_user("stranger@x.fr", "planner"))
    assert client.post(f"/planner/projects/{walk.project_id}/archive").status_code == 404
    db.session.expire_all()
    assert db.session.get(Project, walk.project_id).archived_at is None


def test_deleting_a_project_erases_its_data_and_files_after_its_name_is_typed(
    app, client, make_walk, join
):
    data = (DATA / "day-path.jpg").read_bytes()
    doomed, kept = make_walk(), make_walk()
    doomed_id, kept_id = doomed.project_id, kept.project_id
    token = join(doomed)[0]
    upload(client, token, new_spot(client, token), data)
    other = join(kept)[0]
    upload(client, other, new_spot(client, other), data)  # the same file, shared
    upload(client, token, new_spot(client, token), (DATA / "night-street-12mp.jpg").read_bytes())
    files = stored_files(app)
    assert len(files) == 4 and count(StoredFile) == 2
    planner = make_user("p@x.fr", "planner", projects=[doomed_id, kept_id])
    login(client, planner)
    url = f"/planner/projects/{doomed_id}/delete"

    page = client.get(url).get_data(as_text=True)
    assert "2 points" in page and "2 photos" in page and "1 participant" in page
    r = client.post(url, data={"confirm_name": "Place du"})
    assert r.status_code == 422
    assert "Tapez exactement le nom du projet" in r.get_data(as_text=True)
    assert db.session.get(Project, doomed_id) is not None

    r = client.post(url, data={"confirm_name": " Place du Canada "})
    assert r.status_code == 302
    db.session.expire_all()
    assert db.session.get(Project, doomed_id) is None
    assert db.session.scalars(sa.select(Walk.project_id)).all() == [kept_id]
    assert count(Participant) == 1 and count(Observation) == 1 and count(Photo) == 1
    assert count(StoredFile) == 1
    assert len(stored_files(app)) == 2  # the shared file stays, the doomed one's is gone
    assert db.session.get(ProjectMember, (planner.id, kept_id)) is not None
    entry = db.session.scalars(
        sa.select(AuditEvent).where(
            AuditEvent.action == "delete", AuditEvent.target_type == "project"
        )
    ).one()
    assert entry.user_id == planner.id and entry.target_id == str(doomed_id)
    assert entry.details == {
        "name": "Place du Canada",
        "events": 1,
        "participants": 1,
        "spots": 2,
        "photos": 2,
    }
    assert client.get(f"/planner/projects/{doomed_id}").status_code == 404
    assert client.get("/api/v1/me", headers=auth(token)).status_code == 401
