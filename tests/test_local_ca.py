"""The local certificate authority of `./run --https` (scripts/local_ca.py, a development tool)
and the participant app's /ca.crt, which hands its certificate to a phone."""

from __future__ import annotations

import importlib.util
import stat
import sys
from pathlib import Path

from cryptography import x509

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "local_ca.py"
_spec = importlib.util.spec_from_file_location("local_ca", SCRIPT)
local_ca = sys.modules["local_ca"] = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(local_ca)


def test_local_ca_and_server_certificate(tmp_path):
    certs = local_ca.ensure_certificates(tmp_path, ["192.168.1.20", "walkapp.lan"])
    ca = x509.load_pem_x509_certificate(certs.ca_cert.read_bytes())
    server = x509.load_pem_x509_certificate(certs.server_cert.read_bytes())
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    server.verify_directly_issued_by(ca)
    san = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    ips = {str(ip) for ip in san.get_values_for_type(x509.IPAddress)}
    assert {"127.0.0.1", "192.168.1.20"} <= ips
    assert {"localhost", "walkapp.lan"} <= set(san.get_values_for_type(x509.DNSName))
    assert (server.not_valid_after_utc - server.not_valid_before_utc).days <= 825  # Apple's rule
    for key in (local_ca.CA_KEY, local_ca.SERVER_KEY):
        assert stat.S_IMODE((certs.ca_cert.parent / key).stat().st_mode) == 0o600
    ca_pem, server_pem = certs.ca_cert.read_bytes(), certs.server_cert.read_bytes()
    # Made once, kept: the phone trusts the same CA next time.
    again = local_ca.ensure_certificates(tmp_path, ["192.168.1.20", "walkapp.lan"])
    assert (again.ca_cert.read_bytes(), again.server_cert.read_bytes()) == (ca_pem, server_pem)
    # A new address gets a new server certificate from the same CA.
    moved = local_ca.ensure_certificates(tmp_path, ["10.0.0.7"])
    assert moved.ca_cert.read_bytes() == ca_pem
    assert moved.server_cert.read_bytes() != server_pem
    assert "10.0.0.7" in moved.addresses


def test_ca_certificate_is_served_for_phones(client, app):
    assert client.get("/ca.crt").status_code == 404
    certs = local_ca.ensure_certificates(app.instance_path)
    with client.get("/ca.crt") as r:
        assert r.status_code == 200 and r.mimetype == "application/x-x509-ca-cert"
        assert r.data == certs.ca_cert.read_bytes()
    assert b"PRIVATE KEY" not in r.data
