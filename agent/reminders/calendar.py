"""When a reminder may go out: not at night, not on Sundays, not on public holidays."""

from __future__ import annotations

from datetime import date, datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays


@lru_cache(maxsize=64)
def _holidays(country: str, region: str | None, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays(country, subdiv=region, years=year).keys())


def is_holiday(day: date, country: str = "DE", region: str | None = None) -> bool:
    return day in _holidays(country, region, day.year)


def may_send(at: datetime, tz: ZoneInfo, *, quiet: tuple[time, time] = (time(20), time(8)),
             country: str = "DE", region: str | None = None) -> bool:
    """True when ``at`` (aware) is outside quiet hours on a working day or Saturday in ``tz``."""
    local = at.astimezone(tz)
    start, end = quiet
    clock = local.time()
    in_quiet = (clock >= start or clock < end) if start > end else (start <= clock < end)
    if in_quiet or local.weekday() == 6:  # Sunday
        return False
    return not is_holiday(local.date(), country, region)
