"""A client with everything Mandat can keep about a person: answers, an upload naming them with an IBAN,
web-chat and e-mail messages (with the raw e-mail), a signed power of attorney, document chunks in
chroma and the graph state — and helpers that search every store for their name, e-mail and IBAN."""

from __future__ import annotations

import hashlib
import io
import os
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import MetaData, create_engine, select

from agent.app import build_service, wiring_of
from agent.config import Settings, load_settings
from agent.messages import Attachment, InboundMessage
from agent.service import Mandat
from agent.signing_flow import Submission
from tests.portal_fallback.conftest import signature_png
from tests.tools.corpus import text_pdf

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

REPO = Path(__file__).resolve().parents[3]
DEMO_FIRM = REPO / "examples" / "demo-firm"
NAME = "Erika Mustermann"
EMAIL = "erika.mustermann@example.org"
IBAN = "DE89370400440532013000"
IBAN_SPACED = "DE89 3704 0044 0532 0130 00"
NEEDLES = ("Mustermann", EMAIL, IBAN, IBAN_SPACED)


class HashEmbedder:
    """A tiny deterministic embedder: chroma gets real vectors without loading a model."""

    id = "test-hash"

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        return [self.embed_query(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        digest = hashlib.sha256(text.encode()).digest()
        return [b / 255 + 0.01 for b in digest[:16]]


@dataclass
class Person:
    service: Mandat
    request_id: str
    other_request_id: str  # another client's: must survive the erasure untouched
    uploaded_sha: str
    signed_sha: str
    thread_id: str
    extra: dict = field(default_factory=dict)


def make_settings(tmp: Path, **overrides: object) -> Settings:
    return load_settings(data_dir=tmp, firm_dir=DEMO_FIRM, public_url="http://127.0.0.1:8000", **overrides)


def say(service: Mandat, request_id: str, text: str, *, channel: str = "webchat", sender: str | None = None,
        attachments: tuple[Attachment, ...] = (), raw: bytes | None = None) -> None:
    service.receive(InboundMessage(channel=channel, sender=sender or f"link:{request_id}", text=text,
                                   external_id=f"privacy-{uuid.uuid4().hex}", request_id=request_id,
                                   attachments=attachments, raw=raw))


def letter_pdf() -> bytes:
    return text_pdf([f"Mandant: {NAME}", "Musterstraße 1, 10115 Berlin", f"IBAN {IBAN_SPACED}",
                     "Kündigung zum 31.03.2026"])


def build_person(service: Mandat) -> Person:
    created = service.create_request(client_name=NAME, client_email=EMAIL, lang="de", questionnaires=["kuendigung"],
                                     uploads=["Kündigungsschreiben"], sign=["vollmacht"])
    rid = created.id
    say(service, rid, "Erika")
    say(service, rid, "Mustermann")
    pdf = letter_pdf()
    say(service, rid, "Hier das Schreiben", attachments=(Attachment("brief-mustermann.pdf", pdf, "application/pdf"),))
    raw = (f"From: {NAME} <{EMAIL}>\r\nSubject: Konto\r\n\r\nMeine IBAN ist {IBAN_SPACED}.\r\n").encode()
    say(service, rid, f"Meine IBAN ist {IBAN_SPACED}. Gruss, {NAME}", channel="email", sender=EMAIL, raw=raw)
    signed_sha = _sign(service, rid)
    # mail from the same address that reached no request (quarantined), with its raw source
    service.record_unrouted(InboundMessage(channel="email", sender=EMAIL, text=f"{NAME}: neue Sache",
                                           external_id=f"privacy-{uuid.uuid4().hex}", raw=raw + b"neu"),
                            "quarantined", "no request found")
    _bind_telegram(service, rid)
    other = service.create_request(client_name="Max Andere", client_email="max.andere@example.org", lang="de",
                                   questionnaires=["kuendigung"])
    say(service, other.id, "Max")
    _index_chunks(service, rid, other.id)
    with service.db.read() as s:
        from agent.store import models as m

        thread_id = s.get(m.Request, rid).thread_id
    return Person(service, rid, other.id, hashlib.sha256(pdf).hexdigest(), signed_sha, thread_id)


def _bind_telegram(service: Mandat, rid: str) -> None:
    """A Telegram chat bound to the request, as a /start deep link leaves it."""
    from agent.store import models as m

    with service.db.write() as s:
        req = s.get(m.Request, rid)
        req.client.telegram_chat_id = "987654321"
        s.add(m.KeyValue(key="telegram.chat.987654321.request", value={"request_id": rid}))


def _sign(service: Mandat, rid: str) -> str:
    from agent.store import models as m

    flow = wiring_of(service).signing
    assert flow is not None, "the demo firm has documents to sign"
    with service.db.read() as s:
        item = s.scalars(select(m.RequestItem).where(m.RequestItem.request_id == rid,
                                                     m.RequestItem.kind == "sign")).one()
    url = service.fresh_sign_link(rid, item.id)
    assert url
    token = url.rsplit("/", 1)[1]
    page = flow.open(token)
    signed = flow.submit(token, Submission(png=signature_png(), values={"ort": "Berlin"}, consent=True,
                                           shown_hash=page.shown_sha256, typed_name=NAME, ip="127.0.0.1"))
    return signed.sha256


def _index_chunks(service: Mandat, rid: str, other_id: str) -> None:
    from tools.knowledge import KnowledgeBase

    kb = KnowledgeBase(data_dir=service.settings.data_dir, embedder=HashEmbedder())
    kb.index_document(rid, "doc1", [(1, f"Mandant: {NAME}, IBAN {IBAN_SPACED}")])
    kb.index_document(other_id, "doc2", [(1, "Max Andere, Arbeitgeber ACME GmbH")])


@pytest.fixture
def person(tmp_path: Path) -> Iterator[Person]:
    service = build_service(make_settings(tmp_path / "var"))
    try:
        yield build_person(service)
    finally:
        service.close()


@pytest.fixture
def pg_person(tmp_path: Path, pg_url: str) -> Iterator[Person]:
    service = build_service(make_settings(tmp_path / "var", database_url=pg_url))
    try:
        yield build_person(service)
    finally:
        service.close()


# --------------------------------------------------------------------------- searching every store
def _as_text(value: object) -> str:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("latin-1")
    return str(value)


def found_in_database(url: str, needles: Sequence[str] = NEEDLES) -> list[str]:
    """Every table (reflected, so tables no model knows count too), every column."""
    engine = create_engine(url)
    try:
        meta = MetaData()
        meta.reflect(engine)
        hits = []
        with engine.connect() as conn:
            for table in meta.sorted_tables:
                for row in conn.execute(select(table)):
                    blob = " ".join(_as_text(v) for v in row).casefold()
                    hits += [f"{table.name}: {n}" for n in needles if n.casefold() in blob]
        return hits
    finally:
        engine.dispose()


def found_in_files(service: Mandat, needles: Sequence[str] = NEEDLES) -> list[str]:
    """Every stored file, read through the store (decrypted) and, for PDFs, as extracted text."""
    from pypdf import PdfReader

    hits = []
    for sha in service.desk.blobs.shas():
        data = service.desk.blobs.get(sha)
        text = data.decode("latin-1")
        if data.startswith(b"%PDF"):
            text += " ".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)
        hits += [f"file {sha[:10]}: {n}" for n in needles if n.casefold() in text.casefold()]
    return hits


def found_in_chroma(service: Mandat, needles: Sequence[str] = NEEDLES) -> list[str]:
    from tools.knowledge import KnowledgeBase

    kb = KnowledgeBase(data_dir=service.settings.data_dir, embedder=HashEmbedder())
    hits = []
    for item in kb._client.list_collections():
        col = kb._client.get_collection(item if isinstance(item, str) else item.name)
        got = col.get(include=["documents", "metadatas"])
        blob = " ".join(str(d) for d in (got["documents"] or [])) + str(got["metadatas"])
        hits += [f"chroma {col.name}: {n}" for n in needles if n.casefold() in blob.casefold()]
    return hits
