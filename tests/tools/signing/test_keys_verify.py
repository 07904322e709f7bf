from __future__ import annotations

import asyncio
import http.server
import re
import stat
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from asn1crypto import keys as asn1_keys
from asn1crypto import tsp
from cryptography.hazmat.primitives import serialization
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

from tools.signing import (
    DocumentTemplate,
    FirmKey,
    ensure_firm_key,
    finalise,
    finalise_async,
    prefill,
    verify_command,
    verify_pdf,
    verify_pdf_async,
)
from tools.signing.keys import make_self_signed

from .conftest import CASE_DATA, FIRM_NAME, Signed, make_input


def test_firm_key_is_created_once_then_loaded(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "firm.p12"
    key, created = ensure_firm_key(path, "pw", "Kanzlei Test")
    assert created and path.exists()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert re.fullmatch(r"([0-9A-F]{2}:){31}[0-9A-F]{2}", key.fingerprint_sha256)
    again, created_again = ensure_firm_key(path, "pw", "Kanzlei Test")
    assert not created_again and again.fingerprint_sha256 == key.fingerprint_sha256
    assert "Kanzlei Test" in key.subject
    days = (key.cert.not_valid_after_utc - key.cert.not_valid_before_utc).days
    assert 3650 <= days <= 3660
    with pytest.raises(ValueError):
        ensure_firm_key(path, "wrong", "Kanzlei Test")


def test_firm_key_without_password(tmp_path: Path) -> None:
    key, created = ensure_firm_key(tmp_path / "firm.p12", None, "Kanzlei Ohne Passwort")
    assert created
    assert ensure_firm_key(tmp_path / "firm.p12", None, "x")[0].fingerprint_sha256 == key.fingerprint_sha256


def test_sync_api_works_inside_a_running_loop_and_async_variants(
    templates: dict[str, DocumentTemplate], firm_key: FirmKey, signed: Callable[[str], Signed]
) -> None:
    template = templates["datenschutz"]
    shown = prefill(template, CASE_DATA)
    pdf = signed("datenschutz").result.pdf

    async def main() -> None:
        # The sync functions called (wrongly) inside a loop must not die on asyncio.run.
        assert verify_pdf(pdf, trust=[firm_key.cert]).ok
        result = await finalise_async(
            template, shown, make_input(template, shown), firm_name=FIRM_NAME, key=firm_key
        )
        assert (await verify_pdf_async(result.pdf, trust=[firm_key.cert])).ok

    asyncio.run(main())
    # and from worker threads, two at a time
    with ThreadPoolExecutor(2) as pool:
        reports = list(pool.map(lambda _: verify_pdf(pdf, trust=[firm_key.cert]), range(2)))
    assert all(r.ok for r in reports)


@pytest.fixture
def tsa_url() -> Iterator[tuple[str, FirmKey]]:
    """A real RFC 3161 HTTP endpoint on 127.0.0.1 answering with pyHanko's dummy TSA."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    base = make_self_signed("Test-TSA")
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test TSA")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(base.private_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(base.cert.not_valid_before_utc)
        .not_valid_after(base.cert.not_valid_after_utc)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .sign(base.private_key, hashes.SHA256())
    )
    tsa = FirmKey(cert=cert, private_key=base.private_key)
    stamper = DummyTimeStamper(
        tsa_cert=tsa.cert_asn1,
        tsa_key=asn1_keys.PrivateKeyInfo.load(
            base.private_key.private_bytes(
                serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        ),
    )

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server naming
            body = self.rfile.read(int(self.headers["Content-Length"]))
            reply = stamper.request_tsa_response(tsp.TimeStampReq.load(body)).dump()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/tsa", tsa
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_rfc3161_timestamp_when_tsa_configured(
    templates: dict[str, DocumentTemplate], firm_key: FirmKey, tsa_url: tuple[str, FirmKey]
) -> None:
    url, tsa = tsa_url
    template = templates["vollmacht"]
    shown = prefill(template, CASE_DATA)
    result = finalise(
        template, shown, make_input(template, shown), firm_name=FIRM_NAME, key=firm_key, tsa_url=url
    )
    report = verify_pdf(result.pdf, trust=[firm_key.cert, tsa.cert])
    assert report.ok, report.errors
    assert report.timestamped and report.signing_time is not None


def test_verify_command_prints_and_exits(
    signed: Callable[[str], Signed], firm_key: FirmKey, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "signed.pdf"
    good.write_bytes(signed("vollmacht").result.pdf)
    cert = tmp_path / "firm.pem"
    cert.write_bytes(firm_key.cert.public_bytes(serialization.Encoding.PEM))
    assert verify_command(good, cert) == 0
    out = capsys.readouterr().out
    assert FIRM_NAME in out and "ENTIRE_FILE" in out and "VALID" in out

    bad = tmp_path / "tampered.pdf"
    data = bytearray(good.read_bytes())
    data[len(data) // 2] ^= 0xFF
    bad.write_bytes(bytes(data))
    assert verify_command(bad, cert) == 1
    assert "INVALID" in capsys.readouterr().out
    assert verify_command(tmp_path / "missing.pdf", None) == 1
    unsigned = tmp_path / "unsigned.pdf"
    unsigned.write_bytes(prefill(signed("vollmacht").template, CASE_DATA))
    assert verify_command(unsigned, None) == 1
