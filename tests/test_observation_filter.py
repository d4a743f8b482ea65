"""The observation filter: its parser (only the fields a page offers; bad values dropped), its
query arguments, its project scope and the shape of its SQL."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import sqlite
from werkzeug.datastructures import MultiDict

from walkapp.extensions import db
from walkapp.models import Observation, Walk
from walkapp.planner.hotspots import HOTSPOT_FIELDS
from walkapp.planner.maps import MAP_FIELDS
from walkapp.planner.triage import GALLERY_FIELDS, TRIAGE_FIELDS
from walkapp.services.observation_filter import (
    FIELDS,
    HIDDEN,
    HIDDEN_EXCLUDE,
    ObservationFilter,
    from_args,
    narrow,
    scope,
    to_args,
)

EVERYTHING = MultiDict(
    [
        ("event", "12"),
        ("event", "3"),
        ("event", "12"),
        ("kind", "meeting"),
        ("kind", "exploratory_walk"),
        ("category", "visibility"),
        ("category", "lighting"),
        ("feeling", "2"),
        ("feeling", "1"),
        ("light", "night"),
        ("gender", "woman"),
        ("age", "65_plus"),
        ("age", "15_17"),
        ("from", "2026-10-01"),
        ("to", "2026-10-31"),
        ("photo", "yes"),
        ("facilitator", "no"),
        ("hidden", "only"),
    ]
)
PARSED = ObservationFilter(
    walk_ids=(3, 12),  # sorted, once each
    kinds=("exploratory_walk", "meeting"),  # codes in their vocabulary's order
    categories=("lighting", "visibility"),
    feelings=(1, 2),
    light_conditions=("night",),
    genders=("woman",),
    age_bands=("15_17", "65_plus"),
    date_from=date(2026, 10, 1),
    date_to=date(2026, 10, 31),
    has_photo=True,
    entered_by_facilitator=False,
    hidden="only",
)


def test_every_field_is_read_when_offered():
    assert from_args(EVERYTHING, FIELDS) == PARSED


MAP_KEEPS = ("walk_ids", "kinds", "categories", "light_conditions", "genders", "age_bands")
TRIAGE_KEEPS = ("walk_ids", "categories", "feelings", "light_conditions", "has_photo")


@pytest.mark.parametrize(
    "fields, kept",
    [
        (MAP_FIELDS, (*MAP_KEEPS, "date_from", "date_to")),
        (HOTSPOT_FIELDS, ("walk_ids", "categories", "light_conditions")),
        (TRIAGE_FIELDS, (*TRIAGE_KEEPS, "entered_by_facilitator", "hidden")),
    ],
)
def test_fields_the_page_does_not_offer_are_ignored(fields, kept):
    parsed = from_args(EVERYTHING, fields)
    default = ObservationFilter()
    for name in PARSED.__dataclass_fields__:
        wanted = getattr(PARSED if name in kept else default, name)
        assert getattr(parsed, name) == wanted, name


def test_hidden_spots_never_come_through_the_map_nor_the_hotspots_address():
    assert HIDDEN not in MAP_FIELDS and HIDDEN not in HOTSPOT_FIELDS
    for fields in (MAP_FIELDS, HOTSPOT_FIELDS):
        assert from_args(MultiDict({"hidden": "include"}), fields).hidden == HIDDEN_EXCLUDE
    assert from_args(MultiDict({"hidden": "include"}), TRIAGE_FIELDS).hidden == "include"
    assert set(GALLERY_FIELDS) <= set(FIELDS)


@pytest.mark.parametrize(
    "args",
    [
        {"event": ["abc", "-1", "1e3", "１２", "1234567890", ""]},  # not ascii digits, too long
        {"kind": "picnic", "category": ["Lighting", "nonsense"], "light": "dusk"},
        {"feeling": ["0", "6", "x", "1.0"], "gender": "?", "age": ["18-24", ""]},
        {"from": ["2026-13-45", "2026-10-01"], "to": "2026-1-5"},  # the first value counts
        {"photo": ["maybe", "yes"], "facilitator": ["1", "true"], "hidden": "everything"},
    ],
)
def test_bad_values_are_dropped(args):
    assert from_args(MultiDict(args), FIELDS) == ObservationFilter()


def test_to_args_leaves_defaults_out_and_reads_back():
    assert to_args(ObservationFilter()) == {}
    args = to_args(PARSED)
    assert args["event"] == ["3", "12"] and args["from"] == "2026-10-01"
    assert args["photo"] == "yes" and args["facilitator"] == "no" and args["hidden"] == "only"
    assert from_args(MultiDict(args), FIELDS) == PARSED


def test_a_page_must_name_fields_that_exist():
    with pytest.raises(ValueError):
        from_args(MultiDict(), ("event", "colour"))
    with pytest.raises(ValueError):
        ObservationFilter(hidden="all")


# --- SQL ------------------------------------------------------------------------------------


def sql(f: ObservationFilter) -> str:
    query = narrow(sa.select(Observation.id), [1, 2], f)
    return str(query.compile(dialect=sqlite.dialect())).lower()


def test_participant_is_joined_only_for_a_profile_field():
    triage = from_args(EVERYTHING, TRIAGE_FIELDS)
    assert "participant" not in sql(triage)  # triage's counts and pages stay on its index
    assert "join participant" in sql(ObservationFilter(genders=("woman",)))
    assert "join participant" in sql(ObservationFilter(age_bands=("18_24",)))
    assert "hidden_at is null" in sql(ObservationFilter())
    assert "hidden_at" not in sql(ObservationFilter(hidden="include"))


def _walk(project_id: int, kind: str) -> Walk:
    walk = Walk(
        project_id=project_id,
        kind=kind,
        audience="mixed",
        title=kind,
        starts_at=datetime(2026, 10, 1, 18, tzinfo=UTC),
        ends_at=datetime(2026, 10, 1, 20, tzinfo=UTC),
        join_code="OF" + secrets.token_hex(3).upper(),
    )
    db.session.add(walk)
    db.session.flush()
    return walk


def test_scope_keeps_the_projects_events_of_the_kinds_asked(app, make_walk):
    walk = make_walk()
    meeting = _walk(walk.project_id, "meeting")
    elsewhere = make_walk()
    ids = sorted((walk.id, meeting.id))
    assert scope(walk.project_id, ObservationFilter()) == ids
    assert scope(walk.project_id, ObservationFilter(kinds=("meeting",))) == [meeting.id]
    assert scope(walk.project_id, ObservationFilter(walk_ids=(walk.id, elsewhere.id))) == [walk.id]
    narrowed = ObservationFilter(walk_ids=(walk.id,), kinds=("meeting",))
    assert scope(walk.project_id, narrowed) == []
