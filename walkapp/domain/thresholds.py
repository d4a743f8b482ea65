"""The numbers DESIGN.md fixes for analysis. Change one only with the reason written here.

Maps, hotspots, indicators and exports all read this module, so a figure never means one
thing on a page and another in a tender file.
"""

from __future__ import annotations

# Heat weight of a spot by its feeling (1 very unsafe .. 5 safe): only negative perceptions
# heat the map, the most severe twice as much as the merely uncomfortable.
HEAT_WEIGHTS: dict[int, float] = {1: 1.0, 2: 0.5, 3: 0.0, 4: 0.0, 5: 0.0}

# A hotspot needs this many distinct participants; each participant counts once per cell, so one
# person tagging the same corner thirty times never makes a hotspot alone.
MIN_HOTSPOT_PARTICIPANTS = 3

# Any rate, mean or index over fewer people than this is shown as "not enough answers": below it
# a figure is noise, and with a handful of people it can point at someone.
MIN_PEOPLE_FOR_FIGURE = 5


def heat_weight(feeling: int) -> float:
    """Weight of a spot of this feeling in the heat map of negative perceptions."""
    return HEAT_WEIGHTS[feeling]


def enough_people(n: int) -> bool:
    """Whether a figure over n people may be shown as a number."""
    return n >= MIN_PEOPLE_FOR_FIGURE
