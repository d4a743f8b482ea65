"""Load the capture API of the production server (gunicorn) the way a walk does.

Usage: python bench/submit_load.py [--quick] [--database-url URL] [--workers N] [--threads N]

Budget of the project (DESIGN.md, "Budgets"): 50 participants each sending one spot every 10 s for
60 s -> p95 under 50 ms; plus, at second 30, all 50 flushing a 10-spot outbox at once -> all 500
stored within 5 s, no error. --quick scales it down (10 participants, 2 rounds 2 s apart, bursts
of 5) so CI can run it on every push.

The bench builds everything itself: a temporary instance folder, its database (SQLite in that
folder unless --database-url is given) brought up to date with `walkapp db upgrade`, one project
with an open walk, then `walkapp serve` on a free local port, stopped at the end whatever happens.
Each participant joins through the API, then is a thread with its own keep-alive connection.

A PostgreSQL database given with --database-url belongs to the bench: if it holds tables, its
schema `public` is dropped and recreated before the run. Never point it at a database you keep.

Timing is reported, never asserted (machines differ): the exit code is 0 even over budget. It is
non-zero when something is *wrong*: a request that failed, or a stored count that differs.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import random
import resource
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
PERIMETER = ROOT / "tests" / "data" / "place-du-canada-perimeter.geojson"
HOST = "127.0.0.1"
BUDGET_P95_MS = 50
BUDGET_BURST_S = 5
PARIS = ZoneInfo("Europe/Paris")
COMMENTS = (
    "Lampadaire éteint depuis une semaine",
    "Trottoir encombré, on passe sur la chaussée",
    "Personne aux alentours le soir",
    "Bien éclairé, agréable",
    "Arrêt de bus sans abri ni éclairage",
)

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run from a checkout without installing the package


@dataclass(frozen=True)
class Plan:
    participants: int
    rounds: int  # regular spots per participant
    period: float  # seconds between two regular spots of one participant
    burst_size: int  # spots in each participant's outbox, flushed at `burst_at`

    @property
    def burst_at(self) -> float:
        return self.period * (self.rounds // 2)

    @property
    def expected(self) -> int:
        return self.participants * (self.rounds + self.burst_size)


FULL = Plan(participants=50, rounds=6, period=10.0, burst_size=10)
QUICK = Plan(participants=10, rounds=2, period=2.0, burst_size=5)


# --- Database and server ----------------------------------------------------------------------


def reset_database(url: str) -> None:
    """An empty database for the migrations: the bench owns a PostgreSQL database it is given."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        if not sa.inspect(engine).get_table_names():
            return
        if engine.dialect.name != "postgresql":
            raise SystemExit(f"{url} already holds tables: give the bench an empty database")
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA public CASCADE")
            conn.exec_driver_sql("CREATE SCHEMA public")
        print("database: dropped and recreated schema public (the bench owns it)")
    finally:
        engine.dispose()


def walkapp_command() -> str:
    return str(Path(sys.executable).parent / "walkapp")


def upgrade_database() -> None:
    done = subprocess.run(
        [walkapp_command(), "db", "upgrade"], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit("walkapp db upgrade failed")


def create_open_walk(app) -> tuple[int, str]:
    """One project with an open walk (as tests/conftest.py's make_walk): (walk id, join code)."""
    from walkapp.domain.geo import perimeter_geometry
    from walkapp.domain.join_codes import new_join_code
    from walkapp.extensions import db, utcnow, write_intent
    from walkapp.models import Project, Stop, Walk

    with app.app_context():
        write_intent.set(True)
        now = utcnow()
        project = Project(
            name="Place du Canada (bench)",
            commune="Valenciennes",
            insee_code="59606",
            timezone="Europe/Paris",
            perimeter=perimeter_geometry(json.loads(PERIMETER.read_text())),
        )
        walk = Walk(
            project=project,
            kind="exploratory_walk",
            audience="women",
            title="Marche de nuit (bench)",
            status="open",
            starts_at=now - timedelta(hours=1),
            ends_at=now + timedelta(hours=2),
            opened_at=now,
            join_code=new_join_code(),
        )
        walk.stops = [
            Stop(number=i + 1, name=f"Arrêt {i + 1}", lat=50.3560 + i / 2000, lon=3.5185)
            for i in range(3)
        ]
        db.session.add(walk)
        db.session.commit()
        found = walk.id, walk.join_code
        db.session.remove()
        db.engine.dispose()
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def start_server(port: int, workers: int, threads: int, log: Path) -> subprocess.Popen:
    command = [walkapp_command(), "serve", "--host", HOST, "--port", str(port)]
    command += ["--workers", str(workers), "--threads", str(threads)]
    with log.open("wb") as out:
        # Its own session: Ctrl+C reaches the bench only, which then stops the server itself.
        return subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def wait_until_ready(port: int, server: subprocess.Popen, log: Path, limit: float = 30) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.stderr.write(log.read_text(errors="replace")[-4000:])
            raise SystemExit("the server stopped before answering")
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", "/api/v1/taxonomy")
            if conn.getresponse().status == 200:
                conn.close()
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"the server did not answer within {limit:.0f} s")


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is not None:
        return
    server.terminate()  # gunicorn: graceful stop
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)  # the arbiter and its workers: our process group
        server.wait()


def children_cpu() -> float:
    """CPU seconds of waited-for child processes (gunicorn's arbiter reaps its workers)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def server_trouble(log: Path) -> list[str]:
    markers = ("Traceback", "[ERROR]", "[CRITICAL]", "WORKER TIMEOUT", "database is locked")
    lines = log.read_text(errors="replace").splitlines()
    return [line for line in lines if any(m in line for m in markers)]


# --- A phone: one keep-alive connection -------------------------------------------------------


def closed_by_peer(sock: socket.socket) -> bool:
    """An idle keep-alive socket that is readable was closed by the server (or is unusable)."""
    readable, _, _ = select.select([sock], [], [], 0)
    return bool(readable)


STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


@dataclass
class Answer:
    status: int
    data: object
    retried: bool


class Phone:
    """One participant's HTTP connection, reused while the server keeps it open."""

    def __init__(self, port: int, token: str | None = None) -> None:
        self.port = port
        self.headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"
        self.conn: http.client.HTTPConnection | None = None
        self.connections = 0
        self.retries = 0

    def _ensure_open(self) -> bool:
        """True when an existing connection is reused."""
        if self.conn is not None and self.conn.sock is not None:
            if not closed_by_peer(self.conn.sock):
                return True
            self.conn.close()
        self.conn = http.client.HTTPConnection(HOST, self.port, timeout=30)
        self.conn.connect()
        self.connections += 1
        return False

    def _send(self, method: str, path: str, body: bytes | None) -> Answer:
        self.conn.request(method, path, body=body, headers=self.headers)
        response = self.conn.getresponse()
        raw = response.read()
        data = json.loads(raw) if raw else None
        return Answer(response.status, data, False)

    def request(self, method: str, path: str, payload: object = None) -> Answer:
        body = None if payload is None else json.dumps(payload).encode()
        reused = self._ensure_open()
        try:
            return self._send(method, path, body)
        except STALE:
            # The server closed an idle connection as we sent: nothing was read, send again
            # (and a spot is idempotent on its client id anyway).
            if not reused:
                raise
        self.conn.close()
        self.retries += 1
        self._ensure_open()
        answer = self._send(method, path, body)
        answer.retried = True
        return answer

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()


# --- The load ---------------------------------------------------------------------------------


@dataclass
class Vocab:
    categories: list[str]
    criteria: list[str]
    stop_ids: list[int]


def spot_body(rng: random.Random, vocab: Vocab) -> dict:
    body = {
        "id": str(uuid.uuid4()),
        "lat": round(50.356 + rng.gauss(0, 0.0006), 6),
        "lon": round(3.518 + rng.gauss(0, 0.0009), 6),
        "accuracy_m": round(rng.uniform(3, 25), 1),
        "recorded_at": datetime.now(PARIS).isoformat(timespec="milliseconds"),
        "category": rng.choice(vocab.categories),
        "feeling": rng.randint(1, 5),
    }
    if rng.random() < 0.3:
        body["comment"] = rng.choice(COMMENTS)
    if rng.random() < 0.3:
        body["ratings"] = {c: rng.randint(0, 3) for c in rng.sample(vocab.criteria, 3)}
    if rng.random() < 0.2:
        body["stop_id"] = rng.choice(vocab.stop_ids)
    return body


@dataclass
class Record:
    regular_ms: list[float] = field(default_factory=list)
    regular_sent: list[float] = field(default_factory=list)  # time.monotonic() of each send
    burst_ms: list[float] = field(default_factory=list)
    burst_done: list[float] = field(default_factory=list)  # time.monotonic() of each answer
    regular_errors: list[str] = field(default_factory=list)
    burst_errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    wall_s: float = 0.0  # the load, start to last answer
    client_cpu_s: float = 0.0  # CPU used by this process (the 'phones') meanwhile

    def add(self, burst: bool, sent: float, ms: float, error: str | None) -> None:
        with self.lock:
            if error is not None:
                (self.burst_errors if burst else self.regular_errors).append(error)
            elif burst:
                self.burst_ms.append(ms)
                self.burst_done.append(time.monotonic())
            else:
                self.regular_ms.append(ms)
                self.regular_sent.append(sent)

    def calm_regular_ms(self, burst_start: float) -> list[float]:
        """Regular spots sent outside the burst window (diagnostic: what the burst costs)."""
        burst_end = max(self.burst_done, default=burst_start)
        pairs = zip(self.regular_sent, self.regular_ms, strict=True)
        return [ms for sent, ms in pairs if not burst_start <= sent <= burst_end]


def send_spot(phone: Phone, body: dict) -> tuple[float, str | None]:
    """(milliseconds, error or None); 201, or 200 for a resent request, is a success."""
    start = time.perf_counter()
    try:
        answer = phone.request("POST", "/api/v1/observations", body)
    except (OSError, http.client.HTTPException, ValueError) as exc:
        return (time.perf_counter() - start) * 1000, f"{type(exc).__name__}: {exc}"
    ms = (time.perf_counter() - start) * 1000
    if answer.status == 201 or (answer.status == 200 and answer.retried):
        return ms, None
    return ms, f"HTTP {answer.status}: {json.dumps(answer.data)[:200]}"


def schedule(index: int, plan: Plan) -> list[tuple[float, str]]:
    """A participant's events (seconds from the start): starts staggered over the first period."""
    offset = index * plan.period / plan.participants
    events = [(offset + k * plan.period, "spot") for k in range(plan.rounds)]
    return sorted([*events, (plan.burst_at, "burst")])


def participant(index: int, phone: Phone, t0: float, plan: Plan, vocab: Vocab, rec: Record):
    rng = random.Random(index)
    for at, kind in schedule(index, plan):
        delay = t0 + at - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        count = plan.burst_size if kind == "burst" else 1
        for _ in range(count):
            sent = time.monotonic()
            rec.add(kind == "burst", sent, *send_spot(phone, spot_body(rng, vocab)))


def run_load(phones: list[Phone], plan: Plan, vocab: Vocab) -> tuple[Record, float]:
    """Run every participant; returns the record and the monotonic start time."""
    rec = Record()
    t0 = time.monotonic() + 0.2
    threads = [
        threading.Thread(target=participant, args=(i, phone, t0, plan, vocab, rec), daemon=True)
        for i, phone in enumerate(phones)
    ]
    for thread in threads:
        thread.start()
    cpu = time.process_time()
    for thread in threads:
        thread.join()
    rec.wall_s = time.monotonic() - t0
    rec.client_cpu_s = time.process_time() - cpu
    return rec, t0


# --- Setup through the API, checks and report -------------------------------------------------


def join_everyone(port: int, join_code: str, n: int) -> tuple[list[Phone], Vocab]:
    front = Phone(port)
    try:
        taxonomy = front.request("GET", "/api/v1/taxonomy").data
        tokens, stop_ids = [], []
        for _ in range(n):
            answer = front.request(
                "POST", f"/api/v1/walks/{join_code}/participants", {"consent": True}
            )
            if answer.status != 201:
                raise SystemExit(f"join failed: HTTP {answer.status} {answer.data}")
            tokens.append(answer.data["token"])
            stop_ids = [stop["id"] for stop in answer.data["walk"]["stops"]]
    finally:
        front.close()
    vocab = Vocab(
        categories=[t["code"] for t in taxonomy["category"]],
        criteria=[t["code"] for t in taxonomy["criterion"]],
        stop_ids=stop_ids,
    )
    return [Phone(port, token) for token in tokens], vocab


def stored_counts(app, walk_id: int) -> tuple[int, set[int]]:
    """(spots stored for the walk, distinct per-participant counts)."""
    import sqlalchemy as sa

    from walkapp.extensions import db
    from walkapp.models import Observation

    with app.app_context():
        per_participant = db.session.execute(
            sa.select(Observation.participant_id, sa.func.count())
            .where(Observation.walk_id == walk_id)
            .group_by(Observation.participant_id)
        ).all()
        db.session.remove()
        db.engine.dispose()
    return sum(n for _, n in per_participant), {n for _, n in per_participant}


def percentile(values: list[float], p: float) -> float:
    """Nearest rank."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] if ordered else float("nan")


def verdict(ok: bool) -> str:
    return "within" if ok else "OVER"


def report_load(rec: Record, t0: float, plan: Plan) -> None:
    ms = rec.regular_ms
    p95 = percentile(ms, 95)
    print(
        f"submit p95: {p95:.1f} ms (p50 {percentile(ms, 50):.1f}, p99 {percentile(ms, 99):.1f}, "
        f"max {max(ms, default=float('nan')):.1f}, n={len(ms)}, errors={len(rec.regular_errors)})"
        f" — budget < {BUDGET_P95_MS} ms -> {verdict(p95 < BUDGET_P95_MS)}"
    )
    burst_total = plan.participants * plan.burst_size
    took = max(rec.burst_done, default=float("nan")) - (t0 + plan.burst_at)
    print(
        f"burst: {len(rec.burst_done)} / {burst_total} spots stored in {took:.2f} s, "
        f"errors={len(rec.burst_errors)} — budget < {BUDGET_BURST_S} s -> "
        f"{verdict(took < BUDGET_BURST_S and not rec.burst_errors)}"
    )
    calm = rec.calm_regular_ms(t0 + plan.burst_at)
    print(
        f"submit outside the burst window: p95 {percentile(calm, 95):.1f} ms "
        f"(p50 {percentile(calm, 50):.1f}, max {max(calm, default=float('nan')):.1f}, "
        f"n={len(calm)}); during it: n={len(ms) - len(calm)}"
    )
    b = rec.burst_ms
    print(
        f"burst requests: p50 {percentile(b, 50):.1f} ms, p95 {percentile(b, 95):.1f}, "
        f"max {max(b, default=float('nan')):.1f}"
    )
    for error in (rec.regular_errors + rec.burst_errors)[:10]:
        print(f"  error: {error}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10 participants, 2 rounds, 4 s")
    parser.add_argument(
        "--database-url",
        help="e.g. postgresql+psycopg://postgres@127.0.0.1:5432/bench (OWNED by the bench: "
        "its schema public is dropped); default SQLite in the temporary instance folder",
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn processes")
    parser.add_argument("--threads", type=int, default=8, help="threads per process")
    return parser.parse_args(argv)


def prepare(args: argparse.Namespace, instance: Path):
    """Environment, database, walk: returns (app, walk id, join code)."""
    os.environ["WALKAPP_INSTANCE_PATH"] = str(instance)
    if args.database_url:
        os.environ["WALKAPP_DATABASE_URL"] = args.database_url
        reset_database(args.database_url)
    else:
        os.environ.pop("WALKAPP_DATABASE_URL", None)
    upgrade_database()
    from walkapp import create_app

    app = create_app()
    walk_id, join_code = create_open_walk(app)
    return app, walk_id, join_code


def bench(args: argparse.Namespace, instance: Path) -> int:
    plan = QUICK if args.quick else FULL
    app, walk_id, join_code = prepare(args, instance)
    database = app.config["SQLALCHEMY_DATABASE_URI"].split(":", 1)[0]
    print(
        f"{'quick' if args.quick else 'full'} run on {database}: {plan.participants} participants"
        f" x {plan.rounds} spots every {plan.period:.0f} s, bursts of {plan.burst_size} at "
        f"{plan.burst_at:.0f} s; gunicorn {args.workers} workers x {args.threads} threads"
    )
    port, log = free_port(), instance / "server.log"
    server_cpu = children_cpu()
    server = start_server(port, args.workers, args.threads, log)
    phones: list[Phone] = []
    try:
        wait_until_ready(port, server, log)
        phones, vocab = join_everyone(port, join_code, plan.participants)
        rec, t0 = run_load(phones, plan, vocab)
    finally:
        for phone in phones:
            phone.close()
        stop_server(server)
    server_cpu = children_cpu() - server_cpu
    report_load(rec, t0, plan)
    opened = sum(p.connections for p in phones)
    print(f"connections: {opened} opened, {sum(p.retries for p in phones)} resent on a closed one")
    print(
        f"cpu: load {rec.wall_s:.1f} s wall; bench client {rec.client_cpu_s:.1f} s; server "
        f"{server_cpu:.1f} s (whole life, joins included); {os.cpu_count()} CPUs on this machine"
    )
    return finish(app, walk_id, plan, rec, server_trouble(log))


def finish(app, walk_id: int, plan: Plan, rec: Record, trouble: list[str]) -> int:
    stored, per_participant = stored_counts(app, walk_id)
    print(f"stored: {stored} / {plan.expected}")
    for line in trouble[:10]:
        print(f"  server log: {line}")
    wanted = {plan.rounds + plan.burst_size}
    failed = rec.regular_errors or rec.burst_errors or stored != plan.expected
    if per_participant != wanted:
        print(f"  spots per participant: {sorted(per_participant)}, expected {wanted}")
        failed = True
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        with tempfile.TemporaryDirectory(prefix="walkapp-bench-") as tmp:
            return bench(args, Path(tmp) / "instance")
    except KeyboardInterrupt:
        print("interrupted")
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
