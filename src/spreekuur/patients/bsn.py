"""Burgerservicenummer: nine digits passing the elfproef (weights 9..2 and -1)."""

from __future__ import annotations

WEIGHTS = (9, 8, 7, 6, 5, 4, 3, 2, -1)


def elfproef_sum(digits: str) -> int:
    return sum(int(digit) * weight for digit, weight in zip(digits, WEIGHTS, strict=True))


def is_valid_bsn(value: str) -> bool:
    if len(value) != 9 or not value.isascii() or not value.isdigit():
        return False
    if value == "000000000":
        return False
    return elfproef_sum(value) % 11 == 0


def normalise_bsn(value: str) -> str:
    """Strip the spaces and dots people type; pad an 8-digit number (a leading 0 lost)."""
    cleaned = "".join(ch for ch in value if ch not in " .-")
    if len(cleaned) == 8 and cleaned.isdigit():
        cleaned = "0" + cleaned
    return cleaned


def complete_bsn(first_eight: str) -> str | None:
    """The valid BSN starting with these eight digits, if one exists (used for demo data)."""
    partial = sum(int(d) * w for d, w in zip(first_eight, WEIGHTS[:8], strict=True))
    last = partial % 11  # partial - last must be divisible by 11
    if last > 9:
        return None
    candidate = f"{first_eight}{last}"
    return candidate if is_valid_bsn(candidate) else None
