"""The facilitator's live view: attendance (idempotent, offline-safe), notes at stops, spots
entered on someone's behalf, the polled JSON and the service worker."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from planner_users import PASSWORD, login
from test_planner_events import XSS, Team, team  # noqa: F401 (fixture)

from walkapp.extensions import db, utcnow
from walkapp.models import Attendance, AuditEvent, Observation, Participant, StopNote, Walk
from walkapp.services import facilitation

T_EDIT = datetime(2026, 11, 20, 18, 5, tzinfo=UTC)  # a past evening (today is later)


@pytest.fixture
def open_team(team):  # noqa: F811
    team.walk.status = "open"
    team.walk.opened_at = utcnow()
    db.session.commit()
    return team


def cell(gender="woman", age_band="25_44", count=1, edited_at=T_EDIT) -> dict:
    return {
        "gender": gender,
        "age_band": age_band,
        "count": count,
        "edited_at": edited_at.isoformat().replace("+00:00", "Z"),
    }


def put(client, walk: Walk, *cells, **kwargs):
    return client.put(
        f"/planner/events/{walk.id}/attendance", json={"cells": list(cells)}, **kwargs
    )


def counts(walk_id: int) -> dict[tuple[str, str], int]:
    rows = db.session.execute(
        sa.select(Attendance.gender, Attendance.age_band, Attendance.count).where(
            Attendance.walk_id == walk_id
        )
    )
    return {(g, a): n for g, a, n in rows}


# --- Attendance -----------------------------------------------------------------------------


def test_attendance_put_is_idempotent_and_newest_edit_wins(client, open_team):
    walk = open_team.walk
    login(client, open_team.facilitator)
    first = [cell(count=3), cell("man", "65_plus", 1)]
    r = put(client, walk, *first)
    assert r.status_code == 200
    assert [c["applied"] for c in r.json["cells"]] == [True, True]
    assert r.json["attendance"]["woman"]["25_44"] == 3
    assert r.json["attendance"]["non_binary"]["under_15"] == 0  # every cell is in the table
    # The same request again (an answer lost on the way back): nothing changes.
    r = put(client, walk, *first)
    assert r.status_code == 200 and [c["applied"] for c in r.json["cells"]] == [False, False]
    assert counts(walk.id) == {("woman", "25_44"): 3, ("man", "65_plus"): 1}
    # A newer edit wins; an older one arriving late (another phone back online) does not.
    woman_25_44 = {"gender": "woman", "age_band": "25_44"}
    r = put(client, walk, cell(count=5, edited_at=T_EDIT + timedelta(minutes=2)))
    assert r.json["cells"][0] == woman_25_44 | {"count": 5, "applied": True}
    r = put(client, walk, cell(count=4, edited_at=T_EDIT + timedelta(minutes=1)))
    assert r.json["cells"][0] == woman_25_44 | {"count": 5, "applied": False}
    # Back to zero is a count too.
    put(client, walk, cell(count=0, edited_at=T_EDIT + timedelta(minutes=3)))
    assert counts(walk.id)[("woman", "25_44")] == 0
    # Every applied change is in the audit log, with the phone's edit time.
    events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.target_type == "attendance").order_by(AuditEvent.id)
    ).all()
    assert [(e.action, e.target_id, e.details["count"][1]) for e in events] == [
        ("count", f"{walk.id}:woman:25_44", 3),
        ("count", f"{walk.id}:man:65_plus", 1),
        ("count", f"{walk.id}:woman:25_44", 5),
        ("count", f"{walk.id}:woman:25_44", 0),
    ]
    assert {e.user_id for e in events} == {open_team.facilitator.id}
    assert events[0].details["edited_at"] == "2026-11-20T18:05:00+00:00"


def test_attendance_counts_in_any_status(client, team):  # noqa: F811
    """A meeting is counted at the door, a paper sign-in sheet after the walk: no status check."""
    login(client, team.planner)
    assert put(client, team.walk, cell(count=2)).status_code == 200
    team.walk.status = "closed"
    team.walk.closed_at = utcnow()
    db.session.commit()
    assert put(client, team.walk, cell(count=7, edited_at=T_EDIT + timedelta(1))).status_code == 200
    assert counts(team.walk.id)[("woman", "25_44")] == 7


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"cells": [cell(count=-1)]}, 422, "cells.0.count"),
        ({"cells": [cell(gender="girl")]}, 422, "cells.0.gender"),
        ({"cells": [cell(age_band="30_39")]}, 422, "cells.0.age_band"),
        ({"cells": [cell() | {"count": "3"}]}, 422, "cells.0.count"),  # no coercion
        ({"cells": [cell() | {"edited_at": "2026-11-20T18:05:00"}]}, 422, "cells.0.edited_at"),
        ({"cells": [cell() | {"delta": 1}]}, 422, "cells.0.delta"),
        ({"cells": []}, 422, "cells"),
        ({"cells": [cell(edited_at=utcnow() + timedelta(days=3))]}, 422, "cells"),
    ],
)
def test_attendance_validation(client, open_team, body, status, field):
    login(client, open_team.facilitator)
    r = client.put(f"/planner/events/{open_team.walk.id}/attendance", json=body)
    assert r.status_code == status and field in r.json["errors"], r.json
    assert counts(open_team.walk.id) == {}


def test_attendance_body_limit_and_bad_json(client, open_team):
    login(client, open_team.facilitator)
    url = f"/planner/events/{open_team.walk.id}/attendance"
    r = client.put(
        url, data=b'{"cells": [' + b" " * 70_000 + b"]}", content_type="application/json"
    )
    assert r.status_code == 413
    r = client.put(url, data=b'{"cells": NaN}', content_type="application/json")
    assert r.status_code == 400


@pytest.mark.parametrize(
    ("who", "status"), [("viewer", 403), ("outsider", 404), ("facilitator", 200), ("admin", 200)]
)
def test_live_json_and_attendance_per_role(client, open_team, who, status):
    login(client, getattr(open_team, who))
    walk = open_team.walk
    assert client.get(f"/planner/events/{walk.id}/live.json").status_code == status
    assert client.get(f"/planner/events/{walk.id}/live").status_code == status
    assert put(client, walk, cell()).status_code == status
    r = client.post(f"/planner/events/{walk.id}/live/notes", json={"text": "Trop sombre"})
    assert r.status_code == (201 if status == 200 else status)


def test_json_routes_answer_401_without_a_session(client, open_team):
    walk = open_team.walk
    for r in (
        client.get(f"/planner/events/{walk.id}/live.json"),
        put(client, walk, cell()),
        client.post(f"/planner/events/{walk.id}/live/notes", json={"text": "x"}),
    ):
        assert r.status_code == 401 and r.json["codes"] == {"auth": "signed_out"}
    r = client.get(f"/planner/events/{walk.id}/live")  # the page itself goes to the login page
    assert r.status_code == 302 and "/planner/login" in r.headers["Location"]


class TestWithCsrf:
    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_json_writes_need_the_token_in_a_header(self, client, open_team):
        page = client.get("/planner/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        r = client.post(
            "/planner/login",
            data={"email": open_team.facilitator.email, "password": PASSWORD, "csrf_token": token},
        )
        assert r.status_code == 302
        walk = open_team.walk
        assert put(client, walk, cell()).status_code == 400
        assert counts(walk.id) == {}
        # The page embeds a token, and every poll brings a fresh one.
        live = client.get(f"/planner/events/{walk.id}/live").get_data(as_text=True)
        embedded = re.search(r'"csrf_token": "([^"]+)"', live).group(1)
        polled = client.get(f"/planner/events/{walk.id}/live.json").json["csrf_token"]
        for token in (embedded, polled):
            r = put(client, walk, cell(count=2), headers={"X-CSRFToken": token})
            assert r.status_code == 200
        assert counts(walk.id) == {("woman", "25_44"): 2}
        r = client.post(
            f"/planner/events/{walk.id}/live/notes",
            json={"text": "Bancs cassés"},
            headers={"X-CSRFToken": polled},
        )
        assert r.status_code == 201


# --- The polled snapshot --------------------------------------------------------------------


def test_live_json_shows_spots_as_they_arrive(client, open_team, join):
    walk = open_team.walk
    token, _, _ = join(walk, profile={"gender": "woman"})
    r = client.post(
        "/api/v1/observations",
        json={
            "id": str(uuid.uuid4()),
            "lat": 50.3561,
            "lon": 3.5187,
            "recorded_at": utcnow().isoformat(),
            "category": "lighting",
            "feeling": 1,
            "stop_id": walk.stops[1].id,
            "comment": XSS,
        },
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 201
    login(client, open_team.facilitator)
    snapshot = client.get(f"/planner/events/{walk.id}/live.json").json
    assert snapshot["participants"] == 1 and snapshot["spots"] == 1
    assert snapshot["walk"] == {"id": walk.id, "status": "open", "title": walk.title}
    spot = snapshot["recent"][0]
    assert spot["category"] == "lighting" and spot["feeling"] == 1 and spot["stop"] == 2
    assert spot["comment"] == XSS and spot["entered_by_facilitator"] is False
    assert re.fullmatch(r"\d\d:\d\d", spot["time"])
    # A hidden spot (moderation) leaves the live view too.
    db.session.execute(sa.update(Observation).values(hidden_at=utcnow(), hidden_reason="name"))
    db.session.commit()
    snapshot = client.get(f"/planner/events/{walk.id}/live.json").json
    assert snapshot["spots"] == 0 and snapshot["recent"] == []


def test_live_page_script_never_writes_html():
    from pathlib import Path

    script = (Path(__file__).parents[1] / "static" / "planner" / "live.js").read_text()
    assert ".innerHTML" not in script and "insertAdjacentHTML(" not in script
    assert "textContent" in script


# --- Notes at stops -------------------------------------------------------------------------


def test_notes_from_the_page_and_from_the_offline_queue_never_duplicate(client, open_team):
    walk = open_team.walk
    login(client, open_team.facilitator)
    url = f"/planner/events/{walk.id}/live/notes"
    body = {"stop_id": walk.stops[0].id, "text": "  Éclairage trop faible sous le pont  "}
    r = client.post(url, json=body)
    assert r.status_code == 201 and r.json["created"] is True
    r = client.post(url, json=body)  # a retry after a lost answer
    assert r.status_code == 200 and r.json["created"] is False
    r = client.post(
        f"/planner/events/{walk.id}/notes",
        data={"stop_id": str(walk.stops[0].id), "text": body["text"]},
    )
    assert r.status_code == 302
    r = client.post(url, json={"stop_id": None, "text": "Ensemble : on se sent seules ici"})
    assert r.status_code == 201
    notes = db.session.scalars(sa.select(StopNote).order_by(StopNote.id)).all()
    assert [(n.stop_id, n.text, n.author_id) for n in notes] == [
        (walk.stops[0].id, "Éclairage trop faible sous le pont", open_team.facilitator.id),
        (None, "Ensemble : on se sent seules ici", open_team.facilitator.id),
    ]
    created = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.target_type == "stop_note")
    ).all()
    assert [e.target_id for e in created] == [str(n.id) for n in notes]
    assert client.post(url, json={"text": "   "}).status_code == 422
    assert client.post(url, json={"stop_id": 999_999, "text": "x"}).status_code == 422
    snapshot = client.get(f"/planner/events/{walk.id}/live.json").json
    assert [n["stop"] for n in snapshot["notes"]] == [1, None]


# --- Spots entered on someone's behalf ------------------------------------------------------


def proxy_form(walk: Walk, nonce: str, **overrides) -> dict[str, str]:
    data = {
        "nonce": nonce,
        "consent": "y",
        "gender": "woman",
        "age_band": "65_plus",
        "resident": "yes",
        "mobility": "walking_aid",
        # A spot at stop 2 (its position is taken), on a November evening in Paris time.
        "spots-0-category": "footpath_access",
        "spots-0-feeling": "2",
        "spots-0-stop_id": str(walk.stops[1].id),
        "spots-0-recorded_at": "2026-11-20T19:30",
        "spots-0-comment": XSS,
        # A spot with its own position and no stop.
        "spots-1-category": "good_place",
        "spots-1-feeling": "5",
        "spots-1-stop_id": "",
        "spots-1-recorded_at": "2026-11-20T19:45",
        "spots-1-lat": "50,3562",
        "spots-1-lon": "3.5188",
        # An empty row is ignored.
        "spots-2-category": "",
        "spots-2-feeling": "",
        "spots-2-recorded_at": "2026-11-20T19:45",
    }
    data.update(overrides)
    return data


def test_proxy_participant_and_spots_are_marked_and_counted(client, open_team):
    walk = open_team.walk
    login(client, open_team.facilitator)
    page = client.get(f"/planner/events/{walk.id}/proxy").get_data(as_text=True)
    nonce = re.search(r'id="nonce" name="nonce" type="hidden" value="([^"]+)"', page).group(1)
    r = client.post(f"/planner/events/{walk.id}/proxy", data=proxy_form(walk, nonce))
    assert r.status_code == 302, r.get_data(as_text=True)
    person = db.session.scalar(sa.select(Participant).where(Participant.walk_id == walk.id))
    assert person.entered_by_id == open_team.facilitator.id
    assert person.consent_version == "oral-2026-11"
    assert (person.gender, person.age_band, person.resident, person.mobility) == (
        "woman",
        "65_plus",
        "yes",
        "walking_aid",
    )
    assert len(person.token_hash) == 64 and len(person.erasure_code_hash) == 64
    spots = db.session.scalars(
        sa.select(Observation)
        .where(Observation.participant_id == person.id)
        .order_by(Observation.recorded_at)
    ).all()
    assert [s.entered_by_id for s in spots] == [open_team.facilitator.id] * 2
    first, second = spots
    assert (first.lat, first.lon, first.stop_id) == (
        walk.stops[1].lat,
        walk.stops[1].lon,
        walk.stops[1].id,
    )
    assert (second.lat, second.lon, second.stop_id) == (50.3562, 3.5188, None)
    # Derived at write time like any spot: 19:30 in Paris (UTC+1) on a Friday in November.
    assert first.recorded_at == datetime(2026, 11, 20, 18, 30, tzinfo=UTC)
    assert first.utc_offset_minutes == 60
    assert (first.light_condition, first.time_slot) == ("night", "weekday_evening")
    assert first.comment == XSS
    # The same form sent again (double tap, reload) stores nothing twice.
    r = client.post(f"/planner/events/{walk.id}/proxy", data=proxy_form(walk, nonce))
    assert r.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(Observation.id))) == 2
    assert db.session.scalar(sa.select(sa.func.count(Participant.id))) == 1
    # Counted and marked in the live view and on the event page.
    snapshot = client.get(f"/planner/events/{walk.id}/live.json").json
    assert snapshot["participants"] == 1 and snapshot["entered_by_facilitator"] == 1
    assert snapshot["spots"] == 2
    assert all(s["entered_by_facilitator"] for s in snapshot["recent"])
    page = client.get(f"/planner/events/{walk.id}?lang=en").get_data(as_text=True)
    assert "of whom 1 entered by a facilitator" in page
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.target_type == "proxy_participant")
    )
    assert event.target_id == str(person.id) and event.details == {"walk_id": walk.id, "spots": 2}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"consent": ""}, "agreement is required."),
        ({"spots-0-category": ""}, "Choose a category."),
        ({"spots-0-stop_id": ""}, "Choose a stop or give a position."),
        ({"spots-1-lat": "500"}, "A latitude and a longitude, in degrees."),
        ({"spots-0-recorded_at": "2026-03-29T02:30"}, "This time does not exist"),
        ({"spots-2-comment": "a comment alone"}, "Choose a category."),  # never dropped silently
        (
            {
                f"spots-{row}-{name}": ""
                for row in (0, 1)
                for name in ("category", "feeling", "stop_id", "lat", "lon", "comment")
            },
            "Enter at least one spot.",
        ),
    ],
)
def test_proxy_form_errors(client, open_team, overrides, message):
    walk = open_team.walk
    login(client, open_team.facilitator)
    r = client.post(
        f"/planner/events/{walk.id}/proxy?lang=en",
        data=proxy_form(walk, str(uuid.uuid4()), **overrides),
    )
    assert r.status_code == 422 and message in r.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Participant.id))) == 0


def test_proxy_spots_need_an_open_or_closed_walk(client, team):  # noqa: F811
    login(client, team.facilitator)
    walk = team.walk  # planned
    r = client.post(f"/planner/events/{walk.id}/proxy", data=proxy_form(walk, str(uuid.uuid4())))
    assert r.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count(Participant.id))) == 0
    # After the walk, a paper grid is still transcribed (closed walks take them).
    walk.status, walk.closed_at = "closed", utcnow()
    db.session.commit()
    r = client.post(f"/planner/events/{walk.id}/proxy", data=proxy_form(walk, str(uuid.uuid4())))
    assert r.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(Observation.id))) == 2


def test_proxy_service_refuses_unknown_profile_answers(app, open_team):
    spot = facilitation.ProxySpot(
        id=uuid.uuid4(),
        category="lighting",
        feeling=2,
        recorded_at=utcnow(),
        stop_id=open_team.walk.stops[0].id,
    )
    with pytest.raises(facilitation.Invalid):
        facilitation.enter_for_participant(
            open_team.walk,
            facilitation.ProxyProfile(gender="robot"),
            [spot],
            user_id=open_team.facilitator.id,
            consent_version="2026-11",
        )


# --- The service worker ---------------------------------------------------------------------


def test_service_worker_is_scoped_to_the_planner_workspace(client, open_team):
    r = client.get("/planner/live-sw.js")
    body = r.get_data(as_text=True)
    assert r.status_code == 200 and r.mimetype == "text/javascript"
    assert r.headers["Service-Worker-Allowed"] == "/planner/"
    assert r.headers["Cache-Control"] == "no-cache"
    config = re.match(r"self\.LIVE_CONFIG = (\{.*?\});\n", body).group(1)
    assert "/static/planner/live.js?v=" in config and '"scope": "/planner/"' in config
    login(client, open_team.facilitator)
    page = client.get(f"/planner/events/{open_team.walk.id}/live").get_data(as_text=True)
    # The page loads exactly the versioned files the worker precaches.
    for url in re.findall(r'"(/static/planner/live\.(?:js|css)\?v=[0-9a-f]+)"', config):
        assert url in page
