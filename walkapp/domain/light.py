"""Light condition of an observation (day / twilight / night) from the sun's position.

Nobody is asked whether it was dark: the condition follows from where and when a spot was
recorded. The sun's elevation comes from astral (NOAA's solar equations, good to about a minute
for any year from 2000 to 2100). astral's elevation is defined everywhere, polar day and polar
night included (unlike its sunrise/sunset functions, which raise when the sun never crosses the
horizon), so the classification never fails at high latitudes.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

import astral
import astral.sun

# The sun's centre is 0.833 degrees below the geometric horizon at the published sunrise and
# sunset: 0.567 degrees of atmospheric refraction plus the sun's 0.267-degree semi-diameter.
# Above it, the sun is (at least partly) up: day.
SUNRISE_ELEVATION = -0.833
# End of civil twilight ("civil dusk"): below -6 degrees the sky is dark enough to need
# street lighting; between this and SUNRISE_ELEVATION the light is twilight.
CIVIL_DUSK_ELEVATION = -6.0

DAY = "day"
TWILIGHT = "twilight"
NIGHT = "night"


def _observer(lat: float, lon: float) -> astral.Observer:
    if not (math.isfinite(lat) and -90.0 <= lat <= 90.0):
        raise ValueError(f"latitude must be between -90 and 90, got {lat!r}")
    if not (math.isfinite(lon) and -180.0 <= lon <= 180.0):
        raise ValueError(f"longitude must be between -180 and 180, got {lon!r}")
    return astral.Observer(latitude=lat, longitude=lon)


def sun_elevation(lat: float, lon: float, when: datetime) -> float:
    """The geometric elevation of the sun's centre, in degrees above the horizon.

    `when` must be aware (a naive datetime raises ValueError: its instant is unknown).
    Refraction is not added: both thresholds above are geometric elevations (refraction is
    already counted in SUNRISE_ELEVATION), so adding it would move sunset by a few minutes.
    """
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError("a naive datetime has no instant: give a time zone or UTC offset")
    observer = _observer(lat, lon)
    # astral handles offsets itself, but UTC is the input its equations are written for.
    return astral.sun.elevation(observer, when.astimezone(UTC), with_refraction=False)


def light_condition(lat: float, lon: float, when: datetime) -> str:
    """ "day", "twilight" or "night" at this place (WGS84 degrees) and aware instant.

    day: elevation above SUNRISE_ELEVATION (between sunrise and sunset);
    twilight: from there down to CIVIL_DUSK_ELEVATION (civil twilight, dawn or dusk);
    night: below CIVIL_DUSK_ELEVATION.
    """
    elevation = sun_elevation(lat, lon, when)
    if elevation > SUNRISE_ELEVATION:
        return DAY
    if elevation >= CIVIL_DUSK_ELEVATION:
        return TWILIGHT
    return NIGHT
