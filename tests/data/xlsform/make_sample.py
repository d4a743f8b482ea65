"""Writes appropriation_custom.xlsx: a KoboToolbox-like custom questionnaire in French and
English, with every question type walkapp takes, a `relevant` condition, `walkapp::dimension`
and `walkapp::score` (tests/test_xlsform.py imports it).

    .venv/bin/python tests/data/xlsform/make_sample.py
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).resolve().parent
SAMPLE = HERE / "appropriation_custom.xlsx"

SURVEY = [
    (
        "type",
        "name",
        "label::French (fr)",
        "label::English (en)",
        "hint::French (fr)",
        "hint::English (en)",
        "required",
        "relevant",
        "appearance",
        "parameters",
        "walkapp::dimension",
    ),
    ("start", "start"),
    ("end", "end"),
    ("today", "today"),
    ("deviceid", "deviceid"),
    (
        "note",
        "welcome",
        "Merci de répondre à ces quelques questions sur la place (2 minutes).",
        "Thank you for answering these few questions about the square (2 minutes).",
    ),
    (
        "select_one frequency",
        "come_often",
        "À quelle fréquence venez-vous sur la place ?",
        "How often do you come to the square?",
        None,
        None,
        "yes",
        None,
        None,
        None,
        "use",
    ),
    (
        "select_multiple activities",
        "activities",
        "Que faites-vous ici ?",
        "What do you do here?",
        "Plusieurs réponses possibles",
        "Several answers possible",
        None,
        None,
        "minimal",
        None,
        "stay",
    ),
    (
        "range",
        "feel_safe",
        "Vous sentez-vous en sécurité ici ? (1 : pas du tout, 7 : tout à fait)",
        "Do you feel safe here? (1: not at all, 7: completely)",
        None,
        None,
        "true",
        None,
        None,
        "start=1 end=7 step=1",
        "comfort_safety",
    ),
    (
        "select_one agree",
        "belong",
        "« Je me sens à ma place ici »",
        "“I feel I belong here”",
        None,
        None,
        None,
        None,
        "likert",
        None,
        "legitimacy",
    ),
    (
        "select_one night",
        "after_dark",
        "Venez-vous ici après la tombée de la nuit ?",
        "Do you come here after dark?",
        None,
        None,
        None,
        None,
        None,
        None,
        "night_use",
    ),
    (
        "text",
        "why_not_night",
        "Qu'est-ce qui vous en empêche ?",
        "What stops you?",
        None,
        None,
        None,
        "${after_dark} = 'never' or ${after_dark} = 'rarely' and selected(${activities}, 'cross')",
        "multiline",
    ),
    (
        "integer",
        "visits_week",
        "Combien de fois êtes-vous venue cette semaine ?",
        "How many times did you come this week?",
    ),
    (
        "decimal",
        "hours_stay",
        "Combien d'heures restez-vous, en moyenne ?",
        "How many hours do you stay, on average?",
        None,
        None,
        None,
        "${come_often} != 'never'",
    ),
    (
        "geopoint",
        "where_uneasy",
        "Où vous sentez-vous mal à l'aise ?",
        "Where do you feel uneasy?",
        "Placez le point sur la carte",
        "Place the point on the map",
    ),
    (
        "image",
        "photo",
        "Une photo de ce qui a changé (facultatif)",
        "A photo of what changed (optional)",
        None,
        None,
        None,
        None,
        None,
        "max-pixels=1024",
    ),
    (
        "text",
        "what_changed",
        "Qu'est-ce qui a changé depuis les travaux ?",
        "What changed since the works?",
    ),
]

CHOICES = [
    ("list_name", "name", "label::French (fr)", "label::English (en)", "walkapp::score"),
    ("frequency", "never", "Jamais", "Never", 0),
    ("frequency", "less_monthly", "Moins d'une fois par mois", "Less than once a month", 0.25),
    ("frequency", "monthly", "Chaque mois", "Every month", 0.5),
    ("frequency", "weekly", "Chaque semaine", "Every week", 0.75),
    ("frequency", "daily", "Chaque jour", "Every day", 1),
    ("activities", "cross", "Je traverse", "I pass through", 0),
    ("activities", "sit", "Je m'assois", "I sit down", 1),
    ("activities", "meet", "Je retrouve des personnes", "I meet people", 1),
    ("activities", "children", "J'accompagne des enfants", "I bring children", None),
    ("agree", "strongly_disagree", "Pas du tout d'accord", "Strongly disagree", 0),
    ("agree", "disagree", "Plutôt pas d'accord", "Disagree", 0.25),
    ("agree", "neutral", "Ni d'accord ni pas d'accord", "Neither agree nor disagree", 0.5),
    ("agree", "agree", "D'accord", "Agree", 0.75),
    ("agree", "strongly_agree", "Tout à fait d'accord", "Strongly agree", 1),
    ("night", "never", "Jamais", "Never", 0),
    ("night", "rarely", "Rarement", "Rarely", 1 / 3),
    ("night", "sometimes", "Parfois", "Sometimes", 2 / 3),
    ("night", "often", "Souvent", "Often", 1),
]

SETTINGS = [
    ("form_title", "form_id", "version", "default_language"),
    ("Appropriation de la place du Canada", "appropriation_canada", "2025-06-01", "French (fr)"),
]


def build() -> Workbook:
    book = Workbook()
    for sheet, rows in (("survey", SURVEY), ("choices", CHOICES), ("settings", SETTINGS)):
        ws = book.active if sheet == "survey" else book.create_sheet(sheet)
        ws.title = sheet
        for row in rows:
            ws.append(row)
    return book


if __name__ == "__main__":
    build().save(SAMPLE)
    print(SAMPLE)
