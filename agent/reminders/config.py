"""Reminder settings in firm.yaml (``reminders:``), with a schedule per request template.

    reminders:
      days: [2, 5, 9]          # after the client's last message (or the invitation)
      quiet_start: "20:00"     # no reminder from here …
      quiet_end: "08:00"       # … until here (the installation's MANDAT_TIMEZONE, Europe/Berlin)
      holiday_region: BE       # German state for regional public holidays (national ones always count)
      templates:               # by the request's first questionnaire (its template), e.g.
        verkehrsunfall: {days: [1, 3, 7]}
        kuendigung: {enabled: false}
"""

from __future__ import annotations

import re
from datetime import time

from pydantic import BaseModel, ConfigDict, Field, field_validator

_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


class ReminderSchedule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    days: list[int] = Field(default_factory=lambda: [2, 5, 9], min_length=1, max_length=10)

    @field_validator("days")
    @classmethod
    def _ascending(cls, value: list[int]) -> list[int]:
        if any(d < 1 or d > 365 for d in value):
            raise ValueError("reminder days are between 1 and 365")
        if any(b <= a for a, b in zip(value, value[1:], strict=False)):
            raise ValueError("reminder days must rise, e.g. [2, 5, 9]")
        return value


class ReminderOptions(ReminderSchedule):
    quiet_start: str = "20:00"
    quiet_end: str = "08:00"
    holiday_country: str = "DE"
    holiday_region: str | None = None
    templates: dict[str, ReminderSchedule] = Field(default_factory=dict)

    @field_validator("quiet_start", "quiet_end")
    @classmethod
    def _clock(cls, value: str) -> str:
        if not _CLOCK.match(value):
            raise ValueError(f"a time like 20:00 is expected, got {value!r}")
        return value

    def quiet_hours(self) -> tuple[time, time]:
        return time.fromisoformat(self.quiet_start), time.fromisoformat(self.quiet_end)

    def schedule_for(self, refs: list[str]) -> ReminderSchedule:
        """The template's own schedule (first of the request's questionnaires that has one), else the firm's."""
        for ref in refs:
            if ref in self.templates:
                return self.templates[ref]
        return self
