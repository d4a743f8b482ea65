"""Where a spot's position came from (issue 10): `position_source` in the API, the facilitator's
entry, the GeoJSON, triage, map popups and the one filter; `position_suspect` for an old app's
spots at the perimeter's centre, from the capture service and from migration 0010."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from conftest import auth, perimeter
from planner_users import login, make_user
from werkzeug.datastructures import MultiDict

from walkapp.domain import positions
from walkapp.domain.geo import centroid
from walkapp.exporters.geojson import project_observations
from walkapp.extensions import db, utcnow
from walkapp.models import Observation
from walkapp.services import facilitation
from walkapp.services import maps as map_service
from walkapp.services.maps import MAP_FIELDS
from walkapp.services.observation_filter import (
    POSITION_KNOWN,
    POSITION_NOT_SUSPECT,
    ObservationFilter,
    from_args,
    to_args,
)

PLACE = {"lat": 50.35612, "lon": 3.51847}


def spot(**fields) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "recorded_at": (utcnow() - timedelta(minutes=2)).isoformat(),
        "category": "lighting",
        "feeling": 2,
        **PLACE,
        **fields,
    }


def old_app_centre() -> dict:
    """What the old app's walkCentre() sent: the mean of the first outline's corners."""
    ring = perimeter()["coordinates"][0]
    corners = ring[:-1]
    if perimeter()["type"] == "MultiPolygon":
        corners = perimeter()["coordinates"][0][0][:-1]
    return {
        "lat": sum(p[1] for p in corners) / len(corners),
        "lon": sum(p[0] for p in corners) / len(corners),
    }


def shape_centroid() -> dict:
    lat, lon = centroid(perimeter())
    return {"lat": lat, "lon": lon}


@pytest.fixture
def phone(client, make_walk, join):
    walk = make_walk()
    token = join(walk)[0]

    def send(body, method="POST", path="/api/v1/observations"):
        return client.open(path, method=method, json=body, headers=auth(token))

    send.walk = walk
    return send


# --- Domain -------------------------------------------------------------------------------------


def test_old_defaults_are_the_corners_mean_the_centroid_or_the_first_stop():
    square = {
        "type": "Polygon",
        "coordinates": [[[3.0, 50.0], [3.2, 50.0], [3.2, 50.1], [3.0, 50.1], [3.0, 50.0]]],
    }
    places = positions.old_app_defaults(square, first_stop=(1.0, 2.0))
    assert places[0] == pytest.approx((50.05, 3.1))  # the corners' mean
    assert (1.0, 2.0) not in places  # a perimeter: the stop was never the default
    assert positions.at_old_default(50.05 + 5e-8, 3.1, None, places)
    assert not positions.at_old_default(50.05 + 5e-7, 3.1, None, places)
    assert not positions.at_old_default(50.05, 3.1, 8.0, places)  # a GPS fix is never one
    assert positions.old_app_defaults(None, first_stop=(1.0, 2.0)) == [(1.0, 2.0), (0.0, 0.0)]


# --- API ----------------------------------------------------------------------------------------


def test_an_old_app_sends_no_source_and_the_server_stores_unknown(phone):
    r = phone(spot())
    assert r.status_code == 201, r.json
    assert r.json["position_source"] == "unknown"
    assert r.json["position_suspect"] is False
    stored = db.session.scalars(sa.select(Observation)).one()
    assert stored.position_source == "unknown"


@pytest.mark.parametrize(
    "fields, source",
    [
        ({"position_source": "gps", "accuracy_m": 12.5}, "gps"),
        ({"position_source": "pin"}, "pin"),
        ({"position_source": "pin", "accuracy_m": 30.0}, "pin"),
        ({"position_source": "unknown"}, "unknown"),
    ],
)
def test_each_source_is_stored_and_answered(phone, fields, source):
    r = phone(spot(**fields))
    assert r.status_code == 201, r.json
    assert r.json["position_source"] == source
    mine = phone(None, method="GET", path="/api/v1/me/observations").json["observations"]
    assert [o["position_source"] for o in mine] == [source]


def test_a_stop_source_names_its_stop(phone):
    stop_id = phone.walk.stops[0].id
    r = phone(spot(position_source="stop", stop_id=stop_id))
    assert r.status_code == 201, r.json
    assert (r.json["position_source"], r.json["stop_id"]) == ("stop", stop_id)


@pytest.mark.parametrize(
    "fields, field, code",
    [
        ({"position_source": "gps"}, "accuracy_m", "accuracy_required"),
        ({"position_source": "gps", "accuracy_m": None}, "accuracy_m", "accuracy_required"),
        ({"position_source": "stop"}, "stop_id", "stop_required"),
        ({"position_source": "map"}, "position_source", "literal_error"),
        ({"position_source": None}, "position_source", "literal_error"),
    ],
)
def test_a_source_without_what_it_needs_is_refused(phone, fields, field, code):
    r = phone(spot(**fields))
    assert r.status_code == 422
    assert r.json["codes"] == {field: code}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Observation)) == 0


def test_the_source_is_part_of_the_idempotent_content(phone):
    body = spot(position_source="gps", accuracy_m=9.0)
    assert phone(body).status_code == 201
    assert phone(body).status_code == 200
    r = phone({**body, "position_source": "pin"})
    assert r.status_code == 409 and r.json["codes"] == {"id": "id_conflict"}


@pytest.mark.parametrize("place", [old_app_centre(), shape_centroid()])
def test_an_old_app_spot_at_the_perimeter_centre_is_suspect(phone, place):
    r = phone(spot(**place))
    assert r.status_code == 201
    assert (r.json["position_source"], r.json["position_suspect"]) == ("unknown", True)


def test_a_spot_at_the_centre_with_a_source_or_an_accuracy_is_not_suspect(phone):
    centre = old_app_centre()
    placed = phone(spot(position_source="pin", **centre)).json
    fixed = phone(spot(accuracy_m=4.0, **centre)).json
    assert placed["position_suspect"] is False
    assert fixed["position_suspect"] is False


def test_a_move_without_its_source_becomes_unknown(phone):
    r = phone(spot(position_source="gps", accuracy_m=9.0))
    path = f"/api/v1/observations/{r.json['id']}"
    same = phone({"comment": "Lampe cassée"}, method="PATCH", path=path)
    assert same.json["position_source"] == "gps"  # not moved: the source stays
    moved = phone({"lat": 50.3565, "accuracy_m": None}, method="PATCH", path=path)
    assert moved.status_code == 200, moved.json
    assert moved.json["position_source"] == "unknown"
    pinned = phone({"lat": 50.3566, "position_source": "pin"}, method="PATCH", path=path)
    assert pinned.json["position_source"] == "pin"
    to_centre = phone(old_app_centre(), method="PATCH", path=path)
    assert (to_centre.json["position_source"], to_centre.json["position_suspect"]) == (
        "unknown",
        True,
    )


def test_a_patch_cannot_leave_a_gps_spot_without_accuracy(phone):
    r = phone(spot(position_source="gps", accuracy_m=9.0))
    path = f"/api/v1/observations/{r.json['id']}"
    refused = phone({"accuracy_m": None}, method="PATCH", path=path)
    assert refused.status_code == 422
    assert refused.json["codes"] == {"accuracy_m": "accuracy_required"}
    assert db.session.scalars(sa.select(Observation)).one().accuracy_m == 9.0


def test_the_taxonomy_gives_the_sources_in_both_languages(client):
    sources = client.get("/api/v1/taxonomy").json["position_source"]
    assert [s["code"] for s in sources] == ["gps", "pin", "stop", "unknown"]
    assert sources[1]["label"]["en"] == "Placed by hand"
    assert set(sources[1]["label"]) >= {"fr", "en"}


def test_the_openapi_document_describes_the_source(client):
    schemas = client.get("/api/v1/openapi.json").json["components"]["schemas"]
    field = schemas["ObservationIn"]["properties"]["position_source"]
    assert field["enum"] == ["gps", "pin", "stop", "unknown"]
    assert field["default"] == "unknown"
    assert "position_source" not in schemas["ObservationIn"].get("required", [])
    assert {"position_source", "position_suspect"} <= set(schemas["ObservationOut"]["required"])


# --- Facilitator ---------------------------------------------------------------------------------


def test_a_facilitator_types_a_pin_or_chooses_a_stop(make_walk):
    walk = make_walk()
    user = make_user("animatrice@example.fr", "facilitator", projects=[walk.project_id])
    at = datetime.now(UTC) - timedelta(minutes=3)
    spots = [
        facilitation.ProxySpot(id=uuid.uuid4(), category="lighting", feeling=2, recorded_at=at,
                               lat=50.3562, lon=3.5186),
        facilitation.ProxySpot(id=uuid.uuid4(), category="lighting", feeling=2, recorded_at=at,
                               stop_id=walk.stops[1].id),
        facilitation.ProxySpot(id=uuid.uuid4(), category="lighting", feeling=2, recorded_at=at,
                               lat=50.3563, lon=3.5187, stop_id=walk.stops[0].id),
    ]  # fmt: skip
    facilitation.enter_for_participant(
        walk, facilitation.ProxyProfile(), spots, user_id=user.id, consent_version="t"
    )
    stored = {o.uuid: o for o in db.session.scalars(sa.select(Observation))}
    assert [stored[s.id].position_source for s in spots] == ["pin", "stop", "pin"]
    assert (stored[spots[1].id].lat, stored[spots[1].id].lon) == (
        walk.stops[1].lat,
        walk.stops[1].lon,
    )
    assert not any(o.position_suspect for o in stored.values())


# --- Planner side --------------------------------------------------------------------------------


def _three_spots(phone) -> None:
    assert phone(spot(position_source="gps", accuracy_m=7.0)).status_code == 201
    assert phone(spot()).status_code == 201  # unknown, somewhere real
    assert phone(spot(**old_app_centre())).status_code == 201  # unknown and suspect


def test_the_geojson_carries_the_source(phone):
    _three_spots(phone)
    features = project_observations(phone.walk.project_id)["features"]
    assert sorted(
        (f["properties"]["position_source"], f["properties"]["position_suspect"]) for f in features
    ) == [("gps", False), ("unknown", False), ("unknown", True)]


def test_the_filter_field_parses_and_links_back():
    assert from_args(MultiDict({"position": "known"}), MAP_FIELDS).positions == POSITION_KNOWN
    assert from_args(MultiDict({"position": "sideways"}), MAP_FIELDS).positions == "all"
    assert to_args(ObservationFilter(positions=POSITION_NOT_SUSPECT)) == {"position": "not_suspect"}
    assert to_args(ObservationFilter()) == {}  # the default adds nothing to an address
    with pytest.raises(ValueError):
        ObservationFilter(positions="sideways")


def test_the_map_and_the_hotspots_can_leave_positions_out(client, phone):
    _three_spots(phone)
    project_id = phone.walk.project_id
    counts = {
        choice: map_service.count(project_id, ObservationFilter(positions=choice))
        for choice in ("all", "not_suspect", "known")
    }
    assert counts == {"all": 3, "not_suspect": 2, "known": 1}
    login(client, make_user("urbaniste@example.fr", projects=[project_id]))
    page = client.get(f"/planner/projects/{project_id}/map?position=known&lang=en")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'data-total="1"' in html
    assert '<option value="known" selected>' in html
    assert "position=known" in html  # carried to the map document
    hot = client.get(f"/planner/projects/{project_id}/hotspots?position=not_suspect&lang=en")
    assert hot.status_code == 200
    assert '<option value="not_suspect" selected>' in hot.get_data(as_text=True)


def test_triage_and_popups_show_the_source(client, app, phone):
    _three_spots(phone)
    project_id = phone.walk.project_id
    login(client, make_user("urbaniste@example.fr", projects=[project_id]))
    html = client.get(f"/planner/projects/{project_id}/observations?lang=en").get_data(as_text=True)
    assert html.count('data-position-source="gps"') == 1
    assert html.count('data-position-source="unknown"') == 2
    assert html.count('data-position-suspect="yes"') == 1
    assert "(± 7 m)" in html

    from walkapp.planner.maps_folium import spot_popup

    spots = {o.position_source: o for o in db.session.scalars(sa.select(Observation))}
    with app.test_request_context("/?lang=en"):
        gps = spot_popup(spots["gps"], "Europe/Paris")
        suspect = next(
            spot_popup(o, "Europe/Paris")
            for o in db.session.scalars(sa.select(Observation))
            if o.position_suspect
        )
    assert "Position: GPS (± 7 m)" in gps
    assert "at the perimeter&#39;s centre" in suspect  # escaped as every popup part is


# --- Migration 0010 ------------------------------------------------------------------------------


def test_0010_sets_unknown_and_flags_the_old_default(app, make_walk, join, client):
    """Rows before 0010 become `unknown`; those exactly at their walk's perimeter centre (the
    corners' mean or the centroid) without accuracy are flagged, not a facilitator's; without a
    perimeter, the walk's first stop was the default. On SQLite and PostgreSQL."""
    from flask_migrate import downgrade, upgrade

    walk = make_walk()
    bare = make_walk()
    bare.project.perimeter = None
    db.session.commit()
    token = join(walk)[0]
    bare_token = join(bare)[0]
    bodies = {
        "corners": spot(**old_app_centre()),
        "centroid": spot(**shape_centroid()),
        "fixed at the centre": spot(position_source="gps", accuracy_m=5.0, **old_app_centre()),
        "elsewhere": spot(position_source="pin"),
    }
    for body in bodies.values():
        r = client.post("/api/v1/observations", json=body, headers=auth(token))
        assert r.status_code == 201, r.json
    stop = bare.stops[0]
    at_stop = spot(lat=stop.lat, lon=stop.lon)
    r = client.post("/api/v1/observations", json=at_stop, headers=auth(bare_token))
    assert r.status_code == 201 and r.json["position_suspect"] is True
    user = make_user("animatrice@example.fr", "facilitator", projects=[walk.project_id])
    typed = facilitation.ProxySpot(
        id=uuid.uuid4(),
        category="lighting",
        feeling=1,
        recorded_at=datetime.now(UTC) - timedelta(minutes=1),
        **shape_centroid(),
    )
    facilitation.enter_for_participant(
        walk, facilitation.ProxyProfile(), [typed], user_id=user.id, consent_version="t"
    )
    db.session.commit()
    db.session.remove()

    downgrade(revision="9d7e3f6a2b85")  # 0009: no position source
    with db.engine.connect() as conn:
        columns = {c["name"] for c in sa.inspect(conn).get_columns("observation")}
    assert "position_source" not in columns and "position_suspect" not in columns
    upgrade()

    stored = {str(o.uuid): o for o in db.session.scalars(sa.select(Observation))}
    assert {o.position_source for o in stored.values()} == {"unknown"}
    flags = {name: stored[body["id"]].position_suspect for name, body in bodies.items()}
    assert flags == {
        "corners": True,
        "centroid": True,
        "fixed at the centre": False,
        "elsewhere": False,
    }
    assert stored[at_stop["id"]].position_suspect is True
    assert stored[str(typed.id)].position_suspect is False
