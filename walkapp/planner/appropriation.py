"""The planner's view of the appropriation index: before and after the works, per zone, per
gender, age band and time slot, the Place Standard-style compass per zone, soft mobility, the
answers to each finding's re-check question, the zones' choropleth and what people wrote.

Every figure comes from the cache the refresh job writes (services.appropriation_figures): the
page says when it was computed and how many answers arrived since, and never computes an
interval itself. Below 5 people a figure is "not enough answers" (the indicators' wording).
"""

from __future__ import annotations

import secrets

import folium
import sqlalchemy as sa
from flask import current_app, redirect, render_template, request, url_for
from flask_babel import format_decimal, get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import jobs
from ..access import may, project_or_404
from ..domain import appropriation as items
from ..domain import appropriation_figures as figures_domain
from ..domain import maps as maps_domain
from ..domain.charts import Bar, Group, SpiderSeries, grouped_bar_chart, spider_chart
from ..domain.intervals import BCA_MAX_N
from ..domain.permissions import EXPORT, READ
from ..domain.thresholds import MIN_PEOPLE_FOR_FIGURE
from ..domain.vocabularies import AGE_BANDS, GENDERS, TIME_SLOTS
from ..extensions import db
from ..i18n import isolate, label
from ..models import Finding, Project, Questionnaire, SurveyAnswer, Zone
from ..services import appropriation as service
from ..services import appropriation_figures as figures_service
from ..services import zones as zones_service
from . import maps_folium
from .blueprint import bp
from .indicators import not_enough, share_percent
from .maps import _document_csp
from .questionnaire import DIMENSION_LABELS

BEFORE, AFTER = figures_domain.BEFORE, figures_domain.AFTER
# The map's classes of the after-works index (upper bounds), light to dark; grey: not enough.
INDEX_CLASSES = (
    (20, "#edf8e9"),
    (40, "#bae4b3"),
    (60, "#74c476"),
    (80, "#31a354"),
    (100, "#006d2c"),
)
NOT_ENOUGH_COLOUR = "#bdbdbd"
TEXTS_SHOWN = 200  # the latest free-text answers listed on the page


def dimension_name(code: str) -> str:
    return str(DIMENSION_LABELS[code])


def index_value(figure: dict | None) -> str:
    if not figure or figure.get("mean") is None:
        return not_enough()
    return format_decimal(figure["mean"], "0.0")


def index_text(figure: dict | None) -> str:
    """ "63.6 (n = 41)" or "not enough answers (n = 3)"."""
    return _("%(value)s (n = %(n)s)", value=index_value(figure), n=(figure or {}).get("n", 0))


def index_interval_text(figure: dict | None) -> str:
    if not figure or figure.get("mean") is None:
        return ""
    return _(
        "95 %% interval: %(low)s to %(high)s",
        low=format_decimal(figure["low"], "0.0"),
        high=format_decimal(figure["high"], "0.0"),
    )


def difference_text(difference: dict | None, *, points: bool = False) -> str:
    if difference is None:
        return not_enough()
    scale = 100 if points else 1
    value = format_decimal(difference["difference"] * scale, "+#,##0.0;-#,##0.0")
    low = format_decimal(difference["low"] * scale, "+#,##0.0;-#,##0.0")
    high = format_decimal(difference["high"] * scale, "+#,##0.0;-#,##0.0")
    if points:
        return _(
            "%(value)s points (95 %% interval: %(low)s to %(high)s)",
            value=value,
            low=low,
            high=high,
        )
    return _("%(value)s (95 %% interval: %(low)s to %(high)s)", value=value, low=low, high=high)


def verdict_text(difference: dict | None) -> str:
    if difference is None:
        return ""
    if not difference["excludes_zero"]:
        return _("no clear change (the interval includes zero)")
    return _("clearly better") if difference["difference"] > 0 else _("clearly worse")


def share_text(figure: dict | None) -> str:
    if not figure or figure.get("share") is None:
        return _("%(value)s (n = %(n)s)", value=not_enough(), n=(figure or {}).get("n", 0))
    return _(
        "%(value)s (n = %(n)s; 95 %% interval: %(low)s to %(high)s)",
        value=share_percent(figure["share"]),
        n=figure["n"],
        low=share_percent(figure["low"]),
        high=share_percent(figure["high"]),
    )


@bp.context_processor
def appropriation_wording() -> dict:
    """The index's wording for every planner page (the indicators pages show it too)."""
    return {
        "appropriation_index_text": index_text,
        "appropriation_difference_text": difference_text,
        "appropriation_share_text": share_text,
    }


def breakdown_label(key: str, code: str) -> str:
    if not code:
        return _("Not stated")
    vocabulary = {"gender": GENDERS, "age_band": AGE_BANDS, "time_slot": TIME_SLOTS}[key]
    return label(vocabulary.name, code) if code in vocabulary.codes else code


def compass(chart_id: str, title: str, dimensions: dict) -> object:
    """The Place Standard-style compass of one zone: the five dimensions before and after."""
    axes = [dimension_name(d) for d in items.DIMENSIONS]
    series = []
    for phase, name in ((BEFORE, _("Before the works")), (AFTER, _("After the works"))):
        means = dimensions.get(phase) or {}
        values = tuple((means.get(d) or {}).get("mean") for d in items.DIMENSIONS)
        texts = tuple(not_enough() if v is None else format_decimal(v, "0") for v in values)
        series.append(SpiderSeries(name, values, texts))
    return spider_chart(
        chart_id,
        title,
        axes,
        series,
        desc=_("Each dimension's mean score from 0 to 100, before and after the works."),
    )


def before_after_chart(figures: dict, zones: dict[int, Zone]):
    """The index before and after the works, per zone (and all zones), as grouped bars."""
    groups = []
    for key, group in [("all", figures["overall"]), *sorted(figures["zones"].items())]:
        if key == "all":
            name = _("All zones")
        elif key != "none" and int(key) in zones:
            name = zones[int(key)].name
        else:
            name = _("No zone given")
        bars = tuple(
            Bar(
                name,
                (group["index"].get(phase) or {}).get("mean"),
                index_text(group["index"].get(phase)),
            )
            for phase in (BEFORE, AFTER)
        )
        groups.append(Group(name, bars))
    return grouped_bar_chart(
        "before-after-chart",
        _("Appropriation index per zone, before and after the works"),
        groups,
        [_("Before the works"), _("After the works")],
        desc="; ".join(f"{g.label}: {g.bars[0].text} / {g.bars[1].text}" for g in groups),
        max_value=100,
    )


# --- Re-check items ---------------------------------------------------------------------------


def _rechecks(project_id: int, tallies: dict) -> list[dict]:
    """Each finding's re-check question with its answers (amélioré / inchangé / pire, n)."""
    questionnaire = service.current_questionnaire(project_id)
    if questionnaire is None:
        return []
    language = str(get_locale() or "fr")
    out = []
    for recheck in questionnaire.rechecks:
        tally = tallies.get(service.recheck_code(recheck), {})
        n = sum(tally.get(code, 0) for code in ("better", "same", "worse"))
        out.append(
            {
                "recheck": recheck,
                "prompt": recheck.prompt_fr if language == "fr" else recheck.prompt_en,
                "finding": db.session.get(Finding, recheck.finding_id),
                "tally": tally,
                "n": n,
                "enough": n >= MIN_PEOPLE_FOR_FIGURE,
            }
        )
    return out


def _other_questions(project_id: int, summaries: list[dict]) -> list[dict]:
    """The questions outside the index with how they were answered, worded in the page's
    language (a question the current questionnaire no longer has is left out)."""
    questionnaire = service.current_questionnaire(project_id)
    if questionnaire is None:
        return []
    asked = service.item_map(questionnaire)
    language = str(get_locale() or "fr")[:2]
    out = []
    for summary in summaries:
        item = asked.get(summary["code"])
        if item is None:
            continue
        labels = {c.code: c.label(language) for c in item.choices}
        out.append(
            {
                **summary,
                "prompt": item.prompt(language) or item.code,
                "enough": summary["n"] >= MIN_PEOPLE_FOR_FIGURE,
                "choices": [(labels.get(c, c), n) for c, n in summary.get("choices", ())],
            }
        )
    return out


def _texts(project_id: int) -> list[SurveyAnswer]:
    return list(
        db.session.scalars(
            sa.select(SurveyAnswer)
            .join(Questionnaire, Questionnaire.id == SurveyAnswer.questionnaire_id)
            .where(
                Questionnaire.project_id == project_id,
                SurveyAnswer.answers[items.CHANGES_ITEM].as_string() != "",
            )
            .order_by(SurveyAnswer.id.desc())
            .limit(TEXTS_SHOWN)
        )
    )


def _population_arg() -> str:
    value = request.args.get("population", "women")
    return value if value in figures_domain.POPULATIONS else "women"


# --- Pages ------------------------------------------------------------------------------------


@bp.get("/projects/<int:project_id>/appropriation")
@login_required
def appropriation(project_id: int):
    project = project_or_404(project_id, READ)
    population = _population_arg()
    cached = figures_service.cached(project.id, population)
    figures = cached.figures or {}
    zones = {z.id: z for z in zones_service.list_zones(project.id)}
    return render_template(
        "planner/appropriation.html",
        project=project,
        population=population,
        cached=cached,
        figures=figures,
        zones=zones,
        rechecks=_rechecks(project.id, figures.get("rechecks", {})),
        texts=_texts(project.id),
        other_questions=_other_questions(project.id, figures.get("other_questions", [])),
        can_refresh=may(project.id, EXPORT),
        dimensions=items.DIMENSIONS,
        dimension_name=dimension_name,
        index_text=index_text,
        index_value=index_value,
        index_interval_text=index_interval_text,
        difference_text=difference_text,
        verdict_text=verdict_text,
        share_text=share_text,
        breakdown_label=breakdown_label,
        compass=compass,
        before_after_chart=before_after_chart,
        not_enough=not_enough,
        min_people=MIN_PEOPLE_FOR_FIGURE,
        bca_max=BCA_MAX_N,
        before=BEFORE,
        after=AFTER,
        map_args={"population": population, "lang": str(get_locale() or "fr")},
    )


@bp.post("/projects/<int:project_id>/appropriation/refresh")
@login_required
def appropriation_refresh(project_id: int):
    """Compute the figures again now (a job): after an upgrade, or when a refresh failed."""
    project = project_or_404(project_id, EXPORT)
    job = jobs.start(service.KIND, project_id=project.id, user_id=current_user.id, params={})
    return redirect(url_for("planner.job", job_id=job.id), 303)


# --- The map ----------------------------------------------------------------------------------


def index_colour(figure: dict | None) -> str:
    if not figure or figure.get("mean") is None:
        return NOT_ENOUGH_COLOUR
    return next(colour for upper, colour in INDEX_CLASSES if figure["mean"] <= upper)


def _zone_layer(zone: Zone, figure: dict | None) -> folium.GeoJson:
    enough = bool(figure and figure.get("mean") is not None)
    colour = index_colour(figure)
    feature = {"type": "Feature", "properties": {}, "geometry": zone.geometry}
    tooltip = maps_domain.popup_text(_("%(zone)s: %(index)s")) % {
        "zone": maps_domain.popup_isolated(zone.name),
        "index": maps_domain.popup_text(index_text(figure)),
    }
    return folium.GeoJson(
        feature,
        style_function=lambda _feature: {
            "color": "#1b1b1b",
            "weight": 2,
            "dashArray": None if enough else "6 4",
            "fillColor": colour,
            "fillOpacity": 0.7,
        },
        tooltip=folium.Tooltip(tooltip),
    )


def _map_legend(zones: list[Zone], by_zone: dict[int, dict | None]) -> dict:
    entries = [{"kind": "note", "text": _("Appropriation index after the works (0 to 100)")}]
    lower = 0
    for upper, colour in INDEX_CLASSES:
        entries.append({"kind": "zone", "colour": colour, "text": f"{lower} – {upper}"})
        lower = upper
    entries.append(
        {
            "kind": "zone",
            "colour": NOT_ENOUGH_COLOUR,
            "text": _(
                "%(text)s: fewer than %(n)s people", text=not_enough(), n=MIN_PEOPLE_FOR_FIGURE
            ),
        }
    )
    for zone in zones:
        # Plain text: map.js writes it with textContent.
        entries.append(
            {"kind": "note", "text": f"{isolate(zone.name)}: {index_text(by_zone.get(zone.id))}"}
        )
    return {"title": _("Legend"), "items": entries}


def appropriation_map_html(project: Project, population: str, nonce: str) -> str:
    zones = zones_service.list_zones(project.id)
    figures = figures_service.cached(project.id, population).figures or {}
    by_zone = {
        zone.id: (figures.get("zones", {}).get(str(zone.id)) or {}).get("index", {}).get(AFTER)
        for zone in zones
    }
    corners = [p for zone in zones for p in maps_domain.geometry_points(zone.geometry)]
    view = maps_domain.bounds(corners or maps_domain.geometry_points(project.perimeter))
    m = maps_folium._new_map(view)
    for zone in zones:
        _zone_layer(zone, by_zone.get(zone.id)).add_to(m)
    maps_folium.Legend(_map_legend(zones, by_zone)).add_to(m)
    title = _("Appropriation index of %(name)s", name=isolate(project.name))
    return maps_folium._finish(m.get_root().render(), title, nonce)


@bp.get("/projects/<int:project_id>/appropriation/map")
@login_required
def appropriation_map(project_id: int):
    project = project_or_404(project_id, READ)
    nonce = secrets.token_urlsafe(18)
    html = appropriation_map_html(project, _population_arg(), nonce)
    response = current_app.response_class(html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = _document_csp(nonce)
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Cache-Control"] = "private, no-store"  # a nonce is used once
    return response
