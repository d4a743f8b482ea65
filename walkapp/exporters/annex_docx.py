"""The tender-specification annex as an editable DOCX (python-docx): « Prescriptions issues des
diagnostics en marchant », in the annex's language.

A4 with margins (python-docx's template is US Letter), Calibri for the text and Cambria for the
headings — LibreOffice renders them with the metric-compatible Carlito and Caladea, so the
pages break alike everywhere. Headings are Word's Heading styles (the navigation pane and a
table of contents find them); the tables repeat their header row on every page; the footer
numbers the pages.

Everything a person typed (titles, recommendations, quotes, walk titles, stop names) is added as
a run's text — python-docx escapes it as XML — with C0 controls and characters XML cannot hold
removed, and between FSI and PDI so that a right-to-left override stays inside it. Big tables
(the appendix: thousands of spots) are written as XML rows directly: python-docx's `add_row`
re-reads the whole table for each row.

Fixed texts are msgids of the gettext catalogs, worded under `force_locale(annex.language)`:
the writer needs an application context (a background job has one).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime
from io import BytesIO
from typing import BinaryIO
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal, format_percent
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Cm, Pt, RGBColor
from flask_babel import force_locale, gettext, ngettext

from ..domain import annex as domain
from ..domain.indicators import SOURCE_ATTENDANCE
from ..domain.participation import GIRLS, MOBILITY, NIGHT, RESIDENTS, SENIOR_WOMEN
from ..domain.thresholds import enough_people
from ..i18n import FSI, PDI, format_position, label
from ..services.photo_store import PhotoStore
from . import recheck_words
from .map_figure import map_png

BODY_FONT, HEADING_FONT = "Calibri", "Cambria"
PAGE_WIDTH, PAGE_HEIGHT = Cm(21.0), Cm(29.7)
MARGIN_SIDE, MARGIN_TOP = Cm(2.2), Cm(2.0)
TEXT_WIDTH_CM = 21.0 - 2 * 2.2
FIGURE_WIDTH = Cm(TEXT_WIDTH_CM - 0.6)  # a hair inside the margins: no reader clips it
PHOTO_WIDTH = Cm(8.0)
TABLE_STYLE = "Table Grid"
CELL_STYLE = "Annex table"
CELL_STYLE_ID = "Annextable"  # Word's id of a style is its name without spaces
ACCENT = RGBColor(0x1F, 0x3A, 0x5F)
LANG_TAGS = {"fr": "fr-FR", "en": "en-GB"}
# C0 controls but tab and newline, lone surrogates, and the two non-characters XML refuses.
NOT_XML = re.compile("[\x00-\x08\x0b-\x1f\ud800-\udfff\ufffe\uffff]")

Progress = Callable[[int, int], None]


# --- Text ----------------------------------------------------------------------------------


def clean(text: object) -> str:
    """User text as a run may hold it: no control character XML refuses (CR becomes a line
    break), isolated (FSI … PDI)."""
    if text is None or text == "":
        return ""
    value = NOT_XML.sub("", str(text).replace("\r\n", "\n").replace("\r", "\n"))
    return f"{FSI}{value}{PDI}" if value else ""


def quoted(text: str, language: str) -> str:
    """« text » in French (non-breaking spaces inside), “text” otherwise."""
    if language == "fr":
        return f"«\u00a0{text}\u00a0»"
    return f"“{text}”"


class _Words:
    """Numbers, dates and labels in the annex's language."""

    def __init__(self, annex: domain.Annex):
        self.language = annex.language
        self.zone = ZoneInfo(annex.timezone)
        self._labels: dict[tuple[str, str], str] = {}
        self._dates: dict[object, str] = {}

    def number(self, n: float) -> str:
        return format_decimal(n, locale=self.language)

    def percent(self, share: float) -> str:
        return format_percent(share, "#,##0 %", locale=self.language)

    def date(self, value, style: str = "long") -> str:
        if not value:
            return ""
        if (value, style) not in self._dates:
            self._dates[value, style] = format_date(value, style, locale=self.language)
        return self._dates[value, style]

    def moment(self, value: datetime) -> str:
        return format_datetime(value, "d MMMM y, HH:mm", tzinfo=self.zone, locale=self.language)

    def metres(self, value: float) -> str:
        return gettext("%(n)s m", n=self.number(round(value)))

    def label(self, vocabulary: str, code: str) -> str:
        key = (vocabulary, code)
        if key not in self._labels:  # thousands of rows, a dozen labels
            self._labels[key] = label(vocabulary, code)
        return self._labels[key]

    def category(self, code: str | None) -> str:
        return self.label("category", code) if code else ""

    def feeling(self, value: int | None) -> str:
        return f"{value} — {self.label('feeling', str(value))}" if value else ""

    def light(self, code: str | None) -> str:
        return self.label("light_condition", code) if code else ""

    def quoted(self, text: str) -> str:
        return quoted(text, self.language)


def gap_group(code: str) -> str:
    """Who a gap of domain.participation is about, mid-sentence."""
    return {
        NIGHT: gettext("women after dark"),
        SENIOR_WOMEN: gettext("women over 65"),
        MOBILITY: gettext("people with a pushchair, a wheelchair or a walking aid"),
        RESIDENTS: gettext("people who live in the area"),
        GIRLS: gettext("girls under 18"),
    }.get(code, code)


def erased_text() -> str:
    return gettext("withdrawn at the participant's request")


def hidden_text() -> str:
    return gettext("withheld by moderation")


# --- Document set-up -----------------------------------------------------------------------


def _set_font(style, name: str, size: float | None = None, language: str | None = None) -> None:
    """A style's font by name, whatever the template's theme fonts say."""
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in list(fonts.attrib):
        if attr.endswith("Theme") or attr.endswith("theme"):
            del fonts.attrib[attr]
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), name)
    if size is not None:
        style.font.size = Pt(size)
    if language is not None:
        lang = rpr.find(qn("w:lang"))
        if lang is None:
            lang = OxmlElement("w:lang")
            rpr.append(lang)
        lang.set(qn("w:val"), language)


def _document(language: str):
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
    section.left_margin = section.right_margin = MARGIN_SIDE
    section.top_margin = section.bottom_margin = MARGIN_TOP
    styles = doc.styles
    tag = LANG_TAGS.get(language, language)
    _set_font(styles["Normal"], BODY_FONT, 10.5, tag)
    styles["Normal"].paragraph_format.space_after = Pt(4)
    for name, size in (("Title", 22), ("Heading 1", 15), ("Heading 2", 12.5), ("Heading 3", 11)):
        _set_font(styles[name], HEADING_FONT, size)
        styles[name].font.color.rgb = ACCENT
    _set_font(styles["Caption"], BODY_FONT, 9)
    cell = styles.add_style(CELL_STYLE, 1)
    cell.base_style = styles["Normal"]
    _set_font(cell, BODY_FONT, 9)
    cell.paragraph_format.space_after = Pt(0)
    _footer(section)
    return doc


def _field(paragraph, instruction: str) -> None:
    simple = OxmlElement("w:fldSimple")
    simple.set(qn("w:instr"), instruction)
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    simple.append(run)
    paragraph._p.append(simple)


def _footer(section) -> None:
    paragraph = section.footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.add_run(gettext("Page") + " ")
    _field(paragraph, "PAGE")
    paragraph.add_run(" / ")
    _field(paragraph, "NUMPAGES")


def _style_id(doc, name) -> str | None:
    """The id of the style of this name, or of this style object (python-docx looks a name up
    through every style, and checks each time whether a style is the default one)."""
    if name is None:
        return None
    if not isinstance(name, str):
        return name.style_id
    cache = doc.__dict__.setdefault("_annex_styles", {})
    if name not in cache:
        cache[name] = doc.styles[name].style_id
    return cache[name]


def _add_run(paragraph, text: str, *, bold: bool = False, italic: bool = False):
    if "\n" in text or "\t" in text:
        run = paragraph.add_run(text)  # python-docx turns them into w:br and w:tab
    else:
        run = paragraph.add_run()
        run._r.add_t(text)  # one w:t, not a walk through every character
    if bold:
        run.bold = True
    if italic:
        run.italic = True
    return run


def _paragraph(doc, style=None):
    paragraph = doc.add_paragraph()
    style_id = _style_id(doc, style)
    if style_id is not None:
        paragraph._p.style = style_id
    return paragraph


def _heading(doc, text: str, level: int):
    paragraph = _paragraph(doc, f"Heading {level}")
    _add_run(paragraph, text)
    return paragraph


def _para(doc, *parts: tuple[str, bool] | str, style=None):
    """A paragraph of runs: plain strings, or (text, bold)."""
    paragraph = _paragraph(doc, style)
    for part in parts:
        text, bold = (part, False) if isinstance(part, str) else part
        if text:
            _add_run(paragraph, text, bold=bold)
    return paragraph


def _cell_xml(text: str, width: int, *, header: bool) -> str:
    shading = '<w:shd w:val="clear" w:fill="E4E9F0"/>' if header else ""
    bold = "<w:rPr><w:b/></w:rPr>" if header else ""
    runs = "".join(
        f'<w:r>{bold}{"<w:br/>" if i else ""}<w:t xml:space="preserve">{escape(line)}</w:t></w:r>'
        for i, line in enumerate(text.split("\n"))
    )
    return (
        f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/>{shading}</w:tcPr>'
        f'<w:p><w:pPr><w:pStyle w:val="{CELL_STYLE_ID}"/></w:pPr>{runs}</w:p></w:tc>'
    )


def _rows_xml(rows: Sequence[Sequence[str]], widths: Sequence[int], *, header: bool) -> str:
    props = (
        "<w:trPr><w:cantSplit/><w:tblHeader/></w:trPr>"
        if header
        else ("<w:trPr><w:cantSplit/></w:trPr>")
    )
    return "".join(
        "<w:tr>"
        + props
        + "".join(_cell_xml(v, w, header=header) for v, w in zip(values, widths, strict=True))
        + "</w:tr>"
        for values in rows
    )


def _table(doc, headers: Sequence[str], rows: Sequence[Sequence[str]], widths_cm: Sequence[float]):
    """A table with a header row repeated on each page. Its rows are written as one piece of
    XML, parsed once: python-docx's add_row re-reads the whole table for every row."""
    twips = [int(w / 2.54 * 1440) for w in widths_cm]
    table = doc.add_table(rows=0, cols=len(headers))
    table.style = doc.styles[TABLE_STYLE]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    grid = table._tbl.tblGrid
    for col, width in zip(grid.findall(qn("w:gridCol")), twips, strict=True):
        col.set(qn("w:w"), str(width))
    body = _rows_xml([headers], twips, header=True) + _rows_xml(rows, twips, header=False)
    parsed = parse_xml(f"<w:tbl {nsdecls('w')}>{body}</w:tbl>")
    table._tbl.extend(list(parsed))
    spacer = _paragraph(doc)  # what follows a table does not stick to it
    spacer.paragraph_format.space_after = Pt(2)
    return table


# --- Sections ------------------------------------------------------------------------------


def _title(doc, annex: domain.Annex, words: _Words) -> None:
    doc.add_paragraph(gettext("Requirements from the walking diagnostics"), style="Title")
    _para(doc, (clean(annex.project_name), True))
    if annex.commune:
        where = clean(annex.commune)
        if annex.insee_code:
            where = gettext(
                "%(commune)s (INSEE code %(code)s)", commune=where, code=annex.insee_code
            )
        _para(doc, (gettext("Commune:") + " ", True), where)
    _para(doc, gettext("Annex to the technical specification (CCTP) of the works."))
    _para(
        doc,
        gettext(
            "Drawn up on %(date)s from the exploratory walks held with residents, most of them "
            "women, often after dark. Each requirement names the spots it rests on by their "
            "reference (S001, S002…), listed in the appendix: no account is needed to trace "
            "them.",
            date=words.date(annex.generated_at.astimezone(words.zone).date()),
        ),
    )


def _people(walk: domain.WalkSummary, words: _Words) -> str:
    if not walk.people:
        return gettext("nobody counted")
    text = gettext(
        "%(n)s people, %(women)s women", n=words.number(walk.people), women=words.number(walk.women)
    )
    how = gettext("head count") if walk.people_source == SOURCE_ATTENDANCE else gettext("app")
    return f"{text} ({how})"


def _context(doc, annex: domain.Annex, words: _Words) -> None:
    _heading(doc, gettext("1. Context: the walks held"), level=1)
    _para(
        doc,
        gettext(
            "In an exploratory walk, a group walks the place with a facilitator and tags on a "
            "phone the spots where they feel unsafe or uncomfortable, and those that work. "
            "Planners then confirmed the places reported by several people as findings."
        ),
    )
    if annex.walks:
        rows = [
            [
                clean(w.title),
                words.moment(w.starts_at),
                words.light(w.light) or gettext("no spot"),
                label("audience", w.audience),
                _people(w, words),
            ]
            for w in annex.walks
        ]
        headers = [
            gettext("Walk"),
            gettext("Date"),
            gettext("Day or night"),
            gettext("Group"),
            gettext("Who took part"),
        ]
        _table(doc, headers, rows, (4.6, 3.4, 2.2, 2.4, 4.0))
    else:
        _para(doc, gettext("No exploratory walk has been held yet."))
    _heading(doc, gettext("Who is missing"), level=2)
    if not annex.gaps:
        _para(
            doc,
            gettext(
                "Each group the authority tries to reach (women after dark, women over 65, "
                "people with reduced mobility, residents, girls) counts at least %(n)s people.",
                n=5,
            ),
        )
        return
    _para(
        doc,
        gettext(
            "The findings say what the people who took part felt. These groups were absent or "
            "too few (under %(n)s people): what they would have reported may be missing.",
            n=5,
        ),
    )
    for gap in annex.gaps:
        who = gap_group(gap.code)
        if gap.n == 0:
            text = gettext("%(who)s: nobody took part.", who=who)
        else:
            text = ngettext(
                "%(who)s: %(num)s person only.", "%(who)s: %(num)s people only.", gap.n, who=who
            )
        doc.add_paragraph(text[:1].upper() + text[1:], style="List Bullet")


def _map(doc, annex: domain.Annex) -> None:
    _heading(doc, gettext("2. Map of the findings"), level=1)
    png = map_png(annex.perimeter, annex.stops, annex.findings, zones=annex.zones)
    doc.add_picture(BytesIO(png), width=FIGURE_WIDTH)
    doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
    caption = gettext(
        "The project's perimeter (outline), the walks' stops (blue discs) and the findings' "
        "areas (orange, with their number). North is up."
    )
    if annex.zones:
        caption += " " + gettext("The project's zones are outlined in grey, with their names.")
    doc.add_paragraph(caption, style="Caption")
    if annex.stops:
        _para(
            doc,
            (gettext("Stops:") + " ", True),
            "; ".join(f"{s.label} {clean(s.name)}" for s in annex.stops),
        )
    if annex.findings:
        _para(
            doc,
            (gettext("Findings:") + " ", True),
            "; ".join(f"{f.number} {clean(f.title)}" for f in annex.findings),
        )


def _where(finding: domain.FindingSection, words: _Words) -> str:
    if finding.stop is None:
        return format_position(finding.lat, finding.lon)
    name = words.quoted(clean(finding.stop.name))
    if finding.stop.distance_m is None:
        return gettext("Near stop %(number)s %(name)s.", number=finding.stop.label, name=name)
    return gettext(
        "Near stop %(number)s %(name)s (about %(distance)s from it).",
        number=finding.stop.label,
        name=name,
        distance=words.metres(finding.stop.distance_m),
    )


def _reported(finding: domain.FindingSection, words: _Words) -> str:
    text = ngettext(
        "%(num)s report by %(people)s participants",
        "%(num)s reports by %(people)s participants",
        finding.n_reports,
        people=words.number(finding.n_participants),
    )
    if enough_people(finding.n_participants):
        night = gettext(
            "%(share)s at night (%(k)s of %(n)s)",
            share=words.percent(finding.share_night),
            k=words.number(finding.n_night),
            n=words.number(finding.n_reports),
        )
    else:
        night = gettext(
            "Not enough answers (n = %(n)s people)", n=words.number(finding.n_participants)
        )
        night = gettext("Share at night: %(value)s", value=night)
    return f"{text}; {night}."


def _photos(doc, finding: domain.FindingSection, photos: PhotoStore, words: _Words) -> None:
    for photo in finding.photos:
        path = photos.path(photo.sha256)
        if not path.is_file():
            _para(doc, gettext("(Photo of %(ref)s: file missing.)", ref=photo.reference))
            continue
        doc.add_picture(str(path), width=PHOTO_WIDTH)
        doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
        doc.add_paragraph(
            gettext(
                "Photo of spot %(ref)s (%(category)s).",
                ref=photo.reference,
                category=words.category(photo.category),
            ),
            style="Caption",
        ).alignment = WD_ALIGN_PARAGRAPH.CENTER


def _requirement(
    doc, number: str, req: domain.Requirement, words: _Words, first: str | None = None
) -> None:
    """A requirement in full, or, for a clause a previous finding already carries (`first`,
    its number there), a reference to it with this finding's spots."""
    _heading(doc, f"{number} {clean(req.title)}", level=3)
    if first is not None:
        _para(doc, gettext("The requirement %(first)s applies here too.", first=first))
        _para(doc, (gettext("Rests on the spots:") + " ", True), ", ".join(req.references))
        return
    _para(doc, clean(req.text))
    if req.criterion:
        _para(doc, (gettext("Measurable criterion:") + " ", True), clean(req.criterion))
    if req.source:
        source = clean(req.source)
        if req.confirm_edition:
            source += " " + gettext("(check that this edition is the one in force)")
        _para(doc, (gettext("Reference:") + " ", True), source)
    _para(doc, (gettext("Rests on the spots:") + " ", True), ", ".join(req.references))
    if req.reception_check:
        _para(doc, (gettext("Check at reception:") + " ", True), clean(req.reception_check))
    if req.recheck_question:
        _para(
            doc,
            (gettext("After-works survey question:") + " ", True),
            words.quoted(clean(req.recheck_question)),
        )
    _para(
        doc,
        gettext("Clause %(id)s of the clause library.", id=req.clause_id),
        style="Caption",
    )


def _recheck(doc, finding: domain.FindingSection, words: _Words) -> None:
    """The finding's follow-up answers after the works, and the question as asked; nothing for
    a finding without a follow-up question."""
    answers = finding.recheck
    if answers is None:
        return
    _para(
        doc,
        (recheck_words.answers_label() + " ", True),
        recheck_words.answers_text(answers),
    )
    if answers.prompt:
        _para(
            doc,
            (recheck_words.question_label() + " ", True),
            words.quoted(clean(answers.prompt)),
        )


def _finding(
    doc, finding: domain.FindingSection, photos: PhotoStore, words: _Words, seen: dict[str, str]
) -> None:
    _heading(
        doc,
        gettext("Finding %(number)s: %(title)s", number=finding.number, title=clean(finding.title)),
        level=2,
    )
    _para(doc, (gettext("Where:") + " ", True), _where(finding, words))
    _para(doc, (gettext("What was reported:") + " ", True), _reported(finding, words))
    if finding.categories:
        cats = ", ".join(f"{words.category(c)} ({words.number(n)})" for c, n in finding.categories)
        _para(doc, (gettext("Categories:") + " ", True), cats)
    if finding.references:
        _para(doc, (gettext("Spots:") + " ", True), ", ".join(finding.references))
    if finding.clause_categories:
        chosen = ", ".join(words.category(c) for c in finding.clause_categories)
        _para(doc, (gettext("Requirements chosen for the main categories:") + " ", True), chosen)
    _recheck(doc, finding, words)
    if finding.quotes:
        _heading(doc, gettext("In the participants' words"), level=3)
        for quote in finding.quotes:
            paragraph = _para(doc, words.quoted(clean(quote.text)))
            paragraph.paragraph_format.left_indent = Cm(0.8)
            paragraph.add_run(
                f" ({quote.reference}, {words.category(quote.category)})"
            ).italic = True
    _photos(doc, finding, photos, words)
    _heading(doc, gettext("Recommendation of the planners"), level=3)
    _para(doc, clean(finding.recommendation))
    if not finding.requirements:
        _para(doc, gettext("No clause of the library matches the categories reported here."))
    for i, req in enumerate(finding.requirements, start=1):
        number = f"R{finding.number}.{i}"
        _requirement(doc, number, req, words, seen.get(req.clause_id))
        seen.setdefault(req.clause_id, number)


def _findings(doc, annex: domain.Annex, photos: PhotoStore, words: _Words, tick) -> None:
    _heading(doc, gettext("3. Findings and requirements"), level=1)
    if not annex.findings:
        _para(doc, gettext("No finding has been confirmed yet."))
    seen: dict[str, str] = {}  # clause id -> the number it first had
    for finding in annex.findings:
        _finding(doc, finding, photos, words, seen)
        tick()


def _equality(doc, annex: domain.Annex) -> None:
    _heading(doc, gettext("4. The authority's equality policy"), level=1)
    for block in re.split(r"\n\s*\n", annex.equality_policy.strip()):
        if block.strip():
            _para(doc, clean(block.strip()))


def _award(doc, annex: domain.Annex, words: _Words) -> None:
    _heading(doc, gettext("5. Suggested award criteria"), level=1)
    _para(
        doc,
        gettext(
            "The bids may be judged on these criteria, with the weights below, out of 100 "
            "points for the whole tender."
        ),
    )
    rows = [[clean(a.title), clean(a.description), words.number(a.weight)] for a in annex.award]
    rows.append(
        [
            gettext("Other criteria of the tender"),
            gettext("Price and the criteria the rest of the tender file sets."),
            words.number(annex.award_other),
        ]
    )
    headers = [gettext("Criterion"), gettext("What is judged"), gettext("Weight (percent)")]
    _table(doc, headers, rows, (4.5, 10.1, 2.0))
    if annex.findings:
        _para(doc, gettext("The bid answers each finding in turn:"))
        for f in annex.findings:
            doc.add_paragraph(
                gettext("finding %(number)s: %(title)s", number=f.number, title=clean(f.title)),
                style="List Bullet",
            )


def _reception(doc, annex: domain.Annex) -> None:
    _heading(doc, gettext("6. Checks at reception of the works"), level=1)
    _para(
        doc,
        gettext(
            "Each requirement is checked at reception: by a measurement where a standard applies, "
            "and again by the after-works survey, which asks the question given."
        ),
    )
    by_clause: dict[str, tuple[list[str], domain.Requirement]] = {}
    for f in annex.findings:
        for i, r in enumerate(f.requirements, start=1):
            by_clause.setdefault(r.clause_id, ([], r))[0].append(f"R{f.number}.{i}")
    rows = [
        [", ".join(numbers), clean(r.title), clean(r.reception_check), clean(r.recheck_question)]
        for numbers, r in by_clause.values()
    ]
    if rows:
        headers = [
            gettext("Requirements"),
            gettext("Title"),
            gettext("Check at reception"),
            gettext("After-works survey question"),
        ]
        _table(doc, headers, rows, (2.6, 3.6, 5.5, 4.9))


def _appendix(doc, annex: domain.Annex, words: _Words) -> None:
    _heading(doc, gettext("Appendix: the spots of the findings"), level=1)
    _para(
        doc,
        gettext(
            "Every spot the findings rest on, by its reference. A comment is shown only when the "
            "planners chose to quote it; a spot a participant asked to erase keeps its reference "
            "only."
        ),
    )
    rows = []
    for spot in annex.appendix:
        if spot.status == domain.ERASED:
            rows.append([spot.reference, erased_text(), "", "", "", ""])
        elif spot.status == domain.HIDDEN:
            rows.append([spot.reference, hidden_text(), "", "", "", ""])
        else:
            rows.append(
                [
                    spot.reference,
                    words.category(spot.category),
                    words.feeling(spot.feeling),
                    words.date(spot.local_date, "medium"),
                    words.light(spot.light_condition),
                    clean(spot.comment) if spot.comment else "",
                ]
            )
    headers = [
        gettext("Reference"),
        gettext("Category"),
        gettext("Feeling (1 to 5)"),
        gettext("Date"),
        gettext("Light"),
        gettext("Comment (if quoted)"),
    ]
    _table(doc, headers, rows, (1.9, 3.0, 3.4, 2.6, 1.6, 4.1))


def write_docx(
    annex: domain.Annex, out: BinaryIO, *, photos: PhotoStore, progress: Progress | None = None
) -> None:
    """Write the annex as DOCX to `out`. `progress(done, total)` is called as the findings are
    written (total: the findings, plus one for the rest)."""
    total = len(annex.findings) + 1
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)

    with force_locale(annex.language):
        words = _Words(annex)
        doc = _document(annex.language)
        _title(doc, annex, words)
        _context(doc, annex, words)
        _map(doc, annex)
        _findings(doc, annex, photos, words, tick)
        _equality(doc, annex)
        _award(doc, annex, words)
        _reception(doc, annex)
        _appendix(doc, annex, words)
        doc.save(out)
    tick()
