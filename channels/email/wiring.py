"""The e-mail channel connected to the service: the IMAP sink and request lookup, the outbox sender, the
invitation hook and the staff notifier, plus the threads ``mandat serve`` runs.

The composition root builds the service with an ``EmailPlug`` among its ports (the plug makes the channel
when the service is constructed, and contributes the invitation sender), then starts/stops
``plug.channel`` with the app.
"""

from __future__ import annotations

import functools
import logging
import threading
from typing import Any

from agent.messages import InboundMessage
from agent.ports import Ports
from agent.service import Mandat
from channels.email.config import EmailSettings
from channels.email.imap import ImapPoller, RawMail
from channels.email.inbound import Decision, RequestInfo, triage
from channels.email.notify import StaffNotifier
from channels.email.outbound import EmailOutbound
from channels.email.routing import request_id_from_token
from channels.email.smtp import SmtpSender
from channels.email.store import DbUidStore, mailbox_lock, token_secret
from channels.email.templates import EmailTemplates

log = logging.getLogger(__name__)

# Parsing drops attachments only far above the upload cap (memory guard); between the cap and this the
# core's document desk rejects them and the reply tells the client why.
PARSE_CAP_FACTOR = 4
_QUIET_SKIPS = ("inline_image", "signature")


def email_settings(service: Mandat, **overrides: Any) -> EmailSettings:
    s = service.settings
    values: dict[str, Any] = {"mail_from": s.mail_from or str(service.firm.sender),
                              "max_attachment_bytes": s.max_upload_bytes * PARSE_CAP_FACTOR}
    values.update(overrides)
    return EmailSettings.from_app_settings(s, **values)


class EmailChannel:
    def __init__(self, service: Mandat, settings: EmailSettings | None = None, *,
                 smtp: SmtpSender | None = None, notify_interval_s: float = 2.0):
        self.service = service
        self.settings = settings or email_settings(service)
        self.templates = EmailTemplates(service.settings.firm_dir)
        self.outbound = EmailOutbound(service, self.settings, lambda: self.secret, self.templates, smtp)
        self.notifier = StaffNotifier(service, self.templates, self.settings.notify_digest_minutes)
        self.uids = DbUidStore(service.channel_state)
        self.notify_interval_s = notify_interval_s
        self.poller: ImapPoller | None = None
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    @functools.cached_property
    def secret(self) -> str:
        # Read (or made) on first use, not in the constructor: the channel is built while the service is,
        # before its schema exists.
        return token_secret(self.service.channel_state, self.service.settings.mail_secret)

    # ------------------------------------------------------------------ registration
    def register(self) -> None:
        """The outbound sender (enough for the CLI, with ``ports``)."""
        self.service.outbox.register("email", self.outbound.send)

    def ports(self) -> Ports:
        return Ports(on_created=(self.outbound.invitation_hook,))

    # ------------------------------------------------------------------ inbound
    def lookup(self, *, token: str | None, thread_request_id: str | None) -> RequestInfo | None:
        candidates = []
        if token:
            rid = request_id_from_token(token, self.secret)
            if rid:
                candidates.append(rid)
        if thread_request_id:
            candidates.append(thread_request_id)
        for rid in candidates:
            req = self.service.request_view(rid)
            if req is not None and req.client_name:
                return RequestInfo(req.id, req.client_email or "")
        return None

    def handle(self, raw: RawMail) -> bool:
        """The poller's handler: True once the mail is safely stored (or known)."""
        self.sink(triage(raw, self.settings, self.lookup))
        return True

    def sink(self, d: Decision) -> None:
        mid = d.parsed.message_id
        if mid and self._known_message_id(mid, d.request_id, d.parsed.from_addr, d.raw.external_id):
            log.info("mail %s (%s) already handled under another IMAP key", mid, d.raw.external_id)
            return
        if d.action == "deliver":
            assert d.inbound is not None
            self._deliver(d)
            return
        msg = InboundMessage(channel="email", sender=d.parsed.from_addr or "(none)", text=d.parsed.text,
                             external_id=d.raw.external_id, raw=d.raw.raw, meta={**d.meta, "reason": d.reason})
        if d.action == "quarantine":
            # Staff see it (activity + notification); the agent never does.
            self.service.record_unrouted(msg, "quarantined", d.reason or "quarantined", request_id=d.request_id)
        else:
            self.service.record_unrouted(msg, "ignored", d.reason or "noise", request_id=d.request_id,
                                         notify=False)

    def _deliver(self, d: Decision) -> None:
        inbound = d.inbound
        assert inbound is not None
        try:
            result = self.service.receive(inbound)
        except Exception:
            if not self._stored(inbound.external_id):
                raise  # nothing kept: leave the mail on the server for the next pass
            # Stored raw: never block the mailbox on one message. ``recover()`` retries at the next start.
            log.exception("processing %s failed after it was stored", inbound.external_id)
            self._note(inbound.request_id, "processing_error",
                       f"Message {d.parsed.message_id or inbound.external_id} could not be processed", {})
            return
        if result.status != "duplicate" and d.parsed.skipped:
            skipped = [{"filename": p.filename, "content_type": p.content_type, "size": p.size, "reason": p.reason}
                       for p in d.parsed.skipped]
            loud = any(p["reason"] not in _QUIET_SKIPS for p in skipped)
            names = ", ".join(f"{p['filename'] or p['content_type']} ({p['reason']})" for p in skipped)
            self._note(inbound.request_id, "attachments_skipped", f"Not taken as documents: {names}",
                       {"skipped": skipped, "external_id": inbound.external_id}, important=loud)

    def _note(self, request_id: str | None, kind: str, summary: str, data: dict[str, Any], *,
              important: bool = True) -> None:
        self.service.note_activity(request_id, kind, summary, data, important=important)

    def _stored(self, external_id: str) -> bool:
        return self.service.inbound_stored("email", external_id)

    def _known_message_id(self, message_id: str, request_id: str | None, sender: str, external_id: str) -> bool:
        """The same mail under another IMAP key (copied, re-delivered, new UIDVALIDITY)."""
        return self.service.seen_message_id("email", message_id, other_than=external_id, request_id=request_id,
                                            sender=sender)

    # ------------------------------------------------------------------ threads
    def make_poller(self) -> ImapPoller:
        return ImapPoller(self.settings, self.handle, store=self.uids)

    def _poll(self) -> None:
        """Poll while this worker holds the mailbox's lease; campaign again when it lost it."""
        name = f"imap:{self.settings.imap_account}/{self.settings.imap_folder}"
        while not self._stop.is_set():
            with mailbox_lock(self.service.channel_state, name, self._stop) as held:
                if held is None:
                    return
                self.poller = self.make_poller()
                self.poller.run_forever(held)

    def _notify_loop(self) -> None:
        """The staff digest runs in one worker too (elected like the poller), or staff would get one per worker."""
        while not self._stop.is_set():
            with mailbox_lock(self.service.channel_state, "email-notify", self._stop) as held:
                if held is None:
                    return
                while not held.is_set():
                    try:
                        self.notifier.run_once()
                    except Exception:  # noqa: BLE001 - keep telling staff on the next round
                        log.exception("staff notification pass failed")
                    held.wait(self.notify_interval_s)

    def start(self) -> None:
        self._stop.clear()
        if self.settings.imap_configured:
            self._spawn("email-imap", self._poll)
        if self.settings.smtp_configured:
            self._spawn("email-notify", self._notify_loop)

    def _spawn(self, name: str, target: Any) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=10)
        self._threads.clear()


class EmailPlug:
    """A ``PortsFactory`` for the e-mail channel: called by the service's constructor, it builds the channel
    (None when neither SMTP nor IMAP is configured), registers its sender and gives the invitation hook."""

    def __init__(self, **overrides: Any) -> None:
        self.overrides = overrides
        self.channel: EmailChannel | None = None

    def __call__(self, service: Mandat) -> Ports:
        settings = email_settings(service, **self.overrides)
        if not (settings.smtp_configured or settings.imap_configured):
            return Ports()
        self.channel = EmailChannel(service, settings)
        self.channel.register()
        return self.channel.ports()
