"""A project's usage counts as the Public Life Data Protocol's tables (Gehl Institute et al.,
version BETA, 2017), in a ZIP of plain CSV files, for the tools that read the protocol.

Pure: it writes what it is given (plain dicts, walkapp's codes) and maps the codes to the
protocol's spellings; services/pldp_export.py reads the database.

Files (UTF-8 without a byte-order mark, ``,`` between cells, a header row, as django-pldp and
Seattle's open data publish them):

- ``study.csv``, ``locations.csv``, ``surveys.csv``: the columns of the protocol's Study,
  Location and Survey tables, named and ordered as in datamade/django-pldp (tests/data/pldp).
- ``people_moving.csv`` / ``people_staying.csv``: the protocol names no fixed header for the
  counts themselves (its "suggested data structure" is a survey row and one value per survey
  component), so each row is one person counted with ``id``, ``survey``, ``total`` (always 1)
  and the components walkapp records, under the protocol's component names: ``gender``,
  ``age``, then ``mode`` (people moving) or ``posture``, ``activities``, ``groups`` (people
  staying). ``objects`` and ``geotag`` are not recorded by walkapp and so not written;
  ``groups`` is only recorded for people staying.
- ``survey_notes.csv``: where the line of a count of people passing was and the counter's note,
  which the protocol's Survey table has no column for (only the surveys that have either).
- ``README.txt``: what each file holds, and that gender and age are *perceived*.

Every text someone typed (project, zone, line, note) goes through the exports' guard against
formula injection (domain.spreadsheet.csv_cell); codes and numbers are written as they are.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import IO, Any

from ..domain import spreadsheet as sheet

MEDIA_TYPE = "application/zip"
PROTOCOL_VERSION = "BETA"
REPRESENTATION = "absolute"  # every person present was counted, not a sample
METHOD = "digital application"  # the counter's phone
GEOMETRY_TYPE = "area"
PROGRESS_EVERY = 1000

STUDY_COLUMNS = (
    "id",
    "agency",
    "title",
    "project",
    "project_phase",
    "start_date",
    "end_date",
    "scale",
    "areas",
    "manager_name",
    "manager_email",
    "protocol_version",
    "notes",
)
LOCATION_COLUMNS = (
    "id",
    "agency",
    "country",
    "region",
    "city",
    "name_primary",
    "name_secondary",
    "subdivision",
    "character",
    "geometry",
    "geometry_type",
)
SURVEY_COLUMNS = (
    "id",
    "form_id",
    "location",
    "study",
    "time_start",
    "time_stop",
    "time_character",
    "representation",
    "microclimate",
    "temperature_c",
    "method",
)
MOVING_COLUMNS = ("id", "survey", "total", "gender", "age", "mode")
STAYING_COLUMNS = ("id", "survey", "total", "gender", "age", "posture", "activities", "groups")
NOTE_COLUMNS = ("survey", "line", "note")

# walkapp's codes that the protocol spells otherwise (vocabularies.WEATHER, TIME_CHARACTERS).
MICROCLIMATE = {
    "sun_exposed": "sun - exposed",
    "sun_shaded": "sun - shaded",
    "light_clouds": "light clouds",
    "heavy_clouds": "heavy clouds",
    "light_rain": "light rain",
    "heavy_rain": "heavy rain",
    "fog": "fog",
    "light_wind": "light wind",
    "heavy_wind": "heavy wind",
    "thunder": "thunder",
    "light_snow": "light snow",
    "heavy_snow": "heavy snow",
}
TIME_CHARACTER = {
    "none": "None",
    "communal_event": "cultural/communal event",
    "commercial_event": "commercial event",
    "political_religious": "political/religious activity",
    "holiday": "national/local holiday",
    "emergency": "accident/emergency",
    "roadworks": "roadwork/construction",
}
# The columns whose codes are mapped; the others (gender, age, mode, posture, activities,
# groups) are already the protocol's codes (vocabularies.py; tests/test_pldp_export.py checks).
MAPPED = {"microclimate": MICROCLIMATE, "time_character": TIME_CHARACTER}

README = """\
Usage counts exported by walkapp in the Public Life Data Protocol's tables
(Gehl Institute et al., "The Open Public Life Data Protocol", version BETA, 2017-09-27).
Column names and codes follow the protocol as implemented by datamade/django-pldp.

study.csv          One study per phase of the project that has counts (before the works:
                   "diagnostic", after them: "after_works"); project_phase says which.
locations.csv      The project's zones: one location each, its outline as WKT (WGS84
                   longitude latitude), geometry_type "area".
surveys.csv        The counting periods: one survey each, at a location (its zone; empty
                   when the zone was deleted since), in a study (its phase). Times are
                   ISO 8601 in the project's local time, with its offset from UTC;
                   time_stop is empty for a period not ended.
people_moving.csv  People passing (counted at a line or gate for at least 10 minutes): one
                   row per person, total = 1; gender, age and mode.
people_staying.csv People staying (a snapshot of the zone): one row per person, total = 1;
                   gender, age, posture, activities (one per person here) and groups (the
                   size of the group the person is in).
survey_notes.csv   Not a protocol table: where the line of a count was and the counter's
                   note, for the surveys that have either.

Gender and age are PERCEIVED: the counter's impression at a glance, never asked nor
declared. "unknown" means the counter could not tell. Do not read them as what the people
counted would say about themselves.

Text typed in walkapp (names, lines, notes) that starts like a spreadsheet formula
(=, +, -, @) is written with a leading apostrophe, so that no spreadsheet runs it.
"""

Progress = Callable[[int, int], Any]


def protocol_code(column: str, code: str | None) -> str | None:
    """`code` of walkapp in the protocol's spelling (KeyError for a code it cannot name:
    better a failed export than a wrong one)."""
    if code is None:
        return None
    mapping = MAPPED.get(column)
    return mapping[code] if mapping is not None else code


def _cell(column: str, value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, str) and column in MAPPED:
        return protocol_code(column, value) or ""
    return sheet.csv_cell(value)


def _csv(columns: tuple[str, ...], rows: Iterable[Mapping[str, Any]], done: Callable[[], None]):
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(column, row.get(column)) for column in columns])
        done()
    return text.getvalue().encode("utf-8")


def write_zip(
    out: IO[bytes],
    study: dict | list[dict],
    locations: list[dict],
    surveys: list[dict],
    moving: list[dict],
    staying: list[dict],
    *,
    notes: list[dict] | None = None,
    progress: Progress | None = None,
) -> dict[str, int]:
    """The ZIP of the protocol's tables (see the module's docstring) written to `out`.

    `study`: one row or a list of them; every row a dict keyed by the file's column names,
    holding walkapp's codes (mapped here), text as typed, datetimes aware in local time.
    Returns the number of rows of each file."""
    studies = [study] if isinstance(study, dict) else list(study)
    notes = notes or []
    total = len(studies) + len(locations) + len(surveys) + len(moving) + len(staying)
    count = [0]

    def done() -> None:
        count[0] += 1
        if progress is not None and (count[0] % PROGRESS_EVERY == 0 or count[0] == total):
            progress(count[0], total)

    files = (
        ("study.csv", STUDY_COLUMNS, studies),
        ("locations.csv", LOCATION_COLUMNS, locations),
        ("surveys.csv", SURVEY_COLUMNS, surveys),
        ("people_moving.csv", MOVING_COLUMNS, moving),
        ("people_staying.csv", STAYING_COLUMNS, staying),
    )
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, columns, rows in files:
            archive.writestr(name, _csv(columns, rows, done))
        archive.writestr("survey_notes.csv", _csv(NOTE_COLUMNS, notes, lambda: None))
        archive.writestr("README.txt", README.encode("utf-8"))
    if progress is not None and total == 0:
        progress(0, 0)
    return {name: len(rows) for name, _columns, rows in files} | {"survey_notes.csv": len(notes)}
