"""Reading and writing a weekday's opening hours as people type them: "08:00-12:30, 13:30-17:00"."""

from __future__ import annotations

import re
from datetime import time
from itertools import pairwise

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

_INTERVAL = re.compile(r"^\s*(\d{1,2})[:.](\d{2})\s*[-\u2013]\s*(\d{1,2})[:.](\d{2})\s*$")


def parse_day(text: str) -> list[tuple[time, time]]:
    """Intervals of one day, sorted; empty text or "gesloten" means closed."""
    cleaned = text.strip().lower()
    if cleaned in {"", "gesloten", "dicht", "closed"}:
        return []
    intervals = []
    for part in cleaned.split(","):
        match = _INTERVAL.match(part)
        if not match:
            raise ValidationError(
                _("Schrijf tijden als 08:00-12:30, gescheiden door komma's, of laat leeg.")
            )
        h1, m1, h2, m2 = (int(group) for group in match.groups())
        if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2 != 0):
            raise ValidationError(_("%(tijd)s is geen geldige tijd.") % {"tijd": part.strip()})
        opens = time(h1, m1)
        closes = time(h2, m2) if h2 < 24 else time(23, 59)
        if closes <= opens:
            # A practice does not open through the night; 17:00-08:00 is a typing mistake.
            raise ValidationError(
                _("%(tijd)s: de sluitingstijd moet na de openingstijd liggen.")
                % {"tijd": part.strip()}
            )
        intervals.append((opens, closes))
    intervals.sort()
    for (_first_opens, first_closes), (next_opens, _next_closes) in pairwise(intervals):
        if first_closes > next_opens:
            raise ValidationError(_("De tijden van één dag mogen elkaar niet overlappen."))
    return intervals


def format_day(intervals: list[tuple[time, time]]) -> str:
    return ", ".join(f"{opens:%H:%M}-{closes:%H:%M}" for opens, closes in intervals)
