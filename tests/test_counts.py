"""Usage counts on the database (services/counts.py, POST /planner/projects/<id>/counts/sync):
a phone's batch stored once however often it is sent, undo, what is refused (and leaves nothing),
the rights; the sums per zone, phase and time slot; the Wilson interval of the share checked
against Newcombe's published examples and statsmodels."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from planner_users import login, make_user
from statsmodels.stats.proportion import proportion_confint
from test_zones import EAST, WEST, add_zones

from walkapp.domain import counts as domain
from walkapp.domain.intervals import wilson_interval
from walkapp.extensions import db
from walkapp.models import AuditEvent, CountPeriod, CountRecord, Project, Zone
from walkapp.services import counts as service

pytestmark = pytest.mark.db

# Friday 20 November 2026, 17:00 in Valenciennes: a weekday, after dark.
START = datetime(2026, 11, 20, 16, 0, tzinfo=UTC)


@pytest.fixture
def project_id(make_walk):
    walk = make_walk()
    add_zones(walk.project_id, ("Le square", WEST), ("L'arrêt de bus", EAST))
    return walk.project_id


@pytest.fixture
def counter(app, project_id):
    user = make_user("camille@valenciennes-metropole.fr", "facilitator", projects=[project_id])
    client = app.test_client()
    login(client, user)
    return client


def zone_id(name: str) -> int:
    return db.session.scalar(sa.select(Zone.id).where(Zone.name == name))


def period(kind: str = "staying", zone: str = "Le square", **extra) -> dict:
    return {
        "uuid": str(uuid.uuid4()),
        "zone_id": zone_id(zone),
        "kind": kind,
        "started_at": START.isoformat(),
        **extra,
    }


def person(of: dict, gender: str = "female", age: str = "25-64", minute: int = 1, **extra) -> dict:
    categories = (
        {"posture": "sitting_formal", "activity": "conversing", "group_size": "2"}
        if of["kind"] == "staying"
        else {"mode": "pedestrian_walking"}
    )
    return {
        "uuid": str(uuid.uuid4()),
        "period_uuid": of["uuid"],
        "recorded_at": (START + timedelta(minutes=minute)).isoformat(),
        "gender": gender,
        "age_group": age,
        **categories,
        **extra,
    }


def sync(client, project_id: int, **body):
    return client.post(f"/planner/projects/{project_id}/counts/sync", json=body)


def stored() -> list[CountRecord]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(CountRecord).order_by(CountRecord.id)))


# --- The phone's batches -----------------------------------------------------------------------


def test_a_batch_sent_three_times_is_stored_once(app, project_id, counter):
    staying = period()
    people = [person(staying, g) for g in ("female", "female", "male", "unknown")]
    for _ in range(3):
        answer = sync(counter, project_id, periods=[staying], records=people)
        assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert body["stored"] == 0  # the third time: nothing new
    assert body["periods"][staying["uuid"]]["records"] == 4
    assert sorted(str(r.uuid) for r in stored()) == sorted(p["uuid"] for p in people)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CountPeriod)) == 1
    row = db.session.scalar(sa.select(CountPeriod))
    assert (row.phase, row.time_slot, row.zone_id) == (
        "diagnostic",
        "weekday_evening",
        zone_id("Le square"),
    )
    # The period's creation is in the audit log, once; the taps are not.
    created = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.target_type == "count_period")
    ).all()
    assert [(e.action, e.details["kind"]) for e in created] == [("create", "staying")]


def test_records_may_come_in_a_later_batch_and_the_end_updates_the_period(app, project_id, counter):
    moving = period("moving", line="Entrée rue de Paris")
    assert sync(counter, project_id, periods=[moving]).status_code == 200
    people = [person(moving, minute=m) for m in range(1, 12)]
    ended = {**moving, "ended_at": (START + timedelta(minutes=12)).isoformat()}
    answer = sync(counter, project_id, records=people[:5])
    assert answer.status_code == 200
    answer = sync(counter, project_id, periods=[ended], records=people[5:])
    assert answer.get_json()["periods"][moving["uuid"]]["records"] == 11
    row = db.session.scalar(sa.select(CountPeriod))
    assert row.ended_at == START + timedelta(minutes=12)
    assert row.line == "Entrée rue de Paris"
    assert not service.short_moving_period(row)


def test_undo_deletes_the_record_and_a_resend_does_not_bring_it_back(app, project_id, counter):
    staying = period()
    kept, undone = person(staying), person(staying, "male")
    batch = {"periods": [staying], "records": [kept, undone], "undone": [undone["uuid"]]}
    for _ in range(2):  # the answer was lost: the same batch again
        answer = sync(counter, project_id, **batch)
        assert answer.status_code == 200
    assert [str(r.uuid) for r in stored()] == [kept["uuid"]]
    # Undone in a later batch, after it was stored.
    assert sync(counter, project_id, undone=[kept["uuid"]]).get_json()["undone"] == 1
    assert stored() == []


@pytest.mark.parametrize(
    "change, problem",
    [
        (lambda p, r: r.update(mode="bicyclist"), "records"),  # a mode on a person staying
        (lambda p, r: r.pop("posture"), "records"),
        (lambda p, r: r.update(gender="woman"), "records.1.gender"),  # a declared gender's code
        (lambda p, r: r.update(recorded_at=(START - timedelta(hours=1)).isoformat()), "records"),
        (lambda p, r: p.update(started_at="2099-01-01T00:00:00+00:00"), "started_at"),
        (lambda p, r: p.update(ended_at=(START - timedelta(minutes=1)).isoformat()), "ended_at"),
        (lambda p, r: r.update(period_uuid=str(uuid.uuid4())), "records"),
        (lambda p, r: p.update(zone_id=999_999), "zone_id"),
        (lambda p, r: p.update(note="\x00"), "periods.0.note"),
    ],
)
def test_a_bad_batch_is_refused_whole_and_leaves_nothing(app, project_id, counter, change, problem):
    staying = period()
    good, bad = person(staying), person(staying)
    change(staying, bad)
    answer = sync(counter, project_id, periods=[staying], records=[good, bad])
    assert answer.status_code == 422, answer.get_json()
    assert problem in answer.get_json()["errors"]
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CountPeriod)) == 0
    assert stored() == []


def test_a_zone_or_period_of_another_project_is_refused(app, project_id, counter, make_walk):
    other = make_walk()
    add_zones(other.project_id, ("Ailleurs", WEST))
    theirs = period(zone="Ailleurs")
    answer = sync(counter, project_id, periods=[theirs])
    assert answer.status_code == 422
    assert "zone_id" in answer.get_json()["errors"]
    # The same uuid already stored in the other project: never moved into this one.
    admin = make_user("admin@valenciennes-metropole.fr", "admin")
    client = app.test_client()
    login(client, admin)
    assert sync(client, other.project_id, periods=[theirs]).status_code == 200
    mine = {**theirs, "zone_id": zone_id("Le square")}
    answer = sync(counter, project_id, periods=[mine], records=[person(mine)])
    assert answer.status_code == 422
    assert db.session.scalar(sa.select(CountPeriod.project_id)) == other.project_id


def test_only_who_may_facilitate_sends_counts_and_signed_out_gets_401_json(
    app, project_id, counter
):
    viewer = make_user("vera@valenciennes-metropole.fr", "viewer", projects=[project_id])
    client = app.test_client()
    login(client, viewer)
    staying = period()
    assert sync(client, project_id, periods=[staying]).status_code in (403, 404)
    anonymous = app.test_client()
    answer = sync(anonymous, project_id, periods=[staying])
    assert answer.status_code == 401
    assert answer.get_json()["codes"] == {"auth": "signed_out"}
    assert stored() == []


def test_a_batch_too_large_is_refused(app, project_id, counter):
    staying = period()
    people = [person(staying) for _ in range(service.MAX_RECORDS_PER_BATCH + 1)]
    answer = sync(counter, project_id, periods=[staying], records=people)
    assert answer.status_code in (413, 422)
    assert stored() == []


# --- The sums ------------------------------------------------------------------------------------


def test_the_zone_table_sums_by_zone_phase_slot_gender_and_age(app, project_id, counter):
    square = period()
    stop = period("moving", zone="L'arrêt de bus")
    people = [
        *(person(square, "female", "25-64") for _ in range(3)),
        person(square, "female", "0-14"),
        *(person(square, "male", "25-64") for _ in range(4)),
        person(square, "unknown", "65+"),
        *(person(stop, "female", "15-24") for _ in range(7)),
    ]
    assert sync(counter, project_id, periods=[square, stop], records=people).status_code == 200
    project = db.session.get(Project, project_id)
    project.phase = "after_works"
    later = period()
    after = [person(later, "female") for _ in range(6)] + [person(later, "male")]
    db.session.commit()
    assert sync(counter, project_id, periods=[later], records=after).status_code == 200

    before = service.zone_table(project_id, phase="diagnostic")
    assert [z.zone_id for z in before] == [zone_id("Le square"), zone_id("L'arrêt de bus")]
    square_counts = before[0]
    assert [s.time_slot for s in square_counts.slots] == ["weekday_evening"]
    staying = square_counts.whole.staying
    assert (staying.cell("female", "25-64"), staying.cell("female", "0-14")) == (3, 1)
    assert (staying.by_gender("male"), staying.by_age("65+"), staying.total) == (4, 1, 9)
    share = staying.share
    assert (share.women, share.n, share.unknown) == (4, 8, 1)  # undetermined: not in n
    assert share.value == 0.5
    assert share.interval == wilson_interval(4, 8)
    assert square_counts.whole.moving.total == 0
    assert before[1].whole.moving.share.value == 1.0

    changes = service.before_after(project_id)
    assert [c.zone_id for c in changes] == [zone_id("Le square")]
    assert changes[0].change == pytest.approx(6 / 7 - 0.5)


def test_under_five_people_the_share_is_not_given():
    few = domain.Tally({("female", "25-64"): 3, ("male", "25-64"): 1, ("unknown", "65+"): 9})
    assert few.share.n == 4
    assert (few.share.enough, few.share.value, few.share.interval) == (False, None, None)


# --- The interval --------------------------------------------------------------------------------

# Newcombe, "Two-sided confidence intervals for the single proportion: comparison of seven
# methods", Statistics in Medicine 17 (1998) 857-872, table II, method 3 (Wilson's score
# interval without continuity correction), to four decimals.
NEWCOMBE = [
    (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0000, 0.1611),
    (1, 29, 0.0061, 0.1718),
]


@pytest.mark.parametrize("successes, n, low, high", NEWCOMBE)
def test_the_wilson_interval_gives_newcombes_published_values(successes, n, low, high):
    found = wilson_interval(successes, n)
    assert (round(found.low, 4), round(found.high, 4)) == (low, high)


@pytest.mark.parametrize("successes, n", [(0, 5), (3, 5), (5, 5), (12, 31), (250, 1000), (1, 2)])
def test_the_wilson_interval_equals_statsmodels(successes, n):
    low, high = proportion_confint(successes, n, alpha=0.05, method="wilson")
    found = wilson_interval(successes, n)
    assert found.low == pytest.approx(low, abs=1e-12)
    assert found.high == pytest.approx(high, abs=1e-12)
