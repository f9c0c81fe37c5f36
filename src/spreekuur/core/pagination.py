"""Paging without a total: a practice's audit log grows by thousands of rows a day, and
COUNT(*) over five years of it would cost more than the page itself."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db.models import QuerySet

Row = TypeVar("Row")
MAX_PAGE = 10_000


@dataclass(frozen=True)
class LightPage(Generic[Row]):
    object_list: list[Row]
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1


def light_page(queryset: QuerySet[Any], page: str | None, per_page: int) -> LightPage[Any]:
    """One page of `per_page` rows, and whether another follows (one row more is read)."""
    try:
        number = min(max(1, int(page or 1)), MAX_PAGE)
    except ValueError:
        number = 1
    offset = (number - 1) * per_page
    rows = list(queryset[offset : offset + per_page + 1])
    return LightPage(rows[:per_page], number, len(rows) > per_page)
