"""The periods the dashboard offers, and the one before each (for the comparison)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

CHOICES = [
    ("vorige-maand", gettext_lazy("Vorige maand")),
    ("deze-maand", gettext_lazy("Deze maand")),
    ("vorig-kwartaal", gettext_lazy("Vorig kwartaal")),
    ("dit-kwartaal", gettext_lazy("Dit kwartaal")),
    ("dit-jaar", gettext_lazy("Dit jaar")),
    ("vorig-jaar", gettext_lazy("Vorig jaar")),
]


@dataclass(frozen=True)
class Period:
    first: date
    last: date
    previous_first: date
    previous_last: date

    @property
    def label(self) -> str:
        return _("%(first)s tot en met %(last)s") % {
            "first": date_format(self.first, "j F Y"),
            "last": date_format(self.last, "j F Y"),
        }

    @property
    def previous_label(self) -> str:
        return _("%(first)s tot en met %(last)s") % {
            "first": date_format(self.previous_first, "j F Y"),
            "last": date_format(self.previous_last, "j F Y"),
        }

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(day: date, months: int) -> date:
    """The first of the month `months` away from `day`'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_end(day: date) -> date:
    return add_months(day, 1) - timedelta(days=1)


def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def period_named(name: str, today: date) -> Period:
    """A named period; the one before it has the same kind (the previous month, quarter or
    year), also when this one is not over yet (then up to the same day)."""
    if name == "deze-maand":
        first = month_start(today)
        return _with_previous(first, today, add_months(first, -1))
    if name == "vorig-kwartaal":
        first = add_months(quarter_start(today), -3)
        return _whole(first, add_months(first, 3), add_months(first, -3))
    if name == "dit-kwartaal":
        first = quarter_start(today)
        return _with_previous(first, today, add_months(first, -3))
    if name == "dit-jaar":
        first = date(today.year, 1, 1)
        return _with_previous(first, today, date(today.year - 1, 1, 1))
    if name == "vorig-jaar":
        first = date(today.year - 1, 1, 1)
        return _whole(first, date(today.year, 1, 1), date(today.year - 2, 1, 1))
    first = add_months(month_start(today), -1)  # vorige-maand, the default
    return _whole(first, add_months(first, 1), add_months(first, -1))


def month_period(month: date) -> Period:
    first = month_start(month)
    return _whole(first, add_months(first, 1), add_months(first, -1))


def _whole(first: date, following: date, previous_first: date) -> Period:
    return Period(first, following - timedelta(days=1), previous_first, first - timedelta(days=1))


def _with_previous(first: date, last: date, previous_first: date) -> Period:
    """Up to today, against the same number of days of the period before (capped at its
    end: 31 March has no 31st in February)."""
    span = last - first
    previous_last = min(previous_first + span, first - timedelta(days=1))
    return Period(first, last, previous_first, previous_last)
