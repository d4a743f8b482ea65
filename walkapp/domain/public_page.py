"""What a project's residents' page may show, computed from plain rows: no Flask, no database.

The page is public and shared (a QR code on street furniture, the authority's site), so it shows
places, never people: the spots are gathered into map hexagons (cells.MAP_RESOLUTION), and a
hexagon is shown only when at least k distinct participants made at least k reports in it
(DESIGN.md: k = 5 by default, WALKAPP_PUBLIC_MIN_COUNT). Both, because either alone can point
at someone: one person tagging a corner thirty times is k reports of one participant, and k
people with one report each in a cell of k reports is fine, but k-1 people are not.

Inside a shown hexagon, every figure is over its k people or more:

- the number of reports and of participants;
- the mean feeling, as the mean of each participant's own mean (one person with many spots
  weighs as one person, not as her number of spots), and only over 5 people or more;
- the count of a category only if it has k reports by k distinct participants in that cell —
  harassment included: a harassment report is counted in the hexagon's total, and named only
  where k people reported harassment there.

No spot's position is ever given: only the hexagons' outlines (and the project's perimeter).
The snapshot is a plain JSON-able dict (SNAPSHOT_VERSION), stored as published.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from . import cells
from .maps import PRECISION, feeling_colour
from .thresholds import enough_people

# The shape of the stored snapshot: a page renders the versions it knows.
SNAPSHOT_VERSION = 1
DEFAULT_MIN_COUNT = 5
# Below this k, a hexagon could be one person's (config.parse_min_count refuses it too).
SMALLEST_MIN_COUNT = 2
HARASSMENT = "harassment"
# A contact typed at publication (an address, a phone number, a web page): one short paragraph.
CONTACT_MAX_LENGTH = 500
NO_MEAN_COLOUR = "#7f7f7f"  # a hexagon of fewer than 5 people (k set lower): no mean feeling


@dataclass(frozen=True)
class Report:
    """A visible spot, as the page may count it."""

    lat: float
    lon: float
    participant_id: int
    category: str
    feeling: int


@dataclass(frozen=True)
class Quote:
    """A comment the planner chose for the tender annex, as the page may show it."""

    category: str
    text: str


def outline(cell: str) -> list[list[float]]:
    """The hexagon as a closed GeoJSON ring: [lon, lat] corners, counter-clockwise (RFC 7946)."""
    corners = [[round(lon, PRECISION), round(lat, PRECISION)] for lat, lon in cells.boundary(cell)]
    if _signed_area(corners) < 0:
        corners.reverse()
    return [*corners, corners[0]]


def _signed_area(ring: Sequence[Sequence[float]]) -> float:
    return sum(
        x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(ring, [*ring[1:], ring[0]], strict=True)
    )


def _mean_of_means(feelings: dict[int, list[int]]) -> float:
    means = [sum(values) / len(values) for values in feelings.values()]
    return sum(means) / len(means)


def public_cells(reports: Iterable[Report], k: int) -> tuple[list[dict], int]:
    """The hexagons the page may show (sorted by cell), and how many reports were left out
    (in hexagons under the k rule)."""
    if k < SMALLEST_MIN_COUNT:
        raise ValueError(f"k must be at least {SMALLEST_MIN_COUNT}")
    # cell -> participant -> feelings; cell -> category -> participant -> count
    feelings: defaultdict[str, defaultdict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
    categories: defaultdict[str, defaultdict[str, defaultdict[int, int]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(int))
    )
    for r in reports:
        cell = cells.cell_of(r.lat, r.lon, cells.MAP_RESOLUTION)
        feelings[cell][r.participant_id].append(r.feeling)
        categories[cell][r.category][r.participant_id] += 1
    shown, left_out = [], 0
    for cell in sorted(feelings):
        people = feelings[cell]
        count = sum(len(values) for values in people.values())
        if len(people) < k or count < k:
            left_out += count
            continue
        # DESIGN.md: no mean over fewer than 5 people, even where k is set lower.
        mean = _mean_of_means(people) if enough_people(len(people)) else None
        named = {
            code: sum(by_person.values())
            for code, by_person in sorted(categories[cell].items())
            if len(by_person) >= k and sum(by_person.values()) >= k
        }
        shown.append(
            {
                "outline": outline(cell),
                "reports": count,
                "participants": len(people),
                "mean_feeling": None if mean is None else round(mean, 1),
                "colour": NO_MEAN_COLOUR if mean is None else feeling_colour(mean),
                "categories": named,
            }
        )
    return shown, left_out


def report_figures(reports: Sequence[Report], k: int) -> dict:
    """The project's own counts of reports: every visible spot, the people who made them, and
    harassment reports only when k people or more made k or more (else None: not shown)."""
    harassment = [r for r in reports if r.category == HARASSMENT]
    reporting = {r.participant_id for r in harassment}
    return {
        "reports": len(reports),
        "participants": len({r.participant_id for r in reports}),
        "harassment_reports": (
            len(harassment) if len(reporting) >= k and len(harassment) >= k else None
        ),
    }


def public_quotes(quotes: Iterable[Quote]) -> list[dict]:
    """The chosen comments the page may show: never a harassment report's, never an empty one."""
    return [
        {"category": q.category, "text": q.text.strip()}
        for q in quotes
        if q.category != HARASSMENT and q.text and q.text.strip()
    ]


def map_part(reports: Sequence[Report], k: int) -> dict:
    """The part of the snapshot drawn from the spots: hexagons and the report counts."""
    shown, left_out = public_cells(reports, k)
    return {"cells": shown, "left_out_reports": left_out, **report_figures(reports, k)}


def snapshot(
    *,
    project: dict,
    reports: Sequence[Report],
    k: int,
    walks: dict,
    findings: Sequence[dict],
    contact: str,
    perimeter: dict | None,
) -> dict:
    """The page as stored: `project` {"name", "commune"}, `walks` {"held", "with_women"},
    `findings` [{"title", "recommendation", "quotes": [Quote...]}] in their order."""
    part = map_part(reports, k)
    return {
        "version": SNAPSHOT_VERSION,
        "k": k,
        "project": {"name": project.get("name", ""), "commune": project.get("commune", "")},
        "figures": {
            "walks_held": walks.get("held", 0),
            "walks_with_women": walks.get("with_women", 0),
            "participants": part["participants"],
            "reports": part["reports"],
            "harassment_reports": part["harassment_reports"],
            "findings": len(findings),
        },
        "cells": part["cells"],
        "left_out_reports": part["left_out_reports"],
        "perimeter": perimeter,
        "findings": [
            {
                "title": f["title"],
                "recommendation": f["recommendation"],
                "quotes": public_quotes(f.get("quotes", ())),
            }
            for f in findings
        ],
        "contact": contact.strip(),
    }


def without_erased(
    published: dict, reports: Sequence[Report], quotes: Sequence[Sequence[Quote]]
) -> dict:
    """The published snapshot rebuilt after an erasure: the spots' part from the `reports` left
    (the published selection minus what was erased), each finding's quotes from those left
    (`quotes`, in the findings' order); everything else (the planner's texts, the walks, the
    contact) as published."""
    k = published["k"]
    part = map_part(reports, k)
    findings = [
        {**finding, "quotes": public_quotes(quotes[i] if i < len(quotes) else ())}
        for i, finding in enumerate(published["findings"])
    ]
    figures = {
        **published["figures"],
        "participants": part["participants"],
        "reports": part["reports"],
        "harassment_reports": part["harassment_reports"],
    }
    return {
        **published,
        "figures": figures,
        "cells": part["cells"],
        "left_out_reports": part["left_out_reports"],
        "findings": findings,
    }


def feature_collection(published: dict) -> dict:
    """The hexagons as GeoJSON, for the page's map (the figures in properties, no text typed by
    anyone)."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": [cell["outline"]]},
                "properties": {
                    "reports": cell["reports"],
                    "participants": cell["participants"],
                    "mean_feeling": cell["mean_feeling"],
                    "colour": cell["colour"],
                },
            }
            for cell in published.get("cells", ())
        ],
    }
