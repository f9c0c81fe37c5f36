"""Cells of a CSV file that people open in a spreadsheet."""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: str) -> str:
    """A text a spreadsheet would read as a formula (CSV injection) starts with a quote
    instead: a patient's answer, a practice's name."""
    return "'" + value if value[:1] in FORMULA_STARTS else value
