"""Tables of the staff workspace: logins, sessions, e-mailed sign-in links, per-staff seen marks,
a per-request activity pulse, the agent's pause flag per request, and the firm's branding and mail templates'
default items as edited in the browser.

``request_pulse`` is kept up to date by a mapper event on every new ``Activity`` row (whoever writes
it: the service, a channel, the document desk), so the request list can sort by the newest activity
and show red dots from an index instead of scanning the whole activity log.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, LargeBinary, String, bindparam, event, insert, update
from sqlalchemy.orm import Mapped, mapped_column

from agent.store.models import Activity, Base, Client, utcnow


class StaffLogin(Base):
    """A staff member's password (argon2 hash) and the language of their pages."""

    __tablename__ = "staff_login"
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), primary_key=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    lang: Mapped[str] = mapped_column(String(8), default="de")
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)


class StaffSession(Base):
    """A browser session; only the SHA-256 of the cookie value is stored, so a database leak is no login."""

    __tablename__ = "staff_session"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    ip: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class StaffLoginLink(Base):
    """A one-time sign-in link sent by e-mail: only the SHA-256 of its token is stored; ``used_at`` spends it."""

    __tablename__ = "staff_login_link"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column(default=None)


class StaffSeen(Base):
    """Up to which activity id one staff member has seen one request (a watermark, not a row per activity)."""

    __tablename__ = "staff_seen"
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), primary_key=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("request.id"), primary_key=True)
    activity_id: Mapped[int] = mapped_column(Integer, default=0)
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class RequestPulse(Base):
    """The newest activity of a request (any actor) and the newest news (not by staff)."""

    __tablename__ = "request_pulse"
    request_id: Mapped[str] = mapped_column(ForeignKey("request.id"), primary_key=True)
    last_activity_id: Mapped[int] = mapped_column(Integer, default=0)
    last_activity_at: Mapped[datetime] = mapped_column(default=utcnow)
    news_id: Mapped[int] = mapped_column(Integer, default=0)
    news_at: Mapped[datetime | None] = mapped_column(default=None)

    __table_args__ = (
        Index("ix_request_pulse_recent", "last_activity_at", "request_id"),
        Index("ix_request_pulse_news", "news_id"),
    )


class RequestPause(Base):
    """A staff member took the request over: inbound messages are stored and shown, the agent stays quiet."""

    __tablename__ = "request_pause"
    request_id: Mapped[str] = mapped_column(ForeignKey("request.id"), primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    paused_at: Mapped[datetime] = mapped_column(default=utcnow)


class Branding(Base):
    """What an admin changed in the browser; the firm folder stays the seed for everything unset."""

    __tablename__ = "branding"
    firm_id: Mapped[str] = mapped_column(ForeignKey("firm.id"), primary_key=True)
    colour: Mapped[str | None] = mapped_column(String(7), default=None)
    description: Mapped[dict[str, Any]] = mapped_column(default=dict)
    logo: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    logo_type: Mapped[str | None] = mapped_column(String(40), default=None)
    version: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class TemplateDefaults(Base):
    """A mail template's default items as an admin set them in the browser (the firm folder's are the seed)."""

    __tablename__ = "template_defaults"
    firm_id: Mapped[str] = mapped_column(ForeignKey("firm.id"), primary_key=True)
    template: Mapped[str] = mapped_column(String(100), primary_key=True)
    questionnaires: Mapped[list[str]] = mapped_column(JSON, default=list)
    uploads: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)  # [{"de": …, "en": …}]
    sign: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


@event.listens_for(Activity, "after_insert")
def _pulse(_mapper: Any, connection: Any, target: Activity) -> None:
    """Runs inside the flush that writes the activity, so the pulse commits (or rolls back) with it."""
    if target.request_id is None:
        return
    record_pulse(connection, target.request_id, target.id, target.created_at or utcnow(), target.actor)


def record_pulse(connection: Any, request_id: str, activity_id: int, at: datetime, actor: str) -> None:
    """The request's last activity, and its last news for staff (staff's own doings are not news).
    Also called for activity rows written in SQLAlchemy Core (agent/store/turns.py)."""
    values: dict[str, Any] = {"last_activity_id": activity_id, "last_activity_at": at}
    if actor != "staff":
        values.update(news_id=activity_id, news_at=at)
    # The SET clause follows the parameters' keys (the statement is compiled once per key set).
    done = connection.execute(_PULSE, {"b_rid": request_id, **values})
    if done.rowcount == 0:
        connection.execute(insert(RequestPulse.__table__).values(request_id=request_id, **{"news_id": 0, **values}))


# The staff list's search by client name ("contains", any case). On PostgreSQL the migration builds it as a
# trigram GIN index (pg_trgm), which answers ILIKE '%…%' without reading every client; on SQLite, and on a
# PostgreSQL where the extension cannot be installed, it is a plain index on the column.
Index("ix_client_name_search", Client.name, postgresql_using="gin", postgresql_ops={"name": "gin_trgm_ops"})


# Built once: the pulse is written with every activity, so its statements stay in the compiled cache.
_PULSE = update(RequestPulse.__table__).where(RequestPulse.__table__.c.request_id == bindparam("b_rid"))
