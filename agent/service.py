"""The one entry point: every channel hands its messages to ``Mandat.receive``.

Order of work for one inbound message: store it raw (and its attachments) → read the documents →
run one conversation turn on a snapshot of the request → write answers, items, activity, documents
and the outbox rows in one transaction, guarded by the request's version → let the outbox deliver.
A crash anywhere leaves either the raw message (processed again on restart) or the committed
result (never processed twice).
"""

from __future__ import annotations

import contextvars
import copy
import dataclasses
import json
import logging
import re
import threading
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from agent import bindings, links, loop_guard, mailfacts, notifications
from agent.case_file import DocumentSlots, answer_slots, merge_case
from agent.channelstate import ChannelState
from agent.cluster.lease import Leases
from agent.cluster.scheduler import Scheduler
from agent.config import Settings
from agent.conversation.graph import ConversationGraph
from agent.conversation.snapshot import AnswerView, ItemView, Snapshot
from agent.conversation.turn import NewAnswer, Outcome, Turn, TurnDeps, request_status, total_progress
from agent.documents import DocumentDesk, Upload
from agent.faults import crash_point
from agent.firm import Firm, load_firm
from agent.i18n import normalise_lang
from agent.llm import LLMCall, LLMClient, llm_from_settings
from agent.messages import InboundMessage, OutboundMessage, TurnResult
from agent.outbox import Dispatcher, row_to_message
from agent.page_views import ChatHistory, ChatProgress, LinkView
from agent.ports import Ports, PortsFactory
from agent.questionnaire.loader import QuestionnaireRegistry
from agent.questionnaire.model import Questionnaire
from agent.store import models as m
from agent.store import turns
from agent.store.db import Database
from agent.views import (
    BindResult,
    BoundRequest,
    ItemBrief,
    LoopCount,
    LoopNotice,
    MailFacts,
    OpenMessage,
    RequestView,
)

log = logging.getLogger(__name__)

MAX_STORED_TEXT = 200_000
_llm_calls: contextvars.ContextVar[list[LLMCall] | None] = contextvars.ContextVar("llm_calls", default=None)


class RequestError(ValueError):
    """A request cannot be created as asked; the message says why."""


@dataclass
class CreatedRequest:
    id: str
    links: dict[str, str]
    expires_at: datetime
    opening: list[str] = field(default_factory=list)


class Mandat:
    def __init__(self, settings: Settings, *, llm: LLMClient | None = None,
                 today: Callable[[], date] | None = None, ports: Ports | PortsFactory | None = None) -> None:
        """``ports`` are the service's collaborators (agent/ports.py), fixed for its lifetime: a factory is
        called once, last, with the service itself."""
        self.settings = settings
        self.firm: Firm = load_firm(settings.firm_dir)
        self.questionnaires = QuestionnaireRegistry(settings.firm_dir)
        self.db = Database(settings.db_url)
        self.desk = DocumentDesk(settings, on_analysed=self._document_analysed)
        self.tz = ZoneInfo(settings.timezone)
        self._today = today or (lambda: datetime.now(self.tz).date())
        self.llm = llm if llm is not None else llm_from_settings(
            settings.llm_base_url, settings.llm_api_key, settings.llm_model, on_call=self._record_llm_call
        )
        if llm is not None and llm.on_call is None:
            llm.on_call = self._record_llm_call
        self.graph: ConversationGraph | None = None
        self.outbox = Dispatcher(self.db, attachments=self.desk.outbox_attachments)
        self.scheduler = Scheduler(Leases(self.db))  # once-per-installation jobs (reminders, purge)
        self.channel_state = ChannelState(self.db)  # channels' marks, secrets and poller locks
        # One lock per request while a turn of it runs or waits: weak values, so a request's lock goes
        # when no thread holds it (a plain dict kept one per request ever served).
        self._locks: weakref.WeakValueDictionary[str, threading.Lock] = weakref.WeakValueDictionary()
        self._locks_guard = threading.Lock()
        # Last: a factory may build parts that keep a reference to this (otherwise complete) service.
        self.ports: Ports = ports(self) if callable(ports) else (ports or Ports())
        # The factory that made the ports, never used here: the composition root finds what it built in it.
        self.assembled_by: PortsFactory | None = ports if callable(ports) else None

    @property
    def knowledge_ready(self) -> threading.Event | None:
        """Set once the FAQ is indexed (None without a knowledge port)."""
        return self.ports.knowledge.ready if self.ports.knowledge else None

    @property
    def knowledge_jobs(self) -> Any:
        """The document-indexing queue, for tests and benches to ``join``."""
        return self.ports.knowledge.jobs if self.ports.knowledge else None

    def _document_analysed(self, request_id: str, document_id: str, analysis: dict[str, Any]) -> None:
        for hook in self.ports.on_document_analysed:  # e.g. the request's document search index
            hook(request_id, document_id, analysis)

    # ------------------------------------------------------------------ lifecycle
    def setup(self) -> None:
        self.db.migrate()
        self.graph = ConversationGraph(self.db)
        with self.db.write() as s:
            firm = s.get(m.Firm, self.firm.id) or m.Firm(id=self.firm.id, name=self.firm.name)
            firm.name = self.firm.name
            firm.data = {"colour": self.firm.colour, "sender": str(self.firm.sender)}
            s.add(firm)
            s.flush()
            for person in self.firm.staff:
                row = s.scalars(select(m.Staff).where(m.Staff.email == str(person.email))).one_or_none()
                if row is None:  # the firm folder seeds the table; later changes are made in Mandat
                    s.add(m.Staff(firm_id=self.firm.id, email=str(person.email), name=person.name, role=person.role))

    def close(self) -> None:
        self.scheduler.stop()
        self.outbox.stop()
        if self.graph is not None:
            self.graph.close()
        self.db.dispose()

    def today(self) -> date:
        return self._today()

    def questionnaire(self, qid: str, version: int | None = None) -> Questionnaire:
        return self.questionnaires.get(qid, version)

    def _record_llm_call(self, call: LLMCall) -> None:
        calls = _llm_calls.get()
        if calls is not None:
            calls.append(call)

    def _lock_for(self, request_id: str) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(request_id, threading.Lock())

    # ------------------------------------------------------------------ requests
    def create_request(self, *, client_name: str, client_email: str | None, lang: str = "de",
                       questionnaires: list[str] = (), uploads: list[str] = (), sign: list[str] = (),
                       staff_email: str | None = None, telegram_chat_id: str | None = None,
                       channel: str = "webchat", send: bool = False,
                       case_data: Mapping[str, Any] | None = None) -> CreatedRequest:
        """``case_data`` are facts staff already know, by dotted key (``case.subject``, ``fee.hourly_rate``);
        documents to sign are prefilled from them and from the client's confirmed answers."""
        client_name = (client_name or "").strip()
        known_case = nested_case_data(case_data or {})
        if not client_name:
            raise RequestError("client name is required")
        if lang not in self.firm.languages:
            raise RequestError(f"language must be one of {', '.join(self.firm.languages)}")
        for qid in questionnaires:
            if qid not in self.questionnaires.ids():
                raise RequestError(f"unknown questionnaire {qid!r}; known: {', '.join(self.questionnaires.ids())}")
        if not (questionnaires or uploads or sign):
            raise RequestError("a request needs at least one questionnaire, upload or document to sign")
        staff_email = staff_email or str(self.firm.staff[0].email)
        if self.firm.staff_by_email(staff_email) is None and not self._staff_exists(staff_email):
            raise RequestError(f"{staff_email} is not a staff member of {self.firm.name}")
        if self.graph is None:
            self.setup()
        with self.db.write() as s:
            staff = s.scalars(select(m.Staff).where(m.Staff.email == staff_email)).one()
            client = None
            if client_email:
                client = s.scalars(select(m.Client).where(
                    m.Client.email == client_email.lower(), m.Client.firm_id == self.firm.id)).first()
            if client is None:
                client = m.Client(firm_id=self.firm.id, name=client_name,
                                  email=client_email.lower() if client_email else None, lang=lang)
                s.add(client)
            client.name, client.lang = client_name, lang
            if telegram_chat_id:
                client.telegram_chat_id = telegram_chat_id
            req = m.Request(firm_id=self.firm.id, client=client, staff_id=staff.id, lang=lang, state={},
                            case_data=known_case)
            s.add(req)
            s.flush()
            position = 0
            for qid in questionnaires:
                q = self.questionnaire(qid)
                s.add(m.RequestItem(request_id=req.id, position=position, kind="questionnaire", ref=qid,
                                    version=q.version))
                position += 1
            for label in uploads:
                s.add(m.RequestItem(request_id=req.id, position=position, kind="upload", ref=label.strip()[:200]))
                position += 1
            for template in sign:
                s.add(m.RequestItem(request_id=req.id, position=position, kind="sign", ref=template))
                position += 1
            s.flush()
            s.refresh(req)
            chat = links.issue(s, req.id, "chat", self.settings.link_days)
            snap = self._snapshot(s, req)
            turn = Turn(snap, self._deps(s, req), source_id="opening")
            values = self._run_graph(req.thread_id, turn, lambda tr: tr.first_message(), inbound_id=None,
                                     kind="opening")
            turns.write_graph(s.connection(), req.thread_id, values, datetime.now(UTC))
            opening = self._persist(s, req, snap, turn.out, inbound=None, channel=channel,
                                    address=f"link:{chat.id}", delivered=channel == "webchat",
                                    sign_urls=self._issue_sign_links(s, req, turn.out, channel))
            self._activity(s, req.id, "request_created", f"Request for {client_name} created", actor="staff")
            url = f"{self.settings.public_url}/c/{chat.token}"
            all_links = {"chat": url}
            all_links.update(self._extra_links(s, req))
            if send:
                self._queue_invitations(s, req, all_links)
            return CreatedRequest(id=req.id, links=all_links, expires_at=chat.expires_at,
                                  opening=[r.text for r in opening])

    def add_item(self, request_id: str, kind: str, ref: str, by_staff: str) -> int:
        """One more questionnaire or upload at the end of an open request; the conversation asks for it
        once the items before it are done (the active item is the first open one). Returns its id."""
        ref = (ref or "").strip()[:200]
        if kind not in ("questionnaire", "upload") or not ref:
            raise RequestError("item_bad")
        if kind == "questionnaire" and ref not in self.questionnaires.ids():
            raise RequestError("item_unknown")
        with self.db.write() as s:
            req = self.db.lock_request(s, request_id)
            if req is None:
                raise RequestError("not_found")
            if req.status == "complete":
                raise RequestError("item_closed")
            if any(i.kind == kind and i.ref.casefold() == ref.casefold() for i in req.items):
                raise RequestError("item_duplicate")
            version = self.questionnaire(ref).version if kind == "questionnaire" else None
            position = max((i.position for i in req.items), default=-1) + 1
            row = m.RequestItem(request_id=req.id, position=position, kind=kind, ref=ref, version=version)
            s.add(row)
            req.version += 1  # a turn running on the old item list retries and sees this item
            s.flush()
            self._activity(s, req.id, "item_added", f"{by_staff} added {kind} {ref}", actor="staff",
                           data={"kind": kind, "ref": ref, "item_id": row.id, "staff": by_staff})
            return row.id

    def _extra_links(self, s: Session, req: m.Request) -> dict[str, str]:
        """The link makers' personal links (e.g. a Telegram deep link), issued in the creating transaction."""
        view = _request_view(s, req)
        made: dict[str, str] = {}
        for make in self.ports.link_makers:
            made.update(make(view, lambda purpose, days: links.issue(s, req.id, purpose, days).token))
        return made

    def _queue_invitations(self, s: Session, req: m.Request, all_links: Mapping[str, str]) -> None:
        """The invitation senders' drafts, written here so they commit with the request or not at all."""
        view = _request_view(s, req)
        if view.client_email:  # batched e-mail: the invitation already carries the first batch
            view = dataclasses.replace(view, email_opening=self.email_opening(s, req))
        for hook in self.ports.on_created:
            for draft in hook(view, dict(all_links)) or ():
                s.add(m.OutboxRow(message_id=draft.message_id, request_id=req.id, channel=draft.channel,
                                  address=draft.address, kind=draft.kind,
                                  body={"text": draft.text, "quick_replies": [], "link": draft.link,
                                        "meta": dict(draft.meta)}))
    def _staff_exists(self, email: str) -> bool:
        with self.db.read() as s:
            return s.scalar(select(m.Staff.id).where(m.Staff.email == email.strip().lower())) is not None

    def fresh_sign_link(self, request_id: str, item_id: int) -> str | None:
        """A new signing URL for an open sign item of this request (the web chat's button asks for it)."""
        if self.ports.sign_link is None:
            return None
        with self.db.write() as s:
            req = self.db.lock_request(s, request_id)
            item = s.get(m.RequestItem, item_id)
            if req is None or item is None or item.request_id != request_id or item.kind != "sign" \
                    or item.status != "open":
                return None
            s.execute(update(m.Link).where(m.Link.request_id == request_id, m.Link.item_id == item_id,
                                           m.Link.purpose == "sign", m.Link.used_at.is_(None),
                                           m.Link.revoked_at.is_(None)).values(revoked_at=datetime.now(UTC)))
            made = self.ports.sign_link(s, req, ItemView(item.id, item.kind, item.ref, item.version, item.status))
            return made[1] if made else None

    def revoke_links(self, request_id: str) -> int:
        with self.db.write() as s:
            count = links.revoke_all(s, request_id)
            if count:
                self._activity(s, request_id, "links_revoked", f"{count} link(s) revoked", actor="staff")
            return count

    def reissue_chat_link(self, request_id: str) -> tuple[str, datetime] | None:
        with self.db.write() as s:
            if s.get(m.Request, request_id) is None:
                return None
            links.revoke_all(s, request_id, "chat")
            chat = links.issue(s, request_id, "chat", self.settings.link_days)
            self._activity(s, request_id, "link_reissued", "Chat link reissued", actor="staff")
            return f"{self.settings.public_url}/c/{chat.token}", chat.expires_at

    # ------------------------------------------------------------------ the entry point
    def receive(self, msg: InboundMessage) -> TurnResult:
        if self.graph is None:
            self.setup()
        inbound_id, done = self._store_raw(msg)
        if done is not None:
            return done
        crash_point("after_store")
        return self._process(inbound_id, msg.request_id)

    def _store_raw(self, msg: InboundMessage) -> tuple[int, TurnResult | None]:
        """The raw message (and its attachments' files) committed before anything else happens to it."""
        stored = []
        for att in msg.attachments:
            stored.append(self.desk.keep(att))
        raw_sha = self.desk.keep_raw(msg.raw) if msg.raw else None
        external_id = msg.external_id[:500]
        with self.db.write_conn() as conn:
            known, existing = turns.precheck(conn, msg.request_id, msg.channel, external_id)
            if existing is None:
                if msg.request_id is None or not known:
                    raise RequestError("message without a known request")
                now = datetime.now(UTC)
                inbound_id = turns.insert_inbound(conn, {
                    "channel": msg.channel, "external_id": external_id, "request_id": msg.request_id,
                    "sender": msg.sender[:320], "text": (msg.text or "")[:MAX_STORED_TEXT], "attachments": stored,
                    "raw_sha256": raw_sha, "meta": _jsonable(msg.meta), "received_at": msg.received_at,
                    "status": "received", "result": {}})
                turns.add_activity(conn, msg.request_id, "message_received", (msg.text or "")[:300],
                                   data={"channel": msg.channel, "attachments": len(stored)}, important=False,
                                   actor="client", now=now)
                return inbound_id, None
        if existing[1] == "received":
            return existing[0], None
        return existing[0], self._stored_result(existing[0])

    def _stored_result(self, inbound_id: int) -> TurnResult:
        """The answer already given to a message delivered again."""
        with self.db.read() as s:
            inbound = s.get(m.InboundRecord, inbound_id)
            assert inbound is not None
            return self._result_of(s, inbound, duplicate=True)

    def _process(self, inbound_id: int, request_id: str | None = None) -> TurnResult:
        if request_id is None:
            with self.db.read() as s:
                request_id = s.scalar(select(m.InboundRecord.request_id).where(m.InboundRecord.id == inbound_id))
            assert request_id is not None
        stored_for: str | None = None
        result: TurnResult | None = None
        with self._lock_for(request_id):
            uploads: list[Upload] | None = None
            for _attempt in range(5):
                with self.db.read_one() as conn:
                    loaded = turns.load_turn(conn, inbound_id)
                assert loaded is not None
                if loaded.request_id != request_id:  # a redelivery naming another request: the stored one counts
                    stored_for = loaded.request_id
                    break
                if loaded.inbound.status != "received":
                    result = self._stored_result(inbound_id)
                    break
                if loaded.paused:  # staff took the request over: stored and shown to them, not answered
                    held = self._hold_if_paused(inbound_id, request_id)
                    if held is not None:
                        return held
                if uploads is None:
                    uploads = self._read_uploads(inbound_id, loaded.lang) if loaded.inbound.attachments else []
                result = self._try_turn(loaded, uploads)
                if result is not None:
                    break
            else:
                raise RuntimeError(f"request {request_id} kept changing under turn {inbound_id}")
        if stored_for is not None:
            return self._process(inbound_id, stored_for)
        assert result is not None
        crash_point("after_commit")
        self.outbox.wake()
        for hook in self.ports.after_commit:
            hook(request_id)
        return result

    def _read_uploads(self, inbound_id: int, lang: str) -> list[Upload]:
        with self.db.read() as s:
            inbound = s.get(m.InboundRecord, inbound_id)
        assert inbound is not None
        return self.desk.read_all(inbound, lang=lang)

    def _hold_if_paused(self, inbound_id: int, request_id: str) -> TurnResult | None:
        from agent.store.staff_tables import RequestPause

        with self.db.read() as s:
            if s.get(RequestPause, request_id) is None:
                return None
            inbound = s.get(m.InboundRecord, inbound_id)
        uploads = self.desk.read_all(inbound, lang=self._lang_of(request_id)) if inbound.attachments else []
        with self.db.write() as s:
            inbound = s.get(m.InboundRecord, inbound_id)
            if inbound.status != "received":
                return self._result_of(s, inbound, duplicate=True)
            documents = self.desk.record(s, request_id, inbound_id, uploads, [u.as_turn_input() for u in uploads])
            inbound.status, inbound.processed_at = "held", datetime.now(UTC)
            inbound.result = {"status": "held", "documents": documents}
            return TurnResult(request_id=request_id, replies=(), status="held", progress=(0, 0),
                              documents=tuple(documents))

    def _lang_of(self, request_id: str) -> str:
        return self.lang_of(request_id) or "de"

    def _try_turn(self, loaded: turns.TurnState, uploads: list[Upload]) -> TurnResult | None:
        """Think on what was read, then write it all in one transaction if nobody moved the request on;
        None asks the caller to read again and think again."""
        calls: list[LLMCall] = []
        token = _llm_calls.set(calls)
        try:
            inbound = loaded.inbound
            snap = Snapshot(request_id=loaded.request_id, lang=loaded.lang, client_name=loaded.client_name,
                            firm_name=self.firm.name, staff_name=loaded.staff_name, items=loaded.items,
                            answers=loaded.answers, state=loaded.state)
            turn = Turn(snap, self._turn_deps(loaded.lang, inbound.channel), source_id=f"msg:{inbound.id}")
            full = inbound.meta.get("body")  # an e-mail's body with its quotes (batch replies)
            if uploads:
                with self.db.read() as s:
                    self.desk.mark_duplicates(s, loaded.request_id, uploads)
            upload_dicts = [u.as_turn_input() for u in uploads]
            values = self._run_graph(loaded.thread_id, turn,
                                     lambda tr: tr.handle(inbound.text, upload_dicts, full=full),
                                     inbound_id=inbound.id, previous=loaded.graph)
            crash_point("before_commit")
            try:
                with self.db.write_conn() as conn:
                    return self._commit_turn(conn, loaded, snap, turn.out, uploads, upload_dicts, calls, values)
            except turns.Conflict:
                return None  # another worker moved the conversation on: think again
            except turns.AlreadyProcessed:
                return self._stored_result(inbound.id)
        finally:
            _llm_calls.reset(token)

    def _commit_turn(self, conn: Connection, loaded: turns.TurnState, snap: Snapshot, out: Outcome,
                     uploads: list[Upload], upload_dicts: list[dict[str, Any]], calls: list[LLMCall],
                     values: dict[str, Any]) -> TurnResult:
        """State, answers, items, activity, documents, outbox and graph state: one transaction."""
        inbound, rid, now = loaded.inbound, loaded.request_id, datetime.now(UTC)
        status = request_status(snap)
        turns.claim(conn, rid, loaded.version, state=snap.state, status=status, now=now)  # raises Conflict
        sign_urls: dict[str, str] = {}
        documents: list[dict[str, Any]] = []
        if uploads or (self.ports.sign_link and any(r.kind == "sign_link" for r in out.replies)):
            with self.db.session_on(conn) as s:  # the rare parts that speak ORM, in this transaction
                req = s.get(m.Request, rid)
                assert req is not None
                sign_urls = self._issue_sign_links(s, req, out, inbound.channel)
                documents = self.desk.record(s, rid, inbound.id, uploads, upload_dicts)
        turns.write_answers(conn, [_answer_row(rid, a) for a in out.answers], out.confirmed_items, now,
                            loaded.answered)
        turns.write_item_status(conn, {i.id: i.status for i in snap.items if loaded.item_status.get(i.id) != i.status})
        notes = [(n.kind, n.summary, n.data, n.important, n.actor) for n in out.activities]
        if status == "complete" and not turns.complete_noted(conn, rid):
            notes.append(("request_complete", "All items of the request are done", {}, True, "client"))
        for kind, summary, data, important, actor in notes:
            turns.add_activity(conn, rid, kind, summary, data=_jsonable(data or {}), important=important,
                               actor=actor, now=now)
        rows, replies = _outbox_rows(rid, out, inbound_id=inbound.id, in_reply_to=inbound.external_id,
                                     channel=inbound.channel, address=inbound.sender, sign_urls=sign_urls,
                                     delivered=False, now=now)
        turns.write_outbox(conn, rows)
        turns.write_llm_calls(conn, [{
            "request_id": rid, "purpose": c.purpose, "model": c.model, "prompt_tokens": c.prompt_tokens,
            "completion_tokens": c.completion_tokens, "latency_ms": c.latency_ms, "ok": c.ok, "error": c.error,
            "created_at": now} for c in calls])
        turns.write_graph(conn, loaded.thread_id, values, now)
        progress = total_progress(snap, self.questionnaire)
        turns.mark_processed(conn, inbound.id, {"status": status, "progress": list(progress),
                                                "documents": documents}, now)  # raises AlreadyProcessed
        return TurnResult(request_id=rid, replies=tuple(replies), status=status, progress=progress,
                          documents=tuple(documents))

    def _run_graph(self, thread_id: str, turn: Turn, run: Callable[[Turn], Outcome], *,
                   inbound_id: int | None, kind: str = "message",
                   previous: dict[str, Any] | None = None) -> dict[str, Any]:
        """One graph run; returns the thread's new graph state, written by the caller in its transaction."""
        assert self.graph is not None
        return self.graph.run(turn, run, previous=previous, inbound_id=inbound_id, kind=kind)

    def batch_max(self, channel: str | None) -> int:
        """Questions per message: a section per e-mail, one at a time in chat unless the firm says otherwise."""
        return self.firm.email.batch_max if channel == "email" else self.firm.chat.batch_max

    def email_opening(self, s: Session, req: m.Request) -> str | None:
        """The first batch of questions for the invitation mail (its numbering is kept in the request's state)."""
        from agent.conversation.batch_flow import opening_text

        limit = self.batch_max("email")
        snap = self._snapshot(s, req)
        item = snap.active_item()
        if limit <= 1 or item is None or item.kind != "questionnaire":
            return None
        text = opening_text(snap, self.questionnaire(item.ref, item.version), item, limit, self.ports.sign_title)
        req.state = _deepcopy(snap.state)
        return text

    def _deps(self, session: Session | None, req: m.Request, channel: str | None = None) -> TurnDeps:
        return self._turn_deps(req.lang, channel)

    def _turn_deps(self, lang: str, channel: str | None = None) -> TurnDeps:
        interpret = None
        if self.llm is not None:
            from agent.understanding.interpreter import interpret as llm_interpret

            client = self.llm

            def interpret(**kwargs: Any) -> Any:
                return llm_interpret(client, **kwargs)

        ports = self.ports

        def sign_link(item: ItemView) -> tuple[str, str] | None:
            if ports.sign_link is None:
                return None
            title = ports.sign_title(item, lang) if ports.sign_title else item.ref
            # The URL is filled in when the outcome is written (the link row needs the write transaction).
            return title, f"{{sign_link:{item.id}}}"

        return TurnDeps(questionnaire=self.questionnaire, today=self.today(), interpret=interpret,
                        answer_faq=ports.answer_faq, sign_link=sign_link if ports.sign_link else None,
                        sign_title=ports.sign_title, batch_max=self.batch_max(channel))

    def _issue_sign_links(self, s: Session, req: m.Request, out: Outcome, channel: str) -> dict[str, str]:
        """Real signing URLs for the turn's placeholders. The web chat gets ``sign:<item id>`` instead: its
        page asks for a fresh link when the client presses the button, so no link sits in its history."""
        urls: dict[str, str] = {}
        make_link = self.ports.sign_link
        if make_link is None:
            return urls
        for reply in out.replies:
            if reply.kind == "sign_link" and reply.link and reply.link.startswith("{sign_link:"):
                item_id = int(reply.link.removeprefix("{sign_link:").rstrip("}"))
                if channel == "webchat":
                    urls[reply.link] = f"sign:{item_id}"
                    continue
                item = next(i for i in req.items if i.id == item_id)
                made = make_link(s, req, ItemView(item.id, item.kind, item.ref, item.version, item.status))
                if made is not None:
                    urls[reply.link] = made[1]
        return urls

    # ------------------------------------------------------------------ snapshot in, outcome out
    def _snapshot(self, s: Session, req: m.Request) -> Snapshot:
        items = [ItemView(i.id, i.kind, i.ref, i.version, i.status, dict(i.data or {})) for i in req.items]
        answers: dict[int, dict[str, AnswerView]] = {}
        rows = s.scalars(select(m.Answer).where(m.Answer.request_id == req.id, m.Answer.superseded_at.is_(None))
                         .order_by(m.Answer.id))
        for row in rows:
            answers.setdefault(row.item_id, {})[row.field_id] = AnswerView(row.value, row.method, row.confirmed,
                                                                           row.raw_text)
        staff = req.staff.name if req.staff else ""
        return Snapshot(request_id=req.id, lang=req.lang, client_name=req.client.name, firm_name=self.firm.name,
                        staff_name=staff, items=items, answers=answers, state=_deepcopy(req.state or {}))

    def _persist(self, s: Session, req: m.Request, snap: Snapshot, out: Outcome, *,
                 inbound: m.InboundRecord | None, channel: str, address: str, delivered: bool = False,
                 sign_urls: dict[str, str] | None = None) -> list[OutboundMessage]:
        now = datetime.now(UTC)
        for ans in out.answers:
            s.execute(update(m.Answer).where(
                m.Answer.item_id == ans.item_id, m.Answer.field_id == ans.field_id, m.Answer.superseded_at.is_(None)
            ).values(superseded_at=now))
            s.add(m.Answer(request_id=req.id, item_id=ans.item_id, field_id=ans.field_id, value=ans.value,
                           raw_text=ans.raw_text, source_type=ans.source_type, source_id=ans.source_id,
                           page=ans.page, method=ans.method, confidence=ans.confidence, confirmed=ans.confirmed))
        s.flush()
        for item_id in out.confirmed_items:
            s.execute(update(m.Answer).where(m.Answer.item_id == item_id, m.Answer.superseded_at.is_(None))
                      .values(confirmed=True))
        by_id = {i.id: i for i in req.items}
        for view in snap.items:
            row = by_id[view.id]
            if row.status != view.status:
                row.status = view.status
        req.state = _deepcopy(snap.state)
        req.status = request_status(snap)
        req.version += 1
        for note in out.activities:
            self._activity(s, req.id, note.kind, note.summary, data=note.data, important=note.important,
                           actor=note.actor)
        if req.status == "complete" and inbound is not None and not s.scalars(select(m.Activity.id).where(
                m.Activity.request_id == req.id, m.Activity.kind == "request_complete")).first():
            self._activity(s, req.id, "request_complete", "All items of the request are done", important=True)
        rows, replies = _outbox_rows(req.id, out, inbound_id=inbound.id if inbound else None,
                                     in_reply_to=inbound.external_id if inbound else None, channel=channel,
                                     address=address, sign_urls=sign_urls, delivered=delivered, now=now)
        for row in rows:
            s.add(m.OutboxRow(**row))
        return replies

    def _activity(self, s: Session, request_id: str | None, kind: str, summary: str, *,
                  data: dict[str, Any] | None = None, important: bool = False, actor: str = "client") -> None:
        s.add(m.Activity(request_id=request_id, kind=kind, summary=summary[:4000], data=_jsonable(data or {}),
                         important=important, actor=actor))
        if request_id is not None and actor != "staff":
            s.execute(update(m.Request).where(m.Request.id == request_id).values(unseen=True))

    def _result_of(self, s: Session, inbound: m.InboundRecord, *, duplicate: bool) -> TurnResult:
        rows = s.scalars(select(m.OutboxRow).where(m.OutboxRow.inbound_id == inbound.id).order_by(m.OutboxRow.id))
        replies = tuple(row_to_message(r) for r in rows)
        result = inbound.result or {}
        status = "duplicate" if duplicate else result.get("status", inbound.status)
        return TurnResult(request_id=inbound.request_id, replies=replies, status=status,
                          progress=tuple(result.get("progress", (0, 0))),  # type: ignore[arg-type]
                          documents=tuple(result.get("documents", ())))

    # ------------------------------------------------------------------ recovery and reading
    def recover(self) -> int:
        """Process every message that was stored but not processed (after a crash)."""
        with self.db.read() as s:
            ids = list(s.scalars(select(m.InboundRecord.id).where(m.InboundRecord.status == "received")
                                 .order_by(m.InboundRecord.id)))
        for inbound_id in ids:
            try:
                self._process(inbound_id)
            except Exception:
                log.exception("recovering inbound message %s failed", inbound_id)
        return len(ids)

    def record_unrouted(self, msg: InboundMessage, status: str, reason: str, *,
                        request_id: str | None = None, notify: bool = True) -> int:
        """Keep a message the agent must not answer (quarantined, noise) and tell staff where it matters."""
        raw_sha = self.desk.keep_raw(msg.raw) if msg.raw else None
        with self.db.write() as s:
            existing = _existing_inbound(s, msg)
            if existing is not None:
                return existing.id
            row = m.InboundRecord(channel=msg.channel, external_id=msg.external_id[:500], request_id=request_id,
                                  sender=msg.sender[:320], text=(msg.text or "")[:MAX_STORED_TEXT],
                                  raw_sha256=raw_sha, meta=_jsonable(msg.meta), status=status,
                                  result={"reason": reason}, attachments=[])
            s.add(row)
            s.flush()
            if notify:
                self._activity(s, request_id, status, f"{reason}: {msg.sender}", important=True,
                               data={"inbound_id": row.id, "channel": msg.channel}, actor="system")
            return row.id

    def request_summary(self, request_id: str) -> dict[str, Any] | None:
        with self.db.read() as s:
            req = s.get(m.Request, request_id)
            if req is None:
                return None
            snap = self._snapshot(s, req)
            answered, total = total_progress(snap, self.questionnaire)
            answers = []
            for row in s.scalars(select(m.Answer).where(m.Answer.request_id == req.id,
                                                        m.Answer.superseded_at.is_(None)).order_by(m.Answer.id)):
                answers.append({
                    "item_id": row.item_id, "field": row.field_id, "value": row.value, "raw_text": row.raw_text,
                    "source": {"type": row.source_type, "id": row.source_id, "page": row.page},
                    "method": row.method, "confidence": row.confidence, "confirmed": row.confirmed,
                    "at": row.created_at.isoformat(),
                })
            calls = s.execute(select(func.count(m.LLMCallRecord.id), func.coalesce(func.sum(
                m.LLMCallRecord.prompt_tokens), 0), func.coalesce(func.sum(m.LLMCallRecord.completion_tokens), 0))
                .where(m.LLMCallRecord.request_id == req.id)).one()
            doc_rows = list(s.scalars(select(m.Document).where(m.Document.request_id == req.id)
                                      .order_by(m.Document.created_at)))
            documents = [{
                "id": d.id, "filename": d.filename, "mime": d.mime, "size": d.size, "sha256": d.sha256,
                "type": d.doc_type, "origin": d.origin, "item_id": d.item_id,
                "facts": (d.analysis or {}).get("facts", []), "deadlines": (d.analysis or {}).get("deadlines", []),
                "flags": (d.analysis or {}).get("flags", []), "created_at": d.created_at.isoformat(),
            } for d in doc_rows]
            case = merge_case((DocumentSlots(d.id, d.filename, (d.analysis or {}).get("slots") or {})
                               for d in doc_rows), req.client.name or "",
                              answer_slots(answers, req.items, self.questionnaire))
            activity = [{
                "id": a.id, "kind": a.kind, "summary": a.summary, "actor": a.actor, "important": a.important,
                "at": a.created_at.isoformat(), "seen": a.seen_at is not None, "data": a.data,
            } for a in s.scalars(select(m.Activity).where(m.Activity.request_id == req.id).order_by(m.Activity.id))]
            return {
                "id": req.id, "status": req.status, "lang": req.lang, "unseen": req.unseen,
                "client": {"name": req.client.name, "email": req.client.email,
                           "telegram_chat_id": req.client.telegram_chat_id},
                "staff": req.staff.email if req.staff else None,
                "progress": {"answered": answered, "total": total},
                "items": [{"id": i.id, "kind": i.kind, "ref": i.ref, "version": i.version, "status": i.status,
                           "data": i.data} for i in req.items],
                "answers": answers, "documents": documents, "activity": activity, "case": case,
                "llm": {"calls": calls[0], "prompt_tokens": int(calls[1]), "completion_tokens": int(calls[2])},
                "created_at": req.created_at.isoformat(),
            }

    def history(self, request_id: str) -> list[dict[str, Any]]:
        """The whole conversation across channels, oldest first."""
        with self.db.read() as s:
            entries: list[tuple[datetime, int, dict[str, Any]]] = []
            for row in s.scalars(select(m.InboundRecord).where(m.InboundRecord.request_id == request_id,
                                                               m.InboundRecord.status != "quarantined")):
                entries.append((row.received_at, 0, {
                    "id": f"in-{row.id}", "from": "client", "channel": row.channel, "text": row.text,
                    "attachments": [a.get("filename") for a in row.attachments],
                    "at": row.received_at.isoformat()}))
            for row in s.scalars(select(m.OutboxRow).where(m.OutboxRow.request_id == request_id,
                                                           m.OutboxRow.kind.notin_(("notification",)))):
                entries.append((row.created_at, 1, {
                    "id": row.message_id, "from": "agent", "channel": row.channel,
                    "text": row.body.get("text", ""), "quick_replies": row.body.get("quick_replies", []),
                    "link": row.body.get("link"), "at": row.created_at.isoformat()}))
            entries.sort(key=lambda e: (e[0], e[1]))
            return [e[2] for e in entries]

    # --- queries and commands for channels ---
    # Channels read and change the core only through these (and ``receive``): each call is one
    # transaction and answers with plain views (agent/views.py), never with ORM rows or sessions.
    def lang_of(self, request_id: str) -> str | None:
        """The request's language; None for an unknown request."""
        with self.db.read() as s:
            req = s.get(m.Request, request_id)
            return req.lang if req else None

    def request_view(self, request_id: str) -> RequestView | None:
        with self.db.read() as s:
            req = s.get(m.Request, request_id)
            return _request_view(s, req) if req is not None else None

    def note_activity(self, request_id: str | None, kind: str, summary: str, data: Mapping[str, Any], *,
                      important: bool = True) -> None:
        """Something a channel noticed that staff should see (a failed delivery, skipped attachments)."""
        with self.db.write() as s:
            s.add(m.Activity(request_id=request_id, kind=kind, summary=summary[:4000], data=_jsonable(dict(data)),
                             actor="system", important=important))

    def inbound_stored(self, channel: str, external_id: str) -> bool:
        with self.db.read() as s:
            return s.scalars(select(m.InboundRecord.id).where(
                m.InboundRecord.channel == channel, m.InboundRecord.external_id == external_id[:500])).first() \
                is not None

    def seen_message_id(self, channel: str, message_id: str, *, other_than: str, request_id: str | None,
                        sender: str) -> bool:
        """The same message (by its Message-ID) already stored under another external id: of the same
        request when known, else from the same sender."""
        with self.db.read() as s:
            stmt = select(m.InboundRecord.id).where(
                m.InboundRecord.channel == channel, m.InboundRecord.external_id != other_than[:500],
                m.InboundRecord.meta["message_id"].as_string() == message_id)
            if request_id:
                stmt = stmt.where(m.InboundRecord.request_id == request_id)
            else:
                stmt = stmt.where(m.InboundRecord.sender == (sender or "(none)")[:320])
            return s.scalars(stmt.limit(1)).first() is not None

    def mail_facts(self, message_id: str, channel: str = "email") -> MailFacts:
        """One outbox row with its mail group, the hourly count to its address and its thread."""
        with self.db.read() as s:
            return mailfacts.mail_facts(s, message_id, channel)

    def notify_staff(self, compose: notifications.Compose, *, digest_minutes: int, channel: str = "email",
                     now: datetime | None = None) -> int:
        """One notification pass (agent/notifications.py); returns how many notifications were queued."""
        try:
            with self.db.write() as s:
                queued = notifications.notification_pass(
                    s, str(self.firm.staff[0].email), compose, channel=channel, digest_minutes=digest_minutes,
                    now=now or datetime.now(UTC), questionnaire=self.questionnaire)
        except IntegrityError:  # another worker queued the same notification first
            return 0
        if queued:
            self.outbox.wake()
        return queued

    def bind_chat(self, token: str, chat_id: str) -> BindResult:
        """Bind a messenger chat (Telegram) to the request of a one-time deep-link token."""
        return bindings.bind(self.db, token, chat_id)

    def chat_requests(self, chat_id: str) -> list[BoundRequest]:
        return bindings.requests_for_chat(self.db, chat_id)

    def current_chat_request(self, chat_id: str) -> tuple[str | None, list[BoundRequest]]:
        return bindings.current_request(self.db, chat_id)

    def choose_chat_request(self, chat_id: str, request_id: str) -> BoundRequest | None:
        return bindings.choose(self.db, chat_id, request_id)

    def chat_lang(self, chat_id: str) -> str | None:
        return bindings.chat_lang(self.db, chat_id)

    def quick_reply_choice(self, request_id: str, message_id: str, index: int) -> str | None:
        return bindings.quick_reply_choice(self.db, request_id, message_id, index)

    def open_messages(self, request_id: str) -> list[OpenMessage]:
        return bindings.open_messages(self.db, request_id)

    def claim_loop_notice(self, request_id: str, address: str, loop: LoopCount) -> LoopNotice | None:
        """The one final mail of a reply loop (agent/loop_guard.py): recorded for staff and returned, or None
        when this loop already had its notice or the request is gone."""
        with self.db.write() as s:
            req = s.get(m.Request, request_id)
            if req is None or not loop_guard.notice_due(s, request_id, loop.since):
                return None
            when = loop.next_reply_at.astimezone(self.tz).strftime("%d.%m.%Y %H:%M")
            s.add(m.Activity(request_id=request_id, kind=loop_guard.NOTICE_KIND, actor="system", important=True,
                             summary=f"Loop guard: final mail to {address}, next reply {when}",
                             data={"address": address, "next_reply_at": loop.next_reply_at.isoformat()}))
            return LoopNotice(lang=req.lang, client_name=req.client.name if req.client else "",
                              chat_link=loop_guard.chat_link(s, request_id))

    # --- queries and commands for the web chat and the signing page ---
    # The pages (channels/webchat, portal_fallback) never open a session: they ask here and get frozen
    # views (agent/page_views.py). Commands they also use: receive, fresh_sign_link.
    def resolve_link(self, token: str, purpose: str) -> LinkView:
        """The link behind `token`, read only (a GET must stay harmless). An unknown, expired or revoked
        token costs the same database work as a good one, so timing does not tell them apart."""
        with self.db.read_one() as conn:
            return links.resolve_view(conn, token, purpose)

    def chat_progress(self, request_id: str) -> ChatProgress:
        """How many questions are answered and where the request stands (zero and "open" if it is gone)."""
        with self.db.read() as s:
            req = s.get(m.Request, request_id)
            if req is None:
                return ChatProgress(0, 0, "open")
            answered, total = total_progress(self._snapshot(s, req), self.questionnaire)
            return ChatProgress(answered, total, req.status)

    def chat_history(self, request_id: str, lang: str) -> ChatHistory:
        return ChatHistory(messages=tuple(self.history(request_id)), progress=self.chat_progress(request_id),
                           lang=normalise_lang(lang))


_CASE_KEY = re.compile(r"^[a-z][a-z0-9_]{0,40}(\.[a-z][a-z0-9_]{0,40}){0,3}$")


def nested_case_data(flat: Mapping[str, Any]) -> dict[str, Any]:
    """``{"fee.hourly_rate": "250,00"}`` → ``{"fee": {"hourly_rate": "250,00"}}``; bad keys are refused."""
    if len(flat) > 50:
        raise RequestError("at most 50 case data entries")
    nested: dict[str, Any] = {}
    for key, value in flat.items():
        if not isinstance(key, str) or not _CASE_KEY.match(key):
            raise RequestError(f"case data key {key!r} must look like 'case.subject' (lower case, dotted)")
        if not isinstance(value, str | int | float) or len(str(value)) > 500:
            raise RequestError(f"case data {key!r} must be a text of at most 500 characters")
        *path, leaf = key.split(".")
        node = nested
        for part in path:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise RequestError(f"case data key {key!r} clashes with another key")
            node = child
        if isinstance(node.get(leaf), dict):
            raise RequestError(f"case data key {key!r} clashes with another key")
        node[leaf] = str(value).strip()
    return nested


def _request_view(s: Session, req: m.Request) -> RequestView:
    opening = s.scalars(select(m.OutboxRow).where(m.OutboxRow.request_id == req.id, m.OutboxRow.inbound_id.is_(None))
                        .order_by(m.OutboxRow.id)).all()
    client = req.client
    return RequestView(
        id=req.id, lang=req.lang, status=req.status, client_name=client.name if client else "",
        client_email=client.email if client else None, telegram_chat_id=client.telegram_chat_id if client else None,
        staff_name=req.staff.name if req.staff else None,
        items=tuple(ItemBrief(i.id, i.kind, i.ref, i.version, i.status) for i in req.items),
        opening=tuple(str(r.body.get("text", "")) for r in opening if r.body.get("text")))


def _answer_row(request_id: str, ans: NewAnswer) -> dict[str, Any]:
    return {"request_id": request_id, "item_id": ans.item_id, "field_id": ans.field_id, "value": ans.value,
            "raw_text": ans.raw_text, "source_type": ans.source_type, "source_id": ans.source_id, "page": ans.page,
            "method": ans.method, "confidence": ans.confidence, "confirmed": ans.confirmed}


def _outbox_rows(request_id: str, out: Outcome, *, inbound_id: int | None, in_reply_to: str | None, channel: str,
                 address: str, sign_urls: Mapping[str, str] | None, delivered: bool,
                 now: datetime) -> tuple[list[dict[str, Any]], list[OutboundMessage]]:
    """The outbox rows of a turn's replies (signing placeholders filled in) and the messages they become."""
    rows: list[dict[str, Any]] = []
    replies: list[OutboundMessage] = []
    prefix = f"{request_id}.{inbound_id if inbound_id is not None else 'open'}"
    for n, reply in enumerate(out.replies):
        link, text = reply.link, reply.text
        if link and sign_urls and link in sign_urls:
            text = text.replace(link, sign_urls[link])
            link = sign_urls[link]
        body: dict[str, Any] = {"text": text, "quick_replies": reply.quick_replies}
        if link:
            body["link"] = link
        if in_reply_to is not None:
            body["in_reply_to"] = in_reply_to
        rows.append({"message_id": f"{prefix}.{n}", "request_id": request_id, "channel": channel,
                     "address": address, "kind": reply.kind, "body": body, "inbound_id": inbound_id,
                     "status": "sent" if delivered else "pending", "sent_at": now if delivered else None,
                     "attempts": 0, "created_at": now})
        replies.append(OutboundMessage(message_id=f"{prefix}.{n}", request_id=request_id,
                                       channel=channel,  # type: ignore[arg-type]
                                       address=address, text=text, quick_replies=tuple(reply.quick_replies),
                                       kind=reply.kind, in_reply_to=body.get("in_reply_to"), link=link))
    return rows, replies


def _existing_inbound(s: Session, msg: InboundMessage) -> m.InboundRecord | None:
    """The stored copy of a message the channel already delivered (idempotency on its external id)."""
    return s.scalars(select(m.InboundRecord).where(
        m.InboundRecord.channel == msg.channel, m.InboundRecord.external_id == msg.external_id[:500]
    )).one_or_none()


def _deepcopy(value: Any) -> Any:
    return copy.deepcopy(value)


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))
