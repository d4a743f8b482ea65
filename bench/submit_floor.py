"""walkapp's spot submit beside its floor: a bare Flask endpoint doing one SQLAlchemy insert.

Usage: python bench/submit_floor.py [--quick] [--database sqlite|postgresql|both]
                                    [--clients 4,50] [--seconds S] [--database-url URL]

Both run under gunicorn with `walkapp serve`'s settings (gthread, --workers, --threads,
keep-alive 75, access log on) in the same run, one after the other, on the same kind of
database: walkapp's `POST /api/v1/observations` (bearer token, validation, quota, unit of work)
and bench/floor_app.py's `POST /floor` (one insert into a table of its own). Each client is a
thread with a keep-alive connection sending spots back to back (closed loop) for S seconds after
a warm-up second; the figures are p50/p95/p99 of the answers and the capacity (answers per
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
WARMUP_S = 1.0


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
    command += ["--keep-alive", "75", "--access-logfile", "-", "floor_app:app"]
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
    results: list[Result] = []
    ok = True

    port, log = free_port(), tmp / "walkapp.log"
    server = start_server(port, args.workers, args.threads, log)
    try:
        wait_ready(port, "/api/v1/taxonomy", server, log)
        phones, vocab = join_everyone(port, join_code, most * per_client)
        tokens = [p.headers["Authorization"].split(" ", 1)[1] for p in phones]
        before = count_rows(url, "observation")
        sent = 0
        for n in args.clients:
            share = [tokens[i::n] for i in range(n)]
            result = load(
                "walkapp", port, "/api/v1/observations", share, vocab, n, args.seconds, server.pid
            )
            results.append(result)
            sent += len(result.ms)
    finally:
        stop_server(server)
    stored = count_rows(url, "observation") - before
    for line in server_trouble(log)[:5]:
        print(f"  walkapp log: {line}")
        ok = False
    if stored < sent:
        print(f"  walkapp stored {stored} spots, fewer than the {sent} answered 201")
        ok = False

    port, log = free_port(), tmp / "floor.log"
    server = start_floor(port, floor_url, args, log)
    try:
        wait_ready(port, "/floor", server, log)
        sent = 0
        for n in args.clients:
            result = load("floor", port, "/floor", [], vocab, n, args.seconds, server.pid)
            results.append(result)
            sent += len(result.ms)
    finally:
        stop_server(server)
    stored = count_rows(floor_url, "floor_spot")
    for line in server_trouble(log)[:5]:
        print(f"  floor log: {line}")
        ok = False
    if stored < sent:
        print(f"  floor stored {stored} rows, fewer than the {sent} answered 201")
        ok = False

    report(database, results, args)
    for result in results:
        for error in result.errors[:3]:
            print(f"  {result.target} error: {error}")
        ok = ok and not result.errors and bool(result.ms)
    return results, ok


def report(database: str, results: list[Result], args) -> None:
    print(
        f"{database}: gunicorn {args.workers} workers x {args.threads} threads (gthread), "
        f"{args.seconds:.0f} s per figure after {WARMUP_S:.0f} s of warm-up, closed loop"
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
    parser.add_argument("--workers", type=int, default=2, help="gunicorn processes")
    parser.add_argument("--threads", type=int, default=8, help="threads per process")
    args = parser.parse_args(argv)
    args.clients = [int(c) for c in (args.clients or ("4" if args.quick else "4,50")).split(",")]
    args.seconds = args.seconds or (3.0 if args.quick else 10.0)
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
