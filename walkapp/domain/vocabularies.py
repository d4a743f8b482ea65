"""Every vocabulary of walkapp, the one source of its codes and their order.

Codes are fixed (they are stored in the database and sent by clients). Labels and hints are the
English msgids of the gettext catalogs, with the vocabulary's name as their context (so that
"Visibility" can be a category and a criterion with two French words): `walkapp.i18n` shows them
in a language, scripts/translations.py puts them in the catalogs. The API
(`GET /api/v1/taxonomy`), the validators, the UI and the exports all read this module.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Term:
    code: str
    label: str  # msgid (English), in the context of its vocabulary's name
    hint: str = ""  # msgid too; empty: no hint


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


# Grounded in the principles of the French/Québec exploratory walk and the Paris themes.
# In the order of the app's first screen (issue 10): what a night walk names most, then
# harassment and what works, within the first six buttons a small phone shows unscrolled.
CATEGORIES = Vocabulary(
    "category",
    (
        Term("lighting", "Lighting", "Too dark, lamp out"),
        Term("visibility", "Visibility", "Hidden corners, blocked views"),
        Term("people_around", "People around", "Deserted or lively"),
        Term("help_within_reach", "Help within reach", "Open shops, phone signal, someone to call"),
        Term("harassment", "Harassment", "Comments, gestures, followed, assault"),
        Term("good_place", "Good place", "What works and must be kept"),
        Term("signage", "Signage", "Signs, maps"),
        Term("maintenance", "Cleanliness, welcome", "Litter, graffiti, neglect"),
        Term("footpath_access", "Footpath, access", "Pushchair, wheelchair, obstacles"),
        Term("seating", "Seating"),
        Term("toilets", "Toilets"),
        Term("transport_stop", "Transport stop"),
    ),
)

# The nine parameters of the Safetipin safety audit, each rated 0-3.
CRITERIA = Vocabulary(
    "criterion",
    (
        Term("lighting", "Lighting"),
        Term("openness", "Openness", "See far, get away"),
        Term("visibility", "Visibility", "Windows and shops facing the street"),
        Term("people", "People"),
        Term("security", "Security", "Police, guards"),
        Term("walk_path", "Walk path"),
        Term("public_transport", "Public transport"),
        Term("gender_usage", "Women and children present"),
        Term("perceived_safety", "Feeling of safety"),
    ),
)
CRITERION_MIN, CRITERION_MAX = 0, 3

FEELINGS = Vocabulary(
    "feeling",
    (
        Term("1", "Very unsafe"),
        Term("2", "Unsafe"),
        Term("3", "So-so"),
        Term("4", "Fairly comfortable"),
        Term("5", "Safe and comfortable"),
    ),
)
FEELING_MIN, FEELING_MAX = 1, 5

LIGHT_CONDITIONS = Vocabulary(
    "light_condition",
    (
        Term("day", "Day"),
        Term("twilight", "Twilight"),
        Term("night", "Night"),
    ),
)

GENDERS = Vocabulary(
    "gender",
    (
        Term("woman", "Woman"),
        Term("man", "Man"),
        Term("non_binary", "Non-binary"),
        Term("undisclosed", "Prefer not to say"),
    ),
)

AGE_BANDS = Vocabulary(
    "age_band",
    (
        Term("under_15", "Under 15"),
        Term("15_17", "15 to 17"),
        Term("18_24", "18 to 24"),
        Term("25_44", "25 to 44"),
        Term("45_64", "45 to 64"),
        Term("65_plus", "65 and over"),
    ),
)
# "Girls" and "boys" in counts are women and men of these bands.
UNDER_18_AGE_BANDS = ("under_15", "15_17")

RESIDENT = Vocabulary(
    "resident",
    (
        Term("yes", "I live here"),
        Term("no", "I don't live here"),
        Term("undisclosed", "Prefer not to say"),
    ),
)

MOBILITY = Vocabulary(
    "mobility",
    (
        Term("none", "None"),
        Term("pushchair", "Pushchair"),
        Term("wheelchair", "Wheelchair"),
        Term("walking_aid", "Walking aid"),
        Term("visual", "Visual impairment"),
        Term("other", "Other"),
    ),
)

TIME_SLOTS = Vocabulary(
    "time_slot",
    (
        Term("weekday_day", "Weekday, daytime"),
        Term("weekday_evening", "Weekday, evening"),
        Term("weekend_day", "Weekend, daytime"),
        Term("weekend_evening", "Weekend, evening"),
    ),
)

EVENT_KINDS = Vocabulary(
    "event_kind",
    (
        Term("exploratory_walk", "Exploratory walk"),
        Term("appropriation_survey", "Appropriation survey (before and after the works)"),
        Term("meeting", "Consultation meeting"),
    ),
)

AUDIENCES = Vocabulary(
    "audience",
    (
        Term("women", "Women's group"),
        Term("girls", "Girls' group"),
        Term("mixed", "Mixed group"),
        Term("seniors", "Seniors"),
        Term("other", "Other"),
    ),
)

# Usage counts: the Public Life Data Protocol (Gehl Institute et al., beta 2017), basic level.
# Categories are *perceived* by the counter, not declared. exporters/pldp.py maps them to the
# protocol's own codes (tests/data/pldp holds them).
COUNT_KINDS = Vocabulary(
    "count_kind",
    (
        Term("staying", "People staying", "A snapshot of the zone: each person staying, once"),
        Term("moving", "People passing", "At a line or gate, for at least 10 minutes"),
    ),
)
PERCEIVED_GENDERS = Vocabulary(
    "perceived_gender",
    (
        Term("female", "Women and girls"),
        Term("male", "Men and boys"),
        Term("unknown", "Undetermined"),
    ),
)
# walkapp's age bands nest into these (under_15 -> 0-14, 15_17 and 18_24 -> 15-24...).
AGE_GROUPS = Vocabulary(
    "age_group",
    (
        Term("0-14", "0–14"),
        Term("15-24", "15–24"),
        Term("25-64", "25–64"),
        Term("65+", "65 and over"),
    ),
)
# The protocol's detailed pedestrian codes keep a wheelchair (supported) and a pushchair (carried)
# apart; scooters and skates are its "rolling" pedestrians.
MOVING_MODES = Vocabulary(
    "moving_mode",
    (
        Term("pedestrian_walking", "On foot"),
        Term("pedestrian_carried", "With a pushchair", "Or a child carried"),
        Term("pedestrian_supported", "In a wheelchair", "Or with crutches, a cane"),
        Term("pedestrian_rolling", "Scooter, skates"),
        Term("bicyclist", "By bicycle"),
    ),
)
# The protocol's basic postures and activities.
POSTURES = Vocabulary(
    "posture",
    (
        Term("standing", "Standing"),
        Term("sitting_formal", "Sitting on a bench", "Or a chair: seating made for it"),
        Term("sitting_informal", "Sitting elsewhere", "A step, a low wall, the ground"),
        Term("lying", "Lying"),
        Term("multiple", "Several postures"),
    ),
)
ACTIVITIES = Vocabulary(
    "activity",
    (
        Term("conversing", "Talking"),
        Term("waiting_transfer", "Waiting for transport"),
        Term("waiting_other", "Waiting, other"),
        Term("recreation_passive", "Resting, watching"),
        Term("recreation_active", "Playing, sport"),
        Term("consuming", "Eating or drinking"),
        Term("electronic_engagement", "On a phone or screen"),
        Term("commercial", "Buying or selling"),
        Term("working_civic", "Working in the space", "Cleaning, maintenance, police"),
        Term("cultural", "Cultural activity", "Music, a show, a market"),
        Term("smoking", "Smoking"),
        Term("soliciting", "Asking passers-by", "For money, signatures"),
        Term("living_public", "Living in the public space"),
        Term("disruptive", "Disruptive behaviour"),
    ),
)
GROUP_SIZES = Vocabulary(
    "group_size",
    (
        Term("1", "Alone"),
        Term("2", "Two"),
        Term("3-7", "3 to 7"),
        Term("8+", "8 or more"),
    ),
)
# The protocol's microclimate (the perceived weather where the count is made).
WEATHER = Vocabulary(
    "weather",
    (
        Term("sun_exposed", "Sun"),
        Term("light_clouds", "Light clouds"),
        Term("heavy_clouds", "Overcast"),
        Term("light_rain", "Light rain"),
        Term("heavy_rain", "Heavy rain"),
        Term("fog", "Fog"),
        Term("heavy_wind", "Strong wind"),
        Term("light_snow", "Snow"),
    ),
)
# The protocol's time character: anything out of the ordinary that may change the counts.
TIME_CHARACTERS = Vocabulary(
    "time_character",
    (
        Term("none", "Nothing special"),
        Term("communal_event", "An event on the square", "Cultural or communal"),
        Term("commercial_event", "A market or commercial event"),
        Term("political_religious", "A political or religious gathering"),
        Term("holiday", "A public holiday"),
        Term("emergency", "An accident or emergency"),
        Term("roadworks", "Roadworks or construction"),
    ),
)

# Where a spot's position came from (DESIGN: never a default such as the perimeter's centre).
POSITION_SOURCES = Vocabulary(
    "position_source",
    (
        Term("gps", "GPS", "The phone's position, with its accuracy"),
        Term("pin", "Placed by hand", "A pin moved on the map, or a position typed in"),
        Term("stop", "At a stop", "The stop of the route where the spot was tagged"),
        Term("unknown", "Unknown", "Sent by an old version of the app, or before it was recorded"),
    ),
)

WALK_STATUSES = Vocabulary(
    "walk_status",
    (
        Term("planned", "Planned"),
        Term("open", "Open"),
        Term("closed", "Closed"),
    ),
)

PROJECT_PHASES = Vocabulary(
    "project_phase",
    (
        Term("diagnostic", "Diagnostic"),
        Term("works", "Works"),
        Term("after_works", "After works"),
    ),
)

USER_ROLES = Vocabulary(
    "user_role",
    (
        Term("admin", "Administrator"),
        Term("planner", "Planner"),
        Term("facilitator", "Facilitator"),
        Term("viewer", "Viewer"),
    ),
)
# The roles a project membership can carry: an administrator's rights are global. The same
# vocabulary's terms (and labels), not a second list.
MEMBER_ROLES = Vocabulary(USER_ROLES.name, tuple(t for t in USER_ROLES if t.code != "admin"))

# Words of the audit log: services record codes ("edit", "walk", "title"...), the log's page
# shows their labels. Nouns, not participles: a French participle would have to agree with each
# target's gender.
AUDIT_ACTIONS = Vocabulary(
    "audit_action",
    (
        Term("create", "creation"),
        Term("edit", "modification"),
        Term("delete", "deletion"),
        Term("open", "opening"),
        Term("close", "closing"),
        Term("hide", "hiding"),
        Term("unhide", "showing again"),
        Term("export", "export"),
        Term("count", "head count"),
        Term("add", "addition"),
        Term("remove", "removal"),
        Term("deactivate", "deactivation"),
        Term("reactivate", "reactivation"),
        Term("reset_password", "password reset"),
        Term("sign_out", "sign-out everywhere"),
        Term("unlock", "sign-in unlocked"),
        Term("purge", "purge at the end of the retention period"),
        Term("archive", "archiving"),
        Term("unarchive", "taking out of the archive"),
        Term("publish", "publication"),
        Term("republish", "publication again"),
        Term("unpublish", "taking down"),
    ),
)
AUDIT_TARGETS = Vocabulary(
    "audit_target",
    (
        Term("project", "project"),
        Term("perimeter", "perimeter"),
        Term("user", "account"),
        Term("membership", "project membership"),
        Term("walk", "event"),
        Term("stop", "stop"),
        Term("observation", "spot"),
        Term("attendance", "attendance"),
        Term("stop_note", "group note"),
        Term("proxy_participant", "spots entered for a participant"),
        Term("finding", "finding"),
        Term("publication", "residents' page"),
        Term("zone", "zone"),
        Term("count_period", "counting period"),
    ),
)
AUDIT_FIELDS = Vocabulary(
    "audit_field",
    (
        Term("name", "name"),
        Term("commune", "commune"),
        Term("insee_code", "INSEE code"),
        Term("description", "description"),
        Term("phase", "phase"),
        Term("timezone", "time zone"),
        Term("email", "email"),
        Term("role", "role"),
        Term("user", "account"),
        Term("project", "project"),
        Term("type", "shape"),
        Term("parts", "parts"),
        Term("points", "points"),
        Term("source", "source"),
        Term("perimeter", "perimeter"),
        Term("kind", "kind of event"),
        Term("audience", "group"),
        Term("title", "title"),
        Term("group_description", "description of the group"),
        Term("meeting_point", "meeting point"),
        Term("starts_at", "start"),
        Term("ends_at", "end"),
        Term("facilitator_id", "facilitator"),
        Term("stops", "stops"),
        Term("stop", "stop"),
        Term("walk_id", "event"),
        Term("spots", "spots"),
        Term("events", "events"),
        Term("participants", "participants"),
        Term("photos", "photos"),
        Term("count", "count"),
        Term("edited_at", "edited on the phone at"),
        Term("uuid", "spot"),
        Term("reason", "reason"),
        Term("hidden_at", "hidden at"),
        Term("hidden_by_id", "hidden by"),
        Term("cell", "place (cell)"),
        Term("recommendation", "recommendation"),
        Term("z", "z-score"),
        Term("p", "p-value"),
        Term("sessions", "sessions ended"),
        Term("failures", "failed sign-ins forgotten"),
        Term("retention_months", "retention (months after closing)"),
        Term("closed_at", "closed on"),
        Term("track_points", "route-trace points"),
        Term("redacted", "erased with the spot"),
        Term("geometry", "outline"),
        Term("position", "order"),
        Term("zones", "zones added"),
        Term("redrawn", "zones redrawn"),
    ),
)

# The vocabularies the participant app and other clients get (GET /api/v1/taxonomy).
TAXONOMY = (
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
    USER_ROLES,
    POSITION_SOURCES,
    COUNT_KINDS,
    PERCEIVED_GENDERS,
    AGE_GROUPS,
    MOVING_MODES,
    POSTURES,
    ACTIVITIES,
    GROUP_SIZES,
    WEATHER,
    TIME_CHARACTERS,
)
ALL = (*TAXONOMY, AUDIT_ACTIONS, AUDIT_TARGETS, AUDIT_FIELDS)
BY_NAME = {vocab.name: vocab for vocab in ALL}
