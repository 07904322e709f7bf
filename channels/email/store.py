"""The e-mail channel's durable facts, kept by the core's ``ChannelState`` (agent/channelstate.py): the
last UID per mailbox, the plus-token secret, and the one-poller-per-mailbox lock."""

from __future__ import annotations

import threading
from contextlib import AbstractContextManager

from agent.channelstate import ChannelState

SECRET_KEY = "email.secret"


class DbUidStore:
    """The poller's ``UidStore`` (survives restarts; per account/folder/UIDVALIDITY)."""

    def __init__(self, state: ChannelState):
        self.state = state

    @staticmethod
    def key(account: str, folder: str, uidvalidity: int) -> str:
        return f"email.uid:{account}/{folder}/{uidvalidity}"[:300]

    def get_last_uid(self, account: str, folder: str, uidvalidity: int) -> int | None:
        kept = self.state.get(self.key(account, folder, uidvalidity))
        return int(kept.get("uid", 0)) if kept is not None else None

    def set_last_uid(self, account: str, folder: str, uidvalidity: int, uid: int) -> None:
        self.state.raise_counter(self.key(account, folder, uidvalidity), "uid", uid)


def token_secret(state: ChannelState, configured: str | None) -> str:
    """``MANDAT_MAIL_SECRET`` when set, else a random secret made once and kept in the database, so
    plus tokens stay valid across restarts and workers without a lookup table."""
    return configured or state.secret(SECRET_KEY)


def mailbox_lock(state: ChannelState, name: str, stop: threading.Event,
                 retry_s: float = 5.0) -> AbstractContextManager[threading.Event | None]:
    """One poller per mailbox across workers (a lease): None when stopped before winning it, else the
    event that ends the poller (stopped, or the lease went to another worker)."""
    return state.exclusive(name, stop, retry_s)
