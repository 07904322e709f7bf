"""Database access: one engine per process, write transactions serialised per request.

SQLite: WAL, a busy timeout and ``BEGIN IMMEDIATE`` for writers, plus an in-process lock so threads
queue instead of spinning on the busy handler. PostgreSQL: ``SELECT … FOR UPDATE`` on the request
row serialises one conversation across workers.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from agent.store.models import Request
from agent.store.writelock import WriteLock

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def _sqlite_engine(url: str, *, immediate: bool) -> Engine:
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, pool_size=20)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when a transaction begins.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        if conn.get_execution_options().get("single_statement"):
            return  # SQLite runs a lone statement in its own implicit transaction: no BEGIN, nothing to end
        _begin_retrying(conn, "BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


BEGIN_ATTEMPTS = 4  # × the 30 s busy timeout: another worker's writer would have to hang for 2 minutes


def _begin_retrying(conn: Any, sql: str) -> None:
    """BEGIN, again when SQLite still says busy after its busy timeout (several worker processes share
    the file). Safe to repeat: nothing of the transaction has run yet, so no write is lost or doubled."""
    import sqlite3

    from sqlalchemy.exc import OperationalError

    for attempt in range(BEGIN_ATTEMPTS):
        try:
            conn.exec_driver_sql(sql)
            return
        except OperationalError as exc:
            busy = isinstance(exc.orig, sqlite3.OperationalError) and "locked" in str(exc.orig)
            if not busy or attempt == BEGIN_ATTEMPTS - 1:
                raise


class Database:
    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            path = url.removeprefix("sqlite:///")
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            self.engine = _sqlite_engine(url, immediate=True)
            self.read_engine = _sqlite_engine(url, immediate=False)
        else:
            self.engine = create_engine(url, pool_size=20, max_overflow=20, pool_pre_ping=True)
            self.read_engine = self.engine
        self._write_sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._read_sessions = sessionmaker(self.read_engine, expire_on_commit=False)
        # threads queue on an RLock, worker processes on a file lock (see writelock.py)
        self._write_lock = WriteLock(url.removeprefix("sqlite:///")) if self.is_sqlite else None

    def migrate(self) -> None:
        """Bring the schema to the newest Alembic revision."""
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
        cfg.set_main_option("sqlalchemy.url", self.url.replace("%", "%%"))
        with self.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One write transaction; commits on success, rolls back on any exception."""
        if self._write_lock is not None:
            self._write_lock.acquire()
        try:
            with self._write_sessions() as session, session.begin():
                yield session
        finally:
            if self._write_lock is not None:
                self._write_lock.release()

    @contextmanager
    def write_conn(self) -> Iterator[Connection]:
        """Like ``write`` but a bare Core connection: the conversation turn's hot path (agent/store/turns.py)
        skips the ORM's unit of work. ``session_on`` gives an ORM session inside the same transaction."""
        if self._write_lock is not None:
            self._write_lock.acquire()
        try:
            with self.engine.begin() as conn:
                yield conn
        finally:
            if self._write_lock is not None:
                self._write_lock.release()

    @contextmanager
    def read_one(self) -> Iterator[Connection]:
        """A Core connection for ONE read statement (consistent on its own, so on SQLite no explicit
        transaction is opened around it)."""
        with self.read_engine.connect() as conn:
            yield conn.execution_options(single_statement=True)

    @staticmethod
    @contextmanager
    def session_on(conn: Connection) -> Iterator[Session]:
        """An ORM session inside ``conn``'s transaction: its work sits in a savepoint that is released at
        the end (or rolled back on an exception) and commits or rolls back with the outer transaction."""
        with Session(bind=conn, expire_on_commit=False, join_transaction_mode="create_savepoint") as session:
            yield session
            session.commit()

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._read_sessions() as session:
            yield session

    def lock_request(self, session: Session, request_id: str) -> Request | None:
        """The request row, locked for this transaction (SQLite's write lock already serialises)."""
        stmt = select(Request).where(Request.id == request_id)
        if not self.is_sqlite:
            stmt = stmt.with_for_update(of=Request)
        return session.scalars(stmt).unique().one_or_none()

    def dispose(self) -> None:
        if self._write_lock is not None:
            self._write_lock.close()
        self.engine.dispose()
        if self.read_engine is not self.engine:
            self.read_engine.dispose()
