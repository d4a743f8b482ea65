"""Cells of the tabular exports (CSV, XLSX) and their columns, as plain data.

A spreadsheet runs a cell that *starts* with ``=``, ``+``, ``-`` or ``@`` as a formula, and
some also after a tab or a carriage return (OWASP, "CSV injection"): a participant's comment
``=HYPERLINK("http://x","y")`` would become a link in the planner's Excel. Text that a person
typed — comments, event titles, stop names, finding titles — is neutralised by
:func:`neutralise` (a leading apostrophe, the spreadsheets' own "this is text" mark). Numbers
are never text here: a negative longitude is written as a number and stays one.

The columns of each layer (spots, findings, stops, perimeter, zones) are defined once, with their
heading and their definition as English msgids (translated by the exporter, in the export's
language) and the formats they appear in. No Flask here.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, time

from .vocabularies import CRITERIA

# The first characters that make a cell a formula (or hide one after a tab or a line break),
# and their full-width forms, which some spreadsheets read as the same operators.
HOSTILE_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
TEXT_MARK = "'"

# Characters XML 1.0 cannot carry (an XLSX cell would be refused): the C0 controls but tab,
# line feed and carriage return.
XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

YES, NO = "yes", "no"


def N_(text: str) -> str:
    """Marks a msgid for the catalogs without translating it (the exporter translates)."""
    return text


def is_hostile(text: str) -> bool:
    return text.startswith(HOSTILE_PREFIXES)


def neutralise(text: str) -> str:
    """`text` as a spreadsheet shows it and never runs it: with a leading apostrophe when it
    starts like a formula (or with a tab or a line break), as is otherwise."""
    return TEXT_MARK + text if is_hostile(text) else text


def xml_safe(text: str) -> str:
    """`text` without the control characters XML cannot hold (they carry no meaning here)."""
    return XML_ILLEGAL.sub("", text)


def format_number(value: int | float, *, french: bool = False) -> str:
    """A number as a spreadsheet reads it back as a number: "-3.5187", or with the decimal
    comma "-3,5187" for a French spreadsheet. Never a thousands separator."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("not a finite number")
    text = repr(value) if isinstance(value, float) else str(int(value))
    return text.replace(".", ",") if french else text


def csv_cell(value: object, *, french: bool = False) -> str:
    """One CSV cell: nothing for None, yes/no, numbers as numbers, dates in ISO 8601 (which
    spreadsheets read as dates in every language), times as HH:MM, and any text neutralised."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, int | float):
        return format_number(value, french=french)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M")
    return neutralise(str(value))


def slug(text: str, max_length: int = 60) -> str:
    """ASCII words joined by hyphens ("Place du Canada (nuit)" -> "place-du-canada-nuit"),
    safe in a file name and a Content-Disposition header; "" if nothing is left."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    words = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return words[:max_length].rstrip("-")


# --- Columns ---------------------------------------------------------------------------------

GEOJSON, CSV, XLSX = "geojson", "csv", "xlsx"
ALL_FORMATS = frozenset({GEOJSON, CSV, XLSX})
TABLES = frozenset({CSV, XLSX})

# Kinds of value: text (typed by someone: neutralised), code (a vocabulary's: its label goes
# beside it in the tables), integer, number, date, time, flag (yes/no).
TEXT, CODE, INTEGER, NUMBER, DATE, TIME, FLAG = (
    "text",
    "code",
    "integer",
    "number",
    "date",
    "time",
    "flag",
)

SPOTS, FINDINGS, STOPS, PERIMETER = "spots", "findings", "stops", "perimeter"
ZONES = "zones"
LAYERS = (SPOTS, FINDINGS, STOPS, PERIMETER, ZONES)
LAYER_NAMES = {
    SPOTS: N_("Spots"),
    FINDINGS: N_("Findings"),
    STOPS: N_("Stops"),
    PERIMETER: N_("Perimeter"),
    ZONES: N_("Zones"),
}
LABEL_SUFFIX = "_label"


@dataclass(frozen=True)
class Column:
    code: str  # the column's name in CSV and GeoJSON (ASCII, stable)
    heading: str  # msgid: the XLSX heading
    definition: str  # msgid: what it holds (the XLSX's definitions sheet)
    kind: str = TEXT
    vocabulary: str | None = None  # a CODE column's vocabulary: its label column beside it
    formats: frozenset[str] = ALL_FORMATS
    lambert93: bool = False  # only when Lambert-93 coordinates are asked for
    criterion: str | None = None  # a rating column: the criterion's label fills its heading

    @property
    def label_code(self) -> str:
        return self.code + LABEL_SUFFIX


def _position(
    lat: str, lon: str, x: str, y: str, formats: frozenset[str] = TABLES
) -> tuple[Column, ...]:
    """Latitude and longitude (in the tables; a point layer's GeoJSON has them as its
    geometry), and X/Y in Lambert-93 when asked for; the four definitions as msgids."""
    return (
        Column("lat", N_("Latitude"), lat, NUMBER, formats=formats),
        Column("lon", N_("Longitude"), lon, NUMBER, formats=formats),
        Column("x_l93", N_("X (Lambert-93)"), x, NUMBER, formats=TABLES, lambert93=True),
        Column("y_l93", N_("Y (Lambert-93)"), y, NUMBER, formats=TABLES, lambert93=True),
    )


RATINGS = tuple(
    Column(
        f"rating_{term.code}",
        N_("Rating: %(criterion)s"),
        N_("The participant's rating of this criterion of the Safetipin audit, 0 to 3."),
        INTEGER,
        criterion=term.code,
    )
    for term in CRITERIA
)

SPOT_COLUMNS: tuple[Column, ...] = (
    Column(
        "reference",
        N_("Reference"),
        N_("The spot's reference in the project, the same in every export, annex and photo."),
    ),
    Column("event", N_("Event"), N_("The event (walk, survey) the spot was tagged during.")),
    Column("event_kind", N_("Kind of event"), N_("The kind of event."), CODE, "event_kind"),
    Column(
        "local_date", N_("Date"), N_("The day it was tagged, in the project's time zone."), DATE
    ),
    Column(
        "local_time", N_("Time"), N_("The time it was tagged, in the project's time zone."), TIME
    ),
    Column(
        "time_slot", N_("Time slot"), N_("Weekday or weekend, day or evening."), CODE, "time_slot"
    ),
    Column(
        "light_condition",
        N_("Light"),
        N_("Day, twilight or night, from the sun's position at the time and place."),
        CODE,
        "light_condition",
    ),
    Column("category", N_("Category"), N_("What the spot is about."), CODE, "category"),
    Column(
        "feeling",
        N_("Feeling"),
        N_("How the participant felt there: 1 very unsafe to 5 safe and comfortable."),
        CODE,
        "feeling",
    ),
    Column(
        "accuracy_m",
        N_("Accuracy (m)"),
        N_("The phone's accuracy of the position, in metres (GPS positions only)."),
        NUMBER,
    ),
    Column(
        "position_source",
        N_("Position source"),
        N_("Where the position came from: GPS, placed by hand, a stop, or unknown."),
        CODE,
        "position_source",
    ),
    Column(
        "position_suspect",
        N_("Suspect position"),
        N_("Yes when the position is probably not where the spot was tagged (an old app)."),
        FLAG,
    ),
    *RATINGS,
    Column("stop", N_("Stop"), N_("The number of the stop of the route, if any."), INTEGER),
    Column("stop_name", N_("Stop name"), N_("The name of that stop.")),
    Column(
        "zone",
        N_("Zone"),
        N_("The project's zone the spot falls in (on a shared edge: the first zone in order)."),
    ),
    Column(
        "entered_by_facilitator",
        N_("Entered by a facilitator"),
        N_("Yes when a facilitator entered the spot for someone (from paper, without a phone)."),
        FLAG,
    ),
    Column("comment", N_("Comment"), N_("What the participant wrote, as written.")),
    Column(
        "participant",
        N_("Participant"),
        N_(
            "A label (P1, P2...) telling apart the participants within this file only: it"
            " names nobody, and another export may number them otherwise."
        ),
    ),
    Column("photos", N_("Photos"), N_("How many photos the spot has (in the photo ZIP)."), INTEGER),
    *_position(
        N_("The spot's latitude, WGS84 degrees."),
        N_("The spot's longitude, WGS84 degrees (negative west of Greenwich)."),
        N_("The spot's X in Lambert-93 (EPSG:2154), metres."),
        N_("The spot's Y in Lambert-93 (EPSG:2154), metres."),
    ),
)

FINDING_COLUMNS: tuple[Column, ...] = (
    Column(
        "reference",
        N_("Reference"),
        N_("The finding's reference in the project (F and its number)."),
    ),
    Column("title", N_("Title"), N_("The finding's title, as the planner wrote it.")),
    Column(
        "recommendation",
        N_("Recommendation"),
        N_("The planner's recommendation for the works."),
    ),
    Column(
        "method",
        N_("Method"),
        N_("hotspot: a statistically significant place; consensus: at least 3 people felt unsafe."),
    ),
    Column(
        "n_reports", N_("Spots"), N_("How many spots the place had when it was confirmed."), INTEGER
    ),
    Column(
        "n_participants",
        N_("Participants"),
        N_("How many distinct participants tagged those spots."),
        INTEGER,
    ),
    Column(
        "share_night",
        N_("Share at night"),
        N_("The share of those spots tagged at night, 0 to 1."),
        NUMBER,
    ),
    Column(
        "mean_feeling", N_("Mean feeling"), N_("The mean feeling of those spots, 1 to 5."), NUMBER
    ),
    Column(
        "z", N_("z-score"), N_("The Getis-Ord Gi* z-score of the place (hotspots only)."), NUMBER
    ),
    Column(
        "p",
        N_("p-value"),
        N_("The place's p-value by permutation (hotspots only), before correction."),
        NUMBER,
    ),
    Column(
        "top_categories",
        N_("Main categories"),
        N_("The most frequent categories of its spots, most frequent first (codes)."),
    ),
    Column(
        "spots",
        N_("Spot references"),
        N_("The references of its spots still shown (not hidden nor erased)."),
    ),
    Column("area_m2", N_("Area (m²)"), N_("The area of the place, in square metres."), NUMBER),
    Column("confirmed_on", N_("Confirmed on"), N_("The day the planner confirmed it."), DATE),
    *_position(
        N_("The latitude of the place's peak, WGS84 degrees."),
        N_("The longitude of the place's peak, WGS84 degrees."),
        N_("The X of the place's peak in Lambert-93 (EPSG:2154), metres."),
        N_("The Y of the place's peak in Lambert-93 (EPSG:2154), metres."),
        ALL_FORMATS,
    ),
    Column(
        "wkt",
        N_("Geometry (WKT)"),
        N_("The area as Well-Known Text, WGS84 (for GIS tools reading CSV)."),
        formats=frozenset({CSV}),
    ),
)

STOP_COLUMNS: tuple[Column, ...] = (
    Column("event", N_("Event"), N_("The event whose route has the stop.")),
    Column("event_kind", N_("Kind of event"), N_("The kind of event."), CODE, "event_kind"),
    Column("number", N_("Number"), N_("The stop's number on the route."), INTEGER),
    Column("name", N_("Name"), N_("The stop's name.")),
    Column(
        "spots",
        N_("Spots"),
        N_("How many spots of this export were tagged at the stop."),
        INTEGER,
    ),
    *_position(
        N_("The stop's latitude, WGS84 degrees."),
        N_("The stop's longitude, WGS84 degrees."),
        N_("The stop's X in Lambert-93 (EPSG:2154), metres."),
        N_("The stop's Y in Lambert-93 (EPSG:2154), metres."),
    ),
)

PERIMETER_COLUMNS: tuple[Column, ...] = (
    Column("project", N_("Project"), N_("The project's name.")),
    Column("commune", N_("Commune"), N_("The commune.")),
    Column("insee_code", N_("INSEE code"), N_("The commune's INSEE code.")),
    Column("area_m2", N_("Area (m²)"), N_("The perimeter's area, in square metres."), NUMBER),
    Column(
        "wkt",
        N_("Geometry (WKT)"),
        N_("The perimeter as Well-Known Text, WGS84 (for GIS tools reading CSV)."),
        formats=frozenset({CSV}),
    ),
)

ZONE_COLUMNS: tuple[Column, ...] = (
    Column("name", N_("Name"), N_("The zone's name, as the planner wrote it.")),
    Column(
        "order",
        N_("Order"),
        N_("The zone's place in the planner's order: a spot on a shared edge goes to the first."),
        INTEGER,
    ),
    Column("spots", N_("Spots"), N_("How many spots of the project are in the zone."), INTEGER),
    Column("area_m2", N_("Area (m²)"), N_("The zone's area, in square metres."), NUMBER),
    Column(
        "wkt",
        N_("Geometry (WKT)"),
        N_("The zone as Well-Known Text, WGS84 (for GIS tools reading CSV)."),
        formats=frozenset({CSV}),
    ),
)

COLUMNS = {
    SPOTS: SPOT_COLUMNS,
    FINDINGS: FINDING_COLUMNS,
    STOPS: STOP_COLUMNS,
    PERIMETER: PERIMETER_COLUMNS,
    ZONES: ZONE_COLUMNS,
}


def columns(layer: str, output: str, *, lambert93: bool = False) -> tuple[Column, ...]:
    """The columns of `layer` in the `output` format (GEOJSON, CSV, XLSX), in order."""
    return tuple(
        column
        for column in COLUMNS[layer]
        if output in column.formats and (lambert93 or not column.lambert93)
    )


def header(cols: tuple[Column, ...], *, with_labels: bool = True) -> list[str]:
    """The column codes of a table: each code column followed by its label column."""
    names = []
    for column in cols:
        names.append(column.code)
        if with_labels and column.kind == CODE:
            names.append(column.label_code)
    return names
