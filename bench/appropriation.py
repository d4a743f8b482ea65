"""The appropriation index per zone with its intervals over 100,000 answers, and the pages.

Usage: python bench/appropriation.py [--quick] [--keep DIR]

What it builds (afresh): a SQLite database in a temporary folder, brought up to date by the
migrations, with one project, its four demo zones, a baseline survey and a post-works survey,
100,000 respondents (each a participant with a profile) and their answers, drawn as the demo's
are (services.demo_survey: better by day, worse at night at the underpass), inserted in bulk
with their dimensions' scores. --quick: 5,000 answers.

What it measures:
  (a) the refresh job's work (services.appropriation_figures.compute: every figure of both
      populations, bootstrap intervals included) — wall time, and peak memory: the Python heap
      traced by tracemalloc (numpy's buffers included) and the process's peak RSS;
  (b) the appropriation page and (c) the project's indicators page through the Flask test
      client, the figures cached: what a planner waits for (median of 5).
Figures are printed, never asserted; the exit code is non-zero only if the counts are wrong.
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PASSWORD = "bench-password-123"


def make_app(instance: Path):
    from flask_migrate import upgrade

    from walkapp import create_app

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'bench.db'}",
            "INSTANCE_PATH": str(instance),
            "SECRET_KEY": "bench-only",
            "TILE_URL": "",
            "BASE_URL": "http://localhost:5000",
            "WTF_CSRF_ENABLED": False,
        }
    )
    with app.app_context():
        upgrade()
    return app


def populate(n_answers: int, rng: random.Random) -> int:
    """The project, its surveys, participants and answers; returns the project's id."""
    from walkapp.domain import appropriation as items
    from walkapp.domain.geo import perimeter_geometry
    from walkapp.extensions import db
    from walkapp.models import Participant, Project, ProjectMember, SurveyAnswer, User, Walk, Zone
    from walkapp.services import appropriation, demo, demo_survey

    user = User(email="bench@x.fr", name="Bench", role="planner")
    user.set_password(PASSWORD)
    text = demo.DATA.joinpath("place-du-canada-perimeter.geojson").read_text(encoding="utf-8")
    project = Project(
        name="Bench — enquête d'appropriation",
        commune="Valenciennes",
        insee_code="59606",
        timezone="Europe/Paris",
        phase="after_works",
        perimeter=perimeter_geometry(text),
    )
    db.session.add_all([user, project])
    db.session.flush()
    db.session.add(ProjectMember(user_id=user.id, project_id=project.id, role="planner"))
    zones = [
        Zone(project_id=project.id, name=name, geometry=perimeter_geometry(g), position=i)
        for i, (name, g) in enumerate(demo.DEMO_ZONES, start=1)
    ]
    db.session.add_all(zones)
    now = datetime.now(UTC)
    walks = {}
    for phase, days in (("diagnostic", 400), ("after_works", 60)):
        walk = Walk(
            project_id=project.id,
            kind=appropriation.SURVEY,
            audience="mixed",
            title=f"Enquête {phase}",
            starts_at=now - timedelta(days=days),
            ends_at=now - timedelta(days=days - 40),
            status="closed",
            join_code=f"BENCH{phase[:3].upper()}",
            permanent=True,
        )
        db.session.add(walk)
        walks[phase] = walk
    db.session.flush()
    questionnaire = appropriation.built_in_questionnaire(project.id)
    item_map = appropriation.item_map(questionnaire)
    db.session.commit()

    participants, answers = [], []
    slots = ("weekday_day", "weekday_evening", "weekend_day", "weekend_evening")
    for i in range(n_answers):
        phase = "diagnostic" if i % 2 else "after_works"
        zone = zones[i % len(zones)]
        walk = walks[phase]
        at = walk.starts_at + timedelta(minutes=rng.randrange(40 * 24 * 60))
        given = demo_survey._answers(rng, zone.name, phase)
        participants.append(
            {
                "id": i + 1,
                "walk_id": walk.id,
                "token_hash": f"{i:064x}",
                "erasure_code_hash": f"e{i:063x}",
                "consent_at": at,
                "consent_version": "bench",
                "track_consent": False,
                "gender": demo_survey._weighted(rng, demo_survey.GENDERS),
                "age_band": demo_survey._weighted(rng, demo_survey.AGE_BANDS),
                "created_at": at,
            }
        )
        answers.append(
            {
                "uuid": uuid.UUID(int=rng.getrandbits(128), version=4),
                "participant_id": i + 1,
                "walk_id": walk.id,
                "questionnaire_id": questionnaire.id,
                "zone_id": zone.id,
                "phase": phase,
                "recorded_at": at,
                "utc_offset_minutes": 60,
                "received_at": at,
                "local_date": at.date(),
                "time_slot": rng.choice(slots),
                "answers": given,
                "scores": items.dimension_scores(item_map, given),
                "duplicate": False,
            }
        )
    for start in range(0, n_answers, 10_000):
        db.session.execute(sa.insert(Participant), participants[start : start + 10_000])
        db.session.execute(sa.insert(SurveyAnswer), answers[start : start + 10_000])
    db.session.commit()
    return project.id


def timed_pages(app, project_id: int) -> dict[str, float]:
    from walkapp.models import User

    client = app.test_client()
    from walkapp.extensions import db

    email = db.session.scalar(sa.select(User.email))
    client.post("/planner/login", data={"email": email, "password": PASSWORD})
    out = {}
    for name, url in (
        ("appropriation page", f"/planner/projects/{project_id}/appropriation"),
        ("indicators page", f"/planner/projects/{project_id}/indicators"),
    ):
        times = []
        for _ in range(5):
            start = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - start)
            if response.status_code != 200:
                raise SystemExit(f"{url}: {response.status_code}")
        out[name] = statistics.median(times)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--keep", type=Path, help="build in this folder and keep it")
    args = parser.parse_args(argv)
    n_answers = 5_000 if args.quick else 100_000
    folder = args.keep or Path(tempfile.mkdtemp(prefix="walkapp-bench-appropriation-"))
    folder.mkdir(parents=True, exist_ok=True)
    app = make_app(folder)
    from walkapp.extensions import db
    from walkapp.services import appropriation_figures

    with app.app_context():
        start = time.perf_counter()
        project_id = populate(n_answers, random.Random(2026))
        built = time.perf_counter() - start
        tracemalloc.start()
        start = time.perf_counter()
        computed = appropriation_figures.compute(project_id)
        compute_s = time.perf_counter() - start
        _, traced_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rss_peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        appropriation_figures.store(project_id, computed)
        db.session.remove()
        pages = timed_pages(app, project_id)
        women = computed["women"]
        kept = sum(z["answers"] for z in women["zones"].values())
        answers = women["answers"]
        if answers != n_answers:
            print(f"wrong count: {answers} answers read, {n_answers} inserted")
            return 1
    print(f"appropriation bench ({'quick' if args.quick else 'full'}): {n_answers:,} answers")
    print(f"  building the data: {built:.1f} s")
    print(
        f"  (a) the refresh job's figures (both populations, {len(women['zones'])} zones, "
        f"{kept:,} women's answers): {compute_s:.1f} s; peak traced memory "
        f"{traced_peak / 2**20:.0f} MiB, process peak RSS {rss_peak_mb:.0f} MiB"
    )
    for name, seconds in pages.items():
        print(f"  {name} (figures cached): {seconds * 1000:.0f} ms (median of 5)")
    overall = women["overall"]
    before, after = overall["index"]["diagnostic"], overall["index"]["after_works"]
    print(
        "  women's index before / after: "
        f"{before['mean']:.1f} ({before['method']}) / {after['mean']:.1f}, difference "
        f"{overall['difference']['difference']:+.1f} "
        f"[{overall['difference']['low']:+.1f}, {overall['difference']['high']:+.1f}] "
        f"({overall['difference']['method']})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
