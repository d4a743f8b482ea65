"""The appropriation index: how much women make a place theirs, from 0 to 100, per respondent.

The questionnaire's built-in items come from instruments that others have validated; their
wording (French and English) and their source are data (`BUILT_IN_ITEMS`), copied into a project
so that the words asked stay the words analysed. Each item is scored 0-1 in the favourable
direction; a dimension is the mean of its answered items; the index is 100 x the weighted mean of
the answered dimensions (equal weights unless the project sets them) and needs at least
`MIN_DIMENSIONS` of the five, else the respondent has no index.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

USE, STAY, COMFORT, LEGITIMACY, NIGHT = DIMENSIONS = (
    "use",
    "stay",
    "comfort_safety",
    "legitimacy",
    "night_use",
)
MIN_DIMENSIONS = 3


@dataclass(frozen=True)
class Words:
    fr: str
    en: str

    def __call__(self, language: str) -> str:
        return self.fr if language == "fr" else self.en


@dataclass(frozen=True)
class Choice:
    code: str
    label: Words
    score: float | None  # None: an answer that says nothing of the dimension


@dataclass(frozen=True)
class Item:
    code: str
    prompt: Words
    source: str
    dimension: str | None  # None: asked, shown and exported, not in the index
    choices: tuple[Choice, ...] = ()
    scale: tuple[int, int] | None = None  # an integer scale, scored (x - low) / (high - low)

    def score(self, answer: object) -> float | None:
        """The answer's score in 0-1, or None (not answered, or not scored)."""
        if answer is None or self.dimension is None:
            return None
        if self.scale is not None:
            low, high = self.scale
            if isinstance(answer, bool) or not isinstance(answer, int) or not low <= answer <= high:
                raise ValueError(f"{self.code}: {answer!r} is not on the scale {low}-{high}")
            return (answer - low) / (high - low)
        for choice in self.choices:
            if choice.code == answer:
                return choice.score
        raise ValueError(f"{self.code}: {answer!r} is not one of its choices")


def _choices(*rows: tuple[str, str, str, float | None]) -> tuple[Choice, ...]:
    return tuple(Choice(code, Words(fr, en), score) for code, fr, en, score in rows)


SDG = "UN SDG indicator 16.1.4 (feeling safe walking alone), UNODC/UN-Women wording"
PLACE_STANDARD = "Place Standard tool (Scottish Government, NHS Health Scotland, A&DS), 1-7"
SAFE_CHOICES = _choices(
    ("very_safe", "Très en sécurité", "Very safe", 1.0),
    ("fairly_safe", "Plutôt en sécurité", "Fairly safe", 2 / 3),
    ("fairly_unsafe", "Plutôt en insécurité", "Fairly unsafe", 1 / 3),
    ("very_unsafe", "Très en insécurité", "Very unsafe", 0.0),
)

BUILT_IN_ITEMS: tuple[Item, ...] = (
    Item(
        "use_frequency",
        Words("À quelle fréquence venez-vous ici ?", "How often do you come here?"),
        "walkapp (Valenciennes Métropole's action plan: appropriation of public spaces)",
        USE,
        _choices(
            ("never", "Jamais", "Never", 0.0),
            ("less_than_monthly", "Moins d'une fois par mois", "Less than once a month", 0.25),
            ("monthly", "Chaque mois", "Every month", 0.5),
            ("weekly", "Chaque semaine", "Every week", 0.75),
            ("daily", "Chaque jour", "Every day", 1.0),
        ),
    ),
    Item(
        "stay_or_pass",
        Words("Quand vous venez, vous…", "When you come, you…"),
        "Gehl's public-life studies: staying versus passing through",
        STAY,
        _choices(
            ("pass_only", "Traversez seulement", "Only pass through", 0.0),
            ("stop_sometimes", "Vous arrêtez parfois", "Sometimes stop", 0.5),
            ("stop_often", "Vous arrêtez souvent", "Often stop", 1.0),
        ),
    ),
    Item(
        "safe_alone_day",
        Words(
            "Vous sentez-vous en sécurité en marchant seule ici, de jour ?",
            "How safe do you feel walking alone here during the day?",
        ),
        SDG,
        COMFORT,
        SAFE_CHOICES,
    ),
    Item(
        "safe_alone_dark",
        Words(
            "Vous sentez-vous en sécurité en marchant seule ici, après la tombée de la nuit ?",
            "How safe do you feel walking alone here after dark?",
        ),
        SDG,
        COMFORT,
        SAFE_CHOICES,
    ),
    Item(
        "avoidance",
        Words(
            "Vous arrive-t-il d'éviter ce lieu ou de renoncer à y venir pour des raisons de "
            "sécurité ?",
            "Do you ever avoid this place, or give up coming here, for safety reasons?",
        ),
        "After the victimisation surveys' « renoncer à sortir » (INSEE-SSMSI, Cadre de vie et "
        "sécurité)",
        COMFORT,
        _choices(
            ("often", "Oui, souvent", "Yes, often", 0.0),
            ("sometimes", "Parfois", "Sometimes", 0.5),
            ("never", "Jamais", "Never", 1.0),
        ),
    ),
    Item(
        "ps_feeling_safe",
        Words("Vous sentez-vous en sécurité ici ? (1 à 7)", "Do I feel safe here? (1 to 7)"),
        PLACE_STANDARD,
        COMFORT,
        scale=(1, 7),
    ),
    Item(
        "belonging",
        Words("« Je me sens à ma place ici »", "“I feel I belong here”"),
        "After the legitimacy items of gender and public-space studies (« se sentir à sa place »)",
        LEGITIMACY,
        _choices(
            ("strongly_disagree", "Pas du tout d'accord", "Strongly disagree", 0.0),
            ("disagree", "Plutôt pas d'accord", "Disagree", 0.25),
            ("neutral", "Ni d'accord ni pas d'accord", "Neither agree nor disagree", 0.5),
            ("agree", "D'accord", "Agree", 0.75),
            ("strongly_agree", "Tout à fait d'accord", "Strongly agree", 1.0),
        ),
    ),
    Item(
        "ps_identity",
        Words(
            "Ce lieu a-t-il une identité à laquelle vous vous sentez appartenir ? (1 à 7)",
            "Identity and belonging: does this place have a positive identity and do I feel I "
            "belong? (1 to 7)",
        ),
        PLACE_STANDARD,
        LEGITIMACY,
        scale=(1, 7),
    ),
    Item(
        "night_use",
        Words("Venez-vous ici après la tombée de la nuit ?", "Do you come here after dark?"),
        "walkapp (night use: the time women most often give up)",
        NIGHT,
        _choices(
            ("never", "Jamais", "Never", 0.0),
            ("rarely", "Rarement", "Rarely", 1 / 3),
            ("sometimes", "Parfois", "Sometimes", 2 / 3),
            ("often", "Souvent", "Often", 1.0),
        ),
    ),
)
BY_CODE = {item.code: item for item in BUILT_IN_ITEMS}


def dimension_scores(items: Mapping[str, Item], answers: Mapping[str, object]) -> dict[str, float]:
    """Each answered dimension's score: the mean of its answered, scored items."""
    scores: dict[str, list[float]] = {}
    for code, answer in answers.items():
        item = items.get(code)
        if item is None:
            continue
        score = item.score(answer)
        if score is not None:
            scores.setdefault(item.dimension, []).append(score)
    return {dim: sum(values) / len(values) for dim, values in scores.items()}


def index(scores: Mapping[str, float], weights: Mapping[str, float] | None = None) -> float | None:
    """100 x the weighted mean of the answered dimensions; None under MIN_DIMENSIONS of them."""
    answered = [dim for dim in DIMENSIONS if dim in scores]
    if len(answered) < MIN_DIMENSIONS:
        return None
    weight = {dim: 1.0 for dim in DIMENSIONS} | dict(weights or {})
    total = sum(weight[dim] for dim in answered)
    if total <= 0:
        return None
    return 100 * sum(weight[dim] * scores[dim] for dim in answered) / total


def respondent_index(
    answers: Mapping[str, object],
    items: Mapping[str, Item] = BY_CODE,
    weights: Mapping[str, float] | None = None,
) -> float | None:
    return index(dimension_scores(items, answers), weights)
