"""Time slots in the project's time zone (walkapp.domain.timeslots)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from walkapp.domain.light import light_condition
from walkapp.domain.timeslots import local_time, time_slot
from walkapp.domain.vocabularies import TIME_SLOTS

PARIS = ZoneInfo("Europe/Paris")
VALENCIENNES = (50.3570, 3.5235)


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


@pytest.mark.parametrize(
    ("local", "light", "expected"),
    [
        # Weekday (Monday 2026-12-21), December: dark from about 17:20.
        (paris(2026, 12, 21, 18, 30), "night", "weekday_evening"),  # after dusk
        (paris(2026, 12, 21, 17, 0), "twilight", "weekday_evening"),  # dusk in the afternoon
        (paris(2026, 12, 21, 15, 0), "day", "weekday_day"),
        (paris(2026, 12, 21, 7, 0), "night", "weekday_day"),  # dark winter morning: going to work
        (paris(2026, 12, 21, 5, 59), "night", "weekday_evening"),
        (paris(2026, 12, 21, 6, 0), "night", "weekday_day"),
        (paris(2026, 12, 21, 11, 59), "twilight", "weekday_day"),
        (paris(2026, 12, 21, 12, 0), "twilight", "weekday_evening"),
        (paris(2026, 12, 22, 2, 0), "night", "weekday_evening"),  # small hours
        # Weekday in June: daylight until 22:00, but 19:00 is the evening.
        (paris(2026, 6, 22, 18, 59), "day", "weekday_day"),
        (paris(2026, 6, 22, 19, 0), "day", "weekday_evening"),
        (paris(2026, 6, 26, 23, 30), "night", "weekday_evening"),  # Friday night
        # Weekend.
        (paris(2026, 12, 19, 14, 0), "day", "weekend_day"),  # Saturday afternoon
        (paris(2026, 12, 19, 17, 30), "night", "weekend_evening"),  # Saturday after dusk
        (paris(2026, 6, 21, 20, 0), "day", "weekend_evening"),  # Sunday June, still day: 19:00 rule
        (paris(2026, 6, 21, 10, 0), "day", "weekend_day"),  # Sunday morning
        (paris(2026, 6, 20, 2, 0), "night", "weekend_evening"),  # Saturday 02:00
        (paris(2026, 6, 22, 2, 0), "night", "weekday_evening"),  # Monday 02:00
        (paris(2026, 12, 20, 7, 0), "night", "weekend_day"),  # Sunday dark morning
    ],
)
def test_time_slot_table(local: datetime, light: str, expected: str) -> None:
    assert time_slot(local, light) == expected
    assert expected in TIME_SLOTS.codes


@pytest.mark.parametrize(
    ("utc", "expected_local", "expected_slot"),
    [
        # Spring forward: Sunday 2026-03-29, 02:00 CET -> 03:00 CEST at 01:00 UTC.
        (datetime(2026, 3, 29, 0, 30, tzinfo=UTC), "2026-03-29T01:30:00+01:00", "weekend_evening"),
        (datetime(2026, 3, 29, 1, 30, tzinfo=UTC), "2026-03-29T03:30:00+02:00", "weekend_evening"),
        (datetime(2026, 3, 29, 4, 0, tzinfo=UTC), "2026-03-29T06:00:00+02:00", "weekend_day"),
        (datetime(2026, 3, 29, 16, 59, tzinfo=UTC), "2026-03-29T18:59:00+02:00", "weekend_day"),
        (datetime(2026, 3, 29, 17, 0, tzinfo=UTC), "2026-03-29T19:00:00+02:00", "weekend_evening"),
        # Fall back: Sunday 2026-10-25, 03:00 CEST -> 02:00 CET at 01:00 UTC; 02:30 twice.
        (datetime(2026, 10, 25, 0, 30, tzinfo=UTC), "2026-10-25T02:30:00+02:00", "weekend_evening"),
        (datetime(2026, 10, 25, 1, 30, tzinfo=UTC), "2026-10-25T02:30:00+01:00", "weekend_evening"),
        (datetime(2026, 10, 25, 5, 0, tzinfo=UTC), "2026-10-25T06:00:00+01:00", "weekend_day"),
        (
            datetime(2026, 10, 25, 17, 59, tzinfo=UTC),
            "2026-10-25T18:59:00+01:00",
            "weekend_evening",
        ),
        # The Monday after: dark at 07:00 local, still a working day.
        (datetime(2026, 10, 26, 6, 0, tzinfo=UTC), "2026-10-26T07:00:00+01:00", "weekday_day"),
        (datetime(2026, 10, 26, 15, 30, tzinfo=UTC), "2026-10-26T16:30:00+01:00", "weekday_day"),
        (datetime(2026, 10, 26, 17, 0, tzinfo=UTC), "2026-10-26T18:00:00+01:00", "weekday_evening"),
    ],
)
def test_dst_days_in_paris(utc: datetime, expected_local: str, expected_slot: str) -> None:
    local = local_time(utc, "Europe/Paris")
    assert local.isoformat() == expected_local
    light = light_condition(*VALENCIENNES, utc)
    assert time_slot(local, light) == expected_slot


def test_local_time_keeps_the_instant() -> None:
    utc = datetime(2026, 7, 14, 20, 0, tzinfo=UTC)
    local = local_time(utc, "Europe/Paris")
    assert local == utc
    assert (local.hour, local.utcoffset().total_seconds()) == (22, 7200)
    assert local_time(utc, "America/Montreal").hour == 16


@pytest.mark.parametrize(
    "name", ["Nowhere/City", "Europe/Paris ", "", "Europe", "../etc/passwd", "/etc/localtime"]
)
def test_unknown_time_zone_raises(name: str) -> None:
    with pytest.raises(ValueError, match="unknown time zone"):
        local_time(datetime(2026, 1, 1, tzinfo=UTC), name)


def test_naive_datetimes_raise() -> None:
    with pytest.raises(ValueError):
        local_time(datetime(2026, 1, 1, 12, 0), "Europe/Paris")
    with pytest.raises(ValueError):
        time_slot(datetime(2026, 1, 1, 12, 0), "day")


def test_unknown_light_raises() -> None:
    with pytest.raises(ValueError, match="light"):
        time_slot(paris(2026, 1, 1, 12, 0), "dusk")
