"""Working-day deadlines (domain rule 7): weekends and Dutch public holidays do not count
(the `holidays` package's list, which includes Good Friday: a deadline never ends on it).

A deadline of n working days is the end of the n-th working day after the day something
arrived, so a question on Friday afternoon and one on Saturday both have until the end of
Tuesday with two working days."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache

import holidays
from django.utils import timezone


@lru_cache(maxsize=64)
def _holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("NL", years=year))


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _holidays(day.year)


def nth_working_day_after(day: date, n: int) -> date:
    current = day
    counted = 0
    while counted < n:
        current += timedelta(days=1)
        if is_working_day(current):
            counted += 1
    return current


def working_day_deadline(moment: datetime, n: int) -> datetime:
    """The end (23:59:59 local time) of the n-th working day after `moment`'s day."""
    local = timezone.localtime(moment)
    day = nth_working_day_after(local.date(), n)
    return timezone.make_aware(datetime.combine(day, time(23, 59, 59)))
