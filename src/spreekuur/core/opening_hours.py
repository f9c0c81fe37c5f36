"""Opening hours: regular weekly intervals, date exceptions, and Dutch public holidays.

Pure functions over plain data, so the rules can be tested (also property-based) without
a database. An interval whose closing time is not after its opening time runs past
midnight into the next day.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

from django.utils.translation import get_language

if TYPE_CHECKING:
    import holidays

Interval = tuple[time, time]


@lru_cache(maxsize=64)
def _dutch_holidays(year: int, language: str) -> holidays.HolidayBase:
    # Imported on first use, not at the top: a process that never asks for opening hours
    # (/healthz, a management command) need not hold it.
    import holidays

    return holidays.country_holidays("NL", years=year, language=language)


def holiday_name(day: date) -> str | None:
    """The Dutch public holiday on this day, named in the interface language."""
    language = "en_US" if (get_language() or "nl").startswith("en") else "nl"
    name = _dutch_holidays(day.year, language).get(day)
    return str(name) if name else None


@dataclass(frozen=True)
class DayException:
    closed: bool
    opens: time | None = None
    closes: time | None = None
    reason: str = ""


@dataclass(frozen=True)
class Schedule:
    weekly: Mapping[int, Sequence[Interval]]  # weekday (0 = Monday) -> intervals
    exceptions: Mapping[date, DayException] = field(default_factory=dict)
    closed_on_public_holidays: bool = True


@dataclass(frozen=True)
class DayHours:
    day: date
    intervals: tuple[Interval, ...]
    reason: str  # why the day differs from the usual week (may be "" for an exception)
    # Other hours than the usual week: a date exception, or a public holiday the practice
    # closes for. The agenda keeps its slots inside these hours on such a day.
    deviates: bool = False

    @property
    def closed(self) -> bool:
        return not self.intervals

    def covers(self, start: datetime, end: datetime) -> bool:
        """Whether [start, end) lies inside one of this day's intervals (local times)."""
        return any(
            span_start <= start and end <= span_end
            for span_start, span_end in (
                _absolute(self.day, interval, start.tzinfo) for interval in self.intervals
            )
        )


def hours_on(schedule: Schedule, day: date) -> DayHours:
    """The intervals that start on this day: an exception wins, then a holiday, then the week."""
    exception = schedule.exceptions.get(day)
    if exception is not None:
        if exception.closed or exception.opens is None or exception.closes is None:
            return DayHours(day, (), exception.reason, deviates=True)
        return DayHours(
            day, ((exception.opens, exception.closes),), exception.reason, deviates=True
        )
    holiday = holiday_name(day)
    if holiday and schedule.closed_on_public_holidays:
        return DayHours(day, (), holiday, deviates=True)
    return DayHours(day, tuple(sorted(schedule.weekly.get(day.weekday(), ()))), "")


def _absolute(day: date, interval: Interval, tz: object) -> tuple[datetime, datetime]:
    opens, closes = interval
    start = datetime.combine(day, opens, tzinfo=tz)  # type: ignore[arg-type]
    end_day = day if closes > opens else day + timedelta(days=1)
    end = datetime.combine(end_day, closes, tzinfo=tz)  # type: ignore[arg-type]
    return start, end


def _spans_around(schedule: Schedule, moment: datetime) -> Iterable[tuple[datetime, datetime]]:
    today = moment.date()
    for offset in (-1, 0):
        day = today + timedelta(days=offset)
        for interval in hours_on(schedule, day).intervals:
            yield _absolute(day, interval, moment.tzinfo)


def is_open_at(schedule: Schedule, moment: datetime) -> bool:
    """Open at this local moment? Looks at yesterday too, for intervals past midnight."""
    return any(start <= moment < end for start, end in _spans_around(schedule, moment))


@dataclass(frozen=True)
class OpenState:
    is_open: bool
    until: datetime | None  # closing time when open
    next_opening: datetime | None  # when closed: the next opening within two weeks


def open_state(schedule: Schedule, moment: datetime) -> OpenState:
    for start, end in _spans_around(schedule, moment):
        if start <= moment < end:
            return OpenState(True, end, None)
    for offset in range(15):
        day = moment.date() + timedelta(days=offset)
        for interval in hours_on(schedule, day).intervals:
            start, _end = _absolute(day, interval, moment.tzinfo)
            if start > moment:
                return OpenState(False, None, start)
    return OpenState(False, None, None)


def week_ahead(schedule: Schedule, start: date, days: int = 7) -> list[DayHours]:
    return [hours_on(schedule, start + timedelta(days=offset)) for offset in range(days)]


def upcoming_deviations(schedule: Schedule, start: date, days: int = 60) -> list[DayHours]:
    """Days in the coming period that differ from the usual week (holidays, exceptions)."""
    result = []
    for offset in range(days):
        day = start + timedelta(days=offset)
        hours = hours_on(schedule, day)
        if hours.deviates:
            result.append(hours)
    return result
