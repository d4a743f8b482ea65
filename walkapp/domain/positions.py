"""Where a spot's position came from, and the positions that are no one's.

Every spot records its `position_source` (vocabularies.POSITION_SOURCES): `gps` (with its
accuracy), `pin` (placed by hand), `stop` (the stop where she stands) or `unknown` (an app that
does not say, rows stored before it was recorded). DESIGN: a position always comes from
someone, never from a default.

The participant app before issue 10 did put a default: a spot tagged before the phone had a
position was sent at the walk's "centre" with no accuracy. That centre was the mean of the
corners of the perimeter's first outline (not its centre of mass), or the walk's first stop when
the project had no perimeter, or (0, 0) when it had neither. Such a spot sits *exactly* there,
to the last digit, while a real position (a GPS fix, a pin dragged by a finger) never does: a
spot of unknown source at one of these places, without accuracy, is flagged `position_suspect`
(migration 0010 for the rows before it; the capture service for old apps still in use). Both
centres are checked — the corners' mean the old app computed, and geo.centroid, the centre of
mass (which is what planners call the perimeter's centre) — to within OLD_DEFAULT_TOLERANCE.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from contextlib import suppress
from typing import Any

from .geo import centroid

# Degrees: about a centimetre. The old app sent its centre's full float, the database keeps it.
OLD_DEFAULT_TOLERANCE = 1e-7

Place = tuple[float, float]  # (lat, lon)


def _corners_mean(perimeter: Mapping[str, Any]) -> Place | None:
    """The old app's `walkCentre()`: the mean of the first outline's corners (closing one left
    out), in the order the app read them."""
    coordinates = perimeter.get("coordinates") or []
    try:
        ring = coordinates[0][0] if perimeter.get("type") == "MultiPolygon" else coordinates[0]
        corners = ring[:-1]
        lon = sum(float(p[0]) for p in corners) / len(corners)
        lat = sum(float(p[1]) for p in corners) / len(corners)
    except (IndexError, TypeError, ValueError, ZeroDivisionError):
        return None
    return lat, lon


def old_app_defaults(perimeter: Mapping[str, Any] | None, first_stop: Place | None) -> list[Place]:
    """Where the old app put a spot it had no position for, for a walk of this project."""
    places: list[Place] = []
    if perimeter:
        corners = _corners_mean(perimeter)
        if corners is not None:
            places.append(corners)
        # Not a shape shapely reads: the corners' mean is what the app used anyway.
        with suppress(ValueError, TypeError, KeyError, AttributeError):
            places.append(centroid(perimeter))
    elif first_stop is not None:
        places.append(first_stop)
    places.append((0.0, 0.0))
    return places


def at_old_default(
    lat: float, lon: float, accuracy_m: float | None, places: Iterable[Place]
) -> bool:
    """Whether a spot sits on one of the old app's defaults: exactly there, with no accuracy."""
    if accuracy_m is not None:
        return False
    return any(
        abs(lat - p_lat) <= OLD_DEFAULT_TOLERANCE and abs(lon - p_lon) <= OLD_DEFAULT_TOLERANCE
        for p_lat, p_lon in places
    )
