"""The words of the monitoring report, shared by its DOCX and HTML writers: the indicators'
titles, definitions and values exactly as the indicators pages word them (planner.indicators:
one wording, so the report and the pages cannot drift apart), and the report's own texts.

Everything is worded in the current language: the writers run under
``force_locale(report.language)`` (a background job has an application context).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from flask_babel import format_decimal, format_percent, gettext, ngettext
from flask_babel import lazy_gettext as _l

from ..domain import indicators as ind
from ..domain import report as domain
from ..domain.charts import Bar, bar_chart
from ..domain.participation import Priority
from ..domain.thresholds import MIN_PEOPLE_FOR_FIGURE
from ..i18n import label
from ..planner import indicators as wording

TIMEZONE = ZoneInfo("Europe/Paris")  # the authority's: dates of events and findings

FOLLOW_UP_TEXTS = {
    domain.SURVEYED: _l("Surveyed after the works"),
    "recommended": _l("Recommendation made; works not started"),
    "works_under_way": _l("Works under way"),
    "works_done_not_surveyed": _l("Works done; no post-works survey yet"),
}


def title() -> str:
    return gettext("Monitoring report of the gender-equality action plan")


def date_text(value, language: str) -> str:
    return format_date(value, "long", locale=language)


def moment_text(value: datetime, language: str) -> str:
    return format_datetime(value, "d MMMM y", tzinfo=TIMEZONE, locale=language)


def period_text(period: domain.Period, language: str) -> str:
    year = period.calendar_year
    if year is not None:
        return gettext("Year %(year)s", year=year)
    return gettext(
        "From %(first)s to %(last)s",
        first=date_text(period.start, language),
        last=date_text(period.last_day, language),
    )


def scope_text(report: domain.Report) -> str:
    n = len(report.projects)
    if report.all_projects:
        return ngettext(
            "Every project of the authority: %(num)s project.",
            "Every project of the authority: %(num)s projects.",
            n,
        )
    return ngettext(
        "The projects whose data you may export: %(num)s project.",
        "The projects whose data you may export: %(num)s projects.",
        n,
    )


def method_texts() -> list[str]:
    return [
        gettext(
            "The figures are those of the indicators pages for the same period: the same "
            "counts, the same definitions."
        ),
        gettext(
            "An event belongs to the period in which it started (dates in UTC). Archived "
            "projects are counted for the period they ran in."
        ),
        gettext(
            "A share over fewer than %(n)s people is not shown (“not enough answers”): below "
            "that, a figure is noise and could point at someone.",
            n=MIN_PEOPLE_FOR_FIGURE,
        ),
        gettext(
            "The interval given beside a share is its 95 percent confidence interval "
            "(Wilson's score interval): the values the share is compatible with, given its n."
        ),
    ]


# --- Indicators -------------------------------------------------------------------------------


def indicator_title(code: str) -> str:
    return str(wording.TITLES[code])


def definition(code: str) -> str:
    return str(wording.DEFINITIONS[code])


def value_text(indicator: ind.Indicator) -> str:
    """The value as the pages print it ("not enough answers" when suppressed)."""
    text = wording.indicator_value(indicator)
    if indicator.by_year and not indicator.suppressed:
        years = "; ".join(f"{y}: {format_decimal(n)}" for y, n in indicator.by_year)
        text = f"{text} ({years})"
    elif indicator.numerator is not None and not indicator.suppressed:
        text = f"{text} ({format_decimal(indicator.numerator)} / {format_decimal(indicator.n)})"
    return text


def interval_heading() -> str:
    # Worded here, not in the template: Jinja's gettext %-formats every text, and the French
    # holds a "%" of its own.
    return gettext("95 percent interval")


def interval_text(indicator: ind.Indicator) -> str:
    found = domain.interval(indicator)
    if found is None:
        return "—"
    return gettext(
        "%(low)s to %(high)s",
        low=format_percent(found.low, "#,##0.0 %"),
        high=format_percent(found.high, "#,##0.0 %"),
    )


def share_bars(indicators) -> list[Bar]:
    return [
        wording.indicator_bar(i, indicator_title(i.code)) for i in indicators if i.kind == "share"
    ]


def walks_bars(report: domain.Report) -> list[Bar]:
    bars = []
    for project in report.projects:
        walks = project.indicator(ind.WOMEN_WALKS)
        bars.append(Bar(project.name, walks.value, format_decimal(walks.value)))
    return bars


def shares_title() -> str:
    return gettext("Shares across projects, with their n")


def walks_title() -> str:
    return gettext("Walks held with groups of women, by project")


def svg(chart_id: str, chart_title: str, bars: list[Bar], max_value: float | None = None):
    """A chart of the HTML report (domain.charts: every label escaped there)."""
    desc = "; ".join(f"{b.label}: {b.text}" for b in bars)
    return bar_chart(chart_id, chart_title, bars, desc=desc, max_value=max_value)


# --- Events, gaps, findings -------------------------------------------------------------------


def event_kind(code: str) -> str:
    return label("event_kind", code)


def audience(code: str) -> str:
    return label("audience", code)


def phase(code: str) -> str:
    return label("project_phase", code)


def source_text(source: str | None) -> str:
    return str(wording.SOURCES.get(source, wording.SOURCES[None]))


def priority(p: Priority) -> tuple[str, str]:
    """(what to do, how many of that group so far)."""
    return wording.priority_text(p)


def follow_up(code: str) -> str:
    return str(FOLLOW_UP_TEXTS.get(code, code))


def after_works_text(after: domain.AfterWorks) -> str:
    if after.spots == 0:
        return gettext("No post-works spot in the area yet.")
    if after.mean_feeling is None:
        return gettext(
            "%(spots)s spots after the works, by %(people)s people: not enough answers for a mean.",
            spots=format_decimal(after.spots),
            people=format_decimal(after.people),
        )
    return gettext(
        "Mean feeling after the works: %(mean)s / 5 (%(spots)s spots, n = %(people)s people).",
        mean=format_decimal(after.mean_feeling, "0.0"),
        spots=format_decimal(after.spots),
        people=format_decimal(after.people),
    )


def before_text(finding: domain.FindingReport) -> str:
    parts = []
    if finding.n_reports is not None and finding.n_participants is not None:
        parts.append(
            gettext(
                "%(reports)s reports by %(people)s participants",
                reports=format_decimal(finding.n_reports),
                people=format_decimal(finding.n_participants),
            )
        )
    if finding.mean_feeling_before is not None:
        parts.append(
            gettext(
                "mean feeling %(mean)s / 5",
                mean=format_decimal(finding.mean_feeling_before, "0.0"),
            )
        )
    return "; ".join(parts)


def rechecks_title() -> str:
    return gettext("Findings and answers after the works")


def no_recheck() -> str:
    return gettext("No finding has a follow-up question in the appropriation survey yet.")


def no_event() -> str:
    return gettext("No event in the period.")


def archived_text() -> str:
    return gettext("archived")
