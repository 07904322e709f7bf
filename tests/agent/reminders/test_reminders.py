"""Reminders on a frozen clock: the schedule, restarts between steps, quiet hours, Sundays and public
holidays, the stop command in German and English, completion and the staff's ``request_stalled``."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from agent.config import Settings
from agent.messages import InboundMessage
from agent.privacy import erase
from agent.privacy.erase import request_scope
from agent.reminders.job import Reminders
from agent.service import Mandat
from agent.store import models as m
from agent.store.sync_tables import ReminderSent, ReminderStop

BERLIN = ZoneInfo("Europe/Berlin")


def berlin(month: int, day: int, hour: int = 10, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN)


@pytest.fixture
def clock() -> Iterator[time_machine.Coordinates]:
    # Monday 2 November 2026, 10:00 in Berlin: no holiday anywhere near.
    with time_machine.travel(berlin(11, 2), tick=False) as traveller:
        yield traveller


def _create(service: Mandat, *, lang: str = "de", email: str | None = "max@example.org") -> str:
    return service.create_request(client_name="Max Muster", client_email=email, lang=lang,
                                  questionnaires=["kuendigung"], uploads=["Kündigungsschreiben"]).id


def _reminders(service: Mandat, request_id: str) -> list[m.OutboxRow]:
    with service.db.read() as s:
        return list(s.scalars(select(m.OutboxRow).where(m.OutboxRow.request_id == request_id,
                                                        m.OutboxRow.kind == "reminder").order_by(m.OutboxRow.id)))


def _kinds(service: Mandat, request_id: str, kind: str) -> list[m.Activity]:
    with service.db.read() as s:
        return list(s.scalars(select(m.Activity).where(m.Activity.request_id == request_id,
                                                       m.Activity.kind == kind)))


def _say(service: Mandat, request_id: str, text: str, n: int, channel: str = "email",
         sender: str = "max@example.org") -> None:
    service.receive(InboundMessage(channel=channel, sender=sender, text=text,  # type: ignore[arg-type]
                                   external_id=f"{channel}-{request_id}-{n}", request_id=request_id))


def test_days_two_five_nine_then_stalled(service: Mandat, clock: time_machine.Coordinates) -> None:
    rid = _create(service)
    job = Reminders(service)
    clock.move_to(berlin(11, 3))
    assert job.run() == 0, "one day after the invitation is too early"
    clock.move_to(berlin(11, 4))
    assert job.run() == 1
    assert job.run() == 0, "the same step is never sent twice"
    (first,) = _reminders(service, rid)
    assert (first.channel, first.address) == ("email", "max@example.org")
    text = first.body["text"]
    assert "Guten Tag Max Muster" in text and "offene Fragen" in text and "Hochladen: Kündigungsschreiben" in text
    assert "http://127.0.0.1:8000/c/" in text and first.body["link"] in text
    assert "keine Erinnerungen" in text, "the client is told how to stop them"
    clock.move_to(berlin(11, 6, 23))
    assert job.run() == 0, "quiet hours"
    clock.move_to(berlin(11, 7))  # Saturday: allowed
    assert job.run() == 1
    assert not _kinds(service, rid, "request_stalled")
    clock.move_to(berlin(11, 11))
    assert job.run() == 1
    stalled = _kinds(service, rid, "request_stalled")
    assert len(stalled) == 1 and stalled[0].important and "3 reminders" in stalled[0].summary
    clock.move_to(berlin(11, 30))
    assert job.run() == 0, "nothing after the last step"
    assert [r.message_id for r in _reminders(service, rid)] == [f"{rid}.reminder.{n}" for n in (1, 2, 3)]
    assert len(_kinds(service, rid, "reminder_sent")) == 3


def test_a_restart_between_steps_never_sends_twice(settings: Settings, clock: time_machine.Coordinates) -> None:
    first = Mandat(settings)
    first.setup()
    rid = _create(first)
    clock.move_to(berlin(11, 4, 11))
    assert Reminders(first).run() == 1
    first.close()  # the process stops (or is killed after its commit)

    second = Mandat(settings)
    second.setup()
    try:
        assert Reminders(second).run() == 0, "the new process knows step 1 went out"
        clock.move_to(berlin(11, 7, 11))
        assert Reminders(second).run() == 1
        assert Reminders(second).run() == 0
        with second.db.read() as s:
            steps = list(s.execute(select(ReminderSent.step, ReminderSent.cycle_step)
                                   .where(ReminderSent.request_id == rid).order_by(ReminderSent.step)))
        assert steps == [(1, 1), (2, 2)]
        assert len(_reminders(second, rid)) == 2
    finally:
        second.close()


def test_two_schedulers_at_once_send_one_reminder(settings: Settings, clock: time_machine.Coordinates) -> None:
    """A lease handover can leave two leaders for a moment: the step is decided under the request's lock."""
    services = [Mandat(settings), Mandat(settings)]
    for svc in services:
        svc.setup()
    try:
        rid = _create(services[0])
        clock.move_to(berlin(11, 4))
        counts: list[int] = []
        threads = [threading.Thread(target=lambda svc=svc: counts.append(Reminders(svc).run())) for svc in services]
        for th in threads:
            th.start()
        for th in threads:
            th.join(timeout=60)
        assert sorted(counts) == [0, 1]
        assert len(_reminders(services[0], rid)) == 1
    finally:
        for svc in services:
            svc.close()


@pytest.mark.parametrize(("when", "sent"), [
    (berlin(11, 5, 7, 59), 0), (berlin(11, 5, 8, 0), 1), (berlin(11, 4, 19, 59), 1), (berlin(11, 4, 20, 0), 0),
    (berlin(11, 8, 12), 0),  # a Sunday
])
def test_quiet_hours_and_sundays(service: Mandat, clock: time_machine.Coordinates, when: datetime,
                                 sent: int) -> None:
    _create(service)
    clock.move_to(when)
    assert Reminders(service).run() == sent


def test_public_holidays_wait_for_the_next_working_day(service: Mandat) -> None:
    with time_machine.travel(berlin(12, 23), tick=False) as clock:  # Wednesday before Christmas
        rid = _create(service)
        job = Reminders(service)
        for day in (25, 26, 27):  # Christmas Day, the second day of Christmas (a Saturday), Sunday
            clock.move_to(berlin(12, day, 11))
            assert job.run() == 0, f"no reminder on 12-{day}"
        clock.move_to(berlin(12, 28, 8, 5))
        assert job.run() == 1
        (row,) = _reminders(service, rid)
        assert row.created_at.astimezone(BERLIN).date().isoformat() == "2026-12-28"


@pytest.mark.parametrize("text", ["keine Erinnerungen", "Stopp", "Keine Erinnerungen mehr, bitte!", "unsubscribe",
                                  "No more reminders please", "STOP"])
def test_stop_command_in_german_and_english(service: Mandat, clock: time_machine.Coordinates, text: str) -> None:
    rid = _create(service)
    clock.move_to(berlin(11, 2, 12))
    _say(service, rid, text, 1)
    with service.db.read() as s:
        assert s.get(ReminderStop, rid) is not None
    assert _kinds(service, rid, "reminders_stopped")
    with service.db.read() as s:  # the conversation took it as a command, not as the answer to a question
        assert not list(s.scalars(select(m.Answer.raw_text).where(m.Answer.request_id == rid)))
    for day in (5, 8, 12, 20):
        clock.move_to(berlin(11, day))
        assert Reminders(service).run() == 0
    assert _reminders(service, rid) == []


def test_a_sentence_that_mentions_stop_is_no_stop(service: Mandat, clock: time_machine.Coordinates) -> None:
    rid = _create(service)
    _say(service, rid, "Mein Arbeitgeber hat gesagt, ich soll die Arbeit stoppen – was nun?", 1)
    with service.db.read() as s:
        assert s.get(ReminderStop, rid) is None


def test_a_client_message_restarts_the_schedule(service: Mandat, clock: time_machine.Coordinates) -> None:
    rid = _create(service)
    job = Reminders(service)
    clock.move_to(berlin(11, 4))
    assert job.run() == 1
    clock.move_to(berlin(11, 5, 12))
    _say(service, rid, "Max", 1)  # answers the first question
    clock.move_to(berlin(11, 7, 11))
    assert job.run() == 0, "two days after the client's message, not after the invitation"
    clock.move_to(berlin(11, 7, 12, 30))
    assert job.run() == 1
    rows = _reminders(service, rid)
    assert [r.message_id.rsplit(".", 1)[1] for r in rows] == ["1", "2"]
    with service.db.read() as s:
        cycle = s.scalar(select(ReminderSent.cycle_step).where(ReminderSent.request_id == rid, ReminderSent.step == 2))
    assert cycle == 1, "the schedule started again at its first step"


def test_completion_stops_reminders(service: Mandat, clock: time_machine.Coordinates) -> None:
    rid = _create(service)
    with service.db.write() as s:
        s.get(m.Request, rid).status = "complete"
    clock.move_to(berlin(11, 4))
    assert Reminders(service).run() == 0


def test_sent_in_the_clients_current_channel_in_their_language(service: Mandat,
                                                               clock: time_machine.Coordinates) -> None:
    rid = _create(service, lang="en", email=None)
    _say(service, rid, "Max", 1, channel="telegram", sender="4711")
    clock.move_to(berlin(11, 5))
    assert Reminders(service).run() == 1
    (row,) = _reminders(service, rid)
    assert (row.channel, row.address) == ("telegram", "4711")
    assert row.body["text"].startswith("Hello Max Muster") and "open questions" in row.body["text"]
    assert "Upload: Kündigungsschreiben" in row.body["text"] and "no reminders" in row.body["text"]


def test_no_reachable_channel_no_reminder(service: Mandat, clock: time_machine.Coordinates) -> None:
    rid = _create(service, email=None)  # web chat only: nobody would see a reminder there
    clock.move_to(berlin(11, 4))
    assert Reminders(service).run() == 0
    assert _reminders(service, rid) == []


def test_the_reminder_leaves_through_the_outbox(service: Mandat, clock: time_machine.Coordinates) -> None:
    rid = _create(service)
    clock.move_to(berlin(11, 4))
    Reminders(service).run()
    sent: list[str] = []
    service.outbox.register("email", lambda msg: sent.append(msg.message_id))
    service.outbox.deliver_pending()
    assert f"{rid}.reminder.1" in sent


def test_the_server_registers_the_job_with_the_scheduler(service: Mandat, clock: time_machine.Coordinates) -> None:
    from agent.app import create_app

    create_app(service)
    assert "reminders" in service.scheduler.jobs
    rid = _create(service)
    clock.move_to(berlin(11, 4, 11))
    assert "reminders" in service.scheduler.run_due()  # this process holds the installation's lease
    assert _reminders(service, rid) == [], "no e-mail sender here (no SMTP): no reminder mail that can only fail"
    service.outbox.register("email", lambda _msg: None)
    service.scheduler.jobs["reminders"].last_run = None
    assert "reminders" in service.scheduler.run_due()
    assert len(_reminders(service, rid)) == 1


def test_erasure_removes_the_reminder_log(service: Mandat, clock: time_machine.Coordinates) -> None:
    """The privacy tools' cascade reaches the reminder tables by their request foreign key."""
    rid = _create(service)
    clock.move_to(berlin(11, 4, 11))
    Reminders(service).run()
    _say(service, rid, "keine Erinnerungen", 1)
    with service.db.read() as s:
        assert s.get(ReminderStop, rid) is not None and _reminders(service, rid)
        scope = request_scope(s, [rid])
    report = erase(service, scope, reason="test", subject="erika@example.org")
    assert report.counts["reminder_sent"] == 1 and report.counts["reminder_stop"] == 1
    with service.db.read() as s:
        assert s.scalars(select(ReminderSent).where(ReminderSent.request_id == rid)).all() == []
        assert s.get(ReminderStop, rid) is None
