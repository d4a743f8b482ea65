"""Property-based tests of the observation validator: strict JSON, nothing coerced."""

from __future__ import annotations

import json
import uuid
from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from walkapp.api.schemas import ObservationIn, ObservationPatch
from walkapp.api.spec import parse_json
from walkapp.domain.vocabularies import CATEGORIES, CRITERIA
from walkapp.services.errors import Invalid, ServiceError

offsets = st.sampled_from(["Z", "+00:00", "+01:00", "+02:00", "-05:00", "+05:30"])
instants = st.builds(
    lambda d, off: d.strftime("%Y-%m-%dT%H:%M:%S") + off,
    st.datetimes(
        min_value=datetime(2000, 1, 2),
        max_value=datetime(2100, 12, 30),
    ),
    offsets,
)
finite = {"allow_nan": False, "allow_infinity": False}
C0_REFUSED = "".join(chr(c) for c in range(0x20) if chr(c) not in "\t\n\r")
valid_bodies = st.fixed_dictionaries(
    {
        "id": st.uuids().map(str),
        "lat": st.floats(-90, 90, **finite),
        "lon": st.floats(-180, 180, **finite),
        "recorded_at": instants,
        "category": st.sampled_from(CATEGORIES.codes),
        "feeling": st.integers(1, 5),
    },
    optional={
        "accuracy_m": st.none() | st.floats(0, 100_000, **finite),
        "ratings": st.none() | st.dictionaries(st.sampled_from(CRITERIA.codes), st.integers(0, 3)),
        "stop_id": st.none() | st.integers(1, 2**31),
        "comment": st.none()
        | st.text(
            # C0 control characters are refused, but tab, newline and CR (domain.rules).
            st.characters(blacklist_categories=["Cs"], blacklist_characters=C0_REFUSED),
            max_size=2000,
        ),
    },
)


def parse(body) -> ObservationIn:
    return parse_json(json.dumps(body).encode(), ObservationIn)


@given(valid_bodies)
def test_every_valid_body_is_accepted_as_is(body):
    parsed = parse(body)
    assert str(parsed.id) == body["id"]
    assert parsed.lat == body["lat"] and parsed.feeling == body["feeling"]
    assert parsed.recorded_at.tzinfo is not None
    assert parsed.comment == body.get("comment")


wrong_types = {
    "id": [12, None, "not-a-uuid", ["x"]],
    "lat": ["50.3", None, True, {"v": 1}],
    "lon": ["3.5", False, []],
    "recorded_at": [1700000000, "2026-11-22T21:30:00", "2026-11-22", "yesterday", None],
    "category": ["Lighting", "", 3, None, "unknown"],
    "feeling": [2.0, "2", True, 0, 6, None],
    "accuracy_m": ["10", -1, 1e9],
    "ratings": [[], {"lighting": 4}, {"lighting": "2"}, {"sunshine": 1}, {"lighting": 1.5}],
    "stop_id": ["3", 3.5, True],
    "comment": [12, ["a"], "x" * 2001, "nul\x00byte", "bell\x07"],
}


@given(body=valid_bodies, data=st.data())
@pytest.mark.parametrize("field", sorted(wrong_types))
def test_a_wrong_value_fails_on_that_field(field, body, data):
    bad = data.draw(st.sampled_from(wrong_types[field]))
    with pytest.raises(Invalid) as exc:
        parse({**body, field: bad})
    assert any(name == field or name.startswith(field + ".") for name in exc.value.codes)


@given(
    body=valid_bodies,
    key=st.text(min_size=1, max_size=20).filter(lambda k: k not in ObservationIn.model_fields),
)
def test_unknown_fields_are_refused(body, key):
    with pytest.raises(Invalid) as exc:
        parse({**body, key: 1})
    assert exc.value.codes[key] == "extra_forbidden"


@given(
    body=valid_bodies,
    missing=st.sampled_from(["id", "lat", "lon", "recorded_at", "category", "feeling"]),
)
def test_required_fields(body, missing):
    body.pop(missing)
    with pytest.raises(Invalid) as exc:
        parse(body)
    assert missing in exc.value.codes


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_not_json(token):
    raw = json.dumps({"id": str(uuid.uuid4()), "lat": 1.0}).replace("1.0", token).encode()
    with pytest.raises(ServiceError):
        parse_json(raw, ObservationIn)


def test_huge_exponent_is_a_validation_error():
    raw = b'{"lat": 1e400}'
    with pytest.raises(Invalid) as exc:
        parse_json(raw, ObservationIn)
    assert "lat" in exc.value.codes


@given(st.binary(max_size=200))
def test_any_bytes_give_400_or_422_never_a_crash(raw):
    with pytest.raises(ServiceError):
        parse_json(raw, ObservationIn)


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=5),
        lambda inner: (
            st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
        ),
    )
)
def test_any_json_value_gives_422_unless_valid(value):
    with pytest.raises(Invalid):
        parse(value)


def test_patch_accepts_a_subset_and_refuses_null_for_required_fields():
    assert parse_json(b'{"feeling": 4}', ObservationPatch).model_fields_set == {"feeling"}
    with pytest.raises(Invalid) as exc:
        parse_json(b'{"lat": null}', ObservationPatch)
    assert "lat" in exc.value.codes
    with pytest.raises(Invalid):
        parse_json(b'{"id": "6f1c2b9e-2a5b-4c4e-9a3e-3d2f1e0a9b8c"}', ObservationPatch)
