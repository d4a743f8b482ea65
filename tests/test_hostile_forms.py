"""Every planner route that takes a POST or a PUT, driven with hostile values (Hypothesis).

The routes are read from the app's url_map: each planner POST/PUT has an entry in ROUTES (its
valid baseline body; `test_every_planner_write_route_is_fuzzed` fails on a new route without
one, and on an entry whose route is gone). The URL arguments are those of test_access_matrix's
`urls` fixture (the world of test_hotspots_pages: a project, an open walk with stops, spots, a
photo, a finding; plus a viewer account to administer and a second project).

Signed in as an administrator, for each route: its baseline first (it must not be refused with
4xx or 5xx: the table stays valid), then MAX_EXAMPLES examples, each the baseline with one to
three fields replaced, extended, repeated (a list) or left out, and unknown fields added; the
values are control characters, bidirectional overrides and odd Unicode, 100 KB strings, empty
and blank strings, numbers at the integer columns' edges (-1, 0, 2**31, 2**63, 2**64), 1e309,
"nan", impossible dates, markup, garbage file bytes. For each answer:

- no 5xx;
- a refusal (4xx) changed no row of any table (sqlalchemy's metadata: every table, the audit
  log included; no table is written on every request);
- a refusal page is French (`<html lang="fr">`) and holds no English sentence of the catalogs
  (walkapp's and WTForms'); a JSON refusal and every flashed message hold none either.

Requests that change what later ones see are kept repeatable by a `before` step that puts the
world back first (archive: unarchive; hide: unhide; open: planned again; logout: sign in again;
the finding routes: a finding, or none, at the hotspot) and by the order: they run last (LAST).
Deleting the project is run with its refusals only: its confirmation is always hostile.
Seeded (derandomize) and bounded: the same requests on every run.
"""

from __future__ import annotations

import html
import io
import json
import re
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pytest
import sqlalchemy as sa
import wtforms
from babel.messages.pofile import read_po
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from planner_users import PASSWORD, login, make_user
from test_access_matrix import RULES, urls, world  # noqa: F401 (fixtures)
from test_hostile_input import PROJECT_FIELDS
from test_planner_events import form_data
from test_planner_live import cell, proxy_form
from test_schemathesis import HYPOTHESIS
from werkzeug.datastructures import FileStorage, MultiDict

import walkapp
from walkapp.exporters import clause_library
from walkapp.extensions import db
from walkapp.models import Finding, Observation, Project, ProjectMember, User, Walk, Zone
from walkapp.services import hotspots
from walkapp.services.observation_filter import ObservationFilter

MAX_EXAMPLES = 40  # per route, after its baseline
# Parsing and validation do not depend on the database: PostgreSQL gets fewer examples, enough
# for what does (integer overflow, constraint names, JSON columns).
MAX_EXAMPLES_POSTGRESQL = 12
FUZZ = settings(
    HYPOTHESIS,
    max_examples=MAX_EXAMPLES,
    deadline=None,  # a request renders a page; the count of examples bounds the time
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
ADMIN_EMAIL = "admin@forms.fr"
TARGET_EMAIL = "target@x.fr"  # the viewer account test_access_matrix's `urls` makes


@pytest.fixture
def app_config() -> dict:
    # Hundreds of refused sign-ins: the limiters (per address, per address and account) would
    # soon answer 429 to all, and to the administrator signing in again.
    return {
        "LOGIN_FAILURE_LIMIT": "100000 per minute",
        "LOGIN_ACCOUNT_FAILURE_LIMIT": "100000 per minute",
    }


# --- Hostile values -----------------------------------------------------------------------------

CONTROL = ["\x00", "Marche\x00de nuit", "\x01", "\x1b[2J", "\x7f", "a\x08b", "\x0b\x0c"]
ODD_UNICODE = [
    "\u202e",
    "\u202egnp.exe",
    "\ufeff",
    "\u200b\u200d",
    "\ufffd",
    "\uffff",
    "\U0010ffff",
    "\U0001f469\u200d\U0001f9af",
    "e" + "\u0301" * 200,
    "\u2028\u2029\u0085",
    "İﬃß",
    "\u0661\u0662\u0663",  # Arabic-Indic digits
]
SIZES = ["", " ", " \t\r\n ", "x" * 100_000, "é" * 50_000]
NUMBERS = [
    "-1",
    "0",
    "2147483647",
    "2147483648",
    str(2**63),
    str(2**64),
    str(-(2**63) - 1),
    "1e309",
    "-1e309",
    "nan",
    "NaN",
    "inf",
    "-0",
    "1,5",
    "0x10",
    "abc",
    "None",
    "null",
    "true",
]
DATES = [
    "2026-13-45",
    "2026-02-30T25:61",
    "0000-01-01T00:00",
    "9999-12-31T23:59",
    "0001-01-01T00:00",
    "2026-03-29T02:30",  # a time that does not exist in Paris
    "2026-11-24T19:00:00+99:00",
    "2026-11-24",
]
MARKUP = [
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "%s%s%n%(x)s",
    "{{ 7 * 7 }}",
    "../../etc/passwd",
    "//evil.example/",
    "/\r\nSet-Cookie: x=1",
    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
]
HOSTILE_TEXT = CONTROL + ODD_UNICODE + SIZES + NUMBERS + DATES + MARKUP
EXTRA_NAMES = [
    "csrf_token",
    "next",
    "back",
    "again",
    "id",
    "stops-2147483648-name",
    "stops-99999999999999999999-lat",
    "stops--1-name",
    "spots-100000-category",
    "spots-0-feeling-x",
    "\x00",
    "\u202e",
    "a" * 1000,
]

text_value = st.one_of(
    *(st.sampled_from(values) for values in (CONTROL, ODD_UNICODE, SIZES, NUMBERS, DATES, MARKUP)),
    st.text(max_size=20),
)
form_value = st.one_of(text_value, st.lists(text_value, min_size=2, max_size=3))  # repeated
DATE_LIKE = re.compile(r"\d{4}-\d\d-\d\d")
NUMBER_LIKE = re.compile(r"-?\d+([.,]\d+)?")


def near(valid: object) -> st.SearchStrategy:
    """Hostile values of the valid value's own kind (a date for a date), or of any kind."""
    if isinstance(valid, str) and DATE_LIKE.match(valid):
        return st.one_of(st.sampled_from(DATES), form_value)
    if isinstance(valid, str) and NUMBER_LIKE.fullmatch(valid):
        return st.one_of(st.sampled_from(NUMBERS), form_value)
    return form_value


garbage_file = st.tuples(
    st.one_of(
        st.binary(max_size=64),
        st.sampled_from(
            [
                b"\x00" * 1024,
                b"\xff\xfe\x00garbage",
                b'{"type": "Polygon", "coordinates": [[[1e309, "a"]]]}',
                b'{"type": "Polygon", "coordinates": [[[3.5, 50.3], [3.5, 50.3]]]}',
                b"[" * 5000 + b"]" * 5000,
                b"\x89PNG\r\n\x1a\n" + b"\x00" * 100,
            ]
        ),
    ),
    st.sampled_from(["perimetre.geojson", "", "\x00.json", "\u202egnp.json", "a" * 300]),
)
json_scalar = st.one_of(
    st.sampled_from(HOSTILE_TEXT),
    st.sampled_from([-1, 0, 2**31, 2**63, 2**64, -(2**63) - 1, 10**400]),
    st.sampled_from([1e308, -0.0, 0.5, float("nan"), float("inf")]),
    st.none(),
    st.booleans(),
)
json_value = st.recursive(
    json_scalar,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=6,
)


@dataclass(frozen=True)
class Upload:
    """A file field's content, made into a fresh FileStorage at each request."""

    content: bytes
    filename: str


@st.composite
def hostile_form(draw, route: Route) -> MultiDict:
    """The baseline with fields replaced, repeated or left out, and unknown fields added."""
    values: dict[str, object] = dict(route.fields)
    for name in route.files:
        values[name] = Upload(b"", "")
    names = sorted(values)
    chosen = set(route.refuse_only)
    if names:
        least = 0 if route.refuse_only else 1
        chosen |= set(draw(st.lists(st.sampled_from(names), min_size=least, max_size=3)))
    for name in sorted(chosen):
        if name in route.files:
            values[name] = Upload(*draw(garbage_file))
            continue
        how = "replace" if name in route.refuse_only else draw(st.sampled_from(HOW))
        if how == "replace":
            values[name] = draw(near(values[name]))
        elif how == "append":  # past a check of the valid value's beginning (a path)
            values[name] = f"{values[name]}{draw(text_value)}"
        elif how == "repeat":  # the valid value and hostile ones, in either order
            pair = [values[name], draw(text_value)]
            values[name] = pair if draw(st.booleans()) else pair[::-1]
        else:
            del values[name]
    extras = draw(
        st.lists(
            st.tuples(st.one_of(st.sampled_from(EXTRA_NAMES), st.text(max_size=10)), form_value),
            min_size=0 if names else 1,
            max_size=2,
        )
    )
    form = MultiDict()
    for name, value in [*values.items(), *extras]:
        for one in value if isinstance(value, list) else [value]:
            form.add(name, one)
    return form


HOW = ["replace", "replace", "append", "repeat", "drop"]


def _paths(value, prefix=()) -> list[tuple]:
    """Every place in a JSON document a value can be replaced (its keys and list items)."""
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, inner in value.items():
            found += _paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            found += _paths(inner, (*prefix, i))
    return found


@st.composite
def hostile_json(draw, route: Route):
    """The baseline document with values replaced or left out, keys added; or another body."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.one_of(json_value, st.sampled_from(["[" * 2000, "{", "\x00", ""])))
    body = json.loads(json.dumps(route.fields))
    paths = _paths(body)
    for path in draw(st.lists(st.sampled_from(paths), min_size=1, max_size=3)):
        *parents, last = path
        holder = body
        try:
            for key in parents:
                holder = holder[key]
            if draw(st.integers(0, 3)) == 0 and isinstance(holder, dict):
                holder.pop(last, None)
            else:
                holder[last] = draw(json_value)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier replacement took this place away
    for key, value in draw(
        st.dictionaries(st.sampled_from(EXTRA_NAMES), json_value, max_size=2)
    ).items():
        body[key] = value
    return body


# --- The routes ---------------------------------------------------------------------------------


@dataclass
class Ctx:
    """What the routes' URLs and `before` steps need."""

    urls: dict[str, str]
    project_id: int
    other_project_id: int
    walk_id: int
    stop_ids: list[int]
    observation_id: int
    target_id: int
    admin: User
    hot: str
    client: object


@dataclass(frozen=True)
class Route:
    fields: dict | Callable[[Ctx], dict] = field(default_factory=dict)
    json: bool = False
    files: tuple[str, ...] = ()
    refuse_only: tuple[str, ...] = ()  # always replaced by a hostile value (a success destroys)
    before: Callable[[Ctx], None] | None = None
    url: Callable[[Ctx], str] | None = None  # instead of the `urls` fixture's


def _commit() -> None:
    db.session.commit()


def _walk_status(status: str) -> Callable[[Ctx], None]:
    def before(ctx: Ctx) -> None:
        walk = db.session.get(Walk, ctx.walk_id)
        walk.status = status
        walk.closed_at = None
        _commit()

    return before


def _archived(archived: bool) -> Callable[[Ctx], None]:
    def before(ctx: Ctx) -> None:
        project = db.session.get(Project, ctx.project_id)
        project.archived_at = db.func.now() if archived else None
        # An open walk keeps a project from being archived: close them all.
        for walk in db.session.scalars(sa.select(Walk).where(Walk.project_id == ctx.project_id)):
            walk.status = "closed" if walk.status == "open" else walk.status
        _commit()

    return before


def _hidden(hidden: bool) -> Callable[[Ctx], None]:
    def before(ctx: Ctx) -> None:
        obs = db.session.get(Observation, ctx.observation_id)
        obs.hidden_at = db.func.now() if hidden else None
        obs.hidden_reason = "Test" if hidden else None
        _commit()

    return before


def _active(active: bool) -> Callable[[Ctx], None]:
    def before(ctx: Ctx) -> None:
        db.session.get(User, ctx.target_id).active = active
        _commit()

    return before


def _member(project_attr: str, member: bool) -> Callable[[Ctx], None]:
    def before(ctx: Ctx) -> None:
        project_id = getattr(ctx, project_attr)
        row = db.session.get(ProjectMember, (ctx.target_id, project_id))
        if row is None and member:
            db.session.add(
                ProjectMember(user_id=ctx.target_id, project_id=project_id, role="viewer")
            )
        elif row is not None and not member:
            db.session.delete(row)
        _commit()

    return before


def _finding_id(ctx: Ctx) -> int:
    """The hotspot's finding, confirmed again if a request deleted it."""
    found = db.session.scalar(sa.select(Finding.id).where(Finding.project_id == ctx.project_id))
    if found is None:
        finding = hotspots.confirm(
            ctx.project_id,
            ctx.hot,
            ObservationFilter(),
            title="Sous le pont",
            recommendation="Éclairer le passage",
            user_id=ctx.admin.id,
        )
        _commit()
        found = finding.id
    return found


def _no_finding(ctx: Ctx) -> None:
    db.session.execute(sa.delete(Finding).where(Finding.project_id == ctx.project_id))
    _commit()


def _signed_in(ctx: Ctx) -> None:
    with ctx.client.session_transaction() as session:
        session.clear()
    r = ctx.client.post("/planner/login", data={"email": ADMIN_EMAIL, "password": PASSWORD})
    assert r.status_code == 302, (r.status_code, r.get_data(as_text=True)[-3000:])


def _finding_url(action: str) -> Callable[[Ctx], str]:
    return lambda ctx: f"/planner/projects/{ctx.project_id}/findings/{_finding_id(ctx)}/{action}"


FINDING = {"title": "Passage sous le pont", "recommendation": "Éclairer le passage."}
ZONE_BOX = {
    "type": "Polygon",
    "coordinates": [[[3.51, 50.35], [3.52, 50.35], [3.52, 50.36], [3.51, 50.36], [3.51, 50.35]]],
}


def _one_zone(ctx: Ctx) -> None:
    """The project has one zone, « le square » (made again: a success may rename or delete)."""
    db.session.execute(sa.delete(Zone).where(Zone.project_id == ctx.project_id))
    db.session.add(Zone(project_id=ctx.project_id, name="le square", geometry=ZONE_BOX, position=1))
    _commit()


def _zone_url(action: str) -> Callable[[Ctx], str]:
    def url(ctx: Ctx) -> str:
        zone_id = db.session.scalar(sa.select(Zone.id).where(Zone.project_id == ctx.project_id))
        return f"/planner/projects/{ctx.project_id}/zones/{zone_id}/{action}"

    return url


def _count_batch(ctx: Ctx) -> dict:
    """A phone's batch: a period of people staying in the project's zone, and one person. The
    zone is looked up (or made) here: the baseline is drawn before `before` runs, and a zone made
    again by `_one_zone` would have a new id on PostgreSQL."""
    zone_id = db.session.scalar(sa.select(Zone.id).where(Zone.project_id == ctx.project_id))
    if zone_id is None:
        _one_zone(ctx)
        zone_id = db.session.scalar(sa.select(Zone.id).where(Zone.project_id == ctx.project_id))
    period = "6f1c2d3e-4b5a-4c6d-8e7f-000000000001"
    return {
        "periods": [
            {
                "uuid": period,
                "zone_id": zone_id,
                "kind": "staying",
                "started_at": "2026-11-20T17:00:00+01:00",
                "weather": "light_rain",
                "line": "",
            }
        ],
        "records": [
            {
                "uuid": "6f1c2d3e-4b5a-4c6d-8e7f-000000000002",
                "period_uuid": period,
                "recorded_at": "2026-11-20T17:01:00+01:00",
                "gender": "female",
                "age_group": "25-64",
                "posture": "sitting_formal",
                "activity": "conversing",
                "group_size": "2",
            }
        ],
        "undone": [],
    }


def _answers_export(ctx: Ctx) -> dict:
    """The answers of the project's questionnaire (made here: a project has none at first)."""
    from walkapp.services import appropriation
    from walkapp.unit_of_work import unit

    with unit():
        questionnaire = appropriation.built_in_questionnaire(ctx.project_id)
    return {
        "answers-questionnaire": str(questionnaire.id),
        "answers-format": "xlsx",
        "answers-language": "fr",
        "answers-french": "y",
    }


def _recheck_rows(ctx: Ctx) -> dict:
    """The re-check item of the project's finding, worded and published (drafted here first if
    the questionnaire in use has none: the baseline is drawn before the route runs)."""
    from walkapp.services import appropriation, questionnaires
    from walkapp.unit_of_work import unit

    _finding_id(ctx)
    with unit():
        questionnaires.draft_rechecks(ctx.project_id, user_id=ctx.admin.id)
    recheck = appropriation.current_questionnaire(ctx.project_id).rechecks[0]
    return {
        "rechecks-0-id": str(recheck.id),
        "rechecks-0-prompt_fr": "L'éclairage du passage vous semble-t-il suffisant aujourd'hui ?",
        "rechecks-0-prompt_en": "Does the lighting of the underpass seem enough today?",
        "rechecks-0-published": "y",
    }


PASSWORD_2 = "another-long-password"

ROUTES: dict[tuple[str, str], Route] = {
    ("planner.login", "POST"): Route({"email": ADMIN_EMAIL, "password": PASSWORD}),
    ("planner.logout", "POST"): Route(before=_signed_in),
    # Projects
    ("planner.project_new", "POST"): Route(PROJECT_FIELDS, files=("perimeter_file",)),
    ("planner.project_edit", "POST"): Route(PROJECT_FIELDS, files=("perimeter_file",)),
    ("planner.project_archive", "POST"): Route(before=_archived(False)),
    ("planner.project_unarchive", "POST"): Route(before=_archived(True)),
    ("planner.project_delete", "POST"): Route(
        {"confirm_name": "Place du Canada"}, refuse_only=("confirm_name",), before=_archived(False)
    ),
    # Moderation and findings
    ("planner.hide_observation", "POST"): Route(
        lambda ctx: {"reason": "Propos injurieux", "next": ctx.urls["planner.triage"]},
        before=_hidden(False),
    ),
    ("planner.unhide_observation", "POST"): Route(
        lambda ctx: {"next": ctx.urls["planner.triage"] + "?category=lighting"},
        before=_hidden(True),
    ),
    ("planner.confirm_finding", "POST"): Route(FINDING, before=_no_finding),
    ("planner.edit_finding", "POST"): Route(FINDING, url=_finding_url("edit")),
    ("planner.delete_finding", "POST"): Route(url=_finding_url("delete")),
    ("planner.annex_choices", "POST"): Route(url=_finding_url("annex-choices")),
    ("planner.annex_award_weights", "POST"): Route(
        lambda ctx: {
            f"weight_{c.code}": str(c.default_weight)
            for c in clause_library.load("fr").award_criteria
        }
    ),
    # Exports (built in the background: the baseline queues a job)
    ("planner.export_start", "POST"): Route(
        {"format": "csv", "layer": "spots", "language": "fr", "french": "y", "category": "lighting"}
    ),
    ("planner.annex_docx_start", "POST"): Route({"language": "fr"}),
    ("planner.public_publish", "POST"): Route(
        {"contact": "democratie@valenciennes.fr", "include_quotes": "y"}
    ),
    ("planner.public_unpublish", "POST"): Route(),
    # Zones (each request finds the project with its one zone)
    ("planner.zone_add", "POST"): Route(
        {"name": "l'arrêt de bus", "zone_drawn": json.dumps(ZONE_BOX)},
        files=("zone_file",),
        before=_one_zone,
    ),
    ("planner.zone_import", "POST"): Route(
        files=("zones_file",), refuse_only=("zones_file",), before=_one_zone
    ),
    ("planner.zone_rename", "POST"): Route(
        {"name": "le square"}, before=_one_zone, url=_zone_url("rename")
    ),
    ("planner.zone_redraw", "POST"): Route(
        {"zone_drawn": json.dumps(ZONE_BOX)},
        files=("zone_file",),
        before=_one_zone,
        url=_zone_url("redraw"),
    ),
    ("planner.zone_move", "POST"): Route(
        {"direction": "down"}, before=_one_zone, url=_zone_url("move")
    ),
    ("planner.zone_delete", "POST"): Route(before=_one_zone, url=_zone_url("delete")),
    # The questionnaire (the re-check items: the finding's, drafted by the baseline)
    ("planner.questionnaire_weights", "POST"): Route(
        {"weight_use": "2", "weight_stay": "1", "weight_comfort_safety": "1,5"}
    ),
    ("planner.questionnaire_import", "POST"): Route(
        {"confirm": "y"}, files=("xlsform_file",), refuse_only=("xlsform_file",)
    ),
    ("planner.questionnaire_built_in", "POST"): Route({"restore-confirm": "y"}),
    ("planner.questionnaire_draft_rechecks", "POST"): Route(),
    ("planner.questionnaire_rechecks", "POST"): Route(_recheck_rows),
    ("planner.report_start", "POST"): Route(
        {
            "period": "dates",
            "first_day": "2026-01-01",
            "last_day": "2026-12-31",
            "year": "2026",
            "format": "html",
            "language": "fr",
        }
    ),
    # Events
    ("planner.event_new", "POST"): Route(form_data()),
    ("planner.event_edit", "POST"): Route(form_data(), before=_walk_status("open")),
    ("planner.event_delete", "POST"): Route(),  # people joined: refused, kept
    ("planner.event_open", "POST"): Route(before=_walk_status("planned")),
    ("planner.event_close", "POST"): Route({"back": "live"}, before=_walk_status("open")),
    ("planner.event_note", "POST"): Route(
        lambda ctx: {"stop_id": str(ctx.stop_ids[0]), "text": "Trottoir étroit"},
        before=_walk_status("open"),
    ),
    ("planner.event_proxy", "POST"): Route(
        lambda ctx: proxy_form(db.session.get(Walk, ctx.walk_id), str(uuid.uuid4())),
        before=_walk_status("open"),
    ),
    ("planner.live_note", "POST"): Route(
        lambda ctx: {"stop_id": ctx.stop_ids[0], "text": "Trottoir étroit"},
        json=True,
        before=_walk_status("open"),
    ),
    ("planner.live_attendance", "PUT"): Route(
        {"cells": [cell(count=3), cell("man", "65_plus")]}, json=True
    ),
    # Usage counts (in the project's zone)
    ("planner.counts_sync", "POST"): Route(_count_batch, json=True),
    ("planner.counts_export", "POST"): Route(),
    ("planner.answers_export_start", "POST"): Route(_answers_export),
    ("planner.appropriation_refresh", "POST"): Route(),
    # Accounts (the administrator works on the target account, never on herself)
    ("planner.user_new", "POST"): Route(
        {"email": "nouvelle@x.fr", "name": "Nouvelle", "role": "planner", "password": PASSWORD}
    ),
    ("planner.user_edit", "POST"): Route({"name": "Cible", "role": "viewer"}),
    ("planner.user_password", "POST"): Route({"password": PASSWORD_2}),
    ("planner.user_deactivate", "POST"): Route(before=_active(True)),
    ("planner.user_sign_out_everywhere", "POST"): Route(),
    ("planner.user_unlock", "POST"): Route(),
    ("planner.user_reactivate", "POST"): Route(before=_active(False)),
    ("planner.membership_add", "POST"): Route(
        lambda ctx: {"project_id": str(ctx.other_project_id), "role": "facilitator"},
        before=_member("other_project_id", False),
    ),
    ("planner.membership_role", "POST"): Route(
        {"role": "facilitator"}, before=_member("project_id", True)
    ),
    ("planner.membership_remove", "POST"): Route(before=_member("project_id", True)),
}
# Requests that change what later requests see go last, in this order.
LAST = (
    "planner.event_open",
    "planner.event_close",
    "planner.event_delete",
    "planner.project_archive",
    "planner.project_unarchive",
    "planner.project_delete",
    "planner.logout",
)


def _order(route: tuple[str, str]) -> tuple[int, str]:
    return (LAST.index(route[0]) if route[0] in LAST else -1, route[0])


# --- What an answer must be ---------------------------------------------------------------------


def row_counts() -> dict[str, int]:
    """The number of rows of every table, in one query."""
    db.session.rollback()  # no transaction of the test's left open: the latest rows
    tables = db.metadata.sorted_tables
    query = sa.select(
        *(sa.select(sa.func.count()).select_from(t).scalar_subquery() for t in tables)
    )
    counts = dict(zip((t.name for t in tables), db.session.execute(query).one(), strict=True))
    db.session.rollback()
    return counts


PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\w*\}")
WORD = re.compile(r"[^\W\d_]{2,}")


@cache
def english_sentences() -> tuple[str, ...]:
    """Pieces of the catalogs' English sentences (3 words or more) that French words
    otherwise: one of them in a page shown in French is a sentence left untranslated."""
    catalogs = [
        Path(walkapp.__file__).parent / "translations/fr/LC_MESSAGES/messages.po",
        Path(wtforms.__file__).parent / "locale/fr/LC_MESSAGES/wtforms.po",
    ]
    pieces = set()
    for path in catalogs:
        with path.open("rb") as file:
            for message in read_po(file):
                ids = message.id if isinstance(message.id, tuple) else (message.id,)
                strings = message.string if isinstance(message.string, tuple) else (message.string,)
                if not message.id or not any(strings) or set(ids) == set(strings):
                    continue
                for msgid in ids:
                    for piece in PLACEHOLDER.split(msgid):
                        piece = piece.strip(" .,:;")
                        # Three words at least: code quoted in a sentence (« ${q} = 'v' »)
                        # is the same in both languages and says nothing.
                        if len(WORD.findall(piece)) >= 3:
                            pieces.add(piece)
    return tuple(sorted(pieces))


def untranslated(text: str) -> list[str]:
    return [piece for piece in english_sentences() if piece in text]


def refusal_problems(response) -> list[str]:
    """Why a refusal is not worded in French, if it is not."""
    if response.is_json:
        shown = json.dumps(response.get_json(silent=True), ensure_ascii=False)
        return [f"English in the JSON refusal: {p!r}" for p in untranslated(shown)]
    body = response.get_data(as_text=True)
    problems = [] if '<html lang="fr"' in body else ['not <html lang="fr">']
    return problems + [f"English in the page: {p!r}" for p in untranslated(html.unescape(body))]


def send(client, method: str, url: str, route: Route, body):
    if route.json:
        data = body if isinstance(body, str) else json.dumps(body, allow_nan=True)
        return client.open(url, method=method, data=data, content_type="application/json")
    form = MultiDict()
    for name, value in body.items(multi=True):
        if isinstance(value, Upload):
            value = FileStorage(io.BytesIO(value.content), filename=value.filename)
        form.add(name, value)
    multipart = bool(route.files) or any(isinstance(v, FileStorage) for v in form.values())
    return client.open(
        url,
        method=method,
        data=form,
        content_type="multipart/form-data" if multipart else "application/x-www-form-urlencoded",
    )


def check(client, ctx: Ctx, endpoint: str, method: str, route: Route, body) -> list[str]:
    """Sends one request; the problems with its answer (none: it is what a refusal must be)."""
    if route.before is not None:
        route.before(ctx)
    url = route.url(ctx) if route.url is not None else ctx.urls[endpoint]
    before = row_counts()
    response = send(client, method, url, route, body)
    problems = []
    if response.status_code >= 500:
        problems.append(f"{response.status_code}")
    elif response.status_code >= 400:
        after = row_counts()
        changed = {t: (n, after[t]) for t, n in before.items() if after[t] != n}
        if changed:
            problems.append(f"refused with {response.status_code}, yet rows changed: {changed}")
        problems += refusal_problems(response)
    response.close()
    with client.session_transaction() as session:  # flashed messages: French, then forgotten
        flashed = " ".join(str(text) for _category, text in session.pop("_flashes", []))
    problems += [f"English flashed: {p!r}" for p in untranslated(flashed)]
    if problems:
        problems.insert(0, f"{method} {url} -> {response.status_code}")
    return problems


def _crash(exc: Exception) -> str:
    """The error, where walkapp raised it, and the example (Hypothesis' notes)."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "/walkapp/" in f.filename]
    where = f" at {frames[-1].filename}:{frames[-1].lineno}" if frames else ""
    notes = "\n  ".join(getattr(exc, "__notes__", []))
    return f"{type(exc).__name__}: {exc}{where}\n  {notes}"


def _shown(body) -> str:
    text = repr(list(body.items(multi=True)) if isinstance(body, MultiDict) else body)
    return text if len(text) < 600 else text[:600] + "…"


# --- Tests --------------------------------------------------------------------------------------


def planner_write_routes(app) -> set[tuple[str, str]]:
    return {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("planner.")
        for method in rule.methods & {"POST", "PUT", "PATCH", "DELETE"}
    }


def test_every_planner_write_route_is_fuzzed(app):
    routes = planner_write_routes(app)
    assert routes - ROUTES.keys() == set(), "add a baseline to ROUTES for these routes"
    assert ROUTES.keys() - routes == set(), "ROUTES lists routes that no longer exist"
    assert ROUTES.keys() <= RULES.keys()  # and test_access_matrix checks who may send them


@pytest.fixture
def ctx(app, client, world, urls) -> Ctx:  # noqa: F811
    built, _token = urls
    other = Project(name="Autre projet", commune="Anzin")
    db.session.add(other)
    db.session.commit()
    admin = make_user(ADMIN_EMAIL, "admin")
    login(client, admin)
    walk = world.night_walk
    return Ctx(
        urls=built,
        project_id=world.project_id,
        other_project_id=other.id,
        walk_id=walk.id,
        stop_ids=[stop.id for stop in walk.stops],
        observation_id=db.session.scalar(
            sa.select(Observation.id).where(Observation.walk_id == walk.id).limit(1)
        ),
        target_id=db.session.scalar(sa.select(User.id).where(User.email == TARGET_EMAIL)),
        admin=admin,
        hot=world.hot,
        client=client,
    )


def fuzz(client, ctx: Ctx, endpoint: str, method: str, route: Route) -> None:
    """MAX_EXAMPLES hostile requests to one route; the first wrong answer raises (shrunk)."""
    strategy = hostile_json(route) if route.json else hostile_form(route)
    on_postgresql = db.engine.dialect.name == "postgresql"

    @settings(FUZZ, max_examples=MAX_EXAMPLES_POSTGRESQL if on_postgresql else MAX_EXAMPLES)
    @given(body=strategy)
    def one(body):
        problems = check(client, ctx, endpoint, method, route, body)
        assert not problems, "\n  ".join([*problems, _shown(body)])

    one()


def test_hostile_form_values_get_4xx_in_french_and_change_nothing(app, client, ctx):
    failures: list[str] = []
    for endpoint, method in sorted(ROUTES, key=_order):
        route = ROUTES[(endpoint, method)]
        baseline = route.fields(ctx) if callable(route.fields) else route.fields
        route = Route(**{**route.__dict__, "fields": baseline})
        valid = MultiDict(baseline) if not route.json else baseline
        if route.files:
            valid = MultiDict([*valid.items(), *((n, Upload(b"", "")) for n in route.files)])
        if not route.refuse_only:  # a success of the others is the baseline's answer
            if route.before is not None:
                route.before(ctx)
            url = route.url(ctx) if route.url is not None else ctx.urls[endpoint]
            answer = send(client, method, url, route, valid)
            answer.close()
            if answer.status_code >= 400:
                failures.append(f"{method} {endpoint}: the baseline got {answer.status_code}")
            with client.session_transaction() as session:
                session.pop("_flashes", None)

        try:
            fuzz(client, ctx, endpoint, method, route)
        except Exception as exc:  # noqa: BLE001 (an uncaught crash propagates in TESTING)
            failures.append(f"{method} {endpoint}: {_crash(exc)}")
    assert not failures, "\n".join(failures)


def test_the_checks_can_fail(app, client, ctx):
    """An English refusal and a refusal that wrote a row are reported (the checks bite)."""
    english = client.post("/planner/login?lang=en", data={"email": "x"})
    assert english.status_code == 422
    assert any("English in the page" in p for p in refusal_problems(english))
    french = client.post("/planner/login?lang=fr", data={"email": "x"})
    assert french.status_code == 422 and refusal_problems(french) == []
    before = row_counts()
    make_user("sneaky@x.fr")
    assert row_counts() != before
