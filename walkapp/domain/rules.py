"""The validation rules of a spot, each written once: the API schemas, the planner's forms and
the services all read them from here."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from .vocabularies import FEELING_MAX, FEELING_MIN

LAT_MIN, LAT_MAX = -90.0, 90.0  # WGS84 degrees
LON_MIN, LON_MAX = -180.0, 180.0
COMMENT_MAX_LENGTH = 2000  # a spot's comment, typed on a phone or transcribed from paper
# A spot recorded more than this ahead of the server clock comes from a broken phone clock.
MAX_FUTURE = timedelta(days=1)
# A join that waited in a phone's outbox (no signal at the meeting point) says when she agreed,
# `consent_at`: not more than MAX_FUTURE ahead of the server clock, and not more than this before
# the walk starts (a walk opens at its meeting point; a day covers an early opening and a phone
# clock somewhat wrong).
CONSENT_BEFORE_START = timedelta(days=1)
# Dates typed in a form or sent by a phone: outside these years, a slip or a broken clock (and
# near the years 1 and 9999 the change to UTC overflows).
YEAR_MIN, YEAR_MAX = 2000, 2100


def valid_position(lat: float | None, lon: float | None) -> bool:
    """WGS84 degrees: finite, latitude -90..90, longitude -180..180."""
    if lat is None or lon is None or not (math.isfinite(lat) and math.isfinite(lon)):
        return False
    return LAT_MIN <= lat <= LAT_MAX and LON_MIN <= lon <= LON_MAX


def plausible_year(moment: datetime | None) -> bool:
    """A date or time between the years YEAR_MIN and YEAR_MAX."""
    return moment is not None and YEAR_MIN <= moment.year <= YEAR_MAX


def valid_latitude(lat: float | None) -> bool:
    return lat is not None and math.isfinite(lat) and LAT_MIN <= lat <= LAT_MAX


def valid_longitude(lon: float | None) -> bool:
    return lon is not None and math.isfinite(lon) and LON_MIN <= lon <= LON_MAX


def position_source_problem(
    source: str, accuracy_m: float | None, stop_id: int | None
) -> tuple[str, str] | None:
    """(field, code) of what a spot's position source lacks, None if nothing: `gps` comes with
    its accuracy (the phone always has one), `stop` names its stop. `pin` and `unknown` need
    nothing (a pin may keep the accuracy of the fix it was moved from)."""
    if source == "gps" and accuracy_m is None:
        return "accuracy_m", "accuracy_required"
    if source == "stop" and stop_id is None:
        return "stop_id", "stop_required"
    return None


def valid_feeling(feeling: int) -> bool:
    return FEELING_MIN <= feeling <= FEELING_MAX


def too_far_ahead(recorded_at: datetime, now: datetime) -> bool:
    """Recorded more than MAX_FUTURE after `now` (both aware)."""
    return recorded_at > now + MAX_FUTURE


def consent_time_problem(consent_at: datetime, now: datetime, starts_at: datetime) -> str | None:
    """The refusal code of a join's consent time (all aware), None if it is plausible."""
    if too_far_ahead(consent_at, now):
        return "in_future"
    if consent_at < starts_at - CONSENT_BEFORE_START:
        return "consent_too_early"
    return None


def has_control_characters(text: str | None, *, allowed: str = "\t\n\r") -> bool:
    """A C0 control character (U+0000 to U+001F) not in `allowed`. A text field allows tab,
    newline and carriage return (browsers send a textarea's line breaks as CR LF); any other,
    NUL first (PostgreSQL refuses it), is refused. A URL allows none (allowed="")."""
    return bool(text) and any(c < " " and c not in allowed for c in text)
