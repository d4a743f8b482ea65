"""Light condition from the sun's elevation (walkapp.domain.light)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import astral
import astral.sun
import pytest
from hypothesis import given
from hypothesis import strategies as st

from walkapp.domain.light import (
    CIVIL_DUSK_ELEVATION,
    SUNRISE_ELEVATION,
    light_condition,
    sun_elevation,
)
from walkapp.domain.vocabularies import LIGHT_CONDITIONS

VALENCIENNES = (50.3570, 3.5235)
PARIS = ZoneInfo("Europe/Paris")
MIN = timedelta(minutes=1)

# Published figures for Valenciennes (sunset, end of civil twilight), in UTC:
# 2026-12-21 sunset 16:42 CET, civil dusk 17:22 CET; 2026-06-21 sunset 22:00 CEST, civil dusk
# 22:45 CEST. astral (NOAA equations) gives 15:44:08 / 16:23:49 and 20:00:22 / 20:46:37 UTC.
PUBLISHED = {
    date(2026, 12, 21): (
        datetime(2026, 12, 21, 15, 42, tzinfo=UTC),
        datetime(2026, 12, 21, 16, 22, tzinfo=UTC),
    ),
    date(2026, 6, 21): (
        datetime(2026, 6, 21, 20, 0, tzinfo=UTC),
        datetime(2026, 6, 21, 20, 45, tzinfo=UTC),
    ),
}
TOLERANCE = 3 * MIN


def astral_times(day: date) -> dict[str, datetime]:
    lat, lon = VALENCIENNES
    return astral.sun.sun(astral.Observer(latitude=lat, longitude=lon), day, tzinfo=UTC)


@pytest.mark.parametrize("day", sorted(PUBLISHED))
def test_astral_agrees_with_published_times(day: date) -> None:
    sunset, dusk = PUBLISHED[day]
    times = astral_times(day)
    assert abs(times["sunset"] - sunset) <= TOLERANCE
    assert abs(times["dusk"] - dusk) <= TOLERANCE


@pytest.mark.parametrize("day", sorted(PUBLISHED))
@pytest.mark.parametrize(
    ("event", "offset", "expected"),
    [
        ("sunset", -10 * MIN, "day"),
        ("sunset", -2 * MIN, "day"),
        ("sunset", 2 * MIN, "twilight"),
        ("sunset", 10 * MIN, "twilight"),
        ("dusk", -10 * MIN, "twilight"),
        ("dusk", -2 * MIN, "twilight"),
        ("dusk", 2 * MIN, "night"),
        ("dusk", 10 * MIN, "night"),
        ("sunrise", -10 * MIN, "twilight"),
        ("sunrise", 10 * MIN, "day"),
        ("dawn", -10 * MIN, "night"),
        ("dawn", 10 * MIN, "twilight"),
        ("noon", 0 * MIN, "day"),
    ],
)
def test_around_astral_events(day: date, event: str, offset: timedelta, expected: str) -> None:
    when = astral_times(day)[event] + offset
    assert light_condition(*VALENCIENNES, when) == expected


@pytest.mark.parametrize("day", sorted(PUBLISHED))
def test_around_published_times(day: date) -> None:
    sunset, dusk = PUBLISHED[day]
    assert light_condition(*VALENCIENNES, sunset - 10 * MIN) == "day"
    assert light_condition(*VALENCIENNES, sunset + 10 * MIN) == "twilight"
    assert light_condition(*VALENCIENNES, dusk + 10 * MIN) == "night"


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        (datetime(2026, 12, 21, 12, 0, tzinfo=PARIS), "day"),
        (datetime(2026, 12, 21, 0, 0, tzinfo=PARIS), "night"),
        (datetime(2026, 6, 21, 12, 0, tzinfo=PARIS), "day"),
        (datetime(2026, 6, 21, 0, 0, tzinfo=PARIS), "night"),
        (datetime(2026, 12, 21, 18, 30, tzinfo=PARIS), "night"),
        (datetime(2026, 6, 21, 21, 30, tzinfo=PARIS), "day"),
    ],
)
def test_noon_and_midnight(local: datetime, expected: str) -> None:
    assert light_condition(*VALENCIENNES, local) == expected


def test_any_offset_gives_the_same_instant() -> None:
    utc = datetime(2026, 12, 21, 15, 50, tzinfo=UTC)
    paris = utc.astimezone(PARIS)
    assert sun_elevation(*VALENCIENNES, paris) == pytest.approx(sun_elevation(*VALENCIENNES, utc))
    assert light_condition(*VALENCIENNES, paris) == light_condition(*VALENCIENNES, utc)


def test_elevation_at_astral_sunset_is_the_standard_altitude() -> None:
    # Geometric elevation (no refraction added): astral's sunset is where it crosses -0.833.
    times = astral_times(date(2026, 12, 21))
    assert sun_elevation(*VALENCIENNES, times["sunset"]) == pytest.approx(
        SUNRISE_ELEVATION, abs=0.1
    )
    assert sun_elevation(*VALENCIENNES, times["dusk"]) == pytest.approx(
        CIVIL_DUSK_ELEVATION, abs=0.1
    )


def test_naive_datetime_raises() -> None:
    with pytest.raises(ValueError, match="naive"):
        light_condition(*VALENCIENNES, datetime(2026, 12, 21, 12, 0))
    with pytest.raises(ValueError, match="naive"):
        sun_elevation(*VALENCIENNES, datetime(2026, 12, 21, 12, 0))


@pytest.mark.parametrize(
    ("lat", "lon"), [(91.0, 0.0), (-90.5, 0.0), (0.0, 181.0), (float("nan"), 0.0)]
)
def test_out_of_range_coordinates_raise(lat: float, lon: float) -> None:
    with pytest.raises(ValueError):
        light_condition(lat, lon, datetime(2026, 1, 1, tzinfo=UTC))


@pytest.mark.parametrize(
    ("lat", "lon", "when", "expected"),
    [
        # Tromsø: midnight sun in June, polar night (only twilight at noon) in December.
        (69.65, 18.96, datetime(2026, 6, 21, 0, 0, tzinfo=UTC), "day"),
        (69.65, 18.96, datetime(2026, 12, 21, 10, 45, tzinfo=UTC), "twilight"),
        # Longyearbyen: deep polar night, no twilight at noon.
        (78.22, 15.65, datetime(2026, 12, 21, 11, 0, tzinfo=UTC), "night"),
        (78.22, 15.65, datetime(2100, 6, 21, 23, 0, tzinfo=UTC), "day"),
        # The poles themselves, and the South Pole's summer.
        (90.0, 0.0, datetime(2000, 1, 1, tzinfo=UTC), "night"),
        (-90.0, 0.0, datetime(2000, 1, 1, tzinfo=UTC), "day"),
        (-90.0, 0.0, datetime(2100, 6, 21, 12, 0, tzinfo=UTC), "night"),
    ],
)
def test_high_latitudes(lat: float, lon: float, when: datetime, expected: str) -> None:
    assert light_condition(lat, lon, when) == expected


@given(
    lat=st.floats(-90, 90),
    lon=st.floats(-180, 180),
    when=st.datetimes(
        min_value=datetime(2000, 1, 1),
        max_value=datetime(2100, 12, 31, 23, 59),
        timezones=st.just(UTC),
    ),
)
def test_defined_everywhere_2000_to_2100(lat: float, lon: float, when: datetime) -> None:
    elevation = sun_elevation(lat, lon, when)
    assert -90.0 <= elevation <= 90.0
    assert light_condition(lat, lon, when) in LIGHT_CONDITIONS.codes
