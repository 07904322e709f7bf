"""Reminder settings from firm.yaml: the firm's schedule, a template's own, and mistakes named with their line."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine

from agent.config import load_settings
from agent.firm import FirmError, load_firm
from agent.reminders.config import ReminderOptions, ReminderSchedule
from agent.reminders.job import next_due
from agent.service import Mandat
from tests.conftest import DEMO_FIRM


def _firm_with(tmp_path: Path, extra: str) -> Path:
    firm = tmp_path / "firm"
    shutil.copytree(DEMO_FIRM, firm)
    with (firm / "firm.yaml").open("a", encoding="utf-8") as fh:
        fh.write(extra)
    return firm


def test_defaults_are_days_two_five_nine() -> None:
    options = load_firm(DEMO_FIRM).reminders
    assert options.days == [2, 5, 9] and options.enabled
    assert options.quiet_start == "20:00" and options.quiet_end == "08:00"


def test_a_template_has_its_own_schedule(tmp_path: Path) -> None:
    firm = _firm_with(tmp_path, "reminders:\n  days: [3, 6]\n  holiday_region: BY\n  templates:\n"
                                "    verkehrsunfall: {days: [1]}\n    kuendigung: {enabled: false}\n")
    options = load_firm(firm).reminders
    assert options.schedule_for(["verkehrsunfall"]).days == [1]
    assert options.schedule_for(["other"]).days == [3, 6]
    settings = load_settings(data_dir=tmp_path / "var", firm_dir=firm)
    service = Mandat(settings)
    service.setup()
    try:
        with time_machine.travel(datetime(2026, 11, 2, 9, tzinfo=UTC), tick=False) as clock:
            from agent.reminders.job import Reminders

            accident = service.create_request(client_name="A", client_email="a@example.org",
                                              questionnaires=["verkehrsunfall"]).id
            dismissal = service.create_request(client_name="B", client_email="b@example.org",
                                               questionnaires=["kuendigung"]).id
            clock.move_to(datetime(2026, 11, 3, 10, tzinfo=UTC))
            assert [d.request_id for d in Reminders(service).due(datetime.now(UTC))] == [accident]
            assert dismissal not in [d.request_id for d in Reminders(service).due(datetime(2026, 12, 1, tzinfo=UTC))]
    finally:
        service.close()


def test_a_wrong_schedule_is_named_with_its_line(tmp_path: Path) -> None:
    firm = _firm_with(tmp_path, "reminders:\n  days: [5, 2]\n")
    with pytest.raises(FirmError, match=r"firm.yaml:\d+: .*must rise"):
        load_firm(firm)
    firm = _firm_with(tmp_path / "b", "reminders:\n  quiet_start: '25:00'\n")
    with pytest.raises(FirmError, match="20:00"):
        load_firm(firm)


def test_next_due_waits_a_day_between_steps_after_an_outage() -> None:
    anchor = datetime(2026, 1, 1, tzinfo=UTC)
    schedule = ReminderSchedule(days=[2, 5, 9])
    late = anchor + timedelta(days=20)  # the scheduler was down for weeks
    first = next_due("r", anchor, [], schedule, late)
    assert first is not None and first.step == 1 and first.cycle_step == 1
    assert next_due("r", anchor, [(1, late)], schedule, late + timedelta(hours=3)) is None
    second = next_due("r", anchor, [(1, late)], schedule, late + timedelta(days=1))
    assert second is not None and second.cycle_step == 2 and not second.last
    assert isinstance(ReminderOptions().schedule_for([]), ReminderOptions)
