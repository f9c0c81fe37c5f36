"""Working-day deadlines against an independent reference (domain rule 7)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from spreekuur.core.working_days import is_working_day, nth_working_day_after, working_day_deadline

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def _easter(year: int) -> date:
    """Anonymous Gregorian algorithm (Meeus/Jones/Butcher), independent of `holidays`."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    m = (32 + 2 * e + 2 * i - h - k) % 7
    n = (a + 11 * h + 22 * m) // 451
    month = (h + m - 7 * n + 114) // 31
    day = (h + m - 7 * n + 114) % 31 + 1
    return date(year, month, day)


def _reference_holidays(year: int) -> set[date]:
    """The Dutch public holidays, written out by hand: New Year, Good Friday (which the
    `holidays` package counts, so a deadline never ends on it), Easter Monday, King's Day
    (the 26th when the 27th is a Sunday), Liberation Day in lustrum years, Ascension, Whit
    Monday, Christmas and Boxing Day. The Easter and Whit Sundays are weekend anyway."""
    easter = _easter(year)
    kings = date(year, 4, 27)
    if kings.weekday() == 6:
        kings = date(year, 4, 26)
    days = {
        date(year, 1, 1),
        easter - timedelta(days=2),
        easter + timedelta(days=1),
        kings,
        easter + timedelta(days=39),
        easter + timedelta(days=50),
        date(year, 12, 25),
        date(year, 12, 26),
    }
    if year % 5 == 0:
        days.add(date(year, 5, 5))
    return days


def _reference_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _reference_holidays(day.year)


def test_working_days_match_the_reference_on_every_day_of_twelve_years() -> None:
    """Every day of 2024-2035 (not a sample: a sample once missed Good Friday)."""
    day, wrong = date(2024, 1, 1), []
    while day <= date(2035, 12, 31):
        # King's Day and Liberation Day: library conventions vary by year (see below).
        special = (day.month, day.day) in ((4, 26), (4, 27), (5, 5))
        if not special and is_working_day(day) is not _reference_working_day(day):
            wrong.append(day)
        day += timedelta(days=1)
    assert wrong == []


@given(
    st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2035, 12, 1)),  # noqa: DTZ001
    st.integers(min_value=1, max_value=10),
)
def test_a_deadline_is_the_end_of_the_nth_working_day_after(moment: datetime, n: int) -> None:
    aware = moment.replace(tzinfo=AMSTERDAM)
    deadline = working_day_deadline(aware, n)
    day = nth_working_day_after(aware.date(), n)
    assert deadline.astimezone(AMSTERDAM).date() == day and deadline.astimezone(
        AMSTERDAM
    ).time() == time(23, 59, 59)
    between = [aware.date() + timedelta(days=k) for k in range(1, (day - aware.date()).days + 1)]
    assert sum(is_working_day(d) for d in between) == n and is_working_day(day)


def test_known_dates() -> None:
    assert not is_working_day(date(2026, 12, 25))  # Christmas
    assert not is_working_day(date(2026, 4, 27))  # King's Day
    assert not is_working_day(date(2025, 5, 5))  # Liberation Day, lustrum year
    assert not is_working_day(date(2026, 5, 14))  # Ascension 2026
    assert not is_working_day(date(2027, 3, 26))  # Good Friday, as the holidays package has it
    # Friday 24 December 2027 + 2 working days: past Christmas (Sat/Sun) to Tuesday 28th.
    friday = datetime(2027, 12, 24, 16, 0, tzinfo=AMSTERDAM)
    assert working_day_deadline(friday, 2).date() == date(2027, 12, 28)
    # New Year's Eve 2026 (Thursday) + 1: Friday 1 January is a holiday, so Monday 4th.
    assert nth_working_day_after(date(2026, 12, 31), 1) == date(2027, 1, 4)
