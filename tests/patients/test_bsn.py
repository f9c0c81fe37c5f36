from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from spreekuur.patients.bsn import WEIGHTS, complete_bsn, is_valid_bsn, normalise_bsn

eight_digits = st.text(alphabet="0123456789", min_size=8, max_size=8)


def _reference_elfproef(number: str) -> bool:
    """Written independently from the module: the rule as the government states it."""
    if len(number) != 9 or not number.isdigit() or number == "000000000":
        return False
    total = 0
    for position, digit in enumerate(number):
        weight = 9 - position if position < 8 else -1
        total += weight * int(digit)
    return total % 11 == 0


def test_known_numbers() -> None:
    assert is_valid_bsn("111222333")
    assert is_valid_bsn("123456782")
    assert not is_valid_bsn("123456789")
    assert not is_valid_bsn("12345678")
    assert not is_valid_bsn("1234567820")
    assert not is_valid_bsn("12345678a")
    assert not is_valid_bsn("000000000")
    assert not is_valid_bsn("\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18\uff12")  # full-width


def test_weights_are_the_official_ones() -> None:
    assert WEIGHTS == (9, 8, 7, 6, 5, 4, 3, 2, -1)


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_matches_independent_reference(number: str) -> None:
    assert is_valid_bsn(number) == _reference_elfproef(number)


@given(eight_digits)
def test_completed_numbers_are_valid(prefix: str) -> None:
    bsn = complete_bsn(prefix)
    if bsn is not None:
        assert is_valid_bsn(bsn)
        assert bsn.startswith(prefix)


@given(eight_digits, st.integers(min_value=0, max_value=8), st.integers(min_value=1, max_value=9))
def test_any_single_digit_error_is_caught(prefix: str, position: int, shift: int) -> None:
    bsn = complete_bsn(prefix)
    if bsn is None:
        return
    wrong_digit = (int(bsn[position]) + shift) % 10
    mutated = bsn[:position] + str(wrong_digit) + bsn[position + 1 :]
    assert not is_valid_bsn(mutated)


@given(eight_digits, st.integers(min_value=0, max_value=7))
def test_swapping_two_neighbouring_digits_is_caught(prefix: str, position: int) -> None:
    bsn = complete_bsn(prefix)
    if bsn is None or bsn[position] == bsn[position + 1]:
        return
    swapped = bsn[:position] + bsn[position + 1] + bsn[position] + bsn[position + 2 :]
    assert not is_valid_bsn(swapped)


def test_normalise_strips_separators_and_restores_leading_zero() -> None:
    assert normalise_bsn("1234.56.782") == "123456782"
    assert normalise_bsn(" 12345678 ") == "012345678"
