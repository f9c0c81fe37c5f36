from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from spreekuur.core.opening_hours import (
    DayException,
    Schedule,
    holiday_name,
    hours_on,
    is_open_at,
    open_state,
    upcoming_deviations,
)

AMS = ZoneInfo("Europe/Amsterdam")
WEEKDAYS_8_TO_17 = {d: [(time(8), time(12, 30)), (time(13, 30), time(17))] for d in range(5)}
PRACTICE = Schedule(weekly=WEEKDAYS_8_TO_17)
# An out-of-hours service: every evening 17:00 until 08:00 the next morning.
OVERNIGHT = Schedule(
    weekly={d: [(time(17), time(8))] for d in range(7)}, closed_on_public_holidays=False
)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=AMS)


def test_open_during_hours_closed_at_lunch_and_evening() -> None:
    monday = date(2026, 11, 23)
    assert is_open_at(PRACTICE, at(monday, 8))
    assert is_open_at(PRACTICE, at(monday, 12, 29))
    assert not is_open_at(PRACTICE, at(monday, 12, 30))
    assert not is_open_at(PRACTICE, at(monday, 13))
    assert not is_open_at(PRACTICE, at(monday, 17))
    assert not is_open_at(PRACTICE, at(date(2026, 11, 28), 10))  # Saturday


def test_dutch_public_holidays_close_the_practice() -> None:
    kingsday = date(2026, 4, 27)  # Koningsdag, a Monday
    easter_monday = date(2026, 4, 6)
    christmas = date(2026, 12, 25)
    for day in (kingsday, easter_monday, christmas):
        assert holiday_name(day)
        assert hours_on(PRACTICE, day).closed
        assert not is_open_at(PRACTICE, at(day, 10))
    assert hours_on(PRACTICE, kingsday).reason == holiday_name(kingsday)


def test_exception_wins_over_holiday_and_week() -> None:
    kingsday = date(2026, 4, 27)
    training = date(2026, 11, 25)
    schedule = Schedule(
        weekly=WEEKDAYS_8_TO_17,
        exceptions={
            kingsday: DayException(
                closed=False, opens=time(9), closes=time(11), reason="spoedspreekuur"
            ),
            training: DayException(closed=True, reason="scholing"),
        },
    )
    assert is_open_at(schedule, at(kingsday, 10))
    assert not is_open_at(schedule, at(kingsday, 12))
    assert not is_open_at(schedule, at(training, 10))
    assert [d.day for d in upcoming_deviations(schedule, date(2026, 11, 24), days=3)] == [training]


def test_interval_past_midnight_counts_on_the_next_day() -> None:
    sunday = date(2026, 11, 29)
    assert is_open_at(OVERNIGHT, at(sunday, 23, 59))
    assert is_open_at(OVERNIGHT, at(sunday + timedelta(days=1), 0, 0))
    assert is_open_at(OVERNIGHT, at(sunday + timedelta(days=1), 7, 59))
    assert not is_open_at(OVERNIGHT, at(sunday + timedelta(days=1), 8, 0))
    state = open_state(OVERNIGHT, at(sunday, 23))
    assert state.is_open and state.until == at(sunday + timedelta(days=1), 8)


def test_new_year_overnight_crosses_the_year_end() -> None:
    old_year = date(2026, 12, 31)
    assert is_open_at(OVERNIGHT, at(date(2027, 1, 1), 3))
    assert open_state(OVERNIGHT, at(old_year, 22)).until == at(date(2027, 1, 1), 8)


def test_next_opening_skips_weekend_and_holidays() -> None:
    christmas_eve_evening = at(date(2026, 12, 24), 18)  # Thursday; 25 and 26 are holidays
    state = open_state(PRACTICE, christmas_eve_evening)
    assert not state.is_open
    assert state.next_opening == at(date(2026, 12, 28), 8)  # Monday


@given(
    # hypothesis wants naive bounds; the test attaches Amsterdam time itself
    st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31)),  # noqa: DTZ001
    st.sampled_from([PRACTICE, OVERNIGHT]),
)
def test_open_state_agrees_with_is_open(naive: datetime, schedule: Schedule) -> None:
    moment = naive.replace(tzinfo=AMS, second=0, microsecond=0)
    state = open_state(schedule, moment)
    assert state.is_open == is_open_at(schedule, moment)
    if state.is_open:
        assert state.until is not None and state.until > moment
        assert is_open_at(schedule, state.until - timedelta(minutes=1))
    elif state.next_opening is not None:
        assert state.next_opening > moment
        assert is_open_at(schedule, state.next_opening)
        assert not is_open_at(schedule, state.next_opening - timedelta(minutes=1)) or (
            state.next_opening - moment <= timedelta(minutes=1)
        )


def test_holiday_names_follow_the_interface_language() -> None:
    from django.utils import translation

    christmas = date(2026, 12, 25)
    with translation.override("nl"):
        assert holiday_name(christmas) == "Eerste kerstdag"
    with translation.override("en"):
        assert holiday_name(christmas) == "Christmas Day"
