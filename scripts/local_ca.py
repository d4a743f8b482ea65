"""HTTPS on the local network, for trying the app on a real phone (a development tool).

Phones allow service workers, geolocation and `crypto.randomUUID()` only in a secure context, and
Chrome refuses to register a service worker over a self-signed certificate. So `./run --https`
makes, on first use, a small certificate authority (kept in the instance folder, never leaving
it) and a server certificate it signs for this machine's names and LAN addresses. Install the
authority's certificate (served at /ca.crt) on the phone once, then open the app over HTTPS.

    .venv/bin/python scripts/local_ca.py [--instance PATH] [--host NAME_OR_IP ...]

prints the certificate and key paths, and the addresses to open on the phone. It needs
`cryptography`, a development dependency (pyproject's `dev` extra): the app itself never makes
certificates; it only serves <instance>/https/ca.crt when this script made one.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import shlex
import socket
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_CERT = "ca.crt"
CA_KEY = "ca.key"
SERVER_CERT = "server.crt"
SERVER_KEY = "server.key"
CA_DAYS = 3650
# Apple refuses server certificates valid for more than 825 days, even from a CA installed by
# hand; 397 days also satisfies the stricter rule for public CAs.
SERVER_DAYS = 397
RENEW_BEFORE = timedelta(days=30)


@dataclass(frozen=True)
class Certificates:
    ca_cert: Path
    server_cert: Path
    server_key: Path
    names: tuple[str, ...]
    addresses: tuple[str, ...]


def https_dir(instance_path: str | os.PathLike) -> Path:
    return Path(instance_path) / "https"


def local_addresses() -> list[str]:
    """This machine's IPv4 addresses (LAN included), loopback first; nothing is sent anywhere."""
    found = {"127.0.0.1"}
    try:
        out = subprocess.run(
            ["ip", "-o", "-4", "addr", "show"], capture_output=True, text=True, timeout=5
        ).stdout
        for line in out.splitlines():
            parts = line.split()
            if "inet" in parts:
                found.add(parts[parts.index("inet") + 1].split("/")[0])
    except (OSError, subprocess.SubprocessError):
        pass
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            found.add(str(info[4][0]))
    except OSError:
        pass
    return sorted(found, key=lambda a: (not a.startswith("127."), a))


def local_names() -> list[str]:
    host = socket.gethostname().split(".")[0]
    return sorted({"localhost", host, f"{host}.local"})


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _make_ca(folder: Path) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "walkapp (local test)"),
            x509.NameAttribute(NameOID.COMMON_NAME, f"walkapp local CA {socket.gethostname()}"),
        ]
    )
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write_private(folder / CA_KEY, _key_pem(key))
    (folder / CA_CERT).write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert, key


def _load_ca(folder: Path) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None:
    try:
        cert = x509.load_pem_x509_certificate((folder / CA_CERT).read_bytes())
        key = serialization.load_pem_private_key((folder / CA_KEY).read_bytes(), None)
    except (OSError, ValueError):
        return None
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        return None
    return cert, key


def _server_is_good(folder: Path, names: list[str], addresses: list[str]) -> bool:
    try:
        cert = x509.load_pem_x509_certificate((folder / SERVER_CERT).read_bytes())
        ca = x509.load_pem_x509_certificate((folder / CA_CERT).read_bytes())
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (OSError, ValueError, x509.ExtensionNotFound):
        return False
    if not (folder / SERVER_KEY).is_file() or cert.issuer != ca.subject:
        return False
    covered = set(san.get_values_for_type(x509.DNSName)) | {
        str(ip) for ip in san.get_values_for_type(x509.IPAddress)
    }
    fresh = cert.not_valid_after_utc - datetime.now(UTC) > RENEW_BEFORE
    return fresh and set(names) | set(addresses) <= covered


def _make_server(
    folder: Path,
    ca: tuple[x509.Certificate, ec.EllipticCurvePrivateKey],
    names: list[str],
    addresses: list[str],
) -> None:
    ca_cert, ca_key = ca
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    alt_names: list[x509.GeneralName] = [x509.DNSName(n) for n in names]
    alt_names += [x509.IPAddress(ipaddress.ip_address(a)) for a in addresses]
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=SERVER_DAYS))
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    _write_private(folder / SERVER_KEY, _key_pem(key))
    (folder / SERVER_CERT).write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def ensure_certificates(
    instance_path: str | os.PathLike, extra_hosts: list[str] | None = None
) -> Certificates:
    """The CA (made once) and a server certificate covering this machine's names and addresses
    (made again when a name or address is new, or when it nears its end)."""
    folder = https_dir(instance_path)
    folder.mkdir(parents=True, exist_ok=True)
    names, addresses = local_names(), local_addresses()
    for host in extra_hosts or []:
        try:
            ipaddress.ip_address(host)
        except ValueError:
            names.append(host)
        else:
            addresses.append(host)
    names, addresses = sorted(set(names)), sorted(set(addresses))
    ca = _load_ca(folder)
    if ca is None:
        ca = _make_ca(folder)
        (folder / SERVER_CERT).unlink(missing_ok=True)
    if not _server_is_good(folder, names, addresses):
        _make_server(folder, ca, names, addresses)
    return Certificates(
        ca_cert=folder / CA_CERT,
        server_cert=folder / SERVER_CERT,
        server_key=folder / SERVER_KEY,
        names=tuple(names),
        addresses=tuple(addresses),
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--instance", default=os.environ.get("WALKAPP_INSTANCE_PATH", "instance"), type=Path
    )
    parser.add_argument("--host", action="append", default=[], help="another name or address")
    parser.add_argument("--port", default=os.environ.get("WALKAPP_PORT", "5000"))
    parser.add_argument(
        "--shell", action="store_true", help="print shell variable assignments for ./run"
    )
    args = parser.parse_args(argv)
    certs = ensure_certificates(args.instance, args.host)
    lan = [a for a in certs.addresses if not a.startswith("127.")]
    if args.shell:
        print(f"CERTFILE={shlex.quote(str(certs.server_cert))}")
        print(f"KEYFILE={shlex.quote(str(certs.server_key))}")
        url = f"https://{(lan or ['127.0.0.1'])[0]}:{args.port}"
        print(f"LAN_URL={shlex.quote(url)}")
        return
    print(f"certificate: {certs.server_cert}\nkey: {certs.server_key}")
    for address in lan or ["127.0.0.1"]:
        print(f"on the phone: install https://{address}:{args.port}/ca.crt, then open the app")


if __name__ == "__main__":  # pragma: no cover
    main()
