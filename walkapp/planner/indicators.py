"""Indicators of the action plan, who is missing, day vs night, and the stops' criteria.

Thin views: parse the query string, ask services.indicators for counts, let the domain compute,
word the result (definitions and suggestions are translated here: the domain returns codes),
render. Charts are SVG built by domain.charts; every label in them is escaped there.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import sqlalchemy as sa
from flask import abort, render_template, request
from flask_babel import format_decimal, format_percent
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from ..access import project_or_404, visible_projects_query
from ..domain import indicators as ind
from ..domain import participation as missing
from ..domain.charts import Bar, Group, bar_chart, grouped_bar_chart
from ..domain.indicators_daynight import day_vs_night
from ..domain.participation import participation_matrix
from ..domain.permissions import READ
from ..domain.stops import Pair, StopStats, by_walk, chart_label, pair_walks, stop_stats
from ..domain.thresholds import MIN_PEOPLE_FOR_FIGURE
from ..domain.vocabularies import CRITERIA, TIME_SLOTS
from ..extensions import db
from ..i18n import format_position, label
from ..models import Project, Walk
from ..services import appropriation_figures
from ..services import indicators as service
from .blueprint import bp

TITLES = {
    ind.WOMEN_WALKS: _l("Exploratory walks held with groups of women"),
    ind.WOMEN_SHARE_PARTICIPANTS: _l("Share of women among participants"),
    ind.WOMEN_SHARE_MEETINGS: _l("Share of women among people counted at meetings"),
    ind.WOMEN_HARASSMENT_SHARE: _l("Share of women reporting harassment"),
    ind.PROJECTS_COVERED: _l("Projects covered"),
    ind.COMMUNES_COVERED: _l("Communes covered"),
}

DEFINITIONS = {
    ind.WOMEN_WALKS: _l(
        "Exploratory walks held (opened or closed) whose audience is a women's or a girls' "
        "group, by year of the walk."
    ),
    ind.WOMEN_SHARE_PARTICIPANTS: _l(
        "People counted as women, out of the people counted with a stated gender (woman, man "
        "or non-binary), over every event. Each event counts once: its head count where one was "
        "taken, otherwise its participants in the app — never both. “Prefer not to say” and "
        "empty profiles are left out. n = people with a stated gender."
    ),
    ind.WOMEN_SHARE_MEETINGS: _l(
        "People counted as women at consultation meetings, out of the people counted with a "
        "stated gender. n = people counted."
    ),
    ind.WOMEN_HARASSMENT_SHARE: _l(
        "Women participants who tagged at least one spot of the category “Harassment”, out of "
        "all women participants. Hidden spots are left out. n = women participants."
    ),
    ind.PROJECTS_COVERED: _l("Projects with at least one event (in the chosen year, if any)."),
    ind.COMMUNES_COVERED: _l(
        "Distinct communes (INSEE codes) of the projects covered. A project without an INSEE "
        "code is not counted here."
    ),
}

PARTNERS = {
    "school": _l("a primary or secondary school"),
    "youth_centre": _l("the youth centre or a secondary school"),
    "students": _l("a student association or a sports club"),
    "parents": _l("a parents' association or a childcare centre"),
    "neighbourhood": _l("a neighbourhood association or a local employer"),
    "seniors_club": _l("a seniors' club or a day centre"),
}

# The few gaps shown first on "who is missing" (domain.participation.priorities): short.
PRIORITY_TEXTS = {
    missing.NIGHT: _l("Hold a walk after dark with a women's group."),
    missing.SENIOR_WOMEN: _l("Invite women over 65, through a seniors' club."),
    missing.MOBILITY: _l("Invite people with a pushchair, a wheelchair or a walking aid."),
    missing.RESIDENTS: _l("Walk with people who live in the area."),
    missing.GIRLS: _l("Walk with girls, through a youth centre or a school."),
}

NOT_ENOUGH = _l("not enough answers")

# Which people an event contributed to the share of women (ind.event_source).
SOURCES = {
    ind.SOURCE_ATTENDANCE: _l("head count"),
    ind.SOURCE_PARTICIPANTS: _l("participants in the app"),
    None: _l("nobody counted"),
}


def not_enough() -> str:
    return _("not enough answers")


# --- Wording --------------------------------------------------------------------------------


def share_percent(value: float) -> str:
    """A share as the indicators pages and the live view print it."""
    return format_percent(value, "#,##0.0 %")


def indicator_value(indicator: ind.Indicator) -> str:
    if indicator.suppressed:
        return not_enough()
    if indicator.kind == "share":
        return share_percent(indicator.value)
    return format_decimal(indicator.value)


def indicator_bar(indicator: ind.Indicator, label_text: str) -> Bar:
    text = _("%(value)s (n = %(n)s)", value=indicator_value(indicator), n=indicator.n)
    return Bar(label_text, None if indicator.suppressed else indicator.value, text)


def shares_chart(chart_id: str, indicators: list[ind.Indicator], title: str):
    shares = [i for i in indicators if i.kind == "share"]
    bars = [indicator_bar(i, str(TITLES[i.code])) for i in shares]
    desc = "; ".join(f"{b.label}: {b.text}" for b in bars)
    return bar_chart(chart_id, title, bars, desc=desc, max_value=1.0)


def walks_by_year_chart(chart_id: str, indicator: ind.Indicator):
    bars = [Bar(str(year), n, format_decimal(n)) for year, n in indicator.by_year]
    desc = "; ".join(f"{b.label}: {b.text}" for b in bars) or _("No walk yet.")
    return bar_chart(chart_id, _("Walks held with groups of women, by year"), bars, desc=desc)


def who_text(gender: str, age_band: str, young: bool) -> str:
    age = label("age_band", age_band)
    age = age[:1].lower() + age[1:]  # mid-sentence: "girls (under 15)", "filles (moins de 15 ans)"
    if gender == "woman":
        return _("girls (%(age)s)", age=age) if young else _("women (%(age)s)", age=age)
    return _("boys (%(age)s)", age=age) if young else _("men (%(age)s)", age=age)


def priority_text(priority: missing.Priority) -> tuple[str, str]:
    """(what to do, how many people of that group so far)."""
    so_far = _("nobody so far") if priority.n == 0 else _("%(n)s so far", n=priority.n)
    return str(PRIORITY_TEXTS[priority.code]), so_far


def suggestion_text(suggestion) -> str:
    who = who_text(suggestion.gender, suggestion.age_band, suggestion.is_young)
    parts = []
    if suggestion.empty_slots:
        slots = "; ".join(label("time_slot", s) for s in suggestion.empty_slots)
        parts.append(_("No %(who)s in: %(slots)s.", who=who, slots=slots))
    if suggestion.thin_slots:
        slots = "; ".join(label("time_slot", s) for s in suggestion.thin_slots)
        parts.append(
            _(
                "Fewer than %(min)s %(who)s in: %(slots)s.",
                min=MIN_PEOPLE_FOR_FIGURE,
                who=who,
                slots=slots,
            )
        )
    parts.append(_("Plan a walk with %(partner)s.", partner=PARTNERS[suggestion.partner]))
    return " ".join(parts)


# --- Query string ---------------------------------------------------------------------------


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else None


def _year_arg(years: list[int]) -> int | None:
    year = _int_arg("year")
    return year if year in years else None


# --- Pages ----------------------------------------------------------------------------------


@bp.get("/projects/<int:project_id>/indicators")
@login_required
def indicators(project_id: int):
    project = project_or_404(project_id, READ)
    scope = [project.id]
    years = service.event_years(scope)
    year = _year_arg(years)
    counts = service.project_counts(scope, year)
    values = ind.project_indicators(counts[0])
    return render_template(
        "planner/indicators.html",
        project=project,
        indicators=values,
        years=years,
        year=year,
        shares_chart=shares_chart("shares", values, _("Shares, with their n")),
        walks_chart=walks_by_year_chart("walks-by-year", values[0]),
        events=counts[0].events_people,
        appropriation=[(project, appropriation_figures.cached(project.id))],
        **_wording(),
    )


@bp.get("/indicators")
@login_required
def indicators_all():
    def scope_of(archived: bool | None) -> sa.Select:
        projects = visible_projects_query(archived=archived)
        return projects.with_only_columns(Project.id).order_by(None)

    years = service.event_years(scope_of(None))
    year = _year_arg(years)
    # All years: the current projects. One year: every project that ran events in it, archived
    # ones included (the annual report counts them).
    counts = service.project_counts(scope_of(None if year else False), year)
    values = ind.overall_indicators(counts)
    per_project = [(c, ind.project_indicators(c)) for c in counts]
    walks = [Bar(c.name, vals[0].value, format_decimal(vals[0].value)) for c, vals in per_project]
    by_source = Counter(e.source for c in counts for e in c.events_people)
    return render_template(
        "planner/indicators_all.html",
        indicators=values,
        per_project=per_project,
        by_source=by_source,
        years=years,
        year=year,
        shares_chart=shares_chart("shares", values, _("Shares across projects, with their n")),
        appropriation=[
            (project, appropriation_figures.cached(project.id))
            for project in db.session.scalars(
                sa.select(Project)
                .where(Project.id.in_([c.project_id for c in counts]))
                .order_by(Project.name)
            )
        ],
        walks_chart=bar_chart(
            "walks-by-project",
            _("Walks held with groups of women, by project"),
            walks,
            desc="; ".join(f"{b.label}: {b.text}" for b in walks),
        ),
        **_wording(),
    )


def _wording() -> dict:
    return {
        "titles": TITLES,
        "definitions": DEFINITIONS,
        "indicator_value": indicator_value,
        "not_enough": NOT_ENOUGH,
        "min_people": MIN_PEOPLE_FOR_FIGURE,
        "sources": SOURCES,
    }


@bp.get("/projects/<int:project_id>/participation")
@login_required
def participation(project_id: int):
    project = project_or_404(project_id, READ)
    matrix = participation_matrix(service.participation_counts([project.id]))
    gaps = missing.priorities(service.participation_profile([project.id]))
    first, rest = (
        gaps[: missing.MAX_PRIORITIES],
        gaps[missing.MAX_PRIORITIES :],
    )
    women = {slot: 0 for slot in TIME_SLOTS.codes}
    for row in matrix.rows:
        if row.gender == "woman":
            for cell in row.cells:
                women[cell.time_slot] += cell.n
    bars = [Bar(label("time_slot", s), n, format_decimal(n)) for s, n in women.items()]
    chart = bar_chart(
        "women-by-slot",
        _("Women and girls who tagged at least one spot, by time slot"),
        bars,
        desc="; ".join(f"{b.label}: {b.text}" for b in bars),
    )
    return render_template(
        "planner/participation.html",
        project=project,
        matrix=matrix,
        slots=TIME_SLOTS.codes,
        priorities=[(g, *priority_text(g)) for g in first],
        more_priorities=[(g, *priority_text(g)) for g in rest],
        suggestions=[suggestion_text(s) for s in matrix.suggestions],
        chart=chart,
        min_people=MIN_PEOPLE_FOR_FIGURE,
    )


@dataclass(frozen=True)
class PairedWalks:
    a: Walk
    b: Walk
    pairs: list[Pair]


def _paired(walks: dict[int, Walk]) -> PairedWalks | None:
    """The two walks of ?a=&b= (both of this project, or 404) compared stop by stop."""
    a, b = _int_arg("a"), _int_arg("b")
    if a is None and b is None:
        return None
    if a not in walks or b not in walks:
        abort(404)
    stats = [stop_stats(s) for s in service.stop_inputs([a, b])]
    pairs = pair_walks([s for s in stats if s.walk_id == a], [s for s in stats if s.walk_id == b])
    return PairedWalks(walks[a], walks[b], pairs)


def _mean_text(value: float | None, digits: str = "0.0") -> str:
    return not_enough() if value is None else format_decimal(value, digits)


def _daynight_chart(places):
    groups = []
    for place in places[:12]:
        bars = tuple(
            Bar(
                "",
                side.negative_share,
                not_enough()
                if side.suppressed
                else _(
                    "%(share)s negative (n = %(n)s)",
                    share=format_percent(side.negative_share, "#,##0 %"),
                    n=side.people,
                ),
            )
            for side in (place.day, place.night)
        )
        name = format_position(place.lat, place.lon)
        groups.append(Group(name, bars))
    return grouped_bar_chart(
        "day-night",
        _("Share of negative spots by day and by night, per place"),
        groups,
        [label("light_condition", "day"), label("light_condition", "night")],
        desc=_("Places where spots were tagged both by day and by night; n = people."),
        max_value=1.0,
    )


def _measures() -> list[tuple[str, str]]:
    """The rows of the paired-walks table: the feeling, then the nine criteria."""
    rows = [("feeling", _("Feeling (1 to 5)"))]
    rows += [
        (c, _("%(criterion)s (0 to 3)", criterion=label("criterion", c))) for c in CRITERIA.codes
    ]
    return rows


@bp.get("/projects/<int:project_id>/daynight")
@login_required
def daynight(project_id: int):
    project = project_or_404(project_id, READ)
    places = day_vs_night(service.daynight_spots(project.id))
    walks = {w.id: w for w in service.project_walks(project.id)}
    return render_template(
        "planner/daynight.html",
        project=project,
        places=places,
        chart=_daynight_chart(places) if places else None,
        walks=walks,
        paired=_paired(walks),
        measures=_measures(),
        mean_text=_mean_text,
        min_people=MIN_PEOPLE_FOR_FIGURE,
    )


def _stops_chart(chart_id: str, walk: Walk, stops: list[StopStats]):
    """One walk's stops, each bar labelled by its stop (domain.stops.chart_label)."""
    bars = [
        Bar(
            chart_label(s),
            s.safety_score,
            not_enough()
            if s.safety_score is None
            else _(
                "%(score)s / 100 (n = %(n)s)",
                score=format_decimal(s.safety_score, "0"),
                n=s.raters,
            ),
        )
        for s in stops
    ]
    return bar_chart(
        chart_id,
        _("Safety score per stop (0 to 100): %(walk)s", walk=walk.title),
        bars,
        desc="; ".join(f"{b.label}: {b.text}" for b in bars),
        max_value=100,
    )


@bp.get("/projects/<int:project_id>/stops")
@login_required
def stops(project_id: int):
    project = project_or_404(project_id, READ)
    walks = {w.id: w for w in service.project_walks(project.id)}
    walk_id = _int_arg("walk")
    if walk_id is not None and walk_id not in walks:
        abort(404)
    chosen = [walk_id] if walk_id is not None else list(walks)
    stats = [stop_stats(s) for s in service.stop_inputs(chosen)]
    charts = [
        (walks[wid], _stops_chart(f"safety-scores-{wid}", walks[wid], stops))
        for wid, stops in by_walk(stats)
    ]
    return render_template(
        "planner/stops.html",
        project=project,
        walks=walks,
        walk_id=walk_id,
        stats=stats,
        charts=charts,
        mean_text=_mean_text,
        min_people=MIN_PEOPLE_FOR_FIGURE,
    )
