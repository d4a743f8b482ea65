"""The loop closed, as the tender annex and the monitoring report word it: each finding's
follow-up question after the works and its answers (better / unchanged / worse, n of those
three, "I don't know" apart). No Flask, no DB.

The services read the tallies (services.appropriation_figures.recheck_results) and hand them
here; a document gets, per finding, the question in its own language and the counts, shown as
numbers only from MIN_PEOPLE_FOR_FIGURE answers on (domain.thresholds), like every figure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from .thresholds import enough_people


class RecheckLike(Protocol):
    """What is read of a tally (services.appropriation_figures.RecheckResult)."""

    prompt_fr: str
    prompt_en: str
    better: int
    same: int
    worse: int
    dont_know: int


@dataclass(frozen=True)
class RecheckAnswers:
    """A finding's follow-up question, worded in the document's language, and its answers."""

    prompt: str
    better: int = 0
    same: int = 0
    worse: int = 0
    dont_know: int = 0

    @property
    def n(self) -> int:
        return self.better + self.same + self.worse

    @property
    def enough(self) -> bool:
        return enough_people(self.n)


def prompt_in(result: RecheckLike, language: str) -> str:
    """The question as it was asked in `language` (French unless English), or the other
    language's wording when that one is empty."""
    first, other = (
        (result.prompt_en, result.prompt_fr)
        if language == "en"
        else (result.prompt_fr, result.prompt_en)
    )
    return (first or "").strip() or (other or "").strip()


def _answers(result: RecheckLike, language: str) -> RecheckAnswers:
    return RecheckAnswers(
        prompt=prompt_in(result, language),
        better=int(result.better),
        same=int(result.same),
        worse=int(result.worse),
        dont_know=int(result.dont_know),
    )


def answers_by_finding(
    results: Mapping[int, RecheckLike], language: str
) -> dict[int, RecheckAnswers]:
    """{finding id: its answers} of a project's tallies, for a document in `language`."""
    return {fid: _answers(r, language) for fid, r in results.items()}
