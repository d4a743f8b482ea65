"""Zones of a project on the database (services/zones.py, planner/zones.py, zone_jobs.py): made on
the page or from a file (a bad file writes nothing), the spot submit attaching each spot once,
the job re-attaching the spots after a redraw, a reorder or a delete, the exports, the rights."""

from __future__ import annotations

import csv
import io
import json

import pytest
import sqlalchemy as sa
from conftest import auth
from planner_users import login, make_user

from walkapp import jobs
from walkapp.extensions import db
from walkapp.models import AuditEvent, Job, Observation, Project, Zone
from walkapp.services import zones as service
from walkapp.unit_of_work import unit


def square(west: float, south: float, east: float, north: float) -> dict:
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


# Two halves of Place du Canada, sharing the edge lon = 3.5185 (where the walk's stops are).
WEST = square(3.514, 50.354, 3.5185, 50.358)
EAST = square(3.5185, 50.354, 3.523, 50.358)
ON_EDGE = {"lat": 50.356, "lon": 3.5185}
IN_WEST = {"lat": 50.356, "lon": 3.516}
IN_EAST = {"lat": 50.356, "lon": 3.521}
OUTSIDE = {"lat": 50.36, "lon": 3.53}


def collection(*features) -> dict:
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": props, "geometry": geometry}
            for props, geometry in features
        ],
    }


@pytest.fixture
def walk(make_walk):
    return make_walk()


@pytest.fixture
def planner(walk):
    return make_user("paula@valenciennes-metropole.fr", "planner", projects=[walk.project_id])


@pytest.fixture
def planner_client(app, planner):
    client = app.test_client()
    login(client, planner)
    return client


def run_jobs(app) -> list[Job]:
    """Build every queued zones job now, in this thread (as the worker would)."""
    db.session.rollback()
    queued = db.session.scalars(
        sa.select(Job).where(Job.kind == "zones", Job.status == "queued").order_by(Job.id)
    ).all()
    ids = [job.id for job in queued]
    for job_id in ids:
        jobs.run(job_id)
    db.session.expire_all()
    return [db.session.get(Job, i) for i in ids]


def add_zones(project_id: int, *zones: tuple[str, dict]) -> None:
    with unit():
        for name, geometry in zones:
            service.create_zone(project_id, name, geometry, user_id=None)


def spot(client, token: str, place: dict, n: int, **extra):
    body = {
        "id": f"00000000-0000-4000-8000-{n:012d}",
        "recorded_at": "2026-11-20T21:00:00+01:00",
        "category": "lighting",
        "feeling": 2,
        **place,
        **extra,
    }
    return client.post("/api/v1/observations", json=body, headers=auth(token))


def zone_ids() -> dict[int, str | None]:
    """{spot id: its zone's name}."""
    db.session.expire_all()
    names = {z.id: z.name for z in db.session.scalars(sa.select(Zone))}
    return {
        o.id: names.get(o.zone_id)
        for o in db.session.scalars(sa.select(Observation).order_by(Observation.id))
    }


def text(response) -> str:
    import html

    return html.unescape(response.get_data(as_text=True))


# --- Made on the page, or from a file ------------------------------------------------------------


def test_a_zone_drawn_on_the_page_is_added_and_its_job_queued(app, walk, planner_client):
    drawn = json.dumps(collection(({}, WEST)))
    r = planner_client.post(
        f"/planner/projects/{walk.project_id}/zones/add",
        data={"name": "  le square ", "zone_drawn": drawn},
    )
    assert r.status_code == 303
    zone = db.session.scalars(sa.select(Zone)).one()
    assert (zone.name, zone.position, zone.geometry["type"]) == ("le square", 1, "Polygon")
    version = db.session.get(Project, walk.project_id).zones_version
    assert version > 0
    job = db.session.scalars(sa.select(Job).where(Job.kind == "zones")).one()
    assert job.params == {"zones_version": version} and job.status == "queued"
    audit = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.target_type == "zone")).one()
    assert (audit.action, audit.target_id) == ("create", str(zone.id))
    page = planner_client.get(f"/planner/projects/{walk.project_id}/zones?lang=en")
    assert page.status_code == 200
    assert "le square" in text(page) and f"/planner/jobs/{job.id}" in text(page)
    job_page = text(planner_client.get(f"/planner/jobs/{job.id}?lang=en"))
    assert (
        f"/planner/projects/{walk.project_id}/zones" in job_page and "Back to the zones" in job_page
    )
    # A second zone of the same name (any case) is refused, nothing written.
    r = planner_client.post(
        f"/planner/projects/{walk.project_id}/zones/add",
        data={"name": "Le Square", "zone_drawn": json.dumps(EAST)},
    )
    assert r.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Zone)) == 1
    assert db.session.get(Project, walk.project_id).zones_version == version


def test_a_zone_file_of_qgis_imports_every_zone_in_order(app, walk, planner_client):
    data = collection(({"name": "le square", "fid": 1}, WEST), ({"name": "le parvis"}, EAST))
    r = planner_client.post(
        f"/planner/projects/{walk.project_id}/zones/import",
        data={"zones_file": (io.BytesIO(json.dumps(data).encode()), "zones.geojson")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 303
    assert [(z.name, z.position) for z in service.list_zones(walk.project_id)] == [
        ("le square", 1),
        ("le parvis", 2),
    ]
    # Imported again with a new outline for one: that zone is redrawn, none added.
    data = collection(({"name": "le parvis"}, square(3.5185, 50.354, 3.522, 50.357)))
    r = planner_client.post(
        f"/planner/projects/{walk.project_id}/zones/import",
        data={"zones_file": (io.BytesIO(json.dumps(data).encode()), "zones.geojson")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 303
    db.session.expire_all()
    zones = service.list_zones(walk.project_id)
    assert len(zones) == 2 and zones[1].geometry["coordinates"][0][1][0] == 3.522


@pytest.mark.parametrize(
    ("features", "said"),
    [
        ((({"name": "le square"}, WEST), ({"title": "sans nom"}, EAST)), "Feature 2"),
        (
            (
                ({"name": "le square"}, WEST),
                ({"name": "b"}, EAST),
                (
                    {"name": "c"},
                    {"type": "LineString", "coordinates": [[3.51, 50.35], [3.52, 50.36]]},
                ),
            ),
            "Feature 3",
        ),
    ],
)
def test_a_bad_zone_file_names_the_feature_and_writes_nothing(
    app, walk, planner_client, features, said
):
    r = planner_client.post(
        f"/planner/projects/{walk.project_id}/zones/import?lang=en",
        data={"zones_file": (io.BytesIO(json.dumps(collection(*features)).encode()), "z.geojson")},
        content_type="multipart/form-data",
        headers={"Accept-Language": "en"},
    )
    assert r.status_code == 422
    assert said in text(r) and "nothing was imported" in text(r)
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Zone)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == 0
    assert db.session.get(Project, walk.project_id).zones_version == 0


# --- Attached on submit --------------------------------------------------------------------------


def test_a_spot_is_attached_on_submit_by_the_rule_and_a_resend_keeps_it(app, walk, client, join):
    add_zones(walk.project_id, ("ouest", WEST), ("est", EAST))
    token = join(walk)[0]
    for n, place in enumerate((ON_EDGE, IN_WEST, IN_EAST, OUTSIDE)):
        assert spot(client, token, place, n).status_code == 201
    assert list(zone_ids().values()) == ["ouest", "ouest", "est", None]
    # The order changes (est first) but the job has not run: a resend changes nothing.
    with unit():
        service.move_zone(
            walk.project_id, service.list_zones(walk.project_id)[1].id, -1, user_id=None
        )
    r = spot(client, token, ON_EDGE, 0)
    assert r.status_code == 200
    assert list(zone_ids().values()) == ["ouest", "ouest", "est", None]
    # A new spot on the edge now goes to « est », the first in the new order.
    assert spot(client, token, ON_EDGE, 9).status_code == 201
    assert list(zone_ids().values())[-1] == "est"


def test_moving_a_spot_moves_it_to_its_new_zone(app, walk, client, join):
    add_zones(walk.project_id, ("ouest", WEST), ("est", EAST))
    token = join(walk)[0]
    assert spot(client, token, IN_WEST, 1).status_code == 201
    r = client.patch(
        "/api/v1/observations/00000000-0000-4000-8000-000000000001",
        json={**IN_EAST, "position_source": "pin"},
        headers=auth(token),
    )
    assert r.status_code == 200, r.json
    assert list(zone_ids().values()) == ["est"]
    r = client.patch(
        "/api/v1/observations/00000000-0000-4000-8000-000000000001",
        json={"comment": "sous le pont"},
        headers=auth(token),
    )
    assert r.status_code == 200
    assert list(zone_ids().values()) == ["est"]


def test_a_project_without_zones_asks_nothing_for_the_zone(app, walk):
    statements = []

    def count(*args):
        statements.append(args[2])

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert service.zone_of(walk.project_id, 0, 50.356, 3.516) is None
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    assert statements == []


# --- Re-attached by the job ----------------------------------------------------------------------


def test_a_redrawn_zone_re_attaches_the_spots_in_the_job(app, walk, client, join, planner_client):
    add_zones(walk.project_id, ("ouest", WEST), ("est", EAST))
    token = join(walk)[0]
    for n, place in enumerate((ON_EDGE, IN_WEST, IN_EAST, OUTSIDE)):
        assert spot(client, token, place, n).status_code == 201
    run_jobs(app)
    assert list(zone_ids().values()) == ["ouest", "ouest", "est", None]
    east = service.list_zones(walk.project_id)[1]
    # « est » redrawn to reach the spot outside, and no longer the one on the edge.
    r = planner_client.post(
        f"/planner/projects/{walk.project_id}/zones/{east.id}/redraw",
        data={"zone_drawn": json.dumps(square(3.519, 50.354, 3.531, 50.361))},
    )
    assert r.status_code == 303
    assert list(zone_ids().values()) == ["ouest", "ouest", "est", None]  # until the job runs
    (job,) = run_jobs(app)
    assert job.status == "done" and job.total == 4
    assert list(zone_ids().values()) == ["ouest", "ouest", "est", "est"]
    # Run again (a retry): idempotent.
    assert service.reattach(walk.project_id) == 0


def test_a_reorder_moves_the_edge_and_a_stale_job_leaves_the_work_to_the_newer(
    app, walk, client, join, planner_client
):
    add_zones(walk.project_id, ("ouest", WEST), ("est", EAST))
    token = join(walk)[0]
    assert spot(client, token, ON_EDGE, 1).status_code == 201
    run_jobs(app)
    east = service.list_zones(walk.project_id)[1]
    move = f"/planner/projects/{walk.project_id}/zones/{east.id}/move"
    assert planner_client.post(move, data={"direction": "up"}).status_code == 303
    assert planner_client.post(move, data={"direction": "down"}).status_code == 303
    assert planner_client.post(move, data={"direction": "down"}).status_code == 303  # at the end
    db.session.expire_all()
    version = db.session.get(Project, walk.project_id).zones_version
    first, second = run_jobs(app)
    # The first job was asked for the version before: it wrote nothing, the second did the work.
    assert first.params["zones_version"] != version and first.total == 0
    assert second.params["zones_version"] == version and second.total == 1
    assert list(zone_ids().values()) == ["ouest"]
    assert planner_client.post(move, data={"direction": "up"}).status_code == 303
    run_jobs(app)
    assert list(zone_ids().values()) == ["est"]


def test_a_deleted_zone_detaches_its_spots_and_the_job_finds_another(
    app, walk, client, join, planner_client
):
    big = square(3.514, 50.354, 3.523, 50.358)
    add_zones(walk.project_id, ("ouest", WEST), ("tout", big))
    token = join(walk)[0]
    assert spot(client, token, IN_WEST, 1).status_code == 201
    assert spot(client, token, IN_EAST, 2).status_code == 201
    assert list(zone_ids().values()) == ["ouest", "tout"]
    page = planner_client.get(f"/planner/projects/{walk.project_id}/zones?lang=en")
    assert "Overlaps:" in text(page)
    west = service.list_zones(walk.project_id)[0]
    r = planner_client.post(f"/planner/projects/{walk.project_id}/zones/{west.id}/delete")
    assert r.status_code == 303
    assert list(zone_ids().values()) == [None, "tout"]
    run_jobs(app)
    assert list(zone_ids().values()) == ["tout", "tout"]
    assert [(z.name, z.position) for z in service.list_zones(walk.project_id)] == [("tout", 1)]


# --- Exports -------------------------------------------------------------------------------------


def test_the_exports_carry_the_zone_and_the_zones_layer(app, walk, client, join):
    from walkapp.services import exports

    add_zones(walk.project_id, ("le square", WEST), ("=HYPERLINK(1)", EAST))
    token = join(walk)[0]
    for n, place in enumerate((IN_WEST, IN_EAST, OUTSIDE)):
        assert spot(client, token, place, n).status_code == 201
    out = io.BytesIO()
    with unit():
        exports.write_csv(walk.project_id, None, out, layer="spots", user_id=None, role="planner")
    rows = list(csv.DictReader(io.StringIO(out.getvalue().decode("utf-8-sig"))))
    assert [r["zone"] for r in rows] == ["le square", "'=HYPERLINK(1)", ""]
    out = io.BytesIO()
    with unit():
        exports.write_geojson(
            walk.project_id, None, out, layer="zones", user_id=None, role="planner"
        )
    features = json.loads(out.getvalue())["features"]
    assert [(f["properties"]["name"], f["properties"]["order"]) for f in features] == [
        ("le square", 1),
        ("=HYPERLINK(1)", 2),
    ]
    assert features[0]["geometry"]["type"] == "Polygon"


# --- Rights --------------------------------------------------------------------------------------


def test_a_viewer_reads_the_zones_and_changes_nothing(app, walk, client):
    add_zones(walk.project_id, ("le square", WEST))
    zone = service.list_zones(walk.project_id)[0]
    viewer = make_user("vera@valenciennes-metropole.fr", "viewer", projects=[walk.project_id])
    login(client, viewer)
    page = client.get(f"/planner/projects/{walk.project_id}/zones?lang=en")
    assert page.status_code == 200 and "le square" in text(page)
    assert "Add the zone" not in text(page)
    base = f"/planner/projects/{walk.project_id}/zones"
    for path, data in (
        ("/add", {"name": "x", "zone_drawn": json.dumps(EAST)}),
        (f"/{zone.id}/rename", {"name": "y"}),
        (f"/{zone.id}/delete", {}),
        (f"/{zone.id}/move", {"direction": "down"}),
    ):
        assert client.post(base + path, data=data).status_code == 403
    stranger = make_user("sam@ailleurs.fr", "planner")
    login(client, stranger)
    assert client.get(base).status_code == 404
    assert client.post(f"{base}/{zone.id}/delete").status_code == 404
    db.session.expire_all()
    assert [z.name for z in service.list_zones(walk.project_id)] == ["le square"]


# --- The demo and the annex's map --------------------------------------------------------------


def test_the_demo_has_zones_and_its_spots_are_attached(app, tmp_path):
    from walkapp.services.demo import load_demo
    from walkapp.services.photo_store import PhotoStore

    with unit():
        load_demo(PhotoStore(tmp_path / "photos"), "secret-demo")
    project = db.session.scalars(sa.select(Project)).one()
    zones = service.list_zones(project.id)
    assert [z.name for z in zones] == [
        "le parvis",
        "le passage souterrain",
        "l'arrêt de bus",
        "le square",
    ]
    assert service.outside_perimeter(project, zones) == []
    counts = service.spot_counts(project.id)
    assert all(counts.get(z.id, 0) > 0 for z in zones), counts
    # What the submit attached is what a re-attach finds: nothing to change.
    with unit():
        assert service.reattach(project.id) == 0


def test_the_annex_map_draws_the_zones(app):
    from walkapp.domain.annex import ZoneMark
    from walkapp.exporters.map_figure import map_png

    perimeter = square(3.513, 50.353, 3.524, 50.359)
    plain = map_png(perimeter, (), ())
    with_zones = map_png(perimeter, (), (), zones=(ZoneMark("le square", WEST),))
    assert plain != with_zones
    assert with_zones.startswith(b"\x89PNG")
