"""Hexagonal cells (H3) that maps aggregate into and hotspots are ranked over.

H3 cells of one resolution have nearly equal areas on the ground (the metric question "how
much happens in 50 m around here" has one answer everywhere in a city), and every cell has six
neighbours at the same distance, which is what Getis-Ord Gi* contiguity weights need.
"""

from __future__ import annotations

import h3

# Resolution 11: cells of about 2,150 m2, 25 m edge — a street corner, a bus shelter, the
# entrance of an underpass. Fine enough to point at a place, coarse enough to gather the spots
# a group tags there (GPS on a phone at night is good to 10-20 m).
HOTSPOT_RESOLUTION = 11
# Map hexagons: one step coarser (about 15,000 m2, 65 m edge), readable at city-district zoom.
MAP_RESOLUTION = 10


def cell_of(lat: float, lon: float, resolution: int = HOTSPOT_RESOLUTION) -> str:
    return h3.latlng_to_cell(lat, lon, resolution)


def centre(cell: str) -> tuple[float, float]:
    """(lat, lon) of the cell's centre."""
    return h3.cell_to_latlng(cell)


def boundary(cell: str) -> list[tuple[float, float]]:
    """The cell's corners as (lat, lon)."""
    return list(h3.cell_to_boundary(cell))


def neighbours(cell: str) -> set[str]:
    """The six cells around this one (not the cell itself)."""
    return set(h3.grid_disk(cell, 1)) - {cell}
