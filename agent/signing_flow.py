"""Signing, core side: issue signing links with the exact document shown, and record a signature.

The turn asks ``sign_link`` for a link when the conversation reaches a "sign" item: the document is
prefilled from the request's case data, stored content-addressed, and its SHA-256 kept in the link's
``data`` (never the token). The page (``portal_fallback``) reads through ``open`` — which never
writes — and hands a submission to ``submit``: checked, sealed with the firm key, and then stored,
confirmed and the conversation moved on in ONE write transaction. Any refusal raises ``SignRefused``
before anything is stored.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import logging
import re
import secrets
import sys
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO

from cryptography.hazmat.primitives import serialization
from sqlalchemy import select
from sqlalchemy.orm import Session

from agent import i18n, links
from agent.conversation.snapshot import ItemView
from agent.conversation.texts import t
from agent.conversation.turn import Turn, request_status
from agent.i18n import normalise_lang
from agent.ports import Ports
from agent.questionnaire.model import QuestionnaireError
from agent.store import models as m
from tools.signing import (
    DocumentTemplate,
    FirmKey,
    ForbiddenField,
    HashMismatch,
    InvalidSignatureImage,
    InvalidValue,
    MissingValue,
    SignatureInput,
    check_client_values,
    ensure_firm_key,
    finalise,
    load_templates,
    prefill,
    validate_signature_png,
)
from tools.signing.templates import lookup

log = logging.getLogger(__name__)

MAX_PNG_BYTES = 512_000
OTP_DIGITS = 6
OTP_ATTEMPTS = 5
OTP_MINUTES = 10
OTP_MAX_SENDS = 5
MISSING_MARK = "—"  # written into a required firm field the case data does not have (staff are told)

_TEXTS: i18n.Catalogue = {
    "confirm": {
        "de": "Vielen Dank – Sie haben „{title}“ unterschrieben. Die unterschriebene Datei ist beigefügt.",
        "en": "Thank you – you have signed “{title}”. The signed file is attached.",
    },
    "otp": {
        "de": "Ihr Bestätigungscode für die Unterschrift unter „{title}“: {code}\n"
              "Er gilt {minutes} Minuten. Geben Sie ihn nicht weiter.",
        "en": "Your confirmation code for signing “{title}”: {code}\n"
              "It is valid for {minutes} minutes. Do not share it.",
    },
    "staff": {
        "de": "{client} hat „{title}“ elektronisch unterschrieben. Die versiegelte PDF-Datei ist beigefügt.",
        "en": "{client} signed “{title}” electronically. The sealed PDF is attached.",
    },
}


class SignRefused(Exception):
    """A refusal with a stable code; the page turns ``code`` (and ``params``) into a message."""

    def __init__(self, code: str, status: int = 400, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.status = status
        self.params = params


@dataclass(frozen=True)
class SignPage:
    """Everything the page shows for one valid, unused link; read without writing."""

    link_id: str
    request_id: str
    item_id: int
    lang: str
    template: DocumentTemplate
    shown_sha256: str
    values: dict[str, str]  # case field name -> value as filled in
    pages: int
    client_name: str
    created_at: datetime
    otp: bool  # a one-time code is needed before signing
    otp_channel: str | None


@dataclass
class Submission:
    png: bytes
    values: dict[str, Any]
    consent: bool
    shown_hash: str
    typed_name: str | None = None
    code: str | None = None
    ip: str = ""
    user_agent: str = ""
    opened_at: datetime | None = None


@dataclass(frozen=True)
class Signed:
    document_id: str
    sha256: str
    lang: str
    title: str
    request_complete: bool


@dataclass
class _Contact:
    channel: str
    address: str
    shown: str  # how the audit page names the address


@dataclass
class _Prepared:
    page: SignPage
    shown_pdf: bytes
    client_name: str
    contact: _Contact
    events: list[tuple[datetime, str]] = field(default_factory=list)


class SigningFlow:
    def __init__(self, service: Any) -> None:  # agent.service.Mandat (typed loosely: no import cycle)
        self.service = service
        self.settings = service.settings
        self.templates: dict[str, DocumentTemplate] = load_templates(self.settings.firm_dir)
        self._key: FirmKey | None = None
        self._secret: bytes | None = None

    # ------------------------------------------------------------------ firm key and page secret
    def ensure_key(self, out: TextIO | None = None) -> FirmKey:
        if self._key is None:
            path = self.settings.signing_cert or (self.settings.data_dir / "firm-signing.p12")
            key, created = ensure_firm_key(path, self.settings.signing_cert_password, self.service.firm.name)
            if created:
                print(f"Mandat: created a self-signed sealing certificate for {self.service.firm.name} at {path}\n"
                      f"  SHA-256 fingerprint: {key.fingerprint_sha256}", file=out or sys.stdout, flush=True)
            self._key = key
        return self._key

    @property
    def key(self) -> FirmKey:
        return self.ensure_key()

    @property
    def secret(self) -> bytes:
        """A server secret shared by every worker: derived from the firm's private key."""
        if self._secret is None:
            der = self.key.private_key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                                     serialization.NoEncryption())
            self._secret = hashlib.sha256(b"mandat-sign-page\0" + der).digest()
        return self._secret

    def page_token(self, link_id: str, opened_at: datetime) -> str:
        """The per-page CSRF value: when the page was shown, bound to the link by an HMAC."""
        stamp = str(int(opened_at.timestamp() * 1000))  # milliseconds: the timeline keeps its order
        mac = hmac.new(self.secret, f"{link_id}|{stamp}".encode(), hashlib.sha256).hexdigest()[:32]
        return f"{stamp}.{mac}"

    def check_page_token(self, link_id: str, value: str | None) -> datetime:
        stamp, _, mac = (value or "").partition(".")
        if not stamp.isdigit() or len(stamp) > 15:
            raise SignRefused("csrf", 403)
        expected = hmac.new(self.secret, f"{link_id}|{stamp}".encode(), hashlib.sha256).hexdigest()[:32]
        if not hmac.compare_digest(expected, mac):
            raise SignRefused("csrf", 403)
        return datetime.fromtimestamp(int(stamp) / 1000, UTC)

    # ------------------------------------------------------------------ hooks for the turn
    def ports(self) -> Ports:
        """What the service needs from signing; none without document templates in the firm folder."""
        if not self.templates:
            return Ports()
        return Ports(sign_link=self.sign_link, sign_title=self.sign_title)

    @staticmethod
    def factory(service: Any) -> Ports:
        """A ``PortsFactory`` for a service that needs signing links but no signing page (CLI, tests)."""
        return SigningFlow(service).ports()

    def sign_title(self, item: ItemView, lang: str) -> str:
        template = self.templates.get(item.ref)
        return template.title.get(lang) if template else item.ref

    def case_data(self, s: Session, req: m.Request) -> dict[str, Any]:
        """Case data for prefilling: firm and client basics, confirmed answers, then the request's own."""
        firm = self.service.firm
        staff = req.staff
        data: dict[str, Any] = {
            "firm": {"name": firm.name, "address": firm.address, "phone": firm.phone, "website": firm.website,
                     "email": str(firm.sender)},
            "client": {"full_name": req.client.name, "name": req.client.name, "email": req.client.email},
            "staff": {"name": staff.name if staff else None, "email": staff.email if staff else None},
            "request": {"id": req.id},
            "today": self.service.today(),
        }
        fields_by_item: dict[int, dict[str, str]] = {}
        for item in req.items:
            if item.kind != "questionnaire":
                continue
            try:
                q = self.service.questionnaire(item.ref, item.version)
            except QuestionnaireError:
                continue
            fields_by_item[item.id] = {f.id: f.case_data for f in q.fields if f.case_data}
        answers = s.scalars(select(m.Answer).where(m.Answer.request_id == req.id, m.Answer.superseded_at.is_(None),
                                                   m.Answer.confirmed.is_(True)).order_by(m.Answer.id))
        for answer in answers:
            key = fields_by_item.get(answer.item_id, {}).get(answer.field_id)
            if key and answer.value not in (None, "", []):
                _set_dotted(data, key, answer.value)
        client = data["client"]
        if client.get("first_name") and client.get("last_name"):
            client["full_name"] = f"{client['first_name']} {client['last_name']}"
        _merge(data, req.case_data or {})
        return data

    def sign_link(self, s: Session, req: m.Request, item: ItemView) -> tuple[str, str] | None:
        """Called by the service inside the write transaction: issue a link for one sign item."""
        template = self.templates.get(item.ref)
        if template is None:
            self.service._activity(s, req.id, "sign_unavailable", f"No document template {item.ref!r}",
                                   important=True, actor="system", data={"item_id": item.id})
            return None
        case = self.case_data(s, req)
        missing = [f for f in template.case_fields if f.required and f.key != "today"
                   and lookup(case, f.key or "") in (None, "", [], {})]
        for spec in missing:  # the document still goes out; staff learn what was blank
            _set_dotted(case, spec.key or "", MISSING_MARK)
        try:
            pdf = prefill(template, case)
        except (MissingValue, InvalidValue, ValueError) as exc:
            self.service._activity(s, req.id, "sign_unavailable", f"{template.title.de}: {exc}", important=True,
                                   actor="system", data={"item_id": item.id})
            return None
        sha, _new = self.service.desk.blobs.put(pdf)
        issued = links.issue(s, req.id, "sign", self.settings.sign_link_days, item_id=item.id)
        row = s.get(m.Link, issued.id)
        assert row is not None
        from tools.signing.templates import case_values

        values = case_values(template, case)
        row.data = {"template": template.id, "template_version": str(template.version), "shown_sha256": sha,
                    "values": values, "pages": _page_count(pdf)}
        if missing:
            names = ", ".join(f"{f.label.de} ({f.key})" for f in missing)
            self.service._activity(s, req.id, "sign_data_missing",
                                   f"{template.title.de}: sent with blank fields, case data missing for {names}",
                                   important=True, actor="system", data={"item_id": item.id, "link_id": issued.id})
        return template.title.get(req.lang), f"{self.settings.public_url}/s/{issued.token}"

    def send_links(self, request_id: str) -> list[dict[str, str | None]]:
        """`mandat sign send`: a fresh link for every open sign item, sent on the client's last channel."""
        sent: list[dict[str, str | None]] = []
        with self.service.db.write() as s:
            req = self.service.db.lock_request(s, request_id)
            if req is None:
                raise SignRefused("no_request", 404)
            contact = self._contact(s, req)
            for item in req.items:
                if item.kind != "sign" or item.status != "open":
                    continue
                if contact.channel == "webchat":  # the chat page asks for a fresh link when the button is pressed
                    title, url = self.sign_title(ItemView(item.id, item.kind, item.ref, item.version, item.status),
                                                 req.lang), f"sign:{item.id}"
                else:
                    made = self.sign_link(s, req, ItemView(item.id, item.kind, item.ref, item.version, item.status))
                    if made is None:
                        continue
                    title, url = made
                text = t("sign_ask", req.lang, title=title)
                s.add(m.OutboxRow(message_id=f"{req.id}.signsend.{secrets.token_hex(6)}", request_id=req.id,
                                  channel=contact.channel, address=contact.address, kind="sign_link",
                                  body={"text": text, "quick_replies": [], "link": url}))
                self.service._activity(s, req.id, "sign_link_sent", f"Signing link for {title} sent",
                                       actor="staff", data={"item_id": item.id, "channel": contact.channel})
                sent.append({"item_id": str(item.id), "template": item.ref, "channel": contact.channel,
                             "url": None if url.startswith("sign:") else url})
        if sent:
            self.service.outbox.wake()
        return sent

    # ------------------------------------------------------------------ the page (read only)
    def open(self, token: str) -> SignPage:
        with self.service.db.read() as s:
            return self._open(s, token)

    def _open(self, s: Session, token: str) -> SignPage:
        check = links.resolve(s, token, "sign")
        link = check.link
        if link is None or check.problem == "revoked":
            raise SignRefused("link_invalid", 404 if link is None else 410)
        req = s.get(m.Request, link.request_id)
        item = s.get(m.RequestItem, link.item_id) if link.item_id is not None else None
        if req is None or item is None:
            raise SignRefused("link_invalid", 404)
        if link.used_at is not None or item.status == "complete":
            raise SignRefused("already_signed", 409, lang=normalise_lang(req.lang))
        if check.problem is not None or item.status != "open":
            raise SignRefused("link_invalid", 410)
        data = link.data or {}
        template = self.templates.get(data.get("template", ""))
        if template is None or not data.get("shown_sha256"):
            raise SignRefused("link_invalid", 410)
        if str(template.version) != str(data.get("template_version")):
            # The firm changed the template since: boxes and fields may no longer match the version shown.
            raise SignRefused("link_invalid", 410)
        otp_channel = self._otp_channel(req.client, self._contact(s, req).channel) if self.settings.signing_otp \
            else None
        return SignPage(link_id=link.id, request_id=req.id, item_id=item.id, lang=normalise_lang(req.lang),
                        template=template, shown_sha256=data["shown_sha256"], values=dict(data.get("values") or {}),
                        pages=int(data.get("pages") or 1), client_name=req.client.name,
                        created_at=link.created_at, otp=otp_channel is not None, otp_channel=otp_channel)

    def shown_pdf(self, page: SignPage) -> bytes:
        return self.service.desk.blobs.get(page.shown_sha256)

    # ------------------------------------------------------------------ one-time code
    @staticmethod
    def _otp_channel(client: m.Client, link_channel: str) -> str | None:
        """E-mail or Telegram, preferring the one the link did not travel through (a second factor)."""
        available = [c for c, address in (("email", client.email), ("telegram", client.telegram_chat_id)) if address]
        other = [c for c in available if c != link_channel]
        return (other or available or [None])[0]

    def _otp_hash(self, link_id: str, code: str) -> str:
        return hmac.new(self.secret, f"otp|{link_id}|{code}".encode(), hashlib.sha256).hexdigest()

    def send_code(self, token: str) -> str:
        """Write a fresh 6-digit code to the client's e-mail or Telegram; returns the channel used."""
        with self.service.db.write() as s:
            page = self._open(s, token)
            if not page.otp or page.otp_channel is None:
                raise SignRefused("otp_off", 400)
            req = self.service.db.lock_request(s, page.request_id)
            link = s.get(m.Link, page.link_id)
            assert req is not None and link is not None
            data = dict(link.data or {})
            otp = dict(data.get("otp") or {})
            if int(otp.get("sends", 0)) >= OTP_MAX_SENDS:
                raise SignRefused("otp_too_many", 429)
            code = f"{secrets.randbelow(10 ** OTP_DIGITS):0{OTP_DIGITS}d}"
            now = datetime.now(UTC)
            otp.update(hash=self._otp_hash(link.id, code), expires=(now + timedelta(minutes=OTP_MINUTES)).isoformat(),
                       attempts=0, sends=int(otp.get("sends", 0)) + 1, sent_at=now.isoformat())
            data["otp"] = otp
            link.data = data
            address = req.client.email if page.otp_channel == "email" else req.client.telegram_chat_id
            text = i18n.lookup(_TEXTS, "otp", req.lang, title=page.template.title.get(req.lang), code=code,
                          minutes=OTP_MINUTES)
            s.add(m.OutboxRow(message_id=f"{req.id}.otp.{link.id}.{otp['sends']}", request_id=req.id,
                              channel=page.otp_channel, address=address or "", kind="otp",
                              body={"text": text, "quick_replies": []}))
        self.service.outbox.wake()
        return page.otp_channel

    def _check_code(self, page: SignPage, code: str | None) -> datetime:
        """Check the code; a wrong one counts an attempt (its own small transaction)."""
        with self.service.db.write() as s:
            link = s.get(m.Link, page.link_id)
            assert link is not None
            data = dict(link.data or {})
            otp = dict(data.get("otp") or {})
            if not otp.get("hash"):
                raise SignRefused("otp_needed", 400)
            if datetime.fromisoformat(otp["expires"]) <= datetime.now(UTC):
                raise SignRefused("otp_expired", 400)
            if int(otp.get("attempts", 0)) >= OTP_ATTEMPTS:
                raise SignRefused("otp_locked", 400)
            given = re.sub(r"\s", "", code or "")
            if given and hmac.compare_digest(otp["hash"], self._otp_hash(link.id, given)):
                return datetime.fromisoformat(otp["sent_at"])
            otp["attempts"] = int(otp.get("attempts", 0)) + 1
            data["otp"] = otp
            link.data = data
            left = OTP_ATTEMPTS - otp["attempts"]
        raise SignRefused("otp_wrong" if left > 0 else "otp_locked", 400, left=left)

    # ------------------------------------------------------------------ submit
    def submit(self, token: str, sub: Submission) -> Signed:
        page = self.open(token)
        if len(sub.png) > MAX_PNG_BYTES:
            raise SignRefused("too_large", 413, lang=page.lang)
        problem = validate_signature_png(sub.png, max_bytes=MAX_PNG_BYTES)
        if problem:
            raise SignRefused(problem, 413 if problem == "too_large" else 400, lang=page.lang)
        if not hmac.compare_digest((sub.shown_hash or "").strip().lower(), page.shown_sha256):
            raise SignRefused("document_changed", 409, lang=page.lang)
        try:
            check_client_values(page.template, sub.values)
        except ForbiddenField as exc:
            raise SignRefused("forbidden_field", 400, lang=page.lang, detail=str(exc)) from None
        except MissingValue:
            missing = [f.label.get(page.lang) for f in page.template.client_fields if f.required
                       and not _filled(sub.values.get(f.name), f.type)]
            raise SignRefused("missing_value", 400, lang=page.lang, fields=", ".join(missing)) from None
        except InvalidValue as exc:
            raise SignRefused("invalid_value", 400, lang=page.lang, detail=str(exc)) from None
        if not sub.consent:
            raise SignRefused("consent_required", 400, lang=page.lang)
        code_sent_at = self._check_code(page, sub.code) if page.otp else None
        prepared = self._prepare(page, sub, code_sent_at)
        now = datetime.now(UTC)
        prepared.events.append((now, "Unterschrift abgesendet / signature submitted"))
        typed = _clean(sub.typed_name or "")[:200] or None
        sig = SignatureInput(
            png=sub.png, signer_name=prepared.client_name, typed_name=typed, client_values=dict(sub.values),
            channel=prepared.contact.channel, address=prepared.contact.shown, ip=sub.ip[:100],
            user_agent=sub.user_agent[:500], link_id=page.link_id,
            consent_text=page.template.consent.get(page.lang), events=prepared.events, shown_hash=page.shown_sha256)
        try:
            result = finalise(page.template, prepared.shown_pdf, sig, firm_name=self.service.firm.name, key=self.key,
                              tsa_url=self.settings.tsa_url, tz=self.settings.timezone)
        except HashMismatch:
            raise SignRefused("document_changed", 409, lang=page.lang) from None
        except InvalidSignatureImage as exc:
            raise SignRefused(exc.code, 400, lang=page.lang) from None
        except (ForbiddenField, MissingValue, InvalidValue) as exc:
            raise SignRefused("invalid_value", 400, lang=page.lang, detail=str(exc)) from None
        self.service.desk.blobs.put(result.pdf)
        signed = self._record(page, prepared, result.pdf, result.sha256, now)
        self.service.outbox.wake()
        for hook in self.service.ports.after_commit:
            try:
                hook(page.request_id)
            except Exception:  # a notifier failing must not turn a stored signature into an error page
                log.exception("after-commit hook failed for %s", page.request_id)
        return signed

    def _prepare(self, page: SignPage, sub: Submission, code_sent_at: datetime | None) -> _Prepared:
        with self.service.db.read() as s:
            req = s.get(m.Request, page.request_id)
            assert req is not None
            contact = self._contact(s, req)
            client_name = req.client.name
        try:
            shown = self.shown_pdf(page)
        except KeyError:
            raise SignRefused("document_changed", 409, lang=page.lang) from None
        events = [(page.created_at, "Signaturlink erstellt / signing link created")]
        if sub.opened_at is not None:
            events.append((max(sub.opened_at, page.created_at), "Seite geöffnet / page opened"))
        if self.settings.signing_otp and not page.otp:
            events.append((datetime.now(UTC), "Kein Einmalcode: weder E-Mail noch Telegram bekannt / "
                                              "no one-time code: neither e-mail nor Telegram known"))
        if code_sent_at is not None:
            events.append((code_sent_at, f"Einmalcode gesendet ({page.otp_channel}) / one-time code sent"))
            events.append((datetime.now(UTC), "Einmalcode bestätigt / one-time code confirmed"))
        return _Prepared(page=page, shown_pdf=shown, client_name=client_name, contact=contact, events=events)

    def _record(self, page: SignPage, prepared: _Prepared, pdf: bytes, sha: str, now: datetime) -> Signed:
        template = page.template
        service = self.service
        with service.db.write() as s:
            req = service.db.lock_request(s, page.request_id)
            link = s.get(m.Link, page.link_id)
            item = s.get(m.RequestItem, page.item_id)
            if req is None or link is None or item is None:
                raise SignRefused("link_invalid", 410)
            if link.used_at is not None or item.status == "complete":
                raise SignRefused("already_signed", 409, lang=normalise_lang(req.lang))
            if link.revoked_at is not None or link.expires_at <= now or item.status != "open":
                raise SignRefused("link_invalid", 410)
            filename = f"{_slug(template.title.de)}-unterschrieben-{now:%Y-%m-%d}.pdf"
            doc = m.Document(request_id=req.id, item_id=item.id, sha256=sha, filename=filename,
                             mime="application/pdf", size=len(pdf), origin="signed", doc_type=f"signed_{template.id}",
                             analysis={"signing": {"template": template.id, "template_version": str(template.version),
                                                   "shown_sha256": page.shown_sha256, "link_id": link.id,
                                                   "legal_form": template.legal_form,
                                                   "needs_original": template.needs_original}})
            s.add(doc)
            s.flush()
            link.used_at = now
            item.status = "complete"
            item.data = {**(item.data or {}), "signed_document_id": doc.id, "signed_at": now.isoformat(),
                         "sha256": sha, "link_id": link.id}
            summary = f"{template.title.de} signed by {req.client.name}"
            data: dict[str, Any] = {"item_id": item.id, "document_id": doc.id, "template": template.id,
                                    "sha256": sha, "legal_form": template.legal_form}
            if template.needs_original:
                data["note"] = ("Written form required: the simple electronic signature does not replace the "
                                "original – request the hand-signed original. " + template.legal_note.de)
                summary += " – written form: request the original"
            service._activity(s, req.id, "document_signed", summary, data=data, important=True)
            attachment = [{"sha256": sha, "filename": filename, "mime": "application/pdf"}]
            title = template.title.get(req.lang)
            contact = prepared.contact
            rows: list[tuple[str, dict[str, Any]]] = [
                ("confirmation", {"text": i18n.lookup(_TEXTS, "confirm", req.lang, title=title), "quick_replies": [],
                                  "attachments": attachment})]
            out = self._move_on(s, req, item.id)
            sign_urls = service._issue_sign_links(s, req, out, contact.channel)
            for reply in out.replies:
                text, link_url = reply.text, reply.link
                if link_url and link_url in sign_urls:
                    text, link_url = text.replace(link_url, sign_urls[link_url]), sign_urls[link_url]
                elif link_url and link_url.startswith("{sign_link:"):
                    text, link_url = text.replace(link_url, "").strip(), None
                body: dict[str, Any] = {"text": text, "quick_replies": reply.quick_replies}
                if link_url:
                    body["link"] = link_url
                rows.append((reply.kind, body))
            for n, (kind, body) in enumerate(rows):
                s.add(m.OutboxRow(message_id=f"{req.id}.signed.{link.id}.{n}", request_id=req.id,
                                  channel=contact.channel, address=contact.address, kind=kind, body=body))
            if req.staff is not None:
                staff_lang = "de"
                s.add(m.OutboxRow(
                    message_id=f"{req.id}.signed.{link.id}.staff", request_id=req.id, channel="email",
                    address=req.staff.email, kind="notification",
                    body={"text": i18n.lookup(_TEXTS, "staff", staff_lang, client=req.client.name,
                                              title=template.title.de)
                          + ("\n\n" + template.legal_note.de if template.needs_original else ""),
                          "quick_replies": [], "attachments": attachment}))
            return Signed(document_id=doc.id, sha256=sha, lang=normalise_lang(req.lang), title=title,
                          request_complete=req.status == "complete")

    def _move_on(self, s: Session, req: m.Request, item_id: int) -> Any:
        """The conversation's next step after the signature: the next item, or done."""
        service = self.service
        snap = service._snapshot(s, req)
        snap.item(item_id).status = "complete"
        turn = Turn(snap, service._deps(s, req), source_id=f"sign:{item_id}")
        # Only when the conversation was waiting for this signature (or nothing is left) does it move on;
        # a link sent early by staff must not interrupt a questionnaire in progress.
        if snap.state.get("item") == item_id or snap.active_item() is None:
            turn.prompt_next()
        by_id = {i.id: i for i in req.items}
        for view in snap.items:
            if by_id[view.id].status != view.status:
                by_id[view.id].status = view.status
        req.state = copy.deepcopy(snap.state)
        req.status = request_status(snap)
        req.version += 1
        for note in turn.out.activities:
            service._activity(s, req.id, note.kind, note.summary, data=note.data, important=note.important,
                              actor=note.actor)
        if req.status == "complete" and not s.scalars(select(m.Activity.id).where(
                m.Activity.request_id == req.id, m.Activity.kind == "request_complete")).first():
            service._activity(s, req.id, "request_complete", "All items of the request are done", important=True)
        return turn.out

    # ------------------------------------------------------------------ helpers
    def _contact(self, s: Session, req: m.Request) -> _Contact:
        """Where the client last wrote from; else the web chat link."""
        last = s.scalars(select(m.InboundRecord).where(
            m.InboundRecord.request_id == req.id, m.InboundRecord.status == "processed",
            m.InboundRecord.channel.in_(("email", "telegram", "webchat")))
            .order_by(m.InboundRecord.received_at.desc(), m.InboundRecord.id.desc())).first()
        if last is not None:
            shown = last.sender if last.channel != "webchat" else f"Web-Chat ({last.sender})"
            return _Contact(last.channel, last.sender, shown)
        chat = s.scalars(select(m.Link).where(m.Link.request_id == req.id, m.Link.purpose == "chat")
                         .order_by(m.Link.created_at.desc())).first()
        address = f"link:{chat.id}" if chat is not None else (req.client.email or "")
        return _Contact("webchat", address, f"Web-Chat ({address})")


# ---------------------------------------------------------------------- small helpers
def _set_dotted(data: dict[str, Any], key: str, value: Any) -> None:
    parts = [p for p in key.split(".") if p]
    if not parts:
        return
    node = data
    for part in parts[:-1]:
        nxt = node.get(part)
        if not isinstance(nxt, dict):
            nxt = {}
            node[part] = nxt
        node = nxt
    node[parts[-1]] = value


def _merge(into: dict[str, Any], extra: Mapping[str, Any]) -> None:
    for k, v in extra.items():
        if isinstance(v, Mapping) and isinstance(into.get(k), dict):
            _merge(into[k], v)
        elif v not in (None, ""):
            into[k] = copy.deepcopy(v) if isinstance(v, dict | list) else v


def _page_count(pdf: bytes) -> int:
    import io

    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


def _filled(value: Any, ftype: str) -> bool:
    if ftype == "checkbox":
        return str(value).strip().lower() in {"1", "true", "yes", "on", "ja", "/yes", "x"} or value is True
    return value is not None and str(value).strip() != ""


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    return " ".join("".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text).split())


def _slug(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.replace("ü", "ue").replace("ö", "oe").replace("ä", "ae")
                                 .replace("Ü", "Ue").replace("Ö", "Oe").replace("Ä", "Ae").replace("ß", "ss"))
    text = text.encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-") or "Dokument"
