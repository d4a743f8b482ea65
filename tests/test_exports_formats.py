"""The data exports read back by the tools that will read them: GeoJSON by GDAL's ogrinfo,
geojson-validator and shapely; CSV by the csv module; XLSX by openpyxl; the photos ZIP by
zipfile. Hostile text stays text, numbers stay numbers, nothing links to a person, filters and
the withheld rule hold, and every file is refused to roles without the export right and
recorded in the audit log."""

from __future__ import annotations

import csv
import io
import json
import re
import secrets
import subprocess
import uuid
import zipfile
from datetime import UTC, date, datetime, timedelta

import geojson_validator
import pytest
import shapely
import sqlalchemy as sa
from conftest import DATA
from openpyxl import load_workbook
from planner_users import make_user
from shapely.geometry import shape

from walkapp.domain import spreadsheet as sheet
from walkapp.extensions import db
from walkapp.models import (
    AuditEvent,
    Finding,
    Observation,
    Participant,
    Photo,
    StoredFile,
    Zone,
)
from walkapp.services import capture, exports
from walkapp.services.errors import Forbidden
from walkapp.services.observation_filter import ObservationFilter
from walkapp.services.photo_store import PhotoStore

T0 = datetime(2026, 11, 20, 18, 30, tzinfo=UTC)  # 19:30 in Paris
HOSTILE = (
    '=HYPERLINK("http://x","y")',
    "+1",
    "-1+1",
    "@SUM(A1)",
    "\tx",
    "\rx",
)
HIDDEN_COMMENT = "SECRET-HIDDEN-COMMENT"
OTHER_COMMENT = "OTHER-PROJECT-COMMENT"
PERIMETER_BBOX = shape(
    json.loads((DATA / "place-du-canada-perimeter.geojson").read_text())["features"][0]["geometry"]
).bounds
# A project west of Greenwich (Bordeaux): its longitudes are negative numbers.
BORDEAUX = {
    "type": "Polygon",
    "coordinates": [
        [[-0.585, 44.835], [-0.565, 44.835], [-0.565, 44.845], [-0.585, 44.845], [-0.585, 44.835]]
    ],
}


def participant(walk, **profile) -> Participant:
    person = Participant(
        walk_id=walk.id,
        token_hash=secrets.token_hex(32),
        erasure_code_hash=secrets.token_hex(32),
        consent_at=T0,
        consent_version="test",
        **profile,
    )
    db.session.add(person)
    db.session.flush()
    return person


def add_spot(walk, person: Participant, minutes: int = 0, **fields) -> Observation:
    values = {
        "category": "lighting",
        "feeling": 1,
        "light_condition": "night",
        "lat": 50.3561,
        "lon": 3.5187,
        "position_source": "gps",
        "accuracy_m": 6.5,
        **fields,
    }
    at = T0 + timedelta(minutes=minutes)
    spot = Observation(
        uuid=uuid.uuid4(),
        participant_id=person.id,
        walk_id=walk.id,
        recorded_at=at,
        utc_offset_minutes=60,
        local_date=at.date(),
        time_slot="weekday_evening",
        **values,
    )
    db.session.add(spot)
    db.session.flush()
    return spot


@pytest.fixture
def store(app) -> PhotoStore:
    return PhotoStore(app.config["PHOTO_DIR"])


@pytest.fixture
def canada(app, make_walk, store):
    """Place du Canada: three participants, six spots shown (night and day, a rating, a stop,
    one entered by a facilitator, photos) and one hidden; a finding drawn clockwise; and another
    project beside it whose spots must never show up."""
    walk = make_walk(title="Marche de nuit")
    facilitator = make_user("facilitator@x.fr", "facilitator", projects=[walk.project_id])
    anna, bea, chloe = (participant(walk, gender="woman") for _ in range(3))
    stop = walk.stops[0]
    spots = [
        add_spot(walk, bea, 0, comment="Lampadaire éteint", ratings={"lighting": 0, "people": 2}),
        add_spot(walk, anna, 5, category="visibility", feeling=2, stop_id=stop.id, lat=50.3557),
        add_spot(walk, bea, 10, light_condition="day", feeling=4, lon=3.5170),
        add_spot(walk, chloe, 15, category="harassment", entered_by_id=facilitator.id),
        add_spot(
            walk, anna, 20, light_condition="twilight", accuracy_m=None, position_source="pin"
        ),
        add_spot(walk, chloe, 25, category="good_place", feeling=5, light_condition="day"),
    ]
    hidden = add_spot(walk, anna, 30, comment=HIDDEN_COMMENT, hidden_at=T0, hidden_reason="x")
    capture.add_photo(bea, spots[0].uuid, (DATA / "day-path.jpg").read_bytes(), store)
    capture.add_photo(bea, spots[0].uuid, (DATA / "lamp.png").read_bytes(), store)
    capture.add_photo(anna, spots[1].uuid, (DATA / "day-path.jpg").read_bytes(), store)
    capture.add_photo(anna, hidden.uuid, (DATA / "lamp.png").read_bytes(), store)
    ring = [[3.5180, 50.3555], [3.5180, 50.3565], [3.5195, 50.3565], [3.5195, 50.3555]]
    db.session.add(
        Finding(
            project_id=walk.project_id,
            place_key="test-place",
            lat=50.3561,
            lon=3.5187,
            geometry={"type": "Polygon", "coordinates": [[*ring, ring[0]]]},  # clockwise
            spot_ids=[spots[0].id, spots[1].id, hidden.id],
            title="Passage sombre",
            recommendation="Éclairer le passage",
            statistics={"kind": "consensus", "n_reports": 3, "n_participants": 2, "z": None},
        )
    )
    # A zone drawn clockwise too (services.zones cleans it; the export winds it all the same).
    db.session.add(
        Zone(
            project_id=walk.project_id,
            name="le square",
            position=1,
            geometry={"type": "Polygon", "coordinates": [[*ring, ring[0]]]},
        )
    )
    other = make_walk(title="Autre projet")
    add_spot(other, participant(other), comment=OTHER_COMMENT)
    db.session.commit()
    walk.spots, walk.hidden, walk.other = spots, hidden, other
    walk.people = (anna, bea, chloe)
    return walk


@pytest.fixture
def planner(canada):
    return make_user("planner@x.fr", "planner", projects=[canada.project_id])


def export(kind: str, walk, user, filters=None, **options) -> tuple[bytes, dict]:
    out = io.BytesIO()
    write = getattr(exports, f"write_{kind}")
    args = (walk.project_id, filters or ObservationFilter(), out)
    if kind == "photos_zip":
        args = (*args, options.pop("store"))
    summary = write(*args, user_id=user.id, role="planner", **options)
    return out.getvalue(), summary


def read_csv(data: bytes, french: bool = False) -> list[dict[str, str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM
    text = data[3:].decode("utf-8")
    return list(csv.DictReader(io.StringIO(text, newline=""), delimiter=";" if french else ","))


def csv_number(text: str, french: bool = False) -> float:
    assert re.fullmatch(r"-?\d+([.,]\d+)?(e-?\d+)?", text), text  # a number, nothing before
    return float(text.replace(",", ".") if french else text)


def sheet_rows(data: bytes, title: str) -> list[dict]:
    book = load_workbook(io.BytesIO(data))
    rows = list(book[title].iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def all_cells(data: bytes):
    book = load_workbook(io.BytesIO(data))
    for ws in book.worksheets:
        for row in ws.iter_rows():
            yield from row


# --- GeoJSON -----------------------------------------------------------------------------------


def test_every_geojson_layer_is_read_by_gdal(canada, planner, tmp_path):
    expected = {"spots": (6, "Point"), "findings": (1, "Polygon"), "stops": (2, "Point")}
    expected["perimeter"] = (1, "Polygon")
    expected["zones"] = (1, "Polygon")
    for layer, (count, geometry) in expected.items():
        data, summary = export("geojson", canada, planner, layer=layer)
        assert summary[layer] == count
        path = tmp_path / f"{layer}.geojson"
        path.write_bytes(data)
        info = subprocess.run(
            ["ogrinfo", "-ro", "-al", "-so", str(path)],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout
        assert f"Feature Count: {count}" in info, info
        assert f"Geometry: {geometry}" in info, info
        assert "ERROR" not in info


def test_geojson_is_valid_counter_clockwise_and_inside_the_perimeter(canada, planner):
    (west, south, east, north) = PERIMETER_BBOX
    for layer in sheet.LAYERS:
        document = json.loads(export("geojson", canada, planner, layer=layer)[0])
        assert geojson_validator.validate_structure(document, check_crs=True) == {}
        problems = geojson_validator.validate_geometries(document)
        assert problems["invalid"] == {} and problems["problematic"] == {}, problems
        assert document["features"], layer
        for feature in document["features"]:
            geometry = shape(feature["geometry"])
            assert geometry.is_valid, layer
            for lon, lat in shapely.get_coordinates(geometry):
                assert west <= lon <= east and south <= lat <= north, (layer, lon, lat)
            if feature["geometry"]["type"] == "Polygon":
                assert shapely.is_ccw(geometry.exterior)  # stored clockwise, written RFC 7946


def test_spot_features_are_named_by_reference_and_carry_the_columns(canada, planner):
    document = json.loads(export("geojson", canada, planner)[0])
    features = document["features"]
    assert [f["id"] for f in features] == ["S001", "S002", "S003", "S004", "S005", "S006"]
    first = features[0]
    assert first["geometry"] == {"type": "Point", "coordinates": [3.5187, 50.3561]}
    assert set(first["properties"]) == {c.code for c in sheet.columns("spots", "geojson")}
    assert first["properties"]["local_time"] == "19:30"  # the project's time zone
    assert first["properties"]["rating_lighting"] == 0
    assert first["properties"]["photos"] == 2
    assert features[1]["properties"]["stop"] == 1
    assert features[3]["properties"]["entered_by_facilitator"] is True
    assert [f["properties"]["participant"] for f in features] == [
        "P1",
        "P2",
        "P1",
        "P3",
        "P2",
        "P3",
    ]


def test_findings_list_only_the_references_still_shown(canada, planner):
    [finding] = json.loads(export("geojson", canada, planner, layer="findings")[0])["features"]
    assert finding["properties"]["spots"] == "S001 S002"  # the hidden spot (S007) left out
    assert finding["properties"]["title"] == "Passage sombre"
    assert 5_000 < finding["properties"]["area_m2"] < 15_000  # ~107 m x ~111 m


# --- Nothing links to a person -----------------------------------------------------------------


def every_export(walk, user, store) -> dict[str, bytes]:
    files = {}
    for layer in sheet.LAYERS:
        files[f"{layer}.geojson"] = export("geojson", walk, user, layer=layer)[0]
        for french in (False, True):
            files[f"{layer}-{french}.csv"] = export(
                "csv", walk, user, layer=layer, french=french, lambert93=True
            )[0]
    files["data.xlsx"] = export("xlsx", walk, user, lambert93=True)[0]
    with zipfile.ZipFile(io.BytesIO(files["data.xlsx"])) as book:
        for name in book.namelist():
            files[f"xlsx:{name}"] = book.read(name)
    files["photos.zip"] = export("photos_zip", walk, user, store=store)[0]
    return files


def test_no_export_holds_an_id_a_token_or_a_uuid(canada, planner, store):
    secrets_ = [str(spot.uuid) for spot in [*canada.spots, canada.hidden]]
    secrets_ += [s.hex for s in (spot.uuid for spot in canada.spots)]
    for person in canada.people:
        secrets_ += [person.token_hash, person.erasure_code_hash]
    forbidden = [*secrets_, "participant_id", "uuid", "token", "walk_id", "stop_id"]
    forbidden += [HIDDEN_COMMENT, OTHER_COMMENT, "Autre projet"]
    for name, data in every_export(canada, planner, store).items():
        text = data.decode("utf-8", errors="replace")
        for word in forbidden:
            assert word not in text, (name, word)


def test_participants_are_labels_of_one_export_and_projects_do_not_mix(canada, planner, store):
    other_planner = make_user("other@x.fr", "planner", projects=[canada.other.project_id])
    rows = read_csv(export("csv", canada, planner)[0])
    by_label: dict[str, set[str]] = {}
    for row in rows:
        by_label.setdefault(row["participant"], set()).add(row["reference"])
    assert by_label == {"P1": {"S001", "S003"}, "P2": {"S002", "S005"}, "P3": {"S004", "S006"}}
    night = read_csv(
        export("csv", canada, planner, ObservationFilter(light_conditions=("day",)))[0]
    )
    assert [(r["reference"], r["participant"]) for r in night] == [("S003", "P1"), ("S006", "P2")]
    [theirs] = read_csv(export("csv", canada.other, other_planner)[0])
    assert (theirs["reference"], theirs["participant"]) == ("S001", "P1")
    assert theirs["comment"] == OTHER_COMMENT and theirs["event"] == "Autre projet"


# --- CSV and XLSX ------------------------------------------------------------------------------


@pytest.fixture
def bordeaux(app, make_walk):
    """A project west of Greenwich whose event title and comments are every hostile prefix."""
    walk = make_walk(title='=HYPERLINK("http://x","y")')
    walk.project.perimeter = BORDEAUX
    person = participant(walk)
    for i, text in enumerate(HOSTILE):
        add_spot(walk, person, i, comment=text, lat=44.84 + i / 10_000, lon=-0.5712 - i / 10_000)
    db.session.commit()
    walk.planner = make_user("bordeaux@x.fr", "planner", projects=[walk.project_id])
    return walk


@pytest.mark.parametrize("french", [False, True])
def test_csv_round_trip_keeps_numbers_numbers_and_neutralises_text(bordeaux, french):
    data, summary = export("csv", bordeaux, bordeaux.planner, french=french, lambert93=True)
    assert summary == {"format": "csv", "layer": "spots", "spots": len(HOSTILE)}
    rows = read_csv(data, french)
    assert list(rows[0]) == sheet.header(sheet.columns("spots", "csv", lambert93=True))
    assert [r["comment"] for r in rows] == ["'" + text for text in HOSTILE]
    assert {r["event"] for r in rows} == {"'" + '=HYPERLINK("http://x","y")'}
    for i, row in enumerate(rows):
        assert csv_number(row["lon"], french) == pytest.approx(-0.5712 - i / 10_000)
        assert csv_number(row["lat"], french) == pytest.approx(44.84 + i / 10_000)
        assert 400_000 < csv_number(row["x_l93"], french) < 450_000  # Bordeaux in Lambert-93
        assert csv_number(row["accuracy_m"], french) == 6.5
        assert row["feeling"] == "1" and row["category"] == "lighting"
    separator = b";" if french else b","
    assert separator + (b"-0,5712" if french else b"-0.5712") + separator in data


def test_xlsx_round_trip_matches_the_csv_and_runs_no_formula(bordeaux):
    data, summary = export("xlsx", bordeaux, bordeaux.planner, lambert93=True, language="en")
    assert summary == {
        "format": "xlsx",
        "spots": len(HOSTILE),
        "findings": 0,
        "stops": 2,
        "perimeter": 1,
        "zones": 0,
    }
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["Spots", "Findings", "Stops", "Perimeter", "Zones", "Definitions"]
    cells = list(all_cells(data))
    assert not [c.coordinate for c in cells if c.data_type == "f"]  # no formula anywhere
    hostile_cells = [c for c in cells if isinstance(c.value, str) and sheet.is_hostile(c.value)]
    assert {c.value for c in hostile_cells} >= set(HOSTILE)  # the text as it was typed
    assert all(c.data_type == "s" and c.quotePrefix for c in hostile_cells)
    rows = list(book["Spots"].iter_rows(values_only=True))
    codes = sheet.header(sheet.columns("spots", "xlsx", lambert93=True))
    table = [dict(zip(codes, row, strict=True)) for row in rows[1:]]
    csv_rows = read_csv(export("csv", bordeaux, bordeaux.planner, lambert93=True)[0])
    assert len(table) == len(csv_rows) == len(HOSTILE)
    for cell_row, text_row in zip(table, csv_rows, strict=True):
        assert isinstance(cell_row["lon"], float) and cell_row["lon"] < 0
        assert cell_row["lon"] == float(text_row["lon"]) and cell_row["lat"] == float(
            text_row["lat"]
        )
        assert cell_row["x_l93"] == float(text_row["x_l93"])
        assert cell_row["comment"] == text_row["comment"][1:]  # CSV's apostrophe, XLSX's prefix
        assert cell_row["reference"] == text_row["reference"]
        assert cell_row["local_date"].date() == date.fromisoformat(text_row["local_date"])
        assert cell_row["category"] == "lighting" and cell_row["category_label"] == "Lighting"
        assert cell_row["feeling"] == 1 and cell_row["feeling_label"] == "Very unsafe"
    assert rows[0][codes.index("category_label")] == "Category"
    assert rows[0][codes.index("category")] == "Category (code)"


def test_xlsx_labels_in_french_and_a_definitions_sheet(canada, planner):
    data, _ = export("xlsx", canada, planner, language="fr")
    book = load_workbook(io.BytesIO(data))
    assert len(book.sheetnames) == 6
    spots = list(book.worksheets[0].iter_rows(values_only=True))
    assert len(spots) == 1 + 6
    header = sheet.header(sheet.columns("spots", "xlsx"))
    first = dict(zip(header, spots[1], strict=True))
    assert (first["category"], first["category_label"]) == ("lighting", "Éclairage")
    assert first["local_time"].strftime("%H:%M") == "19:30"
    assert first["position_suspect"] is False and first["photos"] == 2
    definitions = list(book.worksheets[5].iter_rows(values_only=True))
    defined = {row[1] for row in definitions if row and row[1]}
    for layer in sheet.LAYERS:
        assert set(sheet.header(sheet.columns(layer, "xlsx"))) <= defined, layer
    assert ("Project", "Place du Canada") in {row[:2] for row in definitions} or (
        "Projet",
        "Place du Canada",
    ) in {row[:2] for row in definitions}


def test_every_csv_layer_reads_back(canada, planner):
    for layer, count in {"spots": 6, "findings": 1, "stops": 2, "perimeter": 1}.items():
        rows = read_csv(export("csv", canada, planner, layer=layer, french=True)[0], True)
        assert len(rows) == count, layer
        if layer in ("findings", "perimeter"):
            assert shape(shapely.from_wkt(rows[0]["wkt"])).is_valid
    stops = read_csv(export("csv", canada, planner, layer="stops")[0])
    assert [(s["number"], s["name"], s["spots"]) for s in stops] == [
        ("1", "Arrêt 1", "1"),
        ("2", "Arrêt 2", "0"),
    ]


# --- Filters, withheld, permissions, audit -----------------------------------------------------


def test_exports_follow_the_filter(canada, planner, store):
    night = ObservationFilter(light_conditions=("night",))
    document = json.loads(export("geojson", canada, planner, night)[0])
    assert [f["id"] for f in document["features"]] == ["S001", "S002", "S004"]
    assert {r["reference"] for r in read_csv(export("csv", canada, planner, night)[0])} == {
        "S001",
        "S002",
        "S004",
    }
    assert len(sheet_rows(export("xlsx", canada, planner, night, language="en")[0], "Spots")) == 3
    day = ObservationFilter(light_conditions=("day",))
    data, summary = export("photos_zip", canada, planner, day, store=store)
    assert zipfile.ZipFile(io.BytesIO(data)).namelist() == []
    assert summary == {"format": "zip", "layer": "photos", "spots": 0, "photos": 0}


def test_a_profile_filter_of_too_few_people_withholds_every_spot(canada, planner, store):
    women = ObservationFilter(genders=("woman",))  # three women: fewer than five
    data, summary = export("geojson", canada, planner, women)
    assert summary["withheld"] == "too_few_participants" and summary["spots"] == 0
    assert json.loads(data)["withheld"] == "too_few_participants"
    assert read_csv(export("csv", canada, planner, women)[0]) == []
    stops = read_csv(export("csv", canada, planner, women, layer="stops")[0])
    assert [s["spots"] for s in stops] == ["", ""]  # no count either
    assert export("xlsx", canada, planner, women)[1]["withheld"] == "too_few_participants"
    photos, summary = export("photos_zip", canada, planner, women, store=store)
    assert zipfile.ZipFile(io.BytesIO(photos)).namelist() == []
    assert summary["withheld"] == "too_few_participants"


@pytest.mark.parametrize("role", ["viewer", "facilitator"])
def test_roles_without_the_export_right_get_nothing(canada, store, role):
    user = make_user(f"{role}2@x.fr", role, projects=[canada.project_id])
    calls = {
        "geojson": lambda out: exports.write_geojson(
            canada.project_id, None, out, user_id=user.id, role=role
        ),
        "csv": lambda out: exports.write_csv(
            canada.project_id, None, out, user_id=user.id, role=role
        ),
        "xlsx": lambda out: exports.write_xlsx(
            canada.project_id, None, out, user_id=user.id, role=role
        ),
        "zip": lambda out: exports.write_photos_zip(
            canada.project_id, None, out, store, user_id=user.id, role=role
        ),
    }
    for name, call in calls.items():
        out = io.BytesIO()
        with pytest.raises(Forbidden):
            call(out)
        assert out.getvalue() == b"", name
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == 0


def test_each_export_is_audited_with_its_format_layer_filters_and_counts(canada, planner, store):
    night = ObservationFilter(light_conditions=("night",))
    export("csv", canada, planner, night, layer="stops", french=True)
    export("xlsx", canada, planner, night)
    export("photos_zip", canada, planner, night, store=store)
    entries = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "export").order_by(AuditEvent.id)
    ).all()
    assert [(e.user_id, e.project_id, e.target_id) for e in entries] == [
        (planner.id, canada.project_id, str(canada.project_id))
    ] * 3
    filters = {"light": ["night"]}
    assert [e.details for e in entries] == [
        {"format": "csv", "layer": "stops", "stops": 2, "filters": filters},
        {
            "format": "xlsx",
            "spots": 3,
            "findings": 1,
            "stops": 2,
            "perimeter": 1,
            "zones": 1,
            "filters": filters,
        },
        {"format": "zip", "layer": "photos", "spots": 2, "photos": 3, "filters": filters},
    ]


# --- Photos ------------------------------------------------------------------------------------


def test_the_photo_zip_names_entries_by_reference_and_keeps_the_bytes(canada, planner, store):
    data, summary = export("photos_zip", canada, planner, store=store)
    assert summary == {"format": "zip", "layer": "photos", "spots": 2, "photos": 3}
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None
    assert archive.namelist() == ["S001-1.jpg", "S001-2.jpg", "S002-1.jpg"]  # not the hidden one
    stored = db.session.execute(
        sa.select(Observation.id, StoredFile.sha256)
        .join(Photo, Photo.observation_id == Observation.id)
        .join(StoredFile, StoredFile.id == Photo.file_id)
        .order_by(Observation.id, Photo.id)
    ).all()
    expected = [
        store.path(sha).read_bytes() for spot_id, sha in stored if spot_id != canada.hidden.id
    ]
    assert [archive.read(name) for name in archive.namelist()] == expected
    assert archive.getinfo("S001-1.jpg").date_time == (2026, 11, 20, 19, 30, 0)


def test_a_missing_photo_file_is_skipped_and_counted(canada, planner, store):
    sha = db.session.scalar(sa.select(StoredFile.sha256).order_by(StoredFile.id))
    store.path(sha).unlink()
    data, summary = export("photos_zip", canada, planner, store=store)
    assert summary["missing"] == 2  # day-path.jpg on S001 and on S002
    assert zipfile.ZipFile(io.BytesIO(data)).namelist() == ["S001-2.jpg"]


# --- Streaming into a pipe ---------------------------------------------------------------------


class Pipe(io.RawIOBase):
    """A file one can only write to, in order (a socket, a pipe): no seek, no tell."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.chunks.append(bytes(data))
        return len(data)


@pytest.mark.parametrize("kind", ["geojson", "csv", "xlsx", "photos_zip"])
def test_exports_write_to_a_file_that_cannot_seek(canada, planner, store, kind):
    pipe = Pipe()
    options = {"store": store} if kind == "photos_zip" else {}
    args = (canada.project_id, None, pipe, *options.values())
    getattr(exports, f"write_{kind}")(*args, user_id=planner.id, role="planner")
    data = b"".join(pipe.chunks)
    if kind == "geojson":
        assert len(json.loads(data)["features"]) == 6
    elif kind == "csv":
        assert len(read_csv(data)) == 6
    else:
        assert zipfile.ZipFile(io.BytesIO(data)).testzip() is None


def test_progress_is_reported_up_to_the_total(canada, planner):
    seen: list[tuple[int, int]] = []
    export("xlsx", canada, planner, progress=lambda done, total: seen.append((done, total)))
    assert seen and seen[-1] == (6 + 1 + 2 + 1 + 1, 6 + 1 + 2 + 1 + 1)


# --- File names --------------------------------------------------------------------------------


def test_file_names_are_ascii_slugs_with_the_project_day(canada):
    project = canada.project
    project.name = 'Place du Canada (nuit) — été "x"\r\n'
    name = exports.file_name(project, "spots", "csv", language="en", today=date(2026, 12, 1))
    assert name == "place-du-canada-nuit-ete-x-spots-2026-12-01.csv"
    assert name.isascii()
    project.name = "ÉÉ"
    assert exports.file_name(project, "photos", "zip", today=date(2026, 12, 1)).startswith("ee-")
    project.name = "中文"
    assert exports.file_name(project, "data", "xlsx", language="en", today=date(2026, 12, 1)) == (
        "walkapp-data-2026-12-01.xlsx"
    )


# --- The pure rules (domain/spreadsheet.py) ----------------------------------------------------


@pytest.mark.parametrize("text", [*HOSTILE, "\nx", "\uff1dSUM(A1)", "-", "="])
def test_text_starting_like_a_formula_is_marked_as_text(text):
    assert sheet.neutralise(text) == "'" + text
    assert sheet.csv_cell(text) == "'" + text


@pytest.mark.parametrize("text", ["Lampadaire éteint", "'déjà", "a=b", "1-2", " =x", ""])
def test_other_text_is_left_as_typed(text):
    assert sheet.neutralise(text) == text


def test_numbers_stay_numbers_in_both_notations():
    assert sheet.csv_cell(-3.5187) == "-3.5187"
    assert sheet.csv_cell(-3.5187, french=True) == "-3,5187"
    assert sheet.csv_cell(-12) == "-12"
    assert sheet.csv_cell(736962.54, french=True) == "736962,54"  # no thousands separator
    assert sheet.csv_cell(1e-300) == "1e-300"
    assert sheet.csv_cell(True) == "yes" and sheet.csv_cell(False) == "no"
    assert sheet.csv_cell(None) == ""
    assert sheet.csv_cell(date(2026, 11, 20), french=True) == "2026-11-20"
    with pytest.raises(ValueError):
        sheet.format_number(float("nan"))


def test_xml_safe_drops_only_what_xml_cannot_hold():
    assert sheet.xml_safe("a\x00b\x07c\x1fd\te\nf\rg") == "abcd\te\nf\rg"


def test_every_layer_has_unique_column_codes_and_defined_vocabularies():
    from walkapp.domain.vocabularies import BY_NAME

    for layer in sheet.LAYERS:
        for output in ("geojson", "csv", "xlsx"):
            codes = sheet.header(sheet.columns(layer, output, lambert93=True))
            assert len(codes) == len(set(codes)), (layer, output)
            assert all(re.fullmatch(r"[a-z0-9_]+", code) for code in codes)
        for column in sheet.COLUMNS[layer]:
            assert (column.kind == sheet.CODE) == (column.vocabulary in BY_NAME)


def test_a_comment_with_control_characters_still_exports_to_xlsx(bordeaux):
    spot = db.session.scalar(sa.select(Observation).where(Observation.walk_id == bordeaux.id))
    # Refused by the app on the way in (422), but rows written before that rule may hold them.
    # (PostgreSQL cannot store NUL at all: a bell and a vertical tab, which XML cannot hold.)
    spot.comment = "bell\x07 and tab\x0b"
    db.session.commit()
    data, _ = export("xlsx", bordeaux, bordeaux.planner, language="en")
    comments = [row["Comment"] for row in sheet_rows(data, "Spots")]
    assert "bell and tab" in comments
