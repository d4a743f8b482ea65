"""Time slot of an observation, in the project's time zone.

Computed once, at write time, and stored (SQLite has no time zones). Codes come from
`vocabularies.TIME_SLOTS`.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from walkapp.domain.vocabularies import LIGHT_CONDITIONS

# Local hours that bound the evening (DESIGN.md: "after 19:00 or after dusk").
EVENING_FROM_HOUR = 19
# Before this hour it is still the evening (the night out) of the day before...
MORNING_FROM_HOUR = 6
# ...and darkness only makes it evening from this hour on: a dark winter morning at 07:00 is
# people going to work (day), a dark 17:30 in December is the evening.
AFTERNOON_FROM_HOUR = 12

SATURDAY = 5  # datetime.weekday(): Monday is 0, Saturday 5, Sunday 6


def _is_evening(hour: int, light: str) -> bool:
    if hour >= EVENING_FROM_HOUR or hour < MORNING_FROM_HOUR:
        return True
    return light != "day" and hour >= AFTERNOON_FROM_HOUR


def time_slot(local: datetime, light: str) -> str:
    """weekday_day, weekday_evening, weekend_day or weekend_evening.

    `local` is an aware datetime already in the project's time zone (see `local_time`); its
    wall-clock hour and day of week are what count. `light` is the light condition at that
    instant and place ("day", "twilight", "night").

    Evening ("after 19:00 or after dusk") when any of:
      - the local hour is 19:00 or later, whatever the light (a bright June evening is still
        an evening);
      - the local hour is before 06:00 (the small hours);
      - it is not "day" (twilight or night) and the local hour is 12:00 or later: darkness in the
        afternoon counts as evening.
    Otherwise day: in particular from 06:00 to noon whatever the light, so dark winter mornings
    count as day (people going to work or school).

    Weekend is Saturday and Sunday of the local date (so Saturday 02:00 is weekend_evening even
    though it continues Friday night). Public holidays are not weekend.
    """
    if local.tzinfo is None or local.utcoffset() is None:
        raise ValueError("time_slot needs an aware local datetime (see local_time)")
    if light not in LIGHT_CONDITIONS:
        raise ValueError(f"unknown light condition {light!r}")
    week = "weekend" if local.weekday() >= SATURDAY else "weekday"
    part = "evening" if _is_evening(local.hour, light) else "day"
    return f"{week}_{part}"


def local_time(when_utc: datetime, tz_name: str) -> datetime:
    """The same instant as wall-clock time in the IANA zone `tz_name` (e.g. "Europe/Paris").

    `when_utc` must be aware (any offset works; it is usually UTC as stored). Raises
    ValueError for a naive datetime or an unknown zone name.
    """
    if when_utc.tzinfo is None or when_utc.utcoffset() is None:
        raise ValueError("a naive datetime has no instant: give it tzinfo=UTC")
    try:
        zone = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError, OSError, TypeError) as exc:
        # ZoneInfoNotFoundError is a KeyError; malformed keys raise ValueError, a directory
        # name such as "Europe" an OSError.
        raise ValueError(f"unknown time zone {tz_name!r}") from exc
    return when_utc.astimezone(zone)
