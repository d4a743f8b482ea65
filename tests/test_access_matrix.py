"""Who may open every route: each route of the app's url_map has a rule below, and the status
each kind of visitor gets is derived from that rule, the permission table
(domain.permissions), the visitor's membership of the project and whose participant token she
sends — so a new route without a rule fails here, and so does a route that lets in someone the
rules keep out.

The visitors: nobody signed in, an administrator (no membership), members of the project as
planner, facilitator and viewer, a planner *account* that only reads this project, a viewer
*account* that is a planner here (roles are per project), a planner of another project, and
four participants, each with her own token:

- `participant_a`, of the project's night walk (walk A): the owner of the spot (`obs_id`) and
  of the photo (`photo_id`) the URLs name;
- `participant_same_walk`, of walk A too: ownership is a person's, not a walk's;
- `participant_same_project`, of a second walk of the project (walk B): her walk being in
  the project gives her no right on its spots or photos (a participant is no planner);
- `participant_other_project`, of a walk of another project.

The three others are all "participant B": wherever the rule is about the participant's own
resources they get what anybody gets for a resource that is not theirs — it looks unknown, 404
(capture.get_own_observation, api.routes._send_photo) — and wherever it is about "me" they are
served as participant A is. `test_a_session_and_a_token_at_once_are_not_confused` sends a
planner's session and a participant's token together on every API route.
"""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass, replace
from datetime import timedelta

import job_builders  # noqa: F401 (the job kind of `_done_job`)
import pytest
from conftest import DATA, auth
from planner_users import login, make_user
from test_hotspots_pages import HOT, world  # noqa: F401 (the project with a hotspot)
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from walkapp.domain import cells
from walkapp.domain.join_codes import new_join_code
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
from walkapp.models import Observation, Project, Walk
from walkapp.services import hotspots
from walkapp.services.observation_filter import ObservationFilter

# Rules that are not a project's action.
PUBLIC = "public"  # anyone, signed in or not
ME = "me"  # any valid participant token, acting on herself; a planner's session is not one
OWN_SPOT = "own_spot"  # the token's owner's own spot; anyone else's looks unknown: 404
READ_OR_OWNER = "read_or_owner"  # READ in the photo's project, or the token of its owner
SIGNED_IN = "signed_in"  # any planner account
CREATE_PROJECT = "create_project"  # an account whose own role may edit projects
ADMIN = "admin"  # MANAGE_USERS, an account's right
PARTICIPANT_RULES = {ME, OWN_SPOT}

# (endpoint, method) -> rule. A project action (domain.permissions) is checked against the
# visitor's role in the project the URL names.
RULES: dict[tuple[str, str], str] = {
    # The participant app and its files
    ("participate.home", "GET"): PUBLIC,
    ("participate.app_shell", "GET"): PUBLIC,
    ("participate.ca_certificate", "GET"): PUBLIC,
    ("participate.erase", "GET"): PUBLIC,
    ("participate.privacy", "GET"): PUBLIC,
    ("participate.join_form", "GET"): PUBLIC,
    ("participate.join_link", "GET"): PUBLIC,
    ("participate.leaflet", "GET"): PUBLIC,
    ("participate.manifest", "GET"): PUBLIC,
    ("participate.module", "GET"): PUBLIC,
    ("participate.service_worker", "GET"): PUBLIC,
    ("static", "GET"): PUBLIC,
    ("health.healthz", "GET"): PUBLIC,
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
    ("api.create_observation", "POST"): ME,
    ("api.create_answer", "POST"): ME,
    ("api.patch_observation", "PATCH"): OWN_SPOT,
    ("api.delete_observation", "DELETE"): OWN_SPOT,
    ("api.upload_photo", "POST"): OWN_SPOT,
    ("api.my_observations", "GET"): ME,
    ("api.get_me", "GET"): ME,
    ("api.append_track", "POST"): ME,
    ("api.erase_me", "DELETE"): ME,
    ("api.photo_file", "GET"): READ_OR_OWNER,
    ("api.photo_thumbnail", "GET"): READ_OR_OWNER,
    ("api.project_geojson", "GET"): EXPORT,
    # Accounts
    ("planner.logout", "POST"): SIGNED_IN,
    ("planner.projects", "GET"): SIGNED_IN,
    ("planner.indicators_all", "GET"): SIGNED_IN,
    # The monitoring report: any account; it covers the projects she may export (none: 403).
    ("planner.report", "GET"): SIGNED_IN,
    ("planner.report_start", "POST"): SIGNED_IN,
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
    ("planner.user_sign_out_everywhere", "POST"): ADMIN,
    ("planner.user_unlock", "POST"): ADMIN,
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
    ("planner.annex", "GET"): EXPORT,
    ("planner.annex_map", "GET"): EXPORT,
    ("planner.annex_choices", "GET"): EDIT_PROJECT,
    ("planner.annex_choices", "POST"): EDIT_PROJECT,
    ("planner.annex_award_weights", "POST"): EDIT_PROJECT,
    ("planner.exports_page", "GET"): EXPORT,
    ("planner.export_start", "POST"): EXPORT,
    ("planner.annex_docx_start", "POST"): EXPORT,
    # The residents' page: its preview is reading; publishing it is project work.
    ("planner.public_page_admin", "GET"): READ,
    ("planner.public_publish", "POST"): EDIT_PROJECT,
    ("planner.public_unpublish", "POST"): EDIT_PROJECT,
    ("public.residents", "GET"): PUBLIC,  # a published page, at its address: anyone
    # The zones: reading them is reading the project; changing them is project work.
    ("planner.zones", "GET"): READ,
    ("planner.zone_add", "POST"): EDIT_PROJECT,
    ("planner.zone_import", "POST"): EDIT_PROJECT,
    ("planner.zone_rename", "POST"): EDIT_PROJECT,
    ("planner.zone_redraw", "POST"): EDIT_PROJECT,
    ("planner.zone_move", "POST"): EDIT_PROJECT,
    ("planner.zone_delete", "POST"): EDIT_PROJECT,
    # The questionnaire: reading it is reading the project; changing it is project work, as the
    # zones' changes are (planner/questionnaire.py).
    ("planner.questionnaire", "GET"): READ,
    ("planner.questionnaire_weights", "POST"): EDIT_PROJECT,
    ("planner.questionnaire_import", "POST"): EDIT_PROJECT,
    ("planner.questionnaire_built_in", "POST"): EDIT_PROJECT,
    ("planner.questionnaire_draft_rechecks", "POST"): EDIT_PROJECT,
    ("planner.questionnaire_rechecks", "POST"): EDIT_PROJECT,
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
    # Usage counts: counting is a facilitator's work on the phone (planner/counting.py).
    ("planner.count", "GET"): FACILITATE,
    ("planner.counts_sync", "POST"): FACILITATE,
    ("planner.counts_export", "POST"): EXPORT,
    ("planner.answers_export_start", "POST"): EXPORT,
    ("planner.counts", "GET"): READ,
    ("planner.zone_page", "GET"): READ,
    ("planner.counts_map", "GET"): READ,
    # The appropriation index (planner/appropriation.py): read, and a refresh is a job.
    ("planner.appropriation", "GET"): READ,
    ("planner.appropriation_map", "GET"): READ,
    ("planner.appropriation_refresh", "POST"): EXPORT,
    # A background job of the project (planner/jobs.py)
    ("planner.job", "GET"): EXPORT,
    ("planner.job_status", "GET"): EXPORT,
    ("planner.job_download", "GET"): EXPORT,
}
PROJECT_ACTIONS = {READ, EDIT_PROJECT, MANAGE_EVENTS, FACILITATE, MODERATE, EXPORT}
# Requests that change what later requests see go last, in this order.
LAST = (
    "planner.delete_finding",
    "planner.zone_delete",
    "planner.project_archive",
    "planner.project_unarchive",
    "planner.user_deactivate",
    "planner.membership_remove",
    "api.delete_observation",  # her spot and its photo
    "api.erase_me",
    "planner.logout",
)


@dataclass(frozen=True)
class Visitor:
    name: str
    account_role: str | None  # None: not signed in
    project_role: str | None  # the membership's role in the project (admin: global)
    token: str | None = None  # whose participant token she sends (a key of TOKENS); None: none


# The participants' tokens; OWNER's is the one whose spot and photo the URLs name.
OWNER = "walk_a"
SAME_WALK = "walk_a_other_person"
SAME_PROJECT = "walk_b_same_project"
OTHER_PROJECT = "walk_b_other_project"
TOKENS = (OWNER, SAME_WALK, SAME_PROJECT, OTHER_PROJECT)

VISITORS = (
    Visitor("anonymous", None, None),
    Visitor("admin", "admin", "admin"),
    Visitor("planner", "planner", "planner"),
    Visitor("facilitator", "facilitator", "facilitator"),
    Visitor("viewer", "viewer", "viewer"),
    Visitor("planner_account_reading_here", "planner", "viewer"),
    Visitor("viewer_account_planning_here", "viewer", "planner"),
    Visitor("planner_elsewhere", "planner", None),
    Visitor("participant_a", None, None, token=OWNER),
    Visitor("participant_same_walk", None, None, token=SAME_WALK),
    Visitor("participant_same_project", None, None, token=SAME_PROJECT),
    Visitor("participant_other_project", None, None, token=OTHER_PROJECT),
)


def named(name: str, visitors=VISITORS) -> Visitor:
    return next(v for v in visitors if v.name == name)


# Planner views that answer the live view's fetch() in JSON: 401, not the sign-in page.
JSON_VIEWS = {
    "planner.live_json",
    "planner.live_attendance",
    "planner.live_note",
    "planner.counts_sync",
    "planner.job_status",
}


def participant_verdict(rule: str, visitor: Visitor) -> str | None:
    """The verdict of a participant's rule (None: the rule is a planner's, READ_OR_OWNER
    included for whoever is not the photo's owner). Her routes look at her token only: a
    planner's session neither replaces it nor adds to it (api.auth.require_participant)."""
    if rule == ME:
        return "allowed" if visitor.token else "401"
    if rule == OWN_SPOT:
        if not visitor.token:
            return "401"
        return "allowed" if visitor.token == OWNER else "404"  # not yours looks unknown
    if rule == READ_OR_OWNER and visitor.token == OWNER:
        return "allowed"  # her own photo, whoever else she is signed in as
    return None


def expected(rule: str, visitor: Visitor, *, api: bool, endpoint: str = "") -> str:
    """'allowed', or the refusal's status as text: what the rule lets this visitor do."""
    signed_in = visitor.account_role is not None
    if rule == PUBLIC:
        return "allowed"
    if (verdict := participant_verdict(rule, visitor)) is not None:
        return verdict
    if rule == READ_OR_OWNER:
        rule = READ  # anybody but the owner: as any of the project's data
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
# Routes sent with a valid request (BODIES below): let in means a 2xx, so a 400/409/422 is
# reported as it is, not taken for "allowed" (a refusal hidden behind a validation error, or a
# check on the body made before the one on the token, would not pass unseen).
STRICT_RULES = {ME, OWN_SPOT, READ_OR_OWNER}
# The world's participants joined walks, not surveys: their valid answer is refused 409
# `not_a_survey` once the token is known — what this matrix checks is that refusal's place
# after the token (401 without one); tests/test_survey_answers.py checks the 201.
NOT_A_SURVEY = {"api.create_answer"}


def observed(response, *, strict: bool = False) -> str:
    status = response.status_code
    if status == 302 and "/planner/login" in response.headers.get("Location", ""):
        return "login"
    if status in (401, 403, 404) or status >= 500 or (strict and status >= 400):
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


def _spot(name: str) -> dict:
    """A valid new spot, its id the sender's own (uuid5 of her name)."""
    return {
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"walkapp-matrix/{name}")),
        "recorded_at": utcnow().isoformat(),
        "category": "lighting",
        "feeling": 2,
        # Far from the hotspot: its key stays the same.
        "lat": 50.3661,
        "lon": 3.5387,
    }


def _photo_upload() -> dict:
    # Encoded in memory: the test client's own encoder leaves a temporary file open.
    photo = FileStorage(io.BytesIO((DATA / "day-path.jpg").read_bytes()), filename="p.jpg")
    boundary, body = encode_multipart({"photo": photo})
    return {"data": body, "content_type": f"multipart/form-data; boundary={boundary}"}


def _done_job(project_id: int, user_id: int) -> int:
    """A job of the project, built (its file is there to download)."""
    from walkapp import jobs
    from walkapp.unit_of_work import unit

    with unit():
        job = jobs.start("test_text", project_id=project_id, user_id=user_id, params={})
    jobs.run(job.id)
    return job.id


def _zone_id(project_id: int, user_id: int) -> int:
    """A zone of the project (its routes name it)."""
    from walkapp.services import zones
    from walkapp.unit_of_work import unit

    square = [[3.51, 50.35], [3.52, 50.35], [3.52, 50.36], [3.51, 50.36], [3.51, 50.35]]
    with unit():
        zones.create_zone(
            project_id, "le square", {"type": "Polygon", "coordinates": [square]}, user_id=user_id
        )
    return zones.list_zones(project_id)[0].id


def _published_slug(project_id: int, user_id: int) -> str:
    """The project's residents' page, published: its address answers anyone."""
    from walkapp.services import publication
    from walkapp.unit_of_work import unit

    with unit():
        slug = publication.publish(project_id, user_id, publication.Options(), 5).slug
    return slug


# A valid request for the routes that need one (by the sender's name).
BODIES = {
    "api.create_observation": lambda name: {"json": _spot(name)},
    "api.patch_observation": lambda name: {"json": {"comment": f"Revu par {name}"}},
    "api.create_answer": lambda name: {
        "json": {
            "id": str(uuid.uuid4()),
            "recorded_at": utcnow().isoformat(),
            "answers": {"use_frequency": "weekly"},
        }
    },
    "api.upload_photo": lambda name: _photo_upload(),
    "api.append_track": lambda name: {
        "json": {"points": [{"lat": 50.3661, "lon": 3.5387, "t": utcnow().isoformat()}]}
    },
}


@pytest.fixture
def urls(app, world, make_walk):  # noqa: F811
    """The URL of every route, with ids that exist in the project of `world`, and the tokens
    of TOKENS: participant A's spot (`obs_id`) with her photo (`photo_id`) are the ones named."""
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
    # A second open walk of the project (world's other walk has a code nobody can type).
    now = utcnow()
    walk_b = Walk(
        project_id=project_id,
        kind="exploratory_walk",
        audience="mixed",
        title="Marche B",
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=1),
        join_code=new_join_code(),
        status="open",
    )
    db.session.add(walk_b)
    db.session.commit()
    walk_of_another_project = make_walk(title="Marche d'ailleurs")
    join_codes = {
        OWNER: walk.join_code,
        SAME_WALK: walk.join_code,
        SAME_PROJECT: walk_b.join_code,
        OTHER_PROJECT: walk_of_another_project.join_code,
    }
    tokens = {}
    for key, code in join_codes.items():
        joined = app.test_client().post(
            f"/api/v1/walks/{code}/participants", json={"consent": True, "track_consent": True}
        )
        assert joined.status_code == 201, joined.json
        tokens[key] = joined.json["token"]
    # Participant A's spot and its photo.
    spot = _spot("participant_a's first spot")
    client = app.test_client()
    answer = client.post("/api/v1/observations", json=spot, headers=auth(tokens[OWNER]))
    assert answer.status_code == 201
    upload = client.post(
        f"/api/v1/observations/{spot['id']}/photos", headers=auth(tokens[OWNER]), **_photo_upload()
    )
    assert upload.status_code == 201, upload.json
    values = {
        "project_id": project_id,
        "walk_id": walk.id,
        "finding_id": finding.id,
        "photo_id": upload.json["id"],
        "observation_id": obs_id,
        "user_id": target.id,
        "key": world.hot,
        "cell": cells.cell_of(*cells.centre(HOT), cells.MAP_RESOLUTION),
        "join_code": walk.join_code,
        "code": walk.join_code,
        "obs_id": spot["id"],
        "version": "any",  # an old folder still serves today's file
        "name": "app.js",
        "job_id": _done_job(project_id, world.planner.id),
        "slug": _published_slug(project_id, world.planner.id),
        "zone_id": _zone_id(project_id, world.planner.id),
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
    return built, tokens


def _clients(app, project_id: int, visitors=VISITORS) -> dict[str, object]:
    elsewhere = Project(name="Autre projet", commune="Anzin")
    db.session.add(elsewhere)
    db.session.commit()
    clients = {}
    for visitor in visitors:
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


def _sender(clients, urls, tokens):
    def send(visitor: Visitor, endpoint: str, method: str):
        headers = auth(tokens[visitor.token]) if visitor.token else {}
        body = BODIES[endpoint](visitor.name) if endpoint in BODIES else {}
        response = clients[visitor.name].open(
            urls[endpoint], method=method, headers=headers, **body
        )
        response.close()  # files (photos) are streamed from an open file
        return response

    return send


def _order(routes):
    return sorted(
        routes,
        key=lambda route: (
            route[1] != "GET",
            LAST.index(route[0]) if route[0] in LAST else -1,
        ),
    )


def _wrong_answers(app, world, urls, visitors, routes) -> list[str]:  # noqa: F811
    """Send each route to each visitor, in an order where changes come last; the answers that
    are not the rule's."""
    urls, tokens = urls
    clients = _clients(app, world.project_id, visitors)
    send = _sender(clients, urls, tokens)
    wrong = []
    for endpoint, method in _order(routes):
        rule = RULES[(endpoint, method)]
        api = urls[endpoint].startswith("/api/")
        verdicts = {v: expected(rule, v, api=api, endpoint=endpoint) for v in visitors}
        refused = [v for v in visitors if verdicts[v] != "allowed"]
        allowed = [v for v in visitors if verdicts[v] == "allowed"]
        if method != "GET" and rule not in PARTICIPANT_RULES:
            # One allowed visitor changes the data: the one with the fewest rights, last.
            allowed = allowed[-1:]
        # (A participant's change is her own: each one allowed makes it, after the refused.)
        if endpoint in SAME_FOR_ALL:
            answers = {send(v, endpoint, method).status_code for v in visitors}
            if len(answers) != 1:
                wrong.append(f"{method} {endpoint}: {answers}, not one answer for all")
            continue
        for visitor in refused + allowed:
            strict = rule in STRICT_RULES and endpoint not in NOT_A_SURVEY
            got = observed(send(visitor, endpoint, method), strict=strict)
            if got != verdicts[visitor]:
                wrong.append(
                    f"{method} {endpoint} as {visitor.name}: {got}, not {verdicts[visitor]}"
                )
    return wrong


def test_each_visitor_gets_what_the_permission_table_and_memberships_allow(app, world, urls):  # noqa: F811
    wrong = _wrong_answers(app, world, urls, VISITORS, RULES)
    assert wrong == [], "\n".join(wrong)


# A planner's session and a participant's token in the same request: the participant's routes
# go by the token alone, the photos by either, the export by the session alone. Each token is
# used by one visitor only (each erases herself once).
BOTH = (
    replace(named("planner"), name="planner_with_token_same_project", token=SAME_PROJECT),
    replace(named("viewer"), name="viewer_with_token_other_project", token=OTHER_PROJECT),
    replace(named("planner_elsewhere"), name="planner_elsewhere_with_token_a", token=OWNER),
    replace(named("facilitator"), name="facilitator_with_token_same_walk", token=SAME_WALK),
)


def test_a_session_and_a_token_at_once_are_not_confused(app, world, urls):  # noqa: F811
    api_routes = {route for route in RULES if urls[0][route[0]].startswith("/api/")}
    wrong = _wrong_answers(app, world, urls, BOTH, api_routes)
    assert wrong == [], "\n".join(wrong)


def test_the_matrix_can_fail(app, world, urls):  # noqa: F811
    """A viewer refused editing is what the table says; if the table said viewers may edit, the
    same answer would be reported as wrong (the comparison is not vacuous)."""
    urls, _tokens = urls
    clients = _clients(app, world.project_id)
    viewer = named("viewer")
    response = clients["viewer"].get(urls["planner.project_edit"])
    assert observed(response) == expected(EDIT_PROJECT, viewer, api=False) == "403"
    assert observed(response) != expected(READ, viewer, api=False)


def test_the_participant_verdicts_can_fail(app, world, urls):  # noqa: F811
    """The split of "a participant's token" into ME, OWN_SPOT and READ_OR_OWNER decides answers:
    each answer below is the rule's and would be reported wrong under the neighbouring rule —
    B's 404 on A's spot under ME (any token), A's photo under READ (planners only), B's own
    "me" under OWN_SPOT — and the spot B is refused exists (A gets it with the same request)."""
    urls, tokens = urls
    send = _sender(_clients(app, world.project_id), urls, tokens)
    a, b = named("participant_a"), named("participant_other_project")

    got = observed(send(b, "api.patch_observation", "PATCH"), strict=True)
    assert got == expected(OWN_SPOT, b, api=True) == "404"
    assert got != expected(ME, b, api=True)
    got = observed(send(a, "api.patch_observation", "PATCH"), strict=True)
    assert got == expected(OWN_SPOT, a, api=True) == "allowed"  # so B's 404 was "not yours"

    got = observed(send(a, "api.photo_thumbnail", "GET"), strict=True)
    assert got == expected(READ_OR_OWNER, a, api=True) == "allowed"
    assert got != expected(READ, a, api=True)
    got = observed(send(b, "api.photo_thumbnail", "GET"), strict=True)
    assert got == expected(READ_OR_OWNER, b, api=True) == "404"

    got = observed(send(b, "api.get_me", "GET"), strict=True)
    assert got == expected(ME, b, api=True) == "allowed"
    assert expected(OWN_SPOT, b, api=True) != got

    # Strict: a 4xx that is no refusal of access is not taken for "allowed" on these routes.
    clash = {**_spot("participant_a's first spot"), "id": urls["api.patch_observation"][-36:]}
    response = app.test_client().post(
        urls["api.create_observation"], json=clash, headers=auth(tokens[b.token])
    )
    assert response.status_code == 409  # the id is A's spot's
    assert observed(response) == "allowed" != observed(response, strict=True) == "409"
