"""The annual monitoring report as an editable DOCX (python-docx), in the report's language.

The page set-up, fonts, headings, tables with a repeated header row and the footer's page
numbers are the tender annex's (exporters.annex_docx: A4, Calibri and Cambria, which LibreOffice
renders with Carlito and Caladea). Charts are PNG bar charts drawn with Pillow from the same bars
as the HTML report's SVG (every value printed beside its bar: a grey printout says it all).
Typed text (project names, walk titles, findings) goes in as run text, cleaned and isolated as
the annex does.

Fixed texts are msgids worded under `force_locale(report.language)`.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from typing import BinaryIO

from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm
from flask_babel import force_locale, format_decimal, gettext
from PIL import Image, ImageDraw, ImageFont

from ..domain import indicators as ind
from ..domain import report as domain
from ..domain.charts import Bar
from ..domain.thresholds import MIN_PEOPLE_FOR_FIGURE
from . import recheck_words
from . import report_words as words
from .annex_docx import FIGURE_WIDTH, _document, _heading, _para, _table, clean

Progress = Callable[[int, int], None]

# --- Charts (PNG) ---------------------------------------------------------------------------

SCALE = 2  # drawn at twice the size: sharp in print
ROW, BAR, PAD = 26, 16, 10
LABEL_CHARS = 40
INK, FILL, BACKGROUND = (30, 30, 30), (43, 92, 138), (255, 255, 255)


# Fonts with the dashes, quotes and accents of names (Pillow's own font has no "—"); Pillow's
# own font when none is installed.
FONT_FILES = (
    "/usr/share/fonts/truetype/crosextra/Carlito-Regular.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "DejaVuSans.ttf",
)


def _font(size: int):
    for name in FONT_FILES:
        try:
            return ImageFont.truetype(name, size * SCALE)
        except OSError:
            continue
    return ImageFont.load_default(size=size * SCALE)


def bar_png(bars: Sequence[Bar], max_value: float | None = None) -> bytes:
    """A horizontal bar chart: label left, bar, value text right; a suppressed value draws no
    bar and prints its text."""
    font = _font(12)
    labels = [
        b.label if len(b.label) <= LABEL_CHARS else b.label[: LABEL_CHARS - 1] + "…" for b in bars
    ]
    probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))

    def width_of(text: str) -> int:
        return int(probe.textlength(text, font=font))

    left = max([width_of(t) for t in labels] + [0]) + PAD * 2 * SCALE
    text_width = max([width_of(b.text) for b in bars] + [0]) + PAD * 2 * SCALE
    bar_width = 300 * SCALE
    width = left + bar_width + text_width
    height = (PAD * 2 + ROW * max(len(bars), 1)) * SCALE
    scale = max_value or max([b.value for b in bars if b.value is not None] + [0]) or 1.0
    image = Image.new("RGB", (width, height), BACKGROUND)
    draw = ImageDraw.Draw(image)
    for i, (bar, text) in enumerate(zip(bars, labels, strict=True)):
        y = (PAD + i * ROW) * SCALE
        middle = y + BAR * SCALE // 2
        draw.text((left - PAD * SCALE, middle), text, fill=INK, font=font, anchor="rm")
        length = 0
        if bar.value is not None and bar.value > 0:
            length = int(min(bar.value / scale, 1.0) * bar_width)
            draw.rectangle([left, y, left + length, y + BAR * SCALE], fill=FILL, outline=INK)
        draw.text((left + length + PAD * SCALE, middle), bar.text, fill=INK, font=font, anchor="lm")
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


def _figure(doc, png: bytes, caption: str) -> None:
    doc.add_picture(io.BytesIO(png), width=min(FIGURE_WIDTH, Cm(16)))
    doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.add_paragraph(caption, style="Caption").alignment = WD_ALIGN_PARAGRAPH.CENTER


# --- Sections -------------------------------------------------------------------------------


def _indicator_rows(indicators: Sequence[ind.Indicator]) -> list[list[str]]:
    return [
        [
            words.indicator_title(i.code),
            words.definition(i.code),
            words.value_text(i),
            words.interval_text(i),
            format_decimal(i.n),
        ]
        for i in indicators
    ]


def _indicator_table(doc, indicators: Sequence[ind.Indicator]) -> None:
    headers = [
        gettext("Indicator"),
        gettext("Definition"),
        gettext("Value"),
        words.interval_heading(),
        "n",
    ]
    _table(doc, headers, _indicator_rows(indicators), [3.4, 6.6, 2.6, 2.4, 1.6])


def _title(doc, report: domain.Report) -> None:
    doc.add_paragraph(words.title(), style="Title")
    _para(doc, (words.period_text(report.period, report.language), True))
    _para(doc, words.scope_text(report))
    _para(
        doc,
        gettext("Built on %(date)s.", date=words.moment_text(report.generated_at, report.language)),
    )


def _overall(doc, report: domain.Report) -> None:
    _heading(doc, gettext("1. Indicators across projects"), 1)
    _indicator_table(doc, report.totals)
    sources = report.sources()
    _para(
        doc,
        gettext(
            "Share of women: %(attendance)s event(s) contributed their head count, "
            "%(participants)s their participants in the app (never both).",
            attendance=sources.get(ind.SOURCE_ATTENDANCE, 0),
            participants=sources.get(ind.SOURCE_PARTICIPANTS, 0),
        ),
    )
    _heading(doc, gettext("Charts"), 2)
    _figure(doc, bar_png(words.share_bars(report.totals), 1.0), words.shares_title())
    if report.projects:
        _figure(doc, bar_png(words.walks_bars(report)), words.walks_title())


def _women_walks(doc, report: domain.Report) -> None:
    _heading(doc, gettext("2. Walks held with groups of women"), 1)
    rows = [
        [
            clean(project.name),
            clean(event.title),
            words.moment_text(event.starts_at, report.language),
            words.audience(event.audience),
            format_decimal(event.stated),
        ]
        for project in report.projects
        for event in project.women_walks
    ]
    if not rows:
        _para(doc, gettext("No walk with a group of women in the period."))
        return
    headers = [
        gettext("Project"),
        gettext("Walk"),
        gettext("Date"),
        gettext("Group"),
        gettext("People with a stated gender"),
    ]
    _table(doc, headers, rows, [4.0, 4.6, 3.0, 2.6, 2.4])


def _missing(doc, report: domain.Report) -> None:
    _heading(doc, gettext("3. Who was missing"), 1)
    _para(
        doc,
        gettext(
            "The groups with fewer than %(n)s participants in the period, the widest gap first.",
            n=MIN_PEOPLE_FOR_FIGURE,
        ),
    )
    if not report.missing:
        _para(doc, gettext("No group is missing across the projects."))
    for gap in report.missing:
        what, so_far = words.priority(gap)
        _para(doc, f"{what} ", (f"({so_far})", True), style="List Bullet")
    rows = []
    for project in report.projects:
        gaps = "; ".join(
            f"{words.priority(g)[0]} ({words.priority(g)[1]})" for g in project.missing
        )
        rows.append([clean(project.name), gaps or gettext("No gap.")])
    if rows:
        _table(doc, [gettext("Project"), gettext("Who was missing")], rows, [4.6, 12.0])


def _findings(doc, report: domain.Report) -> None:
    _heading(doc, gettext("4. Findings and their follow-up"), 1)
    counted = report.follow_ups()
    if not report.findings:
        _para(doc, gettext("No finding confirmed yet."))
        return
    for code, n in counted.items():
        if n:
            _para(doc, f"{words.follow_up(code)}: ", (format_decimal(n), True), style="List Bullet")
    for project in report.projects:
        if not project.findings:
            continue
        _heading(doc, clean(project.name), 2)
        _para(doc, (gettext("Phase of the project:") + " ", True), words.phase(project.phase))
        rows = [
            [
                f"{f.number}. {clean(f.title)}",
                clean(f.recommendation),
                words.moment_text(f.confirmed_at, report.language)
                + ("\n" + words.before_text(f) if words.before_text(f) else ""),
                words.follow_up(f.follow_up) + "\n" + words.after_works_text(f.after),
            ]
            for f in project.findings
        ]
        headers = [
            gettext("Finding"),
            gettext("Recommendation"),
            gettext("Confirmed"),
            gettext("Follow-up"),
        ]
        _table(doc, headers, rows, [3.6, 5.6, 3.2, 4.2])


def _after_works(doc, report: domain.Report) -> None:
    _heading(doc, gettext("5. After the works"), 1)
    rows = []
    for project in report.projects:
        surveys = project.post_works_surveys
        rows.append(
            [
                clean(project.name),
                words.phase(project.phase),
                format_decimal(len(surveys)),
                "\n".join(
                    f"{clean(s.title)} ({words.moment_text(s.starts_at, report.language)})"
                    for s in surveys
                ),
            ]
        )
    if rows:
        headers = [
            gettext("Project"),
            gettext("Phase"),
            gettext("Appropriation surveys held"),
            gettext("Surveys"),
        ]
        _table(doc, headers, rows, [4.6, 2.8, 2.8, 6.4])
    else:
        _para(doc, words.no_event())
    _rechecks(doc, report)


def _rechecks(doc, report: domain.Report) -> None:
    """The loop closed: per project, each finding with a follow-up question, the question as
    asked and the women's answers (better / unchanged / worse, n)."""
    _heading(doc, words.rechecks_title(), 2)
    if not report.rechecked:
        _para(doc, words.no_recheck())
        return
    headers = [
        gettext("Finding"),
        recheck_words.question_heading(),
        recheck_words.answers_heading(),
    ]
    for project in report.rechecked:
        _heading(doc, clean(project.name), 3)
        rows = [
            [
                f"{f.number}. {clean(f.title)}",
                clean(f.recheck.prompt),
                recheck_words.answers_text(f.recheck),
            ]
            for f in project.rechecked
        ]
        _table(doc, headers, rows, [4.6, 6.4, 5.6])


def _project(doc, report: domain.Report, project: domain.ProjectReport) -> None:
    name = clean(project.name)
    if project.archived:
        name = f"{name} ({words.archived_text()})"
    _heading(doc, name, 2)
    where = clean(project.commune)
    if project.insee_code:
        where = gettext("%(commune)s (INSEE code %(code)s)", commune=where, code=project.insee_code)
    if where:
        _para(doc, (gettext("Commune:") + " ", True), where)
    _para(doc, (gettext("Phase of the project:") + " ", True), words.phase(project.phase))
    _indicator_table(doc, project.indicators)
    if not project.events:
        _para(doc, words.no_event())
        return
    rows = [
        [
            clean(e.title),
            words.event_kind(e.kind),
            words.moment_text(e.starts_at, report.language),
            words.source_text(e.source),
            format_decimal(e.women),
            format_decimal(e.stated),
        ]
        for e in project.events
    ]
    headers = [
        gettext("Event"),
        gettext("Kind"),
        gettext("Date"),
        gettext("Source"),
        gettext("Women"),
        gettext("People with a stated gender"),
    ]
    _table(doc, headers, rows, [4.4, 3.0, 2.8, 2.8, 1.6, 2.0])


def write_docx(report: domain.Report, out: BinaryIO, progress: Progress | None = None) -> None:
    """Write the report as DOCX to `out`; `progress(done, total)` as the projects are written."""
    with force_locale(report.language):
        doc = _document(report.language)
        _title(doc, report)
        _overall(doc, report)
        _women_walks(doc, report)
        _missing(doc, report)
        _findings(doc, report)
        _after_works(doc, report)
        _heading(doc, gettext("6. By project"), 1)
        total = len(report.projects)
        for done, project in enumerate(report.projects, start=1):
            _project(doc, report, project)
            if progress is not None:
                progress(done, total)
        _heading(doc, gettext("Method"), 1)
        for text in words.method_texts():
            _para(doc, text, style="List Bullet")
        doc.save(out)
