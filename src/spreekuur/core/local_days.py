"""Whole local days as moments: what a figure "from 1 to 30 November" counts is every
moment from midnight on the 1st up to (not including) midnight after the 30th, in the
practice's time zone (Europe/Amsterdam), whatever the summer time does in between."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.utils import timezone


def day_span(first: date, last: date) -> tuple[datetime, datetime]:
    """[midnight starting `first`, midnight after `last`), aware, local time."""
    return (
        timezone.make_aware(datetime.combine(first, time.min)),
        timezone.make_aware(datetime.combine(last + timedelta(days=1), time.min)),
    )
