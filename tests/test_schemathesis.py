"""Schemathesis against the OpenAPI document, on the live app (SQLite and PostgreSQL).

For every operation of the document (one test each, on each database), the `app` fixture's app
is served by a real HTTP server on 127.0.0.1 (a free port, a background thread), objects are
seeded, the schema is loaded from the server's own `GET /api/v1/openapi.json`, and:

1. known-good requests (one or two per operation, built from the seed) go through schemathesis'
   checks and must succeed: every 2xx answer, and its body, is checked against the document;
2. Hypothesis then generates requests from the document with `operation.as_strategy()`, valid
   ones (positive mode) and invalid ones (negative mode), and schemathesis checks every answer.
   Seeded (`derandomize`: the same requests on every run, so a failure reproduces) and bounded
   (MAX_EXAMPLES per operation, a deadline per request). A refusal (4xx) must leave every table
   as it was: the rows of each table of the metadata are counted before and after it.

Seeded objects: an open, a planned and a closed walk; spots (one of another participant), a
photo, two other participants, a planner of the project. schemathesis' dictionaries hand their
identifiers (and recent instants) to path parameters and body fields part of the time, so
generated requests reach the business rules (201, 200, 204, 409), not only "unknown" (404) and
"invalid" (422).

Each operation runs on a fresh database and server, so the destructive ones (`DELETE /api/v1/me`,
`POST /api/v1/erasure`, `DELETE .../observations/{obs_id}`) are tested like the others: once the
token is erased, the rest of that run meets the documented 401.

Not used on purpose:
- the pytest integration `schemathesis.pytest.from_fixture(...)`: schemathesis 4.32.5 sets
  `request.node._nodeid`, which pytest 9.2 removed (AttributeError), and the schema can only be
  loaded once the live server runs, so `schema.parametrize()` (which loads it at import) cannot;
- the `positive_data_acceptance` check: business rules rightly refuse some schema-valid requests
  (a spot more than a day in the future, a closed walk, a code that does not exist);
- the `ignored_auth` check: the GeoJSON export answers 404, not 401, to someone who is not a
  planner of the project ("not yours" looks like "unknown", by design).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta, timezone

import pytest
import requests
import schemathesis
import sqlalchemy as sa
from conftest import DATA, auth
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from walkapp.api import api
from walkapp.extensions import db, utcnow
from walkapp.models import ProjectMember, User

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,  # acts on negative-mode requests only
]
# schemathesis' default list of statuses that reject invalid data, plus 413: the body limit is
# checked before the body is read (DESIGN.md), so an invalid body that is also over the limit is
# rightly refused with 413.
REJECTIONS = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429"]
MAX_EXAMPLES = 60  # per operation, valid and invalid requests together
HYPOTHESIS = settings(
    max_examples=MAX_EXAMPLES,
    # The same requests on every run: Hypothesis' random source (which schemathesis' strategies
    # draw from, dictionaries included) is seeded from the test, as conftest's profile says.
    derandomize=True,
    deadline=timedelta(seconds=10),  # each example is an HTTP round trip to a database
    database=None,  # no example database written into the working tree
    # Requests to a live server are slow for Hypothesis' taste; big bodies are the point.
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# The operations, read from the document generator itself (the live server serves the same one;
# `test_live_document_lists_every_operation` checks it), so that each is a test of its own.
OPERATIONS = [
    f"{method.upper()} {path}"
    for path, methods in api.openapi(server_url="http://127.0.0.1")["paths"].items()
    for method in methods
]


@pytest.fixture
def app_config() -> dict:
    # Overrides conftest's: the fuzzer sends hundreds of wrong join and erasure codes, and the
    # per-address limit (20 per 10 minutes) would answer 429 to nearly all of them.
    return {"JOIN_FAILURE_LIMIT": "100000 per minute"}


@pytest.fixture
def live_url(live_server) -> str:
    """The `app` fixture's app served over real HTTP (tests/live_server.py, the suite's one)."""
    return live_server.url


# --- Seed ---------------------------------------------------------------------------------------


@dataclass
class Seed:
    """Objects that exist in the database, and the credentials that reach them."""

    token: str
    session_cookie: str  # a planner of the project, signed in
    open_code: str
    join_codes: list[str]  # open, planned, closed
    erasure_codes: list[str]  # two other participants': erasing them leaves `token` working
    stop_ids: list[int]
    project_id: int
    kept_spot: str  # mine, with a photo
    spare_spot: str  # mine, to be deleted
    others_spot: str  # the second participant's: "not yours"
    photo_id: int


def _spot(session: requests.Session, base: str, **fields) -> str:
    body = spot_body(**fields)
    response = session.post(f"{base}/api/v1/observations", json=body, timeout=30)
    assert response.status_code == 201, response.text
    return body["id"]


def spot_body(**fields) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "lat": 50.3561,
        "lon": 3.5187,
        "recorded_at": (utcnow() - timedelta(minutes=5)).isoformat(),
        "category": "lighting",
        "feeling": 2,
        **fields,
    }


def _planner_cookie(base: str, project_id: int) -> str:
    planner = User(email="planner@example.org")
    planner.set_password("pw-for-schemathesis")
    db.session.add(planner)
    db.session.flush()
    db.session.add(ProjectMember(user_id=planner.id, project_id=project_id, role="planner"))
    db.session.commit()
    with requests.Session() as browser:
        browser.post(
            f"{base}/planner/login",
            data={"email": "planner@example.org", "password": "pw-for-schemathesis"},
            allow_redirects=False,
            timeout=30,
        )
        cookie = browser.cookies.get("session")
    assert cookie, "the planner could not sign in"
    return cookie


@pytest.fixture
def seed(live_url, make_walk, join) -> Seed:
    walk = make_walk()
    planned, closed = make_walk(status="planned"), make_walk(status="closed")
    token, _code, joined = join(walk, track_consent=True)
    other_token, other_code, _ = join(walk)
    third_code = join(walk)[1]
    stop_ids = [stop["id"] for stop in joined["walk"]["stops"]]
    project_id = walk.project_id
    join_codes = [walk.join_code, planned.join_code, closed.join_code]
    cookie = _planner_cookie(live_url, project_id)
    # The test thread lets go of the database: from now on only the server works on it.
    db.session.remove()

    with requests.Session() as phone, requests.Session() as other_phone:
        phone.headers.update(auth(token))
        other_phone.headers.update(auth(other_token))
        kept = _spot(phone, live_url, stop_id=stop_ids[0], ratings={"lighting": 1})
        spare = _spot(phone, live_url)
        others = _spot(other_phone, live_url)
        uploaded = phone.post(
            f"{live_url}/api/v1/observations/{kept}/photos",
            files={"photo": ("p.jpg", (DATA / "day-path.jpg").read_bytes(), "image/jpeg")},
            timeout=30,
        )
        assert uploaded.status_code == 201, uploaded.text
    return Seed(
        token=token,
        session_cookie=cookie,
        open_code=walk.join_code,
        join_codes=join_codes,
        erasure_codes=[other_code, third_code],
        stop_ids=stop_ids,
        project_id=project_id,
        kept_spot=kept,
        spare_spot=spare,
        others_spot=others,
        photo_id=uploaded.json()["id"],
    )


def _recent_instants() -> list[str]:
    """Now, a while ago, last year, later today; in various offsets."""
    now = utcnow()
    moments = {-5 / 60: 0, -3: 1, -400 * 24: -5, 20: 14}  # hours from now: offset in hours
    return [
        (now + timedelta(hours=delta)).astimezone(timezone(timedelta(hours=offset))).isoformat()
        for delta, offset in moments.items()
    ]


def _config(seed: Seed) -> schemathesis.Config:
    return schemathesis.Config.from_dict(
        {
            "request-timeout": 30,
            "checks": {"negative_data_rejection": {"expected-statuses": REJECTIONS}},
            # Applied to generated requests by the security scheme each operation declares; in
            # negative mode schemathesis may leave the credentials out (expecting 401 or 404).
            "auth": {
                "openapi": {
                    "participantToken": {"bearer": seed.token},
                    "plannerSession": {"api_key": seed.session_cookie},
                }
            },
            "dictionaries": {
                "join_codes": {"values": seed.join_codes},
                "erasure_codes": {"values": seed.erasure_codes},
                # Generated date-times span years 0001 to 9999; the app takes 2000 to 2100 and
                # no more than a day ahead. Recent instants let more spots and points be stored.
                "instants": {"values": _recent_instants()},
                "stop_ids": {"values": seed.stop_ids},
                "project_ids": {"values": [seed.project_id]},
                "photo_ids": {"values": [seed.photo_id]},
                "spots": {"values": [seed.kept_spot, seed.spare_spot, seed.others_spot]},
            },
            "parameters": {
                "path.join_code": {"dictionary": "join_codes", "probability": 0.5},
                "path.project_id": {"dictionary": "project_ids", "probability": 0.5},
                "path.photo_id": {"dictionary": "photo_ids", "probability": 0.5},
                "path.obs_id": {"dictionary": "spots", "probability": 0.6},
                "body.erasure_code": {"dictionary": "erasure_codes", "probability": 0.2},
                "body.recorded_at": {"dictionary": "instants", "probability": 0.5},
                "body.points[*].t": {"dictionary": "instants", "probability": 0.5},
                "body.stop_id": {"dictionary": "stop_ids", "probability": 0.5},
                # A client id again: idempotent 200, or 409 (other content, other owner).
                "body.id": {"dictionary": "spots", "probability": 0.2},
            },
        }
    )


@pytest.fixture
def api_schema(live_url, seed):
    return schemathesis.openapi.from_url(
        f"{live_url}/api/v1/openapi.json", config=_config(seed), timeout=30
    )


# --- Known-good requests ------------------------------------------------------------------------

KnownGood = tuple[dict, int]  # keyword arguments of `operation.Case(...)`, expected status


def _known_good(seed: Seed) -> dict[str, list[KnownGood]]:
    track_point = {"lat": 50.3561, "lon": 3.5187, "accuracy_m": 8.0, "t": utcnow().isoformat()}
    spot = spot_body(
        stop_id=seed.stop_ids[1],
        accuracy_m=12.5,
        ratings={"lighting": 0, "visibility": 2},
        comment="Lampe cassée, trottoir étroit",
    )
    photo = {"photo": (DATA / "lamp.png").read_bytes()}
    return {
        "POST /api/v1/walks/{join_code}/participants": [
            ({"path_parameters": {"join_code": seed.open_code}, "body": {"consent": True}}, 201),
        ],
        "POST /api/v1/observations": [({"body": spot}, 201), ({"body": spot}, 200)],
        # The seed's participant walks, she is no survey's respondent: refused 409, in the
        # document's error shape (tests/test_survey_answers.py checks the 201 and 200).
        "POST /api/v1/answers": [
            (
                {
                    "body": {
                        "id": str(uuid.uuid4()),
                        "recorded_at": utcnow().isoformat(),
                        "answers": {"use_frequency": "weekly"},
                    }
                },
                409,
            )
        ],
        "PATCH /api/v1/observations/{obs_id}": [
            ({"path_parameters": {"obs_id": seed.kept_spot}, "body": {"feeling": 4}}, 200),
        ],
        "DELETE /api/v1/observations/{obs_id}": [
            ({"path_parameters": {"obs_id": seed.spare_spot}}, 204),
        ],
        "GET /api/v1/me/observations": [({}, 200)],
        "GET /api/v1/me": [({}, 200)],
        "POST /api/v1/observations/{obs_id}/photos": [
            (
                {
                    "path_parameters": {"obs_id": seed.kept_spot},
                    "body": photo,
                    "media_type": "multipart/form-data",
                },
                status,
            )
            for status in (201, 200)  # the same bytes again: 200, the same photo
        ],
        "GET /api/v1/photos/{photo_id}": [({"path_parameters": {"photo_id": seed.photo_id}}, 200)],
        "GET /api/v1/photos/{photo_id}/thumbnail": [
            ({"path_parameters": {"photo_id": seed.photo_id}}, 200),
        ],
        "POST /api/v1/me/track": [({"body": {"points": [track_point]}}, 201)],
        "DELETE /api/v1/me": [({}, 204), ({}, 401)],  # then the token is dead
        "POST /api/v1/erasure": [({"body": {"erasure_code": seed.erasure_codes[0]}}, 204)],
        "GET /api/v1/taxonomy": [({}, 200)],
        "GET /api/v1/projects/{project_id}/observations.geojson": [
            ({"path_parameters": {"project_id": seed.project_id}}, 200),
        ],
    }


def _credentials(label: str, seed: Seed) -> dict[str, str]:
    """Credentials of the known-good requests (which schemathesis does not generate)."""
    if label.startswith("GET /api/v1/projects/"):
        return {"Cookie": f"session={seed.session_cookie}"}
    return auth(seed.token)


def _undeclared_credentials(label: str, seed: Seed) -> dict[str, str]:
    """Photos declare no security scheme, yet only their owner's token opens them."""
    return auth(seed.token) if label.startswith("GET /api/v1/photos/") else {}


def row_counts() -> dict[str, int]:
    """The rows of every table, read on a connection of its own (the server writes on others)."""
    tables = db.metadata.sorted_tables
    query = sa.select(
        *(sa.select(sa.func.count()).select_from(t).scalar_subquery() for t in tables)
    )
    with db.engine.connect() as connection:
        counts = connection.execute(query).one()
    return dict(zip((t.name for t in tables), counts, strict=True))


# --- Tests --------------------------------------------------------------------------------------


def test_live_document_lists_every_operation(live_url):
    served = requests.get(f"{live_url}/api/v1/openapi.json", timeout=30).json()
    assert served["servers"] == [{"url": live_url}]
    schema = schemathesis.openapi.from_url(f"{live_url}/api/v1/openapi.json", timeout=30)
    labels = [result.ok().label for result in schema.get_all_operations()]
    assert sorted(labels) == sorted(OPERATIONS)


@pytest.mark.parametrize("label", OPERATIONS)
def test_operation_conforms_to_the_document(label, api_schema, seed):
    method, path = label.split(" ", 1)
    operation = api_schema[path][method]
    known_good = _known_good(seed).get(label)
    assert known_good, f"add a known-good request for {label} to _known_good()"
    for kwargs, expected in known_good:
        case = operation.Case(**kwargs)
        response = case.call_and_validate(headers=_credentials(label, seed), checks=CHECKS)
        assert response.status_code == expected, (kwargs, response.text)

    # Valid and invalid requests mixed, as schemathesis' own runner does (an operation without
    # parameters or body has no invalid request: the negative strategy then draws nothing).
    strategy = st.one_of(
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )
    headers = _undeclared_credentials(label, seed)

    @HYPOTHESIS
    @given(case=strategy)
    def fuzz(case):
        before = row_counts()
        response = case.call(headers=headers)
        case.validate_response(response, checks=CHECKS, headers=headers)
        if 400 <= response.status_code < 500:
            after = row_counts()
            changed = {name: (n, after[name]) for name, n in before.items() if after[name] != n}
            assert not changed, f"refused with {response.status_code}, yet rows changed: {changed}"

    fuzz()
