"""Running it for real: `/healthz` (what the proxy polls) and the request log (one line per
request, nothing personal in it)."""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import auth, base_config
from planner_users import login, make_user

from walkapp import create_app
from walkapp.extensions import db, utcnow
from walkapp.health import migration_heads
from walkapp.request_log import LineWriter

# --- /healthz -----------------------------------------------------------------------------------


def test_healthz_answers_ok_when_all_checks_pass(client):
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json == {
        "status": "ok",
        "checks": {"database": True, "storage": True, "migrations": True},
    }
    assert r.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in r.headers
    assert "Cookie" not in r.headers.get("Vary", "")


def test_healthz_leaves_no_trace_in_the_photo_folder(app, client):
    assert client.get("/healthz").status_code == 200
    assert list(Path(app.config["PHOTO_DIR"]).rglob("*")) == []


def test_healthz_sets_no_cookie_even_for_a_signed_in_browser(client):
    login(client, make_user("planner@health.fr"))
    r = client.get("/healthz")
    assert r.status_code == 200
    assert "Set-Cookie" not in r.headers
    # The session itself is untouched: the planner is still signed in afterwards.
    assert client.get("/planner/").status_code == 200


def test_healthz_fails_when_the_photo_folder_is_not_writable(app, client, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the folder should be")
    app.config["PHOTO_DIR"] = str(blocker / "photos")
    r = client.get("/healthz")
    assert r.status_code == 503
    assert r.json["status"] == "failing"
    assert r.json["checks"] == {"database": True, "storage": False, "migrations": True}
    assert r.json["failed"] == ["storage"]
    assert r.headers["Cache-Control"] == "no-store"


def test_healthz_fails_when_migrations_are_behind(app, client):
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from walkapp.resources import resource_dir

    config = Config()
    config.set_main_option("script_location", str(resource_dir("migrations")))
    (head,) = migration_heads()
    previous = ScriptDirectory.from_config(config).get_revision(head).down_revision
    with db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = :v"), {"v": previous})
    try:
        r = client.get("/healthz")
        assert r.status_code == 503
        assert r.json["failed"] == ["migrations"]
    finally:
        with db.engine.begin() as conn:
            conn.execute(sa.text("UPDATE alembic_version SET version_num = :v"), {"v": head})
    assert client.get("/healthz").status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:////nonexistent-folder-of-walkapp/walkapp.db",
        "postgresql+psycopg://postgres@127.0.0.1:1/nowhere?connect_timeout=2",
    ],
    ids=["no-sqlite-folder", "no-pg-server"],
)
def test_healthz_fails_when_the_database_does_not_answer(tmp_path, url):
    app = create_app({**base_config(tmp_path / "instance"), "SQLALCHEMY_DATABASE_URI": url})
    r = app.test_client().get("/healthz")
    assert r.status_code == 503
    assert r.json["checks"] == {"database": False, "storage": True, "migrations": False}
    assert "Set-Cookie" not in r.headers


# --- Request log --------------------------------------------------------------------------------

LINE = re.compile(
    r"request_id=(?P<id>[A-Za-z0-9-]+) method=(?P<method>[A-Z-]+) route=(?P<route>\S+) "
    r"status=(?P<status>\d{3}) duration_ms=(?P<ms>\d+(\.\d+)?)"
)


def request_lines(caplog) -> list[re.Match]:
    lines = [r.getMessage() for r in caplog.records if r.name == "walkapp.requests"]
    matches = [LINE.fullmatch(line) for line in lines]
    assert all(matches), lines
    return matches


def test_one_line_per_request_with_the_route_pattern_and_nothing_personal(
    client, make_walk, join, caplog
):
    caplog.set_level(logging.INFO, logger="walkapp.requests")
    walk = make_walk()
    token, erasure_code, _ = join(walk)
    spot_id = str(uuid.uuid4())
    secret_comment = "Il m'a suivie jusqu'au parking, rue Ferrand"
    body = {
        "id": spot_id,
        "lat": 50.3561,
        "lon": 3.5187,
        "accuracy_m": 8.5,
        "recorded_at": (utcnow() - timedelta(minutes=5)).isoformat(),
        "category": "lighting",
        "feeling": 2,
        "comment": secret_comment,
    }
    caplog.clear()
    r = client.post(
        "/api/v1/observations?lang=fr&where=rue-ferrand", headers=auth(token), json=body
    )
    assert r.status_code == 201, r.json
    r = client.patch(
        f"/api/v1/observations/{spot_id}",
        headers=auth(token),
        json={"comment": secret_comment + " (bis)"},
    )
    assert r.status_code == 200, r.json
    lines = request_lines(caplog)
    assert [(m["method"], m["route"], m["status"]) for m in lines] == [
        ("POST", "/api/v1/observations", "201"),
        ("PATCH", "/api/v1/observations/<uuid:obs_id>", "200"),
    ]
    text = "\n".join(m.string for m in lines)
    for secret in (token, secret_comment, "rue-ferrand", "lang=fr", spot_id, erasure_code):
        assert secret not in text
    assert walk.join_code not in text
    assert "Bearer" not in text


def test_the_join_code_of_a_path_never_reaches_the_log(client, make_walk, join, caplog):
    caplog.set_level(logging.INFO, logger="walkapp.requests")
    walk = make_walk()
    caplog.clear()
    join(walk)
    client.get(f"/j/{walk.join_code}")
    client.get("/no/such/page/ABCD-1234")
    lines = request_lines(caplog)
    assert [m["route"] for m in lines] == [
        "/api/v1/walks/<join_code>/participants",
        "/j/<code>",
        "-",  # matched no route: not the path either
    ]
    text = "\n".join(m.string for m in lines)
    assert walk.join_code not in text and "ABCD-1234" not in text


def test_the_record_carries_the_fields_for_a_structured_handler(client, caplog):
    caplog.set_level(logging.INFO, logger="walkapp.requests")
    r = client.get("/healthz")
    (record,) = [r for r in caplog.records if r.name == "walkapp.requests"]
    assert record.levelno == logging.INFO
    assert (record.method, record.route, record.status) == ("GET", "/healthz", 200)
    assert record.request_id == r.headers["X-Request-Id"]
    assert isinstance(record.duration_ms, float) and record.duration_ms >= 0


def test_each_request_gets_an_id_sent_back(client, caplog):
    caplog.set_level(logging.INFO, logger="walkapp.requests")
    first = client.get("/healthz").headers["X-Request-Id"]
    second = client.get("/healthz").headers["X-Request-Id"]
    assert re.fullmatch(r"[0-9a-f]{32}", first) and re.fullmatch(r"[0-9a-f]{32}", second)
    assert first != second
    assert [m["id"] for m in request_lines(caplog)] == [first, second]


@pytest.mark.parametrize(
    ("incoming", "kept"),
    [
        ("7c1e9a2b-proxy-42", True),
        ("A" * 64, True),
        ("A" * 65, False),  # too long
        ("abc def", False),
        ("abc\tdef", False),
        ("été-42", False),
        ("id=1 status=200", False),  # would forge a field of the line
        ("", False),
    ],
)
def test_an_incoming_request_id_is_kept_only_when_short_and_plain(client, caplog, incoming, kept):
    caplog.set_level(logging.INFO, logger="walkapp.requests")
    sent = client.get("/healthz", headers={"X-Request-Id": incoming}).headers["X-Request-Id"]
    assert (sent == incoming) is kept
    if not kept:
        assert re.fullmatch(r"[0-9a-f]{32}", sent)
    (line,) = request_lines(caplog)
    assert line["id"] == sent


def test_a_failed_request_is_logged_with_its_status(client, caplog):
    caplog.set_level(logging.INFO, logger="walkapp.requests")
    r = client.post("/api/v1/observations", headers=auth("not-a-token"), json={})
    assert r.status_code == 401
    (line,) = request_lines(caplog)
    assert (line["route"], line["status"]) == ("/api/v1/observations", "401")
    assert "not-a-token" not in line.string


def test_the_lines_reach_stderr_from_the_writer_thread_whole_and_in_order(capsys):
    writer = LineWriter()
    logger = logging.getLogger("test-line-writer")
    logger.propagate = False  # this writer's lines alone
    logger.addHandler(writer)
    try:
        for n in range(50):
            logger.warning("request_id=%d status=201", n)
        deadline = time.monotonic() + 10
        written = ""
        while written.count("\n") < 50 and time.monotonic() < deadline:
            time.sleep(0.01)  # no flush: the writer thread writes them
            written += capsys.readouterr().err
    finally:
        logger.removeHandler(writer)
    lines = [line for line in written.splitlines() if "in test_health_and_logs:" in line]
    assert [int(re.search(r"request_id=(\d+)", line)[1]) for line in lines] == list(range(50))
    assert all(re.fullmatch(r"\[.+\] WARNING in test_health_and_logs: .+", line) for line in lines)


def test_a_flush_returns_once_the_queued_lines_are_written(capsys):
    writer = LineWriter()
    for n in range(20):
        writer.handle(logging.LogRecord("walkapp.requests", 20, __file__, 1, f"n={n}", None, None))
    writer.flush()  # what the process's exit does (atexit)
    written = capsys.readouterr().err
    assert [line.rsplit(" ", 1)[1] for line in written.splitlines()] == [
        f"n={n}" for n in range(20)
    ]


# --- docs/nginx.conf ----------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent
NGINX_CONF = ROOT / "docs" / "nginx.conf"
CERT_DIR = "/etc/letsencrypt/live/walkapp.example.fr/"


def _nginx() -> str:
    """nginx, installed (Debian's nginx-light) the way ./test installs what it needs: a check
    that cannot run is a failure, never a skip."""
    if shutil.which("nginx") is None:
        subprocess.run(
            ["bash", "-c", "source scripts/setup.sh && need_system_package nginx nginx-light"],
            cwd=ROOT,
            check=True,
        )
    found = shutil.which("nginx")
    assert found, "nginx could not be installed (scripts/setup.sh need_system_package)"
    return found


def _self_signed(folder: Path) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "walkapp.example.fr")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("walkapp.example.fr")]), False)
        .sign(key, hashes.SHA256())
    )
    (folder / "fullchain.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "privkey.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


def test_the_sample_nginx_configuration_is_valid(tmp_path):
    nginx = _nginx()
    _self_signed(tmp_path)
    site = NGINX_CONF.read_text()
    assert CERT_DIR in site
    # The sample as published, with a test certificate and logs of its own (nothing of the
    # machine's /etc/nginx or /var/log is read or written).
    site = site.replace(CERT_DIR, f"{tmp_path}/").replace("/var/log/nginx/", f"{tmp_path}/")
    (tmp_path / "walkapp.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\n"
        f"error_log {tmp_path}/error.log;\n"
        "events {}\n"
        "http {\n"
        f"    access_log {tmp_path}/access.log;\n"
        f"    client_body_temp_path {tmp_path}/body;\n"
        f"    proxy_temp_path {tmp_path}/proxy;\n"
        "    include walkapp.conf;\n"
        "}\n"
    )
    result = subprocess.run(
        [nginx, "-t", "-q", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    for needed in (
        "client_max_body_size 21m;",
        "proxy_pass http://walkapp;",
        "X-Forwarded-For $proxy_add_x_forwarded_for;",
        "X-Forwarded-Proto $scheme;",
        "location = /healthz",
        "server 127.0.0.1:8000;",
    ):
        assert needed in site
