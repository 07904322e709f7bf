"""The firm's sealing key: a PKCS#12 file from settings, or a self-signed certificate made on first start."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from pyhanko.sign import signers
from pyhanko_certvalidator.registry import SimpleCertificateStore

from tools.atomic import write_once

VALIDITY_DAYS = 3653  # ten years


@dataclass(frozen=True)
class FirmKey:
    """Key material for sealing. `cert` is a `cryptography` certificate (also the trust anchor for checks)."""

    cert: x509.Certificate
    private_key: rsa.RSAPrivateKey = field(repr=False)
    chain: tuple[x509.Certificate, ...] = ()

    @property
    def fingerprint_sha256(self) -> str:
        return ":".join(f"{b:02X}" for b in self.cert.fingerprint(hashes.SHA256()))

    @property
    def subject(self) -> str:
        return self.cert.subject.rfc4514_string()

    @property
    def cert_asn1(self) -> asn1_x509.Certificate:
        return to_asn1(self.cert)

    @functools.cached_property
    def _signer(self) -> signers.SimpleSigner:
        kinfo = asn1_keys.PrivateKeyInfo.load(self.private_key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        registry = SimpleCertificateStore.from_certs([to_asn1(c) for c in (self.cert, *self.chain)])
        return _LoadedKeySigner(self.private_key, signing_cert=self.cert_asn1, signing_key=kinfo,
                                cert_registry=registry)

    def signer(self) -> signers.SimpleSigner:
        """A pyHanko signer (made once per key; it holds no per-document state)."""
        return self._signer

    @classmethod
    def from_pkcs12(cls, data: bytes, password: str | None) -> FirmKey:
        key, cert, extra = pkcs12.load_key_and_certificates(data, password.encode() if password else None)
        if key is None or cert is None:
            raise ValueError("the PKCS#12 file holds no private key and certificate")
        return cls(cert=cert, private_key=key, chain=tuple(extra))  # type: ignore[arg-type]

    def to_pkcs12(self, password: str | None, name: str) -> bytes:
        enc: serialization.KeySerializationEncryption = (
            serialization.BestAvailableEncryption(password.encode()) if password
            else serialization.NoEncryption())
        return pkcs12.serialize_key_and_certificates(
            name.encode(), self.private_key, self.cert, list(self.chain) or None, enc)


class _LoadedKeySigner(signers.SimpleSigner):
    """SimpleSigner re-parses the private key for every signature, and cryptography re-checks the RSA
    key on each parse (about 0.1 s, twice per document). Sign with the key object loaded once instead."""

    def __init__(self, key: rsa.RSAPrivateKey, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._key = key

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
        if mechanism == "rsassa_pkcs1v15" and isinstance(self._key, rsa.RSAPrivateKey):
            algo = {"sha256": hashes.SHA256(), "sha384": hashes.SHA384(), "sha512": hashes.SHA512()}
            if digest_algorithm in algo:
                return self._key.sign(data, padding.PKCS1v15(), algo[digest_algorithm])
        return super().sign_raw(data, digest_algorithm)


def to_asn1(cert: x509.Certificate | asn1_x509.Certificate | bytes) -> asn1_x509.Certificate:
    if isinstance(cert, asn1_x509.Certificate):
        return cert
    if isinstance(cert, bytes):
        if b"-----BEGIN" in cert:
            cert = x509.load_pem_x509_certificate(cert)
        else:
            return asn1_x509.Certificate.load(cert)
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def make_self_signed(firm_name: str, *, now: dt.datetime | None = None) -> FirmKey:
    """RSA 2048 (the most widely accepted choice for PDF validators), ten years, for sealing only."""
    now = now or dt.datetime.now(dt.UTC)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, f"{firm_name} – Siegel"[:64]),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, firm_name[:64]),
        x509.NameAttribute(NameOID.COUNTRY_NAME, "DE"),
    ])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=VALIDITY_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=True, key_encipherment=False, data_encipherment=False,
            key_agreement=False, key_cert_sign=False, crl_sign=False, encipher_only=False,
            decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return FirmKey(cert=cert, private_key=key)


def ensure_firm_key(path: Path, password: str | None, firm_name: str) -> tuple[FirmKey, bool]:
    """Load the firm's PKCS#12, or create a self-signed one there. Returns (key, created).

    Creation is race-safe across processes: the file is written aside and hard-linked into place,
    so when two workers start at once the loser loads the winner's key instead of replacing it.
    """
    if path.exists():
        return FirmKey.from_pkcs12(path.read_bytes(), password), False
    firm_key = make_self_signed(firm_name)
    data = firm_key.to_pkcs12(password, firm_name)
    if not write_once(path, data, mode=0o600, prefix=".firm-key-"):
        return FirmKey.from_pkcs12(path.read_bytes(), password), False
    return firm_key, True
