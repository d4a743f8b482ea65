"""The appropriation index's figures: per zone, gender, age band and time slot, before and after.

Input: one `Respondent` per answer kept for the index (duplicates at a permanent QR are left out
by the caller), with the dimensions' scores stored at write time. Output: plain JSON-able dicts,
cached by the refresh job (services.appropriation_figures) and read by the pages.

- The index of a group is the mean of its respondents' indices (domain.appropriation: a
  respondent under 3 dimensions has none and is not in n), with a seeded bootstrap interval
  (domain.intervals.mean_interval: BCa up to 5,000 respondents, percentile above).
- Before/after per zone: the diagnostic phase's respondents against the after-works phase's,
  the difference after − before with its bootstrap interval, and whether it excludes zero.
- Soft mobility: the share of women respondents who came on foot or by bicycle, with Wilson's
  interval; its before/after difference with Newcombe's.
- Feeling safe walking alone by day and after dark (SDG 16.1.4): the share « très » or « plutôt
  en sécurité », before and after, with Newcombe's interval on the difference.
- Re-check items: per finding's item, how many said better / unchanged / worse (and don't know).
- Any figure over fewer than MIN_PEOPLE_FOR_FIGURE people is suppressed (no value, n kept).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from . import appropriation as items
from .intervals import (
    difference_interval,
    mean_interval,
    share_difference_interval,
    wilson_interval,
)
from .thresholds import enough_people

BEFORE, AFTER = "diagnostic", "after_works"
WOMEN = "woman"
POPULATIONS = ("women", "all")  # the cache's filters: women respondents, or everyone
BREAKDOWNS = ("gender", "age_band", "time_slot")
SEED = 2017


@dataclass(frozen=True)
class Respondent:
    zone_id: int | None
    phase: str
    time_slot: str
    gender: str | None
    age_band: str | None
    scores: Mapping[str, float]
    arrival_mode: str | None = None
    rechecks: Mapping[str, str] = field(default_factory=dict)
    # The SDG 16.1.4 items as answered (a choice code of SAFE_CHOICES, or None): their share of
    # « en sécurité » by day and after dark says what the index's comfort dimension averages.
    safe_day: str | None = None
    safe_dark: str | None = None
    # The answers to the questions outside the index (other_questions), by item code.
    others: Mapping[str, object] = field(default_factory=dict)


def _index_figure(values: Sequence[float], seed: int) -> dict:
    n = len(values)
    if not enough_people(n):
        return {"n": n, "mean": None}
    estimate = mean_interval(values, seed=seed)
    return {
        "n": n,
        "mean": estimate.mean,
        "low": estimate.low,
        "high": estimate.high,
        "method": estimate.method,
    }


def _difference(before: Sequence[float], after: Sequence[float], seed: int) -> dict | None:
    if not (enough_people(len(before)) and enough_people(len(after))):
        return None
    estimate = difference_interval(before, after, seed=seed)
    return {
        "difference": estimate.difference,
        "low": estimate.low,
        "high": estimate.high,
        "method": estimate.method,
        "excludes_zero": estimate.excludes_zero,
    }


def _dimension_means(group: Sequence[Respondent]) -> dict[str, dict]:
    """Each dimension's mean score (0-100) over the respondents who answered it."""
    out = {}
    for dim in items.DIMENSIONS:
        values = [r.scores[dim] for r in group if dim in r.scores]
        n = len(values)
        out[dim] = {"n": n, "mean": 100 * sum(values) / n if enough_people(n) else None}
    return out


def _soft_mobility(group: Sequence[Respondent]) -> dict:
    women = [r for r in group if r.gender == WOMEN and r.arrival_mode is not None]
    n, soft = len(women), sum(r.arrival_mode in items.SOFT_MODES for r in women)
    if not enough_people(n):
        return {"n": n, "share": None}
    interval = wilson_interval(soft, n)
    return {"n": n, "count": soft, "share": soft / n, "low": interval.low, "high": interval.high}


SAFE = frozenset({"very_safe", "fairly_safe"})


def _safe_share(group: Sequence[Respondent], attribute: str) -> dict:
    answered = [getattr(r, attribute) for r in group if getattr(r, attribute) is not None]
    n, safe = len(answered), sum(a in SAFE for a in answered)
    if not enough_people(n):
        return {"n": n, "share": None}
    interval = wilson_interval(safe, n)
    return {"n": n, "count": safe, "share": safe / n, "low": interval.low, "high": interval.high}


def _share_difference(before: dict, after: dict) -> dict | None:
    if before.get("share") is None or after.get("share") is None:
        return None
    estimate = share_difference_interval(before["count"], before["n"], after["count"], after["n"])
    return {
        "difference": estimate.difference,
        "low": estimate.low,
        "high": estimate.high,
        "excludes_zero": estimate.excludes_zero,
    }


def _phases(
    group: Sequence[tuple[Respondent, float | None]], seed: int
) -> tuple[dict, dict[str, list[float]]]:
    values: dict[str, list[float]] = {}
    for respondent, value in group:
        if value is not None:
            values.setdefault(respondent.phase, []).append(value)
    return {phase: _index_figure(v, seed) for phase, v in sorted(values.items())}, values


def _compared(group: Sequence[tuple[Respondent, float | None]], seed: int) -> dict:
    by_phase, values = _phases(group, seed)
    respondents = [r for r, _ in group]
    soft = {
        phase: _soft_mobility([r for r in respondents if r.phase == phase])
        for phase in (BEFORE, AFTER)
    }
    safe = {
        attribute: {
            phase: _safe_share([r for r in respondents if r.phase == phase], attribute)
            for phase in (BEFORE, AFTER)
        }
        for attribute in ("safe_day", "safe_dark")
    }
    return {
        "index": by_phase,
        "safe": {
            attribute: {**shares, "difference": _share_difference(shares[BEFORE], shares[AFTER])}
            for attribute, shares in safe.items()
        },
        "difference": _difference(values.get(BEFORE, []), values.get(AFTER, []), seed),
        "dimensions": {
            phase: _dimension_means([r for r in respondents if r.phase == phase])
            for phase in (BEFORE, AFTER)
        },
        "soft_mobility": soft,
        "soft_mobility_difference": _share_difference(soft[BEFORE], soft[AFTER]),
        "answers": len(group),
    }


def _rechecks(respondents: Iterable[Respondent]) -> dict[str, dict[str, int]]:
    tallies: dict[str, dict[str, int]] = {}
    for respondent in respondents:
        if respondent.phase != AFTER:
            continue  # a follow-up question measures what the works changed
        for code, choice in respondent.rechecks.items():
            tally = tallies.setdefault(code, {"better": 0, "same": 0, "worse": 0, "dont_know": 0})
            tally[choice] = tally.get(choice, 0) + 1
    return tallies


def figures_rechecks(respondents: Sequence[Respondent], population: str) -> dict:
    """The re-check tallies alone (the annex and the report need no interval)."""
    return _rechecks(r for r in respondents if in_population(r, population))


# Asked, outside the index, and summed up elsewhere on the page (their own figure, their texts).
SHOWN_ELSEWHERE = frozenset({items.SOFT_MOBILITY_ITEM, items.CHANGES_ITEM})
UNASKED = frozenset({"note", "image"})
NUMBER_KINDS = frozenset({"integer", "decimal", "range"})


def other_questions(questionnaire_items: Sequence[items.Item]) -> list[items.Item]:
    """The questions a page shows outside the index: those without a dimension (a custom
    form's without `walkapp::dimension`, the profile), in the questionnaire's order."""
    return [
        item
        for item in questionnaire_items
        if item.dimension is None and item.kind not in UNASKED and item.code not in SHOWN_ELSEWHERE
    ]


def other_answers(respondents: Sequence[Respondent], questions: Sequence[items.Item]) -> list[dict]:
    """How each question outside the index was answered: its n, and for choices each choice's
    count (a select_multiple's counts may sum above n), for numbers the median and range; typed
    text and points are only counted (the export holds them). Below the minimum n, the n alone."""
    out = []
    for item in questions:
        answers = [r.others[item.code] for r in respondents if r.others.get(item.code) is not None]
        figure: dict = {"code": item.code, "kind": item.kind, "n": len(answers)}
        if enough_people(len(answers)):
            if item.kind in ("select_one", "select_multiple"):
                counts = dict.fromkeys((c.code for c in item.choices), 0)
                for answer in answers:
                    for code in answer if isinstance(answer, list) else [answer]:
                        counts[str(code)] = counts.get(str(code), 0) + 1
                figure["choices"] = list(counts.items())
            elif item.kind in NUMBER_KINDS:
                numbers = sorted(float(a) for a in answers if _is_number(a))
                figure["median"] = statistics.median(numbers) if numbers else None
                figure["low"], figure["high"] = (
                    (numbers[0], numbers[-1]) if numbers else (None, None)
                )
        out.append(figure)
    return out


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def in_population(respondent: Respondent, population: str) -> bool:
    return population == "all" or respondent.gender == WOMEN


def figures(
    respondents: Sequence[Respondent],
    *,
    weights: Mapping[str, float] | None = None,
    population: str = "women",
    seed: int = SEED,
    questions: Sequence[items.Item] = (),
) -> dict:
    """Every figure of the appropriation pages for one population (see the module's doc);
    `questions`: those outside the index whose answers are summed up (other_questions)."""
    if population not in POPULATIONS:
        raise ValueError(f"population must be one of {POPULATIONS}")
    kept = [r for r in respondents if in_population(r, population)]
    scored = [(r, items.index(r.scores, weights)) for r in kept]
    zones: dict[int | None, list[tuple[Respondent, float | None]]] = {}
    for pair in scored:
        zones.setdefault(pair[0].zone_id, []).append(pair)
    breakdowns: dict[str, dict[str, dict]] = {}
    for key in BREAKDOWNS:
        groups: dict[str, list[tuple[Respondent, float | None]]] = {}
        # The gender breakdown is over everyone: among women alone it would say nothing.
        source = (
            [(r, items.index(r.scores, weights)) for r in respondents]
            if key == "gender"
            else scored
        )
        for pair in source:
            groups.setdefault(getattr(pair[0], key) or "", []).append(pair)
        breakdowns[key] = {code: _phases(g, seed)[0] for code, g in sorted(groups.items())}
    return {
        "population": population,
        "overall": _compared(scored, seed),
        "zones": {
            ("none" if zone is None else str(zone)): _compared(group, seed)
            for zone, group in zones.items()
        },
        "by": breakdowns,
        "rechecks": _rechecks(kept),
        "other_questions": other_answers(kept, questions),
    }
