"""The words of a finding's follow-up answers after the works (domain.rechecks), one wording
for the tender annex (DOCX and preview) and the monitoring report (DOCX and HTML).

Worded in the current language: the writers run under ``force_locale(<document>.language)``,
the preview in the page's language, which is the annex's. Returns plain text: a DOCX run or an
autoescaped template escapes it.
"""

from __future__ import annotations

from flask_babel import format_decimal, gettext

from ..domain.rechecks import RecheckAnswers


def answers_label() -> str:
    return gettext("After the works (appropriation survey, women's answers):")


def question_label() -> str:
    return gettext("Question asked:")


def question_heading() -> str:
    return gettext("Question asked")


def answers_heading() -> str:
    return gettext("Women's answers after the works")


def answers_text(answers: RecheckAnswers) -> str:
    """ "better 12, unchanged 29, worse 13 (n = 54; “I don't know”: 6)", or "not enough
    answers (n = 3)" under MIN_PEOPLE_FOR_FIGURE (then no count is shown: a handful of answers
    could point at someone)."""
    if not answers.enough:
        return gettext("not enough answers (n = %(n)s)", n=format_decimal(answers.n))
    return gettext(
        "better %(better)s, unchanged %(same)s, worse %(worse)s "
        "(n = %(n)s; “I don't know”: %(dont_know)s)",
        better=format_decimal(answers.better),
        same=format_decimal(answers.same),
        worse=format_decimal(answers.worse),
        n=format_decimal(answers.n),
        dont_know=format_decimal(answers.dont_know),
    )
