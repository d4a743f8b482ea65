"""walkapp's spot submit beside its floor: a bare Flask endpoint doing one SQLAlchemy insert.

Usage: python bench/submit_floor.py [--quick] [--database sqlite|postgresql|both]
                                    [--clients 4,50] [--seconds S] [--rounds R]
                                    [--database-url URL]

Both run under gunicorn with `walkapp serve`'s settings (gthread, --workers, --threads,
keep-alive 75, a listening socket per worker, a log line per request) at the same time, on the
same kind of database: walkapp's `POST /api/v1/observations` (bearer token, validation, quota,
unit of work) and bench/floor_app.py's `POST /floor` (one insert into a table of its own). Each
client is a thread with a keep-alive connection sending spots back to back (closed loop). A
figure's S seconds are measured in --rounds slices, walkapp's and the floor's in turn, each after
half a second of warm-up: a machine whose speed drifts (a shared one does, by a third from one
minute to the next) slows both alike, and each slice deals its new connections out to the
workers afresh. The figures are p50/p95/p99 of the answers and the capacity (answers per
second) and where the machine's CPU went, per answer: the server's processes, the database's
(PostgreSQL's; SQLite works inside the server) and the clients; then the ratios walkapp/floor
for capacity and p95. walkapp's clients take turns over several participants each, so no token
meets its spot limit.

Full: SQLite and PostgreSQL (--database-url, default
postgresql+psycopg://postgres@127.0.0.1:5432/bench — OWNED by the bench: its schema public is
dropped), 4 and 50 clients, 10 s each. --quick: SQLite, 4 clients, 3 s. The client threads
share the machine with the server: on a small machine their CPU is part of the figures (the
same for both targets). Exit 1 when a request fails (anything but 201) or a count is wrong.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from submit_load import (  # noqa: E402 (the sibling bench, importable once bench/ is on the path)
    HOST,
    Vocab,
    free_port,
    join_everyone,
    percentile,
    prepare,
    server_trouble,
    spot_body,
    start_server,
    stop_server,
)

BENCH = Path(__file__).resolve().parent
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench"
WARMUP_S = 0.5  # per slice


@dataclass
class Result:
    target: str
    clients: int
    ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds in the window, by side

    @property
    def capacity(self) -> float:
        return len(self.ms) / self.seconds if self.seconds else float("nan")

    def p(self, q: float) -> float:
        return percentile(self.ms, q)

    def add(self, other: Result) -> None:
        self.ms += other.ms
        self.errors += other.errors
        self.seconds += other.seconds
        for side, seconds in other.cpu.items():
            self.cpu[side] = self.cpu.get(side, 0.0) + seconds

    def cpu_ms(self, side: str) -> float:
        """CPU milliseconds per counted answer on one side (server, database, clients)."""
        return 1000 * self.cpu.get(side, 0.0) / len(self.ms) if self.ms else float("nan")


TICK = os.sysconf("SC_CLK_TCK")


def cpu_by_side(server_group: int) -> dict[str, float]:
    """CPU seconds used so far by the server's process group, PostgreSQL's processes and this
    process (the clients' threads), read from /proc (live processes: gunicorn's workers)."""
    sides = {"server": 0.0, "database": 0.0}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # the process ended meanwhile
            continue
        comm, rest = text[text.index("(") + 1 : text.rindex(")")], text[text.rindex(")") + 2 :]
        fields = rest.split()
        seconds = (int(fields[11]) + int(fields[12])) / TICK  # utime, stime
        if int(fields[2]) == server_group:
            sides["server"] += seconds
        elif comm.startswith("postgres"):
            sides["database"] += seconds
    own = os.times()
    sides["clients"] = own.user + own.system
    return sides


# --- Servers ------------------------------------------------------------------------------------


def start_floor(port: int, url: str, args: argparse.Namespace, log: Path) -> subprocess.Popen:
    """gunicorn with the settings `walkapp serve` gives itself (walkapp/cli.py)."""
    command = [str(Path(sys.executable).parent / "gunicorn"), "--chdir", str(BENCH)]
    command += ["--bind", f"{HOST}:{port}", "--workers", str(args.workers)]
    command += ["--threads", str(args.threads), "--worker-class", "gthread"]
    command += ["--keep-alive", "75", "--reuse-port", "--access-logfile", "-", "floor_app:app"]
    env = {**os.environ, "FLOOR_DATABASE_URL": url}
    with log.open("wb") as out:
        return subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, env=env
        )


def wait_ready(port: int, path: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.stderr.write(log.read_text(errors="replace")[-4000:])
            raise SystemExit("the server stopped before answering")
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", path)
            if conn.getresponse().status == 200:
                conn.close()
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit("the server did not answer within 30 s")


# --- Closed-loop load ---------------------------------------------------------------------------


def client(
    index: int,
    port: int,
    path: str,
    tokens: list[str],
    vocab: Vocab,
    window: tuple[float, float],
    result: Result,
    lock: threading.Lock,
) -> None:
    rng = random.Random(index)
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    start, end = window
    ms, errors, turn = [], [], 0
    while True:
        now = time.monotonic()
        if now >= end:
            break
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if tokens:
            headers["Authorization"] = f"Bearer {tokens[turn % len(tokens)]}"
            turn += 1
        body = json.dumps(spot_body(rng, vocab)).encode()
        sent = time.perf_counter()
        try:
            conn.request("POST", path, body=body, headers=headers)
            response = conn.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException) as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
            conn.close()
            continue
        took = (time.perf_counter() - sent) * 1000
        if response.status != 201:
            errors.append(f"HTTP {response.status}: {raw[:200]!r}")
        elif now >= start:  # answers to requests sent in the warm-up are not counted
            ms.append(took)
    conn.close()
    with lock:
        result.ms += ms
        result.errors += errors


def load(target, port, path, tokens: list[list[str]], vocab, clients, seconds, server_group):
    result, lock = Result(target, clients), threading.Lock()
    t0 = time.monotonic()
    window = (t0 + WARMUP_S, t0 + WARMUP_S + seconds)
    threads = [
        threading.Thread(
            target=client,
            args=(i, port, path, tokens[i] if tokens else [], vocab, window, result, lock),
            daemon=True,
        )
        for i in range(clients)
    ]
    for thread in threads:
        thread.start()
    time.sleep(max(0.0, window[0] - time.monotonic()))
    cpu_before = cpu_by_side(server_group)
    for thread in threads:
        thread.join()
    # The window closes on the last request sent in it: measured to its end.
    result.seconds = max(time.monotonic(), window[1]) - window[0]
    cpu_after = cpu_by_side(server_group)
    result.cpu = {side: cpu_after[side] - cpu_before[side] for side in cpu_after}
    return result


# --- One database -------------------------------------------------------------------------------


def count_rows(url: str, table: str) -> int:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one()
    finally:
        engine.dispose()


def run_database(database_url: str | None, args, tmp: Path) -> tuple[list[Result], bool]:
    instance = tmp / "instance"
    args.database_url = database_url
    app, _walk_id, join_code = prepare(args, instance)
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    database = url.split(":", 1)[0]
    floor_url = url if database_url else f"sqlite:///{instance / 'floor.db'}"
    from floor_app import create_table

    create_table(floor_url)
    most = max(args.clients)
    per_client = max(2, -(-20 // min(args.clients)))  # enough tokens that none meets its limit
    results = {
        (target, n): Result(target, n) for n in args.clients for target in ("walkapp", "floor")
    }
    ports = {"walkapp": free_port(), "floor": free_port()}
    logs = {"walkapp": tmp / "walkapp.log", "floor": tmp / "floor.log"}
    servers: dict[str, subprocess.Popen] = {}
    try:
        servers["walkapp"] = start_server(
            ports["walkapp"], args.workers, args.threads, logs["walkapp"]
        )
        servers["floor"] = start_floor(ports["floor"], floor_url, args, logs["floor"])
        wait_ready(ports["walkapp"], "/api/v1/taxonomy", servers["walkapp"], logs["walkapp"])
        wait_ready(ports["floor"], "/floor", servers["floor"], logs["floor"])
        phones, vocab = join_everyone(ports["walkapp"], join_code, most * per_client)
        tokens = [p.headers["Authorization"].split(" ", 1)[1] for p in phones]
        before = count_rows(url, "observation")
        slice_s = args.seconds / args.rounds
        for n in args.clients:
            share = [tokens[i::n] for i in range(n)]
            for _ in range(args.rounds):
                for target, path, its_tokens in (
                    ("walkapp", "/api/v1/observations", share),
                    ("floor", "/floor", []),
                ):
                    server = servers[target]
                    part = load(
                        target, ports[target], path, its_tokens, vocab, n, slice_s, server.pid
                    )
                    results[(target, n)].add(part)
    finally:
        for server in servers.values():
            stop_server(server)
    ok = True
    stored = {
        "walkapp": count_rows(url, "observation") - before,
        "floor": count_rows(floor_url, "floor_spot"),
    }
    for target in ("walkapp", "floor"):
        for line in server_trouble(logs[target])[:5]:
            print(f"  {target} log: {line}")
            ok = False
        sent = sum(len(r.ms) for (t, _n), r in results.items() if t == target)
        if stored[target] < sent:
            print(f"  {target} stored {stored[target]} rows, fewer than the {sent} answered 201")
            ok = False

    ordered = [results[(target, n)] for target in ("walkapp", "floor") for n in args.clients]
    report(database, ordered, args)
    for result in ordered:
        for error in result.errors[:3]:
            print(f"  {result.target} error: {error}")
        ok = ok and not result.errors and bool(result.ms)
    return ordered, ok


def report(database: str, results: list[Result], args) -> None:
    print(
        f"{database}: gunicorn {args.workers} workers x {args.threads} threads (gthread), "
        f"{args.seconds:.0f} s per figure in {args.rounds} slice(s) taken in turn, closed loop"
    )
    print(
        f"  {'target':8} {'clients':>7} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
        f"{'n':>6}   cpu ms per answer: server, database, clients"
    )
    for r in results:
        print(
            f"  {r.target:8} {r.clients:7d} {r.capacity:7.0f} {r.p(50):7.1f} {r.p(95):7.1f} "
            f"{r.p(99):7.1f} {len(r.ms):6d}   {r.cpu_ms('server'):5.2f} "
            f"{r.cpu_ms('database'):5.2f} {r.cpu_ms('clients'):5.2f}"
        )
    by = {(r.target, r.clients): r for r in results}
    for n in args.clients:
        app, floor = by[("walkapp", n)], by[("floor", n)]
        print(
            f"  {n} clients: walkapp/floor capacity {app.capacity / floor.capacity:.2f}x, "
            f"p95 {app.p(95) / floor.p(95):.2f}x (goal: capacity >= 0.67x, p95 <= 1.5x)"
        )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="SQLite, 4 clients, 3 s")
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"))
    parser.add_argument(
        "--database-url",
        default=DEFAULT_PG_URL,
        help="the PostgreSQL database, OWNED by the bench (its schema public is dropped)",
    )
    parser.add_argument("--clients", help="concurrent clients, comma-separated (default 4,50)")
    parser.add_argument("--seconds", type=float, help="per figure (default 10, quick 3)")
    parser.add_argument("--rounds", type=int, help="slices per figure (default 5, quick 1)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn processes")
    parser.add_argument("--threads", type=int, default=8, help="threads per process")
    args = parser.parse_args(argv)
    args.clients = [int(c) for c in (args.clients or ("4" if args.quick else "4,50")).split(",")]
    args.seconds = args.seconds or (3.0 if args.quick else 10.0)
    args.rounds = args.rounds or (1 if args.quick else 5)
    args.database = args.database or ("sqlite" if args.quick else "both")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    pg_url = args.database_url
    urls = {"sqlite": [None], "postgresql": [pg_url]}
    urls["both"] = urls["sqlite"] + urls["postgresql"]
    ok = True
    try:
        for url in urls[args.database]:
            with tempfile.TemporaryDirectory(prefix="walkapp-floor-") as tmp:
                ok = run_database(url, args, Path(tmp))[1] and ok
    except KeyboardInterrupt:
        print("interrupted")
        return 130
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
