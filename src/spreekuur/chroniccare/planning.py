"""When a participant's next control and annual check-up fall: plain date arithmetic on
what the last ones were, kept on the enrolment by the services (so the due list is an
indexed read, not a calculation over every participant on each request)."""

from __future__ import annotations

import calendar
from datetime import date

from spreekuur.chroniccare.programmes import programme

# The enrolment's columns this module's dates are kept in (services.replan).
PLANNED_FIELDS = ("last_control_on", "last_checkup_on", "next_control_on", "next_checkup_on")


def months_after(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day (31 January + 1: 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def next_dates(
    programme_code: str,
    started_on: date,
    last_control_on: date | None,
    next_set_on: date | None,
    last_checkup_on: date | None,
) -> tuple[date, date]:
    """(next control, next check-up). A control is due at the date the last one set, or
    the programme's interval after it; the check-up the programme's year after the last
    one; a new participant is due for both at once (their first control is a check-up)."""
    scheme = programme(programme_code)
    if last_control_on is None:
        control_due = started_on
    else:
        control_due = next_set_on or months_after(last_control_on, scheme.control_every_months)
    checkup_due = (
        started_on
        if last_checkup_on is None
        else months_after(last_checkup_on, scheme.checkup_every_months)
    )
    return control_due, checkup_due
