"""The appropriation index: how much women make a place theirs, from 0 to 100, per respondent.

The questionnaire's built-in items come from instruments that others have validated; their
wording (French and English) and their source are data (`BUILT_IN_ITEMS`), copied into a project
so that the words asked stay the words analysed. Each item is scored 0-1 in the favourable
direction; a dimension is the mean of its answered items; the index is 100 x the weighted mean of
the answered dimensions (equal weights unless the project sets them) and needs at least
`MIN_DIMENSIONS` of the five, else the respondent has no index.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from .spreadsheet import N_

USE, STAY, COMFORT, LEGITIMACY, NIGHT = DIMENSIONS = (
    "use",
    "stay",
    "comfort_safety",
    "legitimacy",
    "night_use",
)
MIN_DIMENSIONS = 3
CHANGES_ITEM = "changes_since_works"  # free text: the appropriation page lists the latest
# The dimensions' names, msgids (the pages and the exports translate them).
DIMENSION_NAMES = {
    USE: N_("Use"),
    STAY: N_("Staying"),
    COMFORT: N_("Comfort and safety"),
    LEGITIMACY: N_("Legitimacy"),
    NIGHT: N_("Use after dark"),
}


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
class Condition:
    """`${q} = 'v'`, `${q} != 'v'` or `selected(${q}, 'v')` (XLSForm's relevant, walkapp's
    subset): an item's condition on an earlier answer."""

    q: str
    op: str  # "=", "!=", "selected"
    value: str

    def holds(self, answers: Mapping[str, object]) -> bool:
        answer = answers.get(self.q)
        if self.op == "selected":
            return isinstance(answer, list) and self.value in answer
        same = answer is not None and str(answer) == self.value
        return same if self.op == "=" else not same


@dataclass(frozen=True)
class Item:
    code: str
    prompt: Words
    source: str
    dimension: str | None  # None: asked, shown and exported, not in the index
    choices: tuple[Choice, ...] = ()
    scale: tuple[int, int] | None = None  # an integer scale, scored (x - low) / (high - low)
    kind: str = "select_one"  # one of KINDS
    step: float = 1
    hint: Words | None = None
    # OR of ANDs of conditions (the format's DNF); empty: always asked.
    relevant: tuple[tuple[Condition, ...], ...] = ()
    required: bool = False
    row: int | None = None  # the XLSForm survey sheet's row

    def asked(self, answers: Mapping[str, object]) -> bool:
        return not self.relevant or any(
            all(c.holds(answers) for c in terms) for terms in self.relevant
        )

    def score(self, answer: object) -> float | None:
        """The answer's score in 0-1, or None (not answered, or not scored)."""
        if answer is None or self.dimension is None:
            return None
        if self.scale is not None:
            low, high = self.scale
            if isinstance(answer, bool) or not isinstance(answer, int | float):
                raise ValueError(f"{self.code}: {answer!r} is not on the scale {low}-{high}")
            if not low <= answer <= high:
                raise ValueError(f"{self.code}: {answer!r} is not on the scale {low}-{high}")
            return (answer - low) / (high - low)
        if self.kind == "select_multiple":
            if not isinstance(answer, list):
                raise ValueError(f"{self.code}: {answer!r} is not a list of choices")
            scores = [s for s in (self._choice(code).score for code in answer) if s is not None]
            return sum(scores) / len(scores) if scores else None
        return self._choice(answer).score

    def _choice(self, answer: object) -> Choice:
        for choice in self.choices:
            if choice.code == answer:
                return choice
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
        kind="range",
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
        kind="range",
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
    # The action plan's soft-mobility indicator: women who come here on foot or by bicycle.
    Item(
        "arrival_mode",
        Words("Comment êtes-vous venue ici aujourd'hui ?", "How did you come here today?"),
        "walkapp (Valenciennes Métropole's action plan: women's use of soft mobility)",
        None,
        _choices(
            ("walking", "À pied", "On foot", None),
            ("cycling", "À vélo ou en trottinette", "By bicycle or scooter", None),
            ("public_transport", "En transports en commun", "By public transport", None),
            ("car", "En voiture ou en deux-roues motorisé", "By car or motorbike", None),
            ("other", "Autrement", "Another way", None),
        ),
    ),
    Item(
        CHANGES_ITEM,
        Words(
            "Qu'est-ce qui a changé ici depuis les travaux ?",
            "What has changed here since the works?",
        ),
        "walkapp (free text, read by the planners)",
        None,
        kind="text",
    ),
)
SOFT_MOBILITY_ITEM = "arrival_mode"
SOFT_MODES = frozenset({"walking", "cycling"})
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


# --- Items as data (the questionnaire's stored format) ------------------------------------------

KINDS = (
    "text",
    "integer",
    "decimal",
    "select_one",
    "select_multiple",
    "range",
    "note",
    "geopoint",
    "image",
)
SCORABLE_KINDS = frozenset({"select_one", "select_multiple", "range"})
MAX_TEXT = 2000


def _words(data: Mapping[str, str] | None) -> Words | None:
    if not data:
        return None
    fr, en = data.get("fr") or data.get("en") or "", data.get("en") or data.get("fr") or ""
    return Words(fr, en)


def item_data(item: Item) -> dict:
    """An item in the questionnaire's stored format (the phone reads the same)."""
    return {
        "code": item.code,
        "type": item.kind,
        "prompt": {"fr": item.prompt.fr, "en": item.prompt.en},
        "hint": {"fr": item.hint.fr, "en": item.hint.en} if item.hint else None,
        "source": item.source,
        "dimension": item.dimension,
        "choices": [
            {"code": c.code, "label": {"fr": c.label.fr, "en": c.label.en}, "score": c.score}
            for c in item.choices
        ],
        "range": (
            {"start": item.scale[0], "end": item.scale[1], "step": item.step}
            if item.scale
            else None
        ),
        "relevant": (
            [[{"q": c.q, "op": c.op, "value": c.value} for c in terms] for terms in item.relevant]
            or None
        ),
        "required": item.required,
        "row": item.row,
    }


def item_from_data(data: Mapping) -> Item:
    span = data.get("range")
    return Item(
        code=data["code"],
        prompt=_words(data["prompt"]) or Words("", ""),
        source=data.get("source") or "",
        dimension=data.get("dimension"),
        choices=tuple(
            Choice(c["code"], _words(c["label"]) or Words(c["code"], c["code"]), c.get("score"))
            for c in data.get("choices") or ()
        ),
        scale=(span["start"], span["end"]) if span else None,
        step=span["step"] if span else 1,
        kind=data["type"],
        hint=_words(data.get("hint")),
        relevant=tuple(
            tuple(Condition(c["q"], c["op"], str(c["value"])) for c in terms)
            for terms in data.get("relevant") or ()
        ),
        required=bool(data.get("required")),
        row=data.get("row"),
    )


def built_in_data() -> list[dict]:
    return [item_data(item) for item in BUILT_IN_ITEMS]


def answer_problem(item: Item, answer: object) -> str | None:
    """Why an answer does not fit its item (a code for the API's error), or None."""
    return _CHECKS[item.kind](item, answer)


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _text_problem(item: Item, answer: object) -> str | None:
    if not isinstance(answer, str):
        return "not_text"
    return "too_long" if len(answer) > MAX_TEXT else None


def _range_problem(item: Item, answer: object) -> str | None:
    low, high = item.scale or (0, 0)
    if not _number(answer) or not low <= answer <= high:
        return "off_scale"
    steps = (answer - low) / item.step
    return None if abs(steps - round(steps)) < 1e-9 else "off_scale"


def _choices_problem(item: Item, answer: object) -> str | None:
    codes = {c.code for c in item.choices}
    if item.kind == "select_one":
        return None if isinstance(answer, str) and answer in codes else "not_a_choice"
    if not isinstance(answer, list) or not answer or len(set(map(str, answer))) != len(answer):
        return "not_choices"
    return None if all(isinstance(a, str) and a in codes for a in answer) else "not_a_choice"


def _geopoint_problem(answer: object) -> str | None:
    if not isinstance(answer, dict) or set(answer) - {"lat", "lon", "accuracy_m"}:
        return "not_a_point"
    lat, lon = answer.get("lat"), answer.get("lon")
    if not _number(lat) or not _number(lon):
        return "not_a_point"
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return "not_a_point"
    return None


_CHECKS = {
    "text": _text_problem,
    "integer": lambda item, a: (
        None if isinstance(a, int) and not isinstance(a, bool) else "not_integer"
    ),
    "decimal": lambda item, a: None if _number(a) else "not_number",
    "select_one": _choices_problem,
    "select_multiple": _choices_problem,
    "range": _range_problem,
    "note": lambda item, a: "not_answerable",
    "geopoint": lambda item, a: _geopoint_problem(a),
    "image": lambda item, a: "not_answerable",
}


# --- The project's weights ---------------------------------------------------------------------

WEIGHT_MAX = 100.0  # a bound against typing slips; only the weights' ratios matter


def weights_problem(weights: Mapping[str, float]) -> str | None:
    """Why these dimension weights cannot be the project's (a code), or None. One finite number
    per dimension, from 0 to WEIGHT_MAX, at least one above 0."""
    if set(weights) != set(DIMENSIONS):
        return "weights_dimensions"
    values = list(weights.values())
    if not all(_number(value) and 0 <= value <= WEIGHT_MAX for value in values):
        return "weights_range"
    if not any(value > 0 for value in values):
        return "weights_zero"
    return None


def stored_weights(weights: Mapping[str, float]) -> dict[str, float] | None:
    """The weights as the questionnaire keeps them: None when they are all equal (equal weights
    give the same index whatever their common value)."""
    values = {float(weights[dim]) for dim in DIMENSIONS}
    return None if len(values) == 1 else {dim: float(weights[dim]) for dim in DIMENSIONS}


# --- The loop closed: a re-check item drafted from a finding ------------------------------------

MAX_RECHECK_PROMPT = 300  # characters of a re-check item's wording, in each language
# The finding's most reported category, as the draft names it ("surtout pour l'éclairage");
# a good place is no problem to re-check, so it is not named.
RECHECK_TOPICS = {
    "lighting": ("l'éclairage", "the lighting"),
    "visibility": ("la visibilité", "visibility"),
    "people_around": ("la présence de monde", "people around"),
    "help_within_reach": ("la possibilité de trouver de l'aide", "help within reach"),
    "harassment": ("le harcèlement", "harassment"),
    "signage": ("la signalétique", "signage"),
    "maintenance": ("la propreté et l'accueil", "cleanliness and welcome"),
    "footpath_access": ("le trottoir et l'accès", "the footpath and access"),
    "seating": ("les assises", "seating"),
    "toilets": ("les toilettes", "toilets"),
    "transport_stop": ("l'arrêt de transport", "the transport stop"),
}
_RECHECK_WORDING = {
    "fr": (
        "Aujourd'hui, ce qui avait été relevé ici — « {title} »{topic} — vous semble-t-il "
        "amélioré, inchangé ou pire ?",
        ", surtout pour {topic}",
    ),
    "en": (
        "Today, does what was reported here — “{title}”{topic} — seem better, unchanged or "
        "worse to you?",
        ", mostly about {topic}",
    ),
}


def recheck_draft(title: str, top_category: str | None, language: str) -> str:
    """The draft of a finding's re-check item in French ("fr") or English (any other code),
    which the planner edits before publishing it: the finding's title, and its most reported
    category when it names a problem. At most MAX_RECHECK_PROMPT characters: the category goes
    first, then the title is shortened."""
    sentence, topic_words = _RECHECK_WORDING["fr" if language == "fr" else "en"]
    title = " ".join((title or "").split())
    words = RECHECK_TOPICS.get(top_category or "")
    topic = topic_words.format(topic=words[0 if language == "fr" else 1]) if words else ""
    draft = sentence.format(title=title, topic=topic)
    if len(draft) > MAX_RECHECK_PROMPT and topic:
        topic = ""
        draft = sentence.format(title=title, topic=topic)
    if len(draft) > MAX_RECHECK_PROMPT:
        room = MAX_RECHECK_PROMPT - len(sentence.format(title="", topic=topic)) - 1
        draft = sentence.format(title=title[:room].rstrip() + "…", topic=topic)
    return draft
