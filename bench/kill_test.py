"""The kill test: phones keep sending while the production server is SIGKILLed and restarted.

Usage: python bench/kill_test.py [--quick] [--database sqlite|postgresql|both] [--kills K]
                                 [--participants N] [--spots M] [--database-url URL]

N participants each send M spots (one photo on 1 spot in --photo-every), one after the other,
as the participant app's outbox does: a spot is resent with the same client id until a 2xx
answer, with exponential backoff (connection refused, reset, 5xx, 429 with its Retry-After),
then its photo likewise. Meanwhile the whole process group of `walkapp serve` (gunicorn's
arbiter and workers) is SIGKILLed K times, spread over the load, and started again on the same
port. At the end the database says what survived: spots stored (by client id), lost,
duplicated, photos stored, lost, duplicated; the phones say how many requests they resent.

Full: 50 participants x 200 spots, a photo on 1 spot in 10, 2 kills, on SQLite then on
PostgreSQL (--database-url, default postgresql+psycopg://postgres@127.0.0.1:5432/bench — OWNED
by the bench: its schema public is dropped and recreated). --quick: 10 x 20, 1 kill, SQLite.

Exit 1 when a spot or photo is lost or duplicated, or a phone got an answer it cannot retry
(any 4xx other than 429); timing is printed, never asserted.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from submit_load import (  # noqa: E402 (the sibling bench, importable once bench/ is on the path)
    HOST,
    ROOT,
    Vocab,
    free_port,
    join_everyone,
    prepare,
    server_trouble,
    spot_body,
    start_server,
    stop_server,
    wait_until_ready,
)

DATA = ROOT / "tests" / "data"
PHOTOS = ("day-path.jpg", "lamp.png")
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench"
BACKOFF_FIRST_S = 0.05
BACKOFF_MAX_S = 2.0
GIVE_UP_S = 120  # one request retried this long: the server is not coming back


@dataclass(frozen=True)
class Plan:
    participants: int
    spots: int
    photo_every: int
    kills: int


FULL = Plan(participants=50, spots=200, photo_every=10, kills=2)
QUICK = Plan(participants=10, spots=20, photo_every=10, kills=1)


# --- A phone with an outbox: resend until a 2xx ---------------------------------------------------


class Fatal(Exception):
    """An answer a phone cannot retry: something is wrong with the server."""


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    sent: int = 0  # requests, first tries and resends
    resent: int = 0
    replayed: int = 0  # 200 "already stored": stored by a try whose answer never arrived
    done: int = 0  # spots acknowledged (with their photo)
    fatal: list[str] = field(default_factory=list)

    def add(self, **counts: int) -> None:
        with self.lock:
            for name, n in counts.items():
                setattr(self, name, getattr(self, name) + n)


class OutboxPhone:
    def __init__(self, port: int, token: str, tally: Tally, rng: random.Random) -> None:
        self.port, self.token, self.tally, self.rng = port, token, tally, rng
        self.conn: http.client.HTTPConnection | None = None

    def _drop(self) -> None:
        if self.conn is not None:
            self.conn.close()
        self.conn = None

    def _once(self, path: str, body: bytes, content_type: str) -> tuple[int, dict, bytes]:
        if self.conn is None:
            self.conn = http.client.HTTPConnection(HOST, self.port, timeout=30)
        headers = {
            "Content-Type": content_type,
            "Accept": "application/json",
            "Authorization": f"Bearer {self.token}",
        }
        self.conn.request("POST", path, body=body, headers=headers)
        response = self.conn.getresponse()
        raw = response.read()
        if response.will_close:
            self._drop()
        return response.status, dict(response.getheaders()), raw

    def deliver(self, path: str, body: bytes, content_type: str) -> int:
        """POST until a 2xx (its status); the same bytes every time, as an outbox resends."""
        delay, started, tries = BACKOFF_FIRST_S, time.monotonic(), 0
        while True:
            tries += 1
            self.tally.add(sent=1, resent=int(tries > 1))
            wait = None
            try:
                status, headers, raw = self._once(path, body, content_type)
            except (OSError, http.client.HTTPException):
                self._drop()  # refused while the server is down, or reset by the kill
            else:
                if 200 <= status < 300:
                    if status == 200:
                        self.tally.add(replayed=1)
                    return status
                if status == 429:
                    wait = float(headers.get("Retry-After", "1"))
                elif status < 500:
                    raise Fatal(f"POST {path}: HTTP {status} {raw[:200]!r}")
            if time.monotonic() - started > GIVE_UP_S:
                raise Fatal(f"POST {path}: no 2xx after {tries} tries in {GIVE_UP_S} s")
            time.sleep(wait if wait is not None else delay * self.rng.uniform(0.5, 1.5))
            delay = min(delay * 2, BACKOFF_MAX_S)

    def close(self) -> None:
        self._drop()


def multipart(field_name: str, filename: str, data: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    mime = "image/png" if filename.endswith(".png") else "image/jpeg"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="{field_name}"; '
        f'filename="{filename}"\r\nContent-Type: {mime}\r\n\r\n'
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    return head + data + tail, f"multipart/form-data; boundary={boundary}"


@dataclass
class Sent:
    spots: set[str] = field(default_factory=set)
    photos: set[str] = field(default_factory=set)  # the spots that carry one photo
    lock: threading.Lock = field(default_factory=threading.Lock)


def phone_run(
    index: int, phone: OutboxPhone, plan: Plan, vocab: Vocab, photos: list, sent: Sent
) -> None:
    rng = random.Random(index)
    try:
        for k in range(plan.spots):
            body = spot_body(rng, vocab)
            phone.deliver("/api/v1/observations", json.dumps(body).encode(), "application/json")
            with sent.lock:
                sent.spots.add(body["id"])
            if (k + index) % plan.photo_every == 0:
                name, data = photos[(k // plan.photo_every + index) % len(photos)]
                payload, content_type = multipart("photo", name, data)
                phone.deliver(f"/api/v1/observations/{body['id']}/photos", payload, content_type)
                with sent.lock:
                    sent.photos.add(body["id"])
            phone.tally.add(done=1)
    except Fatal as exc:
        with phone.tally.lock:
            phone.tally.fatal.append(str(exc))
    finally:
        phone.close()


# --- The killer -----------------------------------------------------------------------------------


@dataclass
class Server:
    port: int
    workers: int
    threads: int
    log_dir: Path
    process: object = None
    starts: int = 0
    downtime_s: list[float] = field(default_factory=list)

    def log(self) -> Path:
        return self.log_dir / f"server-{self.starts}.log"

    def start(self) -> None:
        self.starts += 1
        self.process = start_server(self.port, self.workers, self.threads, self.log())
        wait_until_ready(self.port, self.process, self.log())

    def kill_and_restart(self) -> None:
        down = time.monotonic()
        os.killpg(self.process.pid, signal.SIGKILL)  # arbiter and workers: its own session
        self.process.wait()
        self.start()
        self.downtime_s.append(time.monotonic() - down)

    def trouble(self) -> list[str]:
        lines = []
        for n in range(1, self.starts + 1):
            lines += server_trouble(self.log_dir / f"server-{n}.log")
        return lines


def killer(server: Server, plan: Plan, tally: Tally, stop: threading.Event, at: list) -> None:
    """Kill when the acknowledged spots reach 1/(K+1), 2/(K+1)... of the load."""
    total = plan.participants * plan.spots
    for k in range(1, plan.kills + 1):
        while tally.done < total * k / (plan.kills + 1) and not stop.is_set():
            time.sleep(0.01)
        if stop.is_set():
            return
        at.append(tally.done)
        server.kill_and_restart()


# --- What the database holds ----------------------------------------------------------------------


def stored(app, walk_id: int) -> tuple[dict[str, int], dict[str, int]]:
    """(rows per spot client id, photo rows per spot client id) for the walk."""
    import sqlalchemy as sa

    from walkapp.extensions import db
    from walkapp.models import Observation, Photo

    with app.app_context():
        spots = db.session.execute(
            sa.select(Observation.uuid, sa.func.count())
            .where(Observation.walk_id == walk_id)
            .group_by(Observation.uuid)
        ).all()
        photos = db.session.execute(
            sa.select(Observation.uuid, sa.func.count(Photo.id))
            .join(Photo, Photo.observation_id == Observation.id)
            .where(Observation.walk_id == walk_id)
            .group_by(Observation.uuid)
        ).all()
        db.session.remove()
        db.engine.dispose()
    return {str(u): n for u, n in spots}, {str(u): n for u, n in photos}


def run(plan: Plan, database_url: str | None, args: argparse.Namespace, tmp: Path) -> bool:
    instance = tmp / "instance"
    args.database_url = database_url
    app, walk_id, join_code = prepare(args, instance)
    database = app.config["SQLALCHEMY_DATABASE_URI"].split(":", 1)[0]
    print(
        f"kill test on {database}: {plan.participants} participants x {plan.spots} spots, a "
        f"photo on 1 in {plan.photo_every}, {plan.kills} SIGKILL(s) of the server's process "
        f"group; gunicorn {args.workers} workers x {args.threads} threads"
    )
    photos = [(name, (DATA / name).read_bytes()) for name in PHOTOS]
    server = Server(free_port(), args.workers, args.threads, tmp)
    tally, sent, stop, kills_at = Tally(), Sent(), threading.Event(), []
    phones: list[OutboxPhone] = []
    try:
        server.start()
        joined, vocab = join_everyone(server.port, join_code, plan.participants)
        tokens = [p.headers["Authorization"].split(" ", 1)[1] for p in joined]
        phones = [
            OutboxPhone(server.port, token, tally, random.Random(1000 + i))
            for i, token in enumerate(tokens)
        ]
        threads = [
            threading.Thread(target=phone_run, args=(i, p, plan, vocab, photos, sent), daemon=True)
            for i, p in enumerate(phones)
        ]
        kill_thread = threading.Thread(
            target=killer, args=(server, plan, tally, stop, kills_at), daemon=True
        )
        t0 = time.monotonic()
        for thread in threads:
            thread.start()
        kill_thread.start()
        for thread in threads:
            thread.join()
        wall = time.monotonic() - t0
        stop.set()
        kill_thread.join()
    finally:
        stop.set()
        if server.process is not None:
            stop_server(server.process)
    spots, photo_rows = stored(app, walk_id)
    lost = len(sent.spots - spots.keys())
    duplicated = sum(n - 1 for n in spots.values() if n > 1)
    unknown = len(spots.keys() - sent.spots)  # stored but never acknowledged: fine if resent
    photos_lost = len(sent.photos - photo_rows.keys())
    photos_dup = sum(n - 1 for n in photo_rows.values() if n > 1)
    expected = plan.participants * plan.spots
    downs = ", ".join(f"{d:.1f}" for d in server.downtime_s)
    print(
        f"load: {wall:.1f} s, {tally.sent} requests ({tally.sent / wall:.0f}/s); kills after "
        f"{kills_at} acknowledged spots, each down {downs} s"
    )
    print(
        f"spots: stored {len(spots)} / {expected} (acknowledged {len(sent.spots)}), lost {lost}, "
        f"duplicated {duplicated}, stored but never acknowledged {unknown}"
    )
    print(
        f"photos: stored {sum(photo_rows.values())} / {len(sent.photos)} acknowledged, lost "
        f"{photos_lost}, duplicated {photos_dup}"
    )
    print(
        f"retries: {tally.resent} requests resent; {tally.replayed} answered 200 'already "
        f"stored' (a try the kill cut off after its commit)"
    )
    for line in server.trouble()[:5]:
        print(f"  server log: {line}")
    for error in tally.fatal[:10]:
        print(f"  FATAL: {error}")
    ok = (
        not tally.fatal
        and lost == 0
        and duplicated == 0
        and photos_lost == 0
        and photos_dup == 0
        and len(sent.spots) == expected
        and len(server.downtime_s) == plan.kills
    )
    print(f"-> {'ok' if ok else 'FAILED'}")
    return ok


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10 x 20 spots, 1 kill, SQLite")
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"))
    parser.add_argument(
        "--database-url",
        default=DEFAULT_PG_URL,
        help="the PostgreSQL database, OWNED by the bench (its schema public is dropped)",
    )
    parser.add_argument("--participants", type=int)
    parser.add_argument("--spots", type=int, help="per participant")
    parser.add_argument("--photo-every", type=int, help="a photo on 1 spot in this many")
    parser.add_argument("--kills", type=int)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn processes")
    parser.add_argument("--threads", type=int, default=8, help="threads per process")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    base = QUICK if args.quick else FULL
    plan = Plan(
        participants=args.participants or base.participants,
        spots=args.spots or base.spots,
        photo_every=args.photo_every or base.photo_every,
        kills=base.kills if args.kills is None else args.kills,
    )
    database = args.database or ("sqlite" if args.quick else "both")
    urls = {"sqlite": [None], "postgresql": [args.database_url]}
    urls["both"] = urls["sqlite"] + urls["postgresql"]
    pg_url = args.database_url
    ok = True
    try:
        for url in urls[database]:
            with tempfile.TemporaryDirectory(prefix="walkapp-kill-") as tmp:
                ok = run(plan, url, args, Path(tmp)) and ok
            args.database_url = pg_url
    except KeyboardInterrupt:
        print("interrupted")
        return 130
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
