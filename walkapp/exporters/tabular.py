"""CSV and XLSX of a project's layers, for spreadsheets and GIS tools, written row by row.

- CSV: one layer per file, UTF-8 with a byte-order mark (Excel then reads the accents right),
  CRLF line ends (RFC 4180). The header is the column codes (stable, ASCII: scripts and QGIS
  read them), each code column followed by its label column in the export's language. The
  French option writes ``;`` between cells and decimal commas, as a French Excel expects.
  Text typed by someone is neutralised (domain/spreadsheet.py); numbers stay numbers.
- XLSX (openpyxl, write-only: rows go to disk as they come): one sheet per layer with
  headings in the export's language, codes and labels side by side, real numbers, dates and
  times; then a sheet of definitions: what the file holds (project, date, filters), every
  column, every code list. A text cell is always a string cell (openpyxl would otherwise make
  "=..." a formula) and text that starts like a formula also carries Excel's quote prefix,
  so that editing the cell keeps it text; the text itself stays as typed.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from datetime import date
from typing import IO, Any

from flask_babel import gettext, pgettext
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES
from openpyxl.styles import Font

from ..domain import spreadsheet as sheet
from ..domain.vocabularies import BY_NAME, CRITERIA
from . import layers

PROGRESS_EVERY = 1000
XLSX_MAX_CELL = 32_767  # characters an Excel cell holds
ELLIPSIS = "…"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"

Progress = Callable[[int, int], Any]


def label_maps(cols: Iterable[sheet.Column]) -> dict[str, dict[str, str]]:
    """{vocabulary: {code: label}} in the current language, for the code columns."""
    names = {c.vocabulary for c in cols if c.kind == sheet.CODE and c.vocabulary}
    return {
        name: {term.code: pgettext(name, term.label) for term in BY_NAME[name]} for name in names
    }


def cells(
    row: layers.Row, cols: tuple[sheet.Column, ...], labels: dict[str, dict[str, str]]
) -> list[Any]:
    """The row's values in the table's order: each code followed by its label."""
    out = []
    for column in cols:
        value = row.get(column.code)
        out.append(value)
        if column.kind == sheet.CODE:
            vocabulary = labels[column.vocabulary or ""]
            out.append(None if value is None else vocabulary.get(str(value), str(value)))
    return out


# --- CSV ---------------------------------------------------------------------------------------


def write_csv(
    layer: layers.Layer,
    out: IO[bytes],
    *,
    french: bool = False,
    lambert93: bool = False,
    progress: Progress | None = None,
) -> int:
    """Write `layer` to `out` as CSV (labels in the current language); returns the rows."""
    cols = sheet.columns(layer.name, sheet.CSV, lambert93=lambert93)
    labels = label_maps(cols)
    values = (cells(row, cols, labels) for row in layer.rows)
    return write_table(
        sheet.header(cols), values, out, french=french, total=layer.total, progress=progress
    )


def write_table(
    header: list[str],
    rows: Iterable[list[Any]],
    out: IO[bytes],
    *,
    french: bool = False,
    total: int = 0,
    progress: Progress | None = None,
) -> int:
    """Any table as CSV (UTF-8 with BOM, CRLF, every cell through spreadsheet.csv_cell);
    returns the rows written."""
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=True)
    try:
        writer = csv.writer(text, delimiter=";" if french else ",", lineterminator="\r\n")
        writer.writerow(header)
        done = 0
        for values in rows:
            writer.writerow([sheet.csv_cell(v, french=french) for v in values])
            done += 1
            if progress is not None and done % PROGRESS_EVERY == 0:
                progress(done, total)
        text.flush()
    finally:
        text.detach()  # the caller's file stays open
    return done


# --- XLSX --------------------------------------------------------------------------------------


def headings(cols: tuple[sheet.Column, ...]) -> list[str]:
    """The sheet's headings in the current language: a code column is "Category (code)",
    its label column "Category"."""
    out = []
    for column in cols:
        title = heading(column)
        if column.kind == sheet.CODE:
            out += [gettext("%(column)s (code)", column=title), title]
        else:
            out.append(title)
    return out


def heading(column: sheet.Column) -> str:
    if column.criterion:
        term = CRITERIA.get(column.criterion)
        return gettext(column.heading, criterion=pgettext(CRITERIA.name, term.label))
    return gettext(column.heading)


class XlsxWriter:
    """A write-only workbook: add sheets one after the other, then save to a binary file."""

    def __init__(self) -> None:
        self.book = Workbook(write_only=True)
        self.bold = Font(bold=True)

    def text_cell(self, sheet_, text: str) -> Any:
        """A string cell that no spreadsheet runs: a plain value when harmless, otherwise an
        explicit string cell (openpyxl reads "=..." as a formula and "#N/A" as an error),
        with the quote prefix when it starts like a formula."""
        text = sheet.xml_safe(text)
        if len(text) > XLSX_MAX_CELL:
            text = text[: XLSX_MAX_CELL - 1] + ELLIPSIS
        hostile = sheet.is_hostile(text)
        if not hostile and text not in ERROR_CODES:
            return text
        cell = WriteOnlyCell(sheet_, value=text)
        cell.data_type = "s"
        cell.quotePrefix = hostile
        return cell

    def value(self, sheet_, value: Any) -> Any:
        if isinstance(value, str):
            return self.text_cell(sheet_, value)
        if isinstance(value, date):
            cell = WriteOnlyCell(sheet_, value=value)
            cell.number_format = "yyyy-mm-dd"
            return cell
        if hasattr(value, "hour"):  # a time of day
            cell = WriteOnlyCell(sheet_, value=value)
            cell.number_format = "hh:mm"
            return cell
        return value

    def new_sheet(self, title: str, header: list[str]):
        sheet_ = self.book.create_sheet(title=sheet_title(title))
        sheet_.freeze_panes = "A2"
        row = []
        for text in header:
            cell = WriteOnlyCell(sheet_, value=sheet.xml_safe(text))
            cell.data_type = "s"
            cell.font = self.bold
            row.append(cell)
        sheet_.append(row)
        return sheet_

    def append(self, sheet_, values: Iterable[Any]) -> None:
        sheet_.append([self.value(sheet_, v) for v in values])

    def layer(
        self,
        layer: layers.Layer,
        *,
        lambert93: bool = False,
        progress: Callable[[int], Any] | None = None,
    ) -> int:
        """A sheet of `layer`; returns its rows. `progress(rows)` every PROGRESS_EVERY rows."""
        cols = sheet.columns(layer.name, sheet.XLSX, lambert93=lambert93)
        labels = label_maps(cols)
        sheet_ = self.new_sheet(gettext(sheet.LAYER_NAMES[layer.name]), headings(cols))
        done = 0
        for row in layer.rows:
            self.append(sheet_, cells(row, cols, labels))
            done += 1
            if progress is not None and done % PROGRESS_EVERY == 0:
                progress(done)
        return done

    def definitions(self, about: list[tuple[str, Any]], *, lambert93: bool = False) -> None:
        """The definitions sheet: what the file is, each sheet's columns, each code list."""
        sheet_ = self.new_sheet(gettext("Definitions"), [gettext("About this file"), ""])
        for name, value in about:
            self.append(sheet_, [name, value])
        self.append(sheet_, [])
        self._columns(sheet_, lambert93)
        self.append(sheet_, [])
        self._code_lists(sheet_)

    def _columns(self, sheet_, lambert93: bool) -> None:
        self.append(
            sheet_,
            [gettext("Sheet"), gettext("Column"), gettext("Heading"), gettext("Definition")],
        )
        for layer_name in sheet.LAYERS:
            sheet_name = gettext(sheet.LAYER_NAMES[layer_name])
            for column in sheet.columns(layer_name, sheet.XLSX, lambert93=lambert93):
                title = heading(column)
                self.append(sheet_, [sheet_name, column.code, title, gettext(column.definition)])
                if column.kind == sheet.CODE:
                    self.append(
                        sheet_,
                        [
                            sheet_name,
                            column.label_code,
                            title,
                            gettext("The label of the code, in the language of the file."),
                        ],
                    )

    def _code_lists(self, sheet_) -> None:
        self.append(
            sheet_, [gettext("List"), gettext("Code"), gettext("Label"), gettext("Explanation")]
        )
        for column in _code_columns():
            vocabulary = BY_NAME[column.vocabulary or ""]
            list_name = heading(column)
            for term in vocabulary:
                hint = pgettext(vocabulary.name, term.hint) if term.hint else ""
                label = pgettext(vocabulary.name, term.label)
                self.append(sheet_, [list_name, term.code, label, hint])
        for term in CRITERIA:
            label = pgettext(CRITERIA.name, term.label)
            hint = pgettext(CRITERIA.name, term.hint) if term.hint else ""
            self.append(sheet_, [gettext("Criteria"), f"rating_{term.code}", label, hint])

    def save(self, out: IO[bytes]) -> None:
        self.book.save(out)


def _code_columns() -> list[sheet.Column]:
    """One code column per vocabulary the sheets use, in the order they first appear."""
    seen: dict[str, sheet.Column] = {}
    for layer_name in sheet.LAYERS:
        for column in sheet.COLUMNS[layer_name]:
            if column.kind == sheet.CODE and column.vocabulary not in seen:
                seen[column.vocabulary or ""] = column
    return list(seen.values())


INVALID_TITLE = str.maketrans({c: " " for c in "[]:*?/\\"})


def sheet_title(text: str) -> str:
    """A sheet name Excel accepts: at most 31 characters, none of []:*?/\\."""
    return text.translate(INVALID_TITLE).strip()[:31] or "-"
