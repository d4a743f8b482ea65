"""The usage counts as the Public Life Data Protocol's tables (exporters/pldp.py,
services/pldp_export.py, the "pldp" job of export_jobs.py, POST .../counts/export), checked
against the protocol's columns and codes of tests/data/pldp (django-pldp's, not Seattle's)."""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
import zipfile
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from job_worker import fresh
from planner_users import login, make_user
from test_zones import EAST, WEST, add_zones

from walkapp import jobs
from walkapp.domain import vocabularies as v
from walkapp.exporters import pldp
from walkapp.extensions import db
from walkapp.models import AuditEvent, CountRecord, Job, Project, Zone
from walkapp.services import counts, pldp_export
from walkapp.unit_of_work import unit

FIXTURE = json.loads(
    (Path(__file__).parent / "data" / "pldp" / "pldp_2017_beta.json").read_text("utf-8")
)
TABLES, CODES = FIXTURE["tables"], FIXTURE["codes"]

HOSTILE_ZONE = '=HYPERLINK("x")'
MARKUP_ZONE = "<b>le square</b>"
# Friday 20 November 2026, 17:00 in Valenciennes (before the works); then a Saturday in spring.
BEFORE = datetime(2026, 11, 20, 16, 0, tzinfo=UTC)
AFTER = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)


def protocol_codes(name: str) -> set[str]:
    """Every code of the fixture's list `name`, at every level (never Seattle's)."""
    entry = CODES[name]
    found = set(entry["codes"])
    levels = entry.get("levels")
    if isinstance(levels, dict):
        for codes in levels.values():
            found |= set(codes)
    return found


# walkapp's vocabulary -> (the export's column, the fixture's code list).
VOCABULARIES = (
    (v.PERCEIVED_GENDERS, "gender", "gender"),
    (v.AGE_GROUPS, "age", "age"),
    (v.MOVING_MODES, "mode", "mode"),
    (v.POSTURES, "posture", "posture"),
    (v.ACTIVITIES, "activities", "activity"),
    (v.GROUP_SIZES, "groups", "group_size"),
    (v.WEATHER, "microclimate", "weather"),
    (v.TIME_CHARACTERS, "time_character", "time_character"),
)


@pytest.mark.parametrize(("vocabulary", "column", "fixture"), VOCABULARIES)
def test_every_walkapp_code_has_a_protocol_code(vocabulary, column, fixture):
    """A code added to walkapp's vocabularies cannot slip into the export unmapped."""
    wanted = protocol_codes(fixture)
    assert {
        c: pldp.protocol_code(column, c)
        for c in vocabulary.codes
        if pldp.protocol_code(column, c) not in wanted
    } == {}


def test_the_writer_knows_no_code_the_protocol_lacks():
    for column, mapping in pldp.MAPPED.items():
        fixture = "weather" if column == "microclimate" else column
        assert set(mapping.values()) <= protocol_codes(fixture), column


# --- A project with counts ---------------------------------------------------------------------


def zone_id(name: str) -> int:
    return db.session.scalar(sa.select(Zone.id).where(Zone.name == name))


def _period(kind: str, zone: str, start: datetime, minutes: int, **extra) -> counts.PeriodIn:
    return counts.PeriodIn(
        uuid=uuid.uuid4(),
        zone_id=zone_id(zone),
        kind=kind,
        started_at=start,
        ended_at=start + timedelta(minutes=minutes),
        **extra,
    )


def _people(period: counts.PeriodIn, n: int) -> list[counts.RecordIn]:
    people = []
    for i in range(n):
        fields = (
            {
                "posture": v.POSTURES.codes[i % len(v.POSTURES.codes)],
                "activity": v.ACTIVITIES.codes[i % len(v.ACTIVITIES.codes)],
                "group_size": v.GROUP_SIZES.codes[i % len(v.GROUP_SIZES.codes)],
            }
            if period.kind == "staying"
            else {"mode": v.MOVING_MODES.codes[i % len(v.MOVING_MODES.codes)]}
        )
        people.append(
            counts.RecordIn(
                uuid=uuid.uuid4(),
                period_uuid=period.uuid,
                recorded_at=period.started_at + timedelta(seconds=10 * i),
                gender=v.PERCEIVED_GENDERS.codes[i % len(v.PERCEIVED_GENDERS.codes)],
                age_group=v.AGE_GROUPS.codes[i % len(v.AGE_GROUPS.codes)],
                **fields,
            )
        )
    return people


@pytest.fixture
def project_id(make_walk):
    walk = make_walk()
    add_zones(walk.project_id, (HOSTILE_ZONE, WEST), (MARKUP_ZONE, EAST))
    batches = [
        (
            "diagnostic",
            [
                (
                    _period(
                        "staying",
                        HOSTILE_ZONE,
                        BEFORE,
                        5,
                        weather="sun_exposed",
                        time_character="communal_event",
                        note="=cmd|' /C calc'!A0",
                    ),
                    7,
                ),
                (
                    _period(
                        "moving",
                        MARKUP_ZONE,
                        BEFORE + timedelta(minutes=30),
                        12,
                        weather="light_rain",
                        line="+rue de Paris",
                    ),
                    23,
                ),
            ],
        ),
        (
            "after_works",
            [
                (_period("staying", MARKUP_ZONE, AFTER, 5, time_character="roadworks"), 11),
                (_period("moving", HOSTILE_ZONE, AFTER, 10, weather="heavy_wind"), 15),
            ],
        ),
    ]
    for phase, periods in batches:
        with unit():
            db.session.get(Project, walk.project_id).phase = phase
        for item, n in periods:
            with unit():
                counts.sync(walk.project_id, [item], _people(item, n), [], user_id=None)
    return walk.project_id


def read_zip(data: bytes) -> dict[str, list[dict]]:
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert sorted(archive.namelist()) == sorted(
        [
            "study.csv",
            "locations.csv",
            "surveys.csv",
            "people_moving.csv",
            "people_staying.csv",
            "survey_notes.csv",
            "README.txt",
        ]
    )
    readme = archive.read("README.txt").decode("utf-8")
    assert "PERCEIVED" in readme
    tables = {}
    for name in archive.namelist():
        if name.endswith(".csv"):
            raw = archive.read(name)
            assert not raw.startswith(b"\xef\xbb\xbf")  # plain UTF-8, as django-pldp and Seattle
            reader = csv.reader(io.StringIO(raw.decode("utf-8")))
            header, *rows = list(reader)
            tables[name] = [dict(zip(header, row, strict=True)) for row in rows]
            tables[name + ":header"] = header
    return tables


def check_against_the_fixture(tables: dict, project_id: int) -> None:
    assert tables["study.csv:header"] == TABLES["study"]["columns"]
    assert tables["locations.csv:header"] == TABLES["location"]["columns"]
    assert tables["surveys.csv:header"] == TABLES["survey"]["columns"]
    # The people: id, then the protocol's component names, in the protocol's order.
    for name, table in (
        ("people_moving.csv", "people_moving"),
        ("people_staying.csv", "people_staying"),
    ):
        header = tables[name + ":header"]
        assert header[0] == "id"
        components = TABLES[table]["columns"]
        assert header[1:] == [c for c in components if c in header]
        assert {"survey", "total", "gender", "age"} <= set(header)
    assert "mode" in tables["people_moving.csv:header"]
    assert {"posture", "activities", "groups"} <= set(tables["people_staying.csv:header"])

    studies = tables["study.csv"]
    assert [s["project_phase"] for s in studies] == ["diagnostic", "after_works"]
    assert {s["protocol_version"] for s in studies} == {"BETA"}

    locations = {row["id"]: row for row in tables["locations.csv"]}
    assert {row["geometry_type"] for row in locations.values()} == {"area"}
    assert all(row["geometry"].startswith("POLYGON ((3.") for row in locations.values())
    names = {row["name_primary"] for row in locations.values()}
    assert names == {"'" + HOSTILE_ZONE, MARKUP_ZONE}  # neutralised; markup is only text here

    surveys = tables["surveys.csv"]
    assert len(surveys) == 4
    assert {s["study"] for s in surveys} == {s["id"] for s in studies}
    assert {s["location"] for s in surveys} <= set(locations)
    for survey in surveys:
        assert survey["time_character"] in CODES["time_character"]["codes"]
        assert survey["microclimate"] == "" or survey["microclimate"] in CODES["weather"]["codes"]
        assert survey["representation"] in CODES["representation"]["codes"]
        assert survey["method"] in CODES["method"]["codes"]
        # Local time with its offset (Paris in November: +01:00).
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+01:00", survey["time_start"])
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+01:00", survey["time_stop"])
    assert surveys[0]["time_start"] == "2026-11-20T17:00:00+01:00"
    assert surveys[0]["microclimate"] == "sun - exposed"
    assert surveys[0]["time_character"] == "cultural/communal event"
    assert surveys[1]["time_character"] == "None"
    assert surveys[2]["time_character"] == "roadwork/construction"

    moving, staying = tables["people_moving.csv"], tables["people_staying.csv"]
    for row in moving + staying:
        assert row["total"] == "1"
        assert row["gender"] in protocol_codes("gender")
        assert row["age"] in CODES["age"]["levels"]["basic"]
    assert {row["mode"] for row in moving} <= protocol_codes("mode")
    assert {row["posture"] for row in staying} <= protocol_codes("posture")
    assert {row["activities"] for row in staying} <= protocol_codes("activity")
    assert {row["groups"] for row in staying} <= protocol_codes("group_size")
    # Every category walkapp has appears (the people cycle through them).
    assert {row["mode"] for row in moving} == set(v.MOVING_MODES.codes)
    assert {row["posture"] for row in staying} == set(v.POSTURES.codes)

    # As many rows per survey as records stored.
    stored = Counter(
        str(period_id) for period_id in db.session.scalars(sa.select(CountRecord.period_id))
    )
    written = Counter(row["survey"] for row in moving + staying)
    assert written == stored
    assert sorted(written.values()) == [7, 11, 15, 23]
    kinds = {s["id"]: s for s in surveys}
    assert {kinds[row["survey"]]["id"] for row in staying} == {surveys[0]["id"], surveys[2]["id"]}

    notes = {row["survey"]: row for row in tables["survey_notes.csv"]}
    assert notes[surveys[0]["id"]]["note"] == "'=cmd|' /C calc'!A0"
    assert notes[surveys[1]["id"]]["line"] == "'+rue de Paris"


def test_the_service_writes_the_protocols_tables(app, project_id):
    out = io.BytesIO()
    summary = pldp_export.write_project(project_id, out)
    assert summary["people_moving.csv"] == 23 + 15
    assert summary["people_staying.csv"] == 7 + 11
    check_against_the_fixture(read_zip(out.getvalue()), project_id)


def test_the_export_is_a_job_asked_for_on_the_exports_page(app, client, project_id):
    planner = make_user("paula@valenciennes-metropole.fr", "planner", projects=[project_id])
    login(client, planner)
    page = client.get(f"/planner/projects/{project_id}/exports")
    assert page.status_code == 200
    assert f"/planner/projects/{project_id}/counts/export" in page.get_data(as_text=True)

    answer = client.post(f"/planner/projects/{project_id}/counts/export")
    assert answer.status_code == 303, answer.get_data(as_text=True)[:500]
    job_id = int(re.search(r"/planner/jobs/(\d+)", answer.headers["Location"]).group(1))
    entry = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "export").order_by(AuditEvent.id)
    ).all()[-1]
    assert (entry.user_id, entry.details) == (planner.id, {"format": "pldp"})

    with app.app_context():
        jobs.run(job_id)
    job = fresh(job_id)
    assert job.status == "done", job.error
    assert re.fullmatch(r"place-du-canada-pldp-\d{4}-\d\d-\d\d\.zip", job.filename)
    download = client.get(f"/planner/jobs/{job_id}/download")
    try:
        assert download.status_code == 200
        data = download.get_data()
    finally:
        download.close()
    check_against_the_fixture(read_zip(data), project_id)
    # The exports page lists it among the latest files.
    page = client.get(f"/planner/projects/{project_id}/exports").get_data(as_text=True)
    assert f'data-job="{job_id}"' in page


def test_a_viewer_may_not_export_the_counts(app, client, project_id):
    viewer = make_user("vera@x.fr", "viewer", projects=[project_id])
    login(client, viewer)
    assert client.post(f"/planner/projects/{project_id}/counts/export").status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).where(Job.kind == "pldp")) == 0
    exports = sa.select(sa.func.count()).where(AuditEvent.action == "export")
    assert db.session.scalar(exports) == 0


def test_a_project_without_counts_exports_its_zones_only(app, make_walk):
    walk = make_walk()
    add_zones(walk.project_id, ("Le parvis", WEST))
    out = io.BytesIO()
    pldp_export.write_project(walk.project_id, out)
    tables = read_zip(out.getvalue())
    assert [s["project_phase"] for s in tables["study.csv"]] == ["diagnostic"]
    assert len(tables["locations.csv"]) == 1
    assert tables["surveys.csv"] == tables["people_moving.csv"] == []
