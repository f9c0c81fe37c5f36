from __future__ import annotations

from datetime import time

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from spreekuur.core.weekly_hours import format_day, parse_day


def test_parse_common_forms() -> None:
    assert parse_day("") == []
    assert parse_day("Gesloten") == []
    assert parse_day("8.00-12.30,13:30 \u2013 17:00") == [
        (time(8), time(12, 30)),
        (time(13, 30), time(17)),
    ]
    assert parse_day("13:30-17:00, 08:00-12:30")[0] == (time(8), time(12, 30))


@pytest.mark.parametrize(
    "text", ["8-17", "08:00", "08:00-08:00", "12:00-13:00, 12:30-14:00", "10:70-11:00"]
)
def test_bad_input_is_refused(text: str) -> None:
    with pytest.raises(ValidationError):
        parse_day(text)


minutes = st.integers(min_value=0, max_value=23 * 60 + 59)


@given(st.lists(st.tuples(minutes, minutes), min_size=1, max_size=3))
def test_format_then_parse_round_trips(pairs: list[tuple[int, int]]) -> None:
    intervals = sorted((time(a // 60, a % 60), time(b // 60, b % 60)) for a, b in pairs)
    text = format_day(intervals)
    try:
        parsed = parse_day(text)
    except ValidationError:
        return  # overlapping or empty intervals are refused, which is right
    assert parsed == intervals
