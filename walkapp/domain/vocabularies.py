"""Every vocabulary of walkapp, the one source of truth.

Codes are fixed (they are stored in the database and sent by clients); labels are French and
English. The API (`GET /api/v1/taxonomy`), the validators, the UI and the exports all read this
module.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Term:
    code: str
    fr: str
    en: str
    hint_fr: str = ""
    hint_en: str = ""

    def label(self, lang: str) -> str:
        return self.fr if lang == "fr" else self.en

    def as_dict(self) -> dict[str, object]:
        data: dict[str, object] = {"code": self.code, "label": {"fr": self.fr, "en": self.en}}
        if self.hint_fr or self.hint_en:
            data["hint"] = {"fr": self.hint_fr, "en": self.hint_en}
        return data


@dataclass(frozen=True)
class Vocabulary:
    name: str
    terms: tuple[Term, ...]

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(t.code for t in self.terms)

    def __contains__(self, code: object) -> bool:
        return code in self.codes

    def __iter__(self):
        return iter(self.terms)

    def get(self, code: str) -> Term:
        for term in self.terms:
            if term.code == code:
                return term
        raise KeyError(code)

    def label(self, code: str, lang: str = "fr") -> str:
        return self.get(code).label(lang)


# Grounded in the principles of the French/Québec exploratory walk and the Paris themes.
CATEGORIES = Vocabulary(
    "category",
    (
        Term(
            "lighting", "Éclairage", "Lighting", "Trop sombre, lampe cassée", "Too dark, lamp out"
        ),
        Term(
            "visibility",
            "Visibilité",
            "Visibility",
            "Recoins, vue bouchée, cachettes",
            "Hidden corners, blocked views",
        ),
        Term("people_around", "Présence", "People around", "Désert ou animé", "Deserted or lively"),
        Term(
            "help_within_reach",
            "Trouver de l'aide",
            "Help within reach",
            "Commerces ouverts, réseau, quelqu'un à appeler",
            "Open shops, phone signal, someone to call",
        ),
        Term("signage", "Se repérer", "Signage", "Panneaux, plans, noms de rues", "Signs, maps"),
        Term(
            "maintenance",
            "Propreté, accueil",
            "Cleanliness, welcome",
            "Déchets, tags, lieu négligé",
            "Litter, graffiti, neglect",
        ),
        Term(
            "footpath_access",
            "Trottoir, accès",
            "Footpath, access",
            "Poussette, fauteuil, obstacles",
            "Pushchair, wheelchair, obstacles",
        ),
        Term("seating", "Bancs, assises", "Seating"),
        Term("toilets", "Toilettes", "Toilets"),
        Term("transport_stop", "Arrêt de transport", "Transport stop"),
        Term(
            "harassment",
            "Harcèlement",
            "Harassment",
            "Remarques, gestes, suivie, agression",
            "Comments, gestures, followed, assault",
        ),
        Term(
            "good_place",
            "Lieu agréable",
            "Good place",
            "Ce qui marche, à garder",
            "What works and must be kept",
        ),
    ),
)

# The nine parameters of the Safetipin safety audit, each rated 0-3.
CRITERIA = Vocabulary(
    "criterion",
    (
        Term("lighting", "Éclairage", "Lighting"),
        Term("openness", "Ouverture", "Openness", "Voir loin, pouvoir partir", "See far, get away"),
        Term(
            "visibility",
            "Être vue",
            "Visibility",
            "Fenêtres, commerces qui donnent sur la rue",
            "Windows and shops facing the street",
        ),
        Term("people", "Présence de monde", "People"),
        Term("security", "Sécurité", "Security", "Police, gardiens, vigiles", "Police, guards"),
        Term("walk_path", "Cheminement piéton", "Walk path"),
        Term("public_transport", "Transports en commun", "Public transport"),
        Term(
            "gender_usage",
            "Présence de femmes et d'enfants",
            "Women and children present",
        ),
        Term("perceived_safety", "Sentiment de sécurité", "Feeling of safety"),
    ),
)
CRITERION_MIN, CRITERION_MAX = 0, 3

FEELINGS = Vocabulary(
    "feeling",
    (
        Term("1", "Très mal à l'aise", "Very unsafe"),
        Term("2", "Mal à l'aise", "Unsafe"),
        Term("3", "Bof", "So-so"),
        Term("4", "Plutôt bien", "Fairly comfortable"),
        Term("5", "En sécurité, bien", "Safe and comfortable"),
    ),
)
FEELING_MIN, FEELING_MAX = 1, 5

LIGHT_CONDITIONS = Vocabulary(
    "light_condition",
    (
        Term("day", "Jour", "Day"),
        Term("twilight", "Crépuscule", "Twilight"),
        Term("night", "Nuit", "Night"),
    ),
)

GENDERS = Vocabulary(
    "gender",
    (
        Term("woman", "Femme", "Woman"),
        Term("man", "Homme", "Man"),
        Term("non_binary", "Non binaire", "Non-binary"),
        Term("undisclosed", "Je préfère ne pas répondre", "Prefer not to say"),
    ),
)

AGE_BANDS = Vocabulary(
    "age_band",
    (
        Term("under_15", "Moins de 15 ans", "Under 15"),
        Term("15_17", "15 à 17 ans", "15 to 17"),
        Term("18_24", "18 à 24 ans", "18 to 24"),
        Term("25_44", "25 à 44 ans", "25 to 44"),
        Term("45_64", "45 à 64 ans", "45 to 64"),
        Term("65_plus", "65 ans et plus", "65 and over"),
    ),
)
# "Girls" and "boys" in counts are women and men of these bands.
UNDER_18_AGE_BANDS = ("under_15", "15_17")

RESIDENT = Vocabulary(
    "resident",
    (
        Term("yes", "J'habite le quartier", "I live here"),
        Term("no", "Je n'habite pas le quartier", "I don't live here"),
        Term("undisclosed", "Je préfère ne pas répondre", "Prefer not to say"),
    ),
)

MOBILITY = Vocabulary(
    "mobility",
    (
        Term("none", "Aucune gêne", "None"),
        Term("pushchair", "Poussette", "Pushchair"),
        Term("wheelchair", "Fauteuil roulant", "Wheelchair"),
        Term("walking_aid", "Canne, déambulateur", "Walking aid"),
        Term("visual", "Déficience visuelle", "Visual impairment"),
        Term("other", "Autre", "Other"),
    ),
)

TIME_SLOTS = Vocabulary(
    "time_slot",
    (
        Term("weekday_day", "En semaine, en journée", "Weekday, daytime"),
        Term("weekday_evening", "En semaine, en soirée", "Weekday, evening"),
        Term("weekend_day", "Le week-end, en journée", "Weekend, daytime"),
        Term("weekend_evening", "Le week-end, en soirée", "Weekend, evening"),
    ),
)

EVENT_KINDS = Vocabulary(
    "event_kind",
    (
        Term("exploratory_walk", "Marche exploratoire", "Exploratory walk"),
        Term("post_works_survey", "Enquête après travaux", "Post-works survey"),
        Term("meeting", "Réunion de concertation", "Consultation meeting"),
    ),
)

AUDIENCES = Vocabulary(
    "audience",
    (
        Term("women", "Groupe de femmes", "Women's group"),
        Term("girls", "Groupe de filles", "Girls' group"),
        Term("mixed", "Groupe mixte", "Mixed group"),
        Term("seniors", "Personnes âgées", "Seniors"),
        Term("other", "Autre", "Other"),
    ),
)

WALK_STATUSES = Vocabulary(
    "walk_status",
    (
        Term("planned", "Prévue", "Planned"),
        Term("open", "En cours", "Open"),
        Term("closed", "Terminée", "Closed"),
    ),
)

PROJECT_PHASES = Vocabulary(
    "project_phase",
    (
        Term("diagnostic", "Diagnostic", "Diagnostic"),
        Term("works", "Travaux", "Works"),
        Term("after_works", "Après travaux", "After works"),
    ),
)

USER_ROLES = Vocabulary(
    "user_role",
    (
        Term("admin", "Administratrice, administrateur", "Administrator"),
        Term("planner", "Urbaniste, chargée de mission", "Planner"),
        Term("facilitator", "Animatrice, animateur", "Facilitator"),
        Term("viewer", "Lecture seule", "Viewer"),
    ),
)

ALL = (
    CATEGORIES,
    CRITERIA,
    FEELINGS,
    LIGHT_CONDITIONS,
    GENDERS,
    AGE_BANDS,
    RESIDENT,
    MOBILITY,
    TIME_SLOTS,
    EVENT_KINDS,
    AUDIENCES,
    WALK_STATUSES,
    PROJECT_PHASES,
)


def taxonomy() -> dict[str, list[dict[str, object]]]:
    """Every vocabulary with both languages, as the participant app caches it offline."""
    return {vocab.name: [term.as_dict() for term in vocab] for vocab in ALL}
