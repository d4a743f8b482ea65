"""The annual monitoring report as one standalone HTML file (planner/report_document.html):
the same sections and figures as the DOCX, charts as inline SVG, its style inline, nothing
loaded from anywhere — a file to keep, mail or print. Autoescaped like every template: typed
text is text."""

from __future__ import annotations

from typing import BinaryIO

from flask import current_app
from flask_babel import force_locale

from ..domain import report as domain
from ..domain.thresholds import MIN_PEOPLE_FOR_FIGURE
from . import recheck_words, report_words

TEMPLATE = "planner/report_document.html"


def render(report: domain.Report) -> str:
    """The document, worded in the report's language (needs an application context)."""
    with force_locale(report.language):
        template = current_app.jinja_env.get_template(TEMPLATE)
        return template.render(
            report=report,
            w=report_words,
            rw=recheck_words,
            min_people=MIN_PEOPLE_FOR_FIGURE,
        )


def write_html(report: domain.Report, out: BinaryIO, progress=None) -> None:
    out.write(render(report).encode("utf-8"))
    if progress is not None:
        progress(len(report.projects), len(report.projects))
