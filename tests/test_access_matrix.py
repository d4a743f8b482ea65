"""Who may open every route: each route of the app's url_map has a rule below, and the status
each kind of visitor gets is derived from that rule, the permission table
(domain.permissions) and the visitor's membership of the project — so a new route without a
rule fails here, and so does a route that lets in someone the table keeps out.

The visitors: nobody signed in, an administrator (no membership), members of the project as
planner, facilitator and viewer, a planner *account* that only reads this project, a viewer
*account* that is a planner here (roles are per project), a planner of another project, and a
participant with her token.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from conftest import auth
from planner_users import login, make_user
from test_hotspots_pages import HOT, world  # noqa: F401 (the project with a hotspot)

from walkapp.domain import cells
from walkapp.domain.permissions import (
    EDIT_PROJECT,
    EXPORT,
    FACILITATE,
    MANAGE_EVENTS,
    MANAGE_USERS,
    MODERATE,
    READ,
    can,
)
from walkapp.extensions import db, utcnow
from walkapp.models import Observation, Project
from walkapp.services import hotspots
from walkapp.services.observation_filter import ObservationFilter

# Rules that are not a project's action.
PUBLIC = "public"  # anyone, signed in or not
PARTICIPANT = "participant"  # a participant's token; a planner's session is not one
SIGNED_IN = "signed_in"  # any planner account
CREATE_PROJECT = "create_project"  # an account whose own role may edit projects
ADMIN = "admin"  # MANAGE_USERS, an account's right

# (endpoint, method) -> rule. A project action (domain.permissions) is checked against the
# visitor's role in the project the URL names.
RULES: dict[tuple[str, str], str] = {
    # The participant app and its files
    ("participate.home", "GET"): PUBLIC,
    ("participate.app_shell", "GET"): PUBLIC,
    ("participate.ca_certificate", "GET"): PUBLIC,
    ("participate.erase", "GET"): PUBLIC,
    ("participate.join_form", "GET"): PUBLIC,
    ("participate.join_link", "GET"): PUBLIC,
    ("participate.leaflet", "GET"): PUBLIC,
    ("participate.manifest", "GET"): PUBLIC,
    ("participate.module", "GET"): PUBLIC,
    ("participate.service_worker", "GET"): PUBLIC,
    ("static", "GET"): PUBLIC,
    ("planner.vendor", "GET"): PUBLIC,
    ("planner.map_vendor", "GET"): PUBLIC,
    ("planner.live_sw", "GET"): PUBLIC,
    ("planner.login", "GET"): PUBLIC,
    ("planner.login", "POST"): PUBLIC,
    # The API
    ("api.get_taxonomy", "GET"): PUBLIC,
    ("api.openapi_document", "GET"): PUBLIC,
    ("api.join", "POST"): PUBLIC,
    ("api.erase_by_code", "POST"): PUBLIC,  # the erasure code is the credential
    ("api.create_observation", "POST"): PARTICIPANT,
    ("api.patch_observation", "PATCH"): PARTICIPANT,
    ("api.delete_observation", "DELETE"): PARTICIPANT,
    ("api.upload_photo", "POST"): PARTICIPANT,
    ("api.my_observations", "GET"): PARTICIPANT,
    ("api.get_me", "GET"): PARTICIPANT,
    ("api.append_track", "POST"): PARTICIPANT,
    ("api.erase_me", "DELETE"): PARTICIPANT,
    ("api.photo_file", "GET"): READ,  # and its owner (tested in test_photos_api)
    ("api.photo_thumbnail", "GET"): READ,
    ("api.project_geojson", "GET"): EXPORT,
    # Accounts
    ("planner.logout", "POST"): SIGNED_IN,
    ("planner.projects", "GET"): SIGNED_IN,
    ("planner.indicators_all", "GET"): SIGNED_IN,
    ("planner.project_new", "GET"): CREATE_PROJECT,
    ("planner.project_new", "POST"): CREATE_PROJECT,
    ("planner.users", "GET"): ADMIN,
    ("planner.user_new", "GET"): ADMIN,
    ("planner.user_new", "POST"): ADMIN,
    ("planner.user_edit", "GET"): ADMIN,
    ("planner.user_edit", "POST"): ADMIN,
    ("planner.user_password", "POST"): ADMIN,
    ("planner.user_deactivate", "POST"): ADMIN,
    ("planner.user_reactivate", "POST"): ADMIN,
    ("planner.membership_add", "POST"): ADMIN,
    ("planner.membership_role", "POST"): ADMIN,
    ("planner.membership_remove", "POST"): ADMIN,
    ("planner.admin_audit", "GET"): ADMIN,
    # A project
    ("planner.project", "GET"): READ,
    ("planner.audit", "GET"): READ,
    ("planner.project_edit", "GET"): EDIT_PROJECT,
    ("planner.project_edit", "POST"): EDIT_PROJECT,
    ("planner.project_archive", "POST"): EDIT_PROJECT,
    ("planner.project_unarchive", "POST"): EDIT_PROJECT,
    ("planner.project_delete", "GET"): EDIT_PROJECT,
    ("planner.project_delete", "POST"): EDIT_PROJECT,
    ("planner.triage", "GET"): READ,
    ("planner.gallery", "GET"): READ,
    ("planner.gallery_photo", "GET"): READ,
    ("planner.hide_observation", "POST"): MODERATE,
    ("planner.unhide_observation", "POST"): MODERATE,
    ("planner.project_map", "GET"): READ,
    ("planner.project_map_document", "GET"): READ,
    ("planner.project_map_cell", "GET"): READ,
    ("planner.hotspots", "GET"): READ,
    ("planner.findings", "GET"): READ,
    ("planner.confirm_finding", "GET"): EDIT_PROJECT,
    ("planner.confirm_finding", "POST"): EDIT_PROJECT,
    ("planner.edit_finding", "GET"): EDIT_PROJECT,
    ("planner.edit_finding", "POST"): EDIT_PROJECT,
    ("planner.delete_finding", "POST"): EDIT_PROJECT,
    ("planner.indicators", "GET"): READ,
    ("planner.participation", "GET"): READ,
    ("planner.daynight", "GET"): READ,
    ("planner.stops", "GET"): READ,
    # Its events
    ("planner.event_new", "GET"): MANAGE_EVENTS,
    ("planner.event_new", "POST"): MANAGE_EVENTS,
    ("planner.event", "GET"): READ,
    ("planner.event_qr", "GET"): READ,
    ("planner.event_edit", "GET"): MANAGE_EVENTS,
    ("planner.event_edit", "POST"): MANAGE_EVENTS,
    ("planner.event_delete", "GET"): MANAGE_EVENTS,
    ("planner.event_delete", "POST"): MANAGE_EVENTS,
    ("planner.event_open", "POST"): FACILITATE,
    ("planner.event_close", "POST"): FACILITATE,
    ("planner.event_note", "POST"): FACILITATE,
    ("planner.event_proxy", "GET"): FACILITATE,
    ("planner.event_proxy", "POST"): FACILITATE,
    ("planner.live", "GET"): FACILITATE,
    ("planner.live_json", "GET"): FACILITATE,
    ("planner.live_attendance", "PUT"): FACILITATE,
    ("planner.live_note", "POST"): FACILITATE,
}
PROJECT_ACTIONS = {READ, EDIT_PROJECT, MANAGE_EVENTS, FACILITATE, MODERATE, EXPORT}
# Requests that change what later requests see go last, in this order.
LAST = (
    "planner.delete_finding",
    "planner.project_archive",
    "planner.project_unarchive",
    "planner.user_deactivate",
    "planner.membership_remove",
    "api.erase_me",
    "planner.logout",
)


@dataclass(frozen=True)
class Visitor:
    name: str
    account_role: str | None  # None: not signed in
    project_role: str | None  # the membership's role in the project (admin: global)
    participant: bool = False


VISITORS = (
    Visitor("anonymous", None, None),
    Visitor("admin", "admin", "admin"),
    Visitor("planner", "planner", "planner"),
    Visitor("facilitator", "facilitator", "facilitator"),
    Visitor("viewer", "viewer", "viewer"),
    Visitor("planner_account_reading_here", "planner", "viewer"),
    Visitor("viewer_account_planning_here", "viewer", "planner"),
    Visitor("planner_elsewhere", "planner", None),
    Visitor("participant", None, None, participant=True),
)


# Planner views that answer the live view's fetch() in JSON: 401, not the sign-in page.
JSON_VIEWS = {"planner.live_json", "planner.live_attendance", "planner.live_note"}


def expected(rule: str, visitor: Visitor, *, api: bool, endpoint: str = "") -> str:
    """'allowed', or the refusal's status as text: what the rule lets this visitor do."""
    signed_in = visitor.account_role is not None
    if rule == PUBLIC:
        return "allowed"
    if rule == PARTICIPANT:
        return "allowed" if visitor.participant else "401"
    if not signed_in:
        if rule in PROJECT_ACTIONS and api:
            return "404"  # a project's data through the API: unknown to whoever is not in it
        return "401" if api or endpoint in JSON_VIEWS else "login"
    if rule == SIGNED_IN:
        return "allowed"
    if rule == CREATE_PROJECT:
        return "allowed" if can(visitor.account_role, EDIT_PROJECT) else "403"
    if rule == ADMIN:
        return "allowed" if can(visitor.account_role, MANAGE_USERS) else "403"
    assert rule in PROJECT_ACTIONS, rule
    if visitor.project_role is None:
        return "404"  # not yours looks unknown
    return "allowed" if can(visitor.project_role, rule) else "403"


# Same answer for everyone, whatever it is: the local CA's certificate exists only where one
# was made (scripts/local_ca.py).
SAME_FOR_ALL = {"participate.ca_certificate"}


def observed(response) -> str:
    status = response.status_code
    if status == 302 and "/planner/login" in response.headers.get("Location", ""):
        return "login"
    if status in (401, 403, 404):
        return str(status)
    return "allowed"


def test_every_route_has_a_rule(app):
    routes = {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert routes - RULES.keys() == set(), "routes without an access rule"
    assert RULES.keys() - routes == set(), "rules of routes that no longer exist"


@pytest.fixture
def urls(app, world):  # noqa: F811
    """The URL of every route, with ids that exist in the project of `world`."""
    project_id = world.project_id
    walk = world.night_walk
    finding = hotspots.confirm(
        project_id,
        world.hot,
        ObservationFilter(),
        title="Sous le pont",
        recommendation="Éclairer le passage",
        user_id=world.planner.id,
    )
    target = make_user("target@x.fr", "viewer", projects=[project_id])
    obs_id = db.session.scalar(
        db.select(Observation.id).where(Observation.walk_id == walk.id).limit(1)
    )
    db.session.commit()
    # A participant of the project's walk, with a spot of her own.
    token = (
        app.test_client()
        .post(f"/api/v1/walks/{walk.join_code}/participants", json={"consent": True})
        .json["token"]
    )
    spot = {
        "id": "00000000-0000-4000-8000-000000000001",
        "recorded_at": utcnow().isoformat(),
        "category": "lighting",
        "feeling": 2,
        # Far from the hotspot: its key stays the same.
        "lat": 50.3661,
        "lon": 3.5387,
    }
    answer = app.test_client().post("/api/v1/observations", json=spot, headers=auth(token))
    assert answer.status_code == 201
    values = {
        "project_id": project_id,
        "walk_id": walk.id,
        "finding_id": finding.id,
        "photo_id": world.hot_photo,
        "observation_id": obs_id,
        "user_id": target.id,
        "key": world.hot,
        "cell": cells.cell_of(*cells.centre(HOT), cells.MAP_RESOLUTION),
        "join_code": walk.join_code,
        "code": walk.join_code,
        "obs_id": spot["id"],
        "version": "any",  # an old folder still serves today's file
        "name": "app.js",
    }
    files = {
        "static": "css/walkapp.css",
        "participate.leaflet": "leaflet.js",
        "planner.vendor": "leaflet-geoman.css",
        "planner.map_vendor": None,  # the first file the map serves
    }
    from walkapp.planner import maps_folium

    files["planner.map_vendor"] = next(iter(maps_folium.MAP_FILES))
    built = {}
    with app.test_request_context():
        from flask import url_for

        for rule in app.url_map.iter_rules():
            args = {name: values.get(name) for name in rule.arguments}
            if "filename" in rule.arguments:
                args["filename"] = files[rule.endpoint]
            built[rule.endpoint] = url_for(rule.endpoint, **args)
    return built, token


def _clients(app, project_id: int) -> dict[str, object]:
    elsewhere = Project(name="Autre projet", commune="Anzin")
    db.session.add(elsewhere)
    db.session.commit()
    clients = {}
    for visitor in VISITORS:
        client = app.test_client()
        if visitor.account_role is not None:
            project = elsewhere.id if visitor.project_role is None else project_id
            user = make_user(
                f"{visitor.name}@matrix.fr",
                visitor.account_role,
                projects=[] if visitor.account_role == "admin" else [project],
                member_role=visitor.project_role if visitor.project_role != "admin" else None,
            )
            login(client, user)
        clients[visitor.name] = client
    return clients


def test_each_visitor_gets_what_the_permission_table_and_memberships_allow(app, world, urls):  # noqa: F811
    urls, token = urls
    clients = _clients(app, world.project_id)

    def send(visitor: Visitor, endpoint: str, method: str):
        headers = auth(token) if visitor.participant else {}
        response = clients[visitor.name].open(urls[endpoint], method=method, headers=headers)
        response.close()  # files (photos) are streamed from an open file
        return response

    order = sorted(
        RULES,
        key=lambda route: (
            route[1] != "GET",
            LAST.index(route[0]) if route[0] in LAST else -1,
        ),
    )
    wrong = []
    for endpoint, method in order:
        rule = RULES[(endpoint, method)]
        api = urls[endpoint].startswith("/api/")
        verdicts = {v: expected(rule, v, api=api, endpoint=endpoint) for v in VISITORS}
        refused = [v for v in VISITORS if verdicts[v] != "allowed"]
        allowed = [v for v in VISITORS if verdicts[v] == "allowed"]
        if method != "GET":
            # One allowed visitor changes the data: the one with the fewest rights, last.
            allowed = allowed[-1:]
        if endpoint in SAME_FOR_ALL:
            answers = {send(v, endpoint, method).status_code for v in VISITORS}
            if len(answers) != 1:
                wrong.append(f"{method} {endpoint}: {answers}, not one answer for all")
            continue
        for visitor in refused + allowed:
            got = observed(send(visitor, endpoint, method))
            if got != verdicts[visitor]:
                wrong.append(
                    f"{method} {endpoint} as {visitor.name}: {got}, not {verdicts[visitor]}"
                )
    assert wrong == [], "\n".join(wrong)


def test_the_matrix_can_fail(app, world, urls):  # noqa: F811
    """A viewer refused editing is what the table says; if the table said viewers may edit, the
    same answer would be reported as wrong (the comparison is not vacuous)."""
    urls, _token = urls
    clients = _clients(app, world.project_id)
    viewer = next(v for v in VISITORS if v.name == "viewer")
    response = clients["viewer"].get(urls["planner.project_edit"])
    assert observed(response) == expected(EDIT_PROJECT, viewer, api=False) == "403"
    assert observed(response) != expected(READ, viewer, api=False)
