"""A real Mandat on a temp data dir, the Telegram channel polling a fake Bot API on 127.0.0.1."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select

from agent import bindings
from agent.config import Settings, load_settings
from agent.service import Mandat
from agent.store import models as m
from channels.telegram import TelegramChannel, TelegramPlug
from tests.conftest import DEMO_FIRM
from tests.fakes.telegram_api import FakeTelegram

TOKEN = "123:abc"


@dataclass
class Bot:
    fake: FakeTelegram
    service: Mandat
    channel: TelegramChannel
    settings: Settings

    def new_request(self, *, lang: str = "de", email: str = "max@example.org", name: str = "Max Mustermann",
                    ) -> tuple[str, str]:
        created = self.service.create_request(client_name=name, client_email=email, lang=lang,
                                              questionnaires=["kuendigung"], uploads=["Kündigungsschreiben"])
        return created.id, created.links["telegram"].split("?start=", 1)[1]

    def bind(self, chat_id: int, **kwargs: str) -> str:
        request_id, token = self.new_request(**kwargs)
        self.send_start(chat_id, request_id, token)
        return request_id

    def send_start(self, chat_id: int, request_id: str, token: str) -> None:
        """/start <token>, then wait for the welcome and the open messages of the request."""
        expected = len(self.fake.messages_to(chat_id)) + 1 + len(bindings.open_messages(self.service.db, request_id))
        self.fake.queue(self.fake.text(chat_id, f"/start {token}"))
        assert self.fake.wait(lambda: len(self.fake.messages_to(chat_id)) >= expected, 10)
        self.settle()

    def send(self, update: dict) -> int:
        update_id = self.fake.queue(update)
        self.settle(update_id)
        return update_id

    def settle(self, update_id: int | None = None, timeout_s: float = 20.0) -> None:
        """Wait until the bot fetched everything, processed ``update_id`` and the outbox is empty."""

        def done() -> bool:
            if self.fake.pending():
                return False
            with self.service.db.read() as s:
                if update_id is not None:
                    row = s.scalars(select(m.InboundRecord).where(
                        m.InboundRecord.channel == "telegram",
                        m.InboundRecord.external_id == f"tg:{update_id}")).one_or_none()
                    if row is None or row.status == "received":
                        return False
                waiting = s.scalar(select(func.count(m.OutboxRow.id)).where(
                    m.OutboxRow.channel == "telegram", m.OutboxRow.status.in_(("pending", "sending"))))
                return not waiting

        assert self.fake.wait(done, timeout_s), f"update {update_id} not settled in {timeout_s}s"

    def inbound_count(self, channel: str = "telegram") -> int:
        with self.service.db.read() as s:
            return int(s.scalar(select(func.count(m.InboundRecord.id)).where(m.InboundRecord.channel == channel))
                       or 0)


def make_settings(tmp_path: Path, fake: FakeTelegram, **extra: object) -> Settings:
    return load_settings(data_dir=tmp_path / "var", firm_dir=DEMO_FIRM, public_url="http://127.0.0.1:8000",
                         telegram_token=TOKEN, telegram_api_url=fake.url, **extra)


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with FakeTelegram(TOKEN) as api:
        yield api


@pytest.fixture
def bot(tmp_path: Path, fake: FakeTelegram) -> Iterator[Bot]:
    settings = make_settings(tmp_path, fake)
    plug = TelegramPlug(settings, announce=False)
    service = Mandat(settings, ports=plug)
    service.setup()
    channel = plug.channel
    assert channel is not None
    channel.poll_timeout_s = 1.0
    channel.start_background()
    service.outbox.start(interval_s=0.2)
    try:
        yield Bot(fake, service, channel, settings)
    finally:
        channel.stop_background()
        channel.close()
        service.close()


def small_pdf(text: str = "Kündigung zum 31.12.2026") -> bytes:
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    pdf = canvas.Canvas(buf)
    pdf.drawString(72, 720, text)
    pdf.save()
    return buf.getvalue()


def small_jpeg() -> bytes:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (640, 400), "white")
    ImageDraw.Draw(img).text((40, 180), "Kuendigung ACME GmbH 31.12.2026", fill="black")
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=85)
    return buf.getvalue()
