"""FHIR search parameters as this server reads them: dates with their prefixes, tokens
(`system|code`), strings, references, and the paging and include parameters. A value
that cannot be read is a 400 with the parameter named; an unknown parameter is ignored
(and left out of the self link), or refused when the client asks `Prefer: handling=strict`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from uuid import UUID

from django.utils import timezone

from spreekuur.fhir.api.errors import bad_parameter

DEFAULT_COUNT = 50
MAX_COUNT = 100
MAX_OFFSET = 10_000
MAX_VALUE_LENGTH = 200
DATE_PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap")
_DATE = re.compile(
    r"^(?P<year>\d{4})(-(?P<month>\d{2})(-(?P<day>\d{2})"
    r"(T(?P<time>\d{2}:\d{2}(:\d{2}(\.\d+)?)?)(?P<tz>Z|[+-]\d{2}:\d{2})?)?)?)?$"
)


@dataclass(frozen=True)
class DateRange:
    """A search date as the half-open interval [start, end) it stands for, with its
    prefix: `2026` is the whole year, `2026-03-01` the whole day (Dutch time)."""

    prefix: str
    start: datetime
    end: datetime


def parse_date(name: str, raw: str) -> DateRange:
    prefix = raw[:2] if raw[:2] in DATE_PREFIXES else "eq"
    value = raw[2:] if raw[:2] in DATE_PREFIXES else raw
    if prefix not in ("eq", "gt", "lt", "ge", "le"):
        raise bad_parameter(
            name,
            f"het voorvoegsel {prefix} wordt niet ondersteund (wel eq, gt, lt, ge, le)",
            f"prefix {prefix} is not supported (use eq, gt, lt, ge or le)",
        )
    match = _DATE.match(value)
    if match is None:
        raise bad_parameter(
            name,
            "is geen datum (JJJJ, JJJJ-MM, JJJJ-MM-DD of met tijd)",
            "is not a FHIR date or dateTime",
        )
    try:
        year = int(match["year"])
        month = int(match["month"] or 1)
        day_ = int(match["day"] or 1)
        first = date(year, month, day_)
        if match["time"]:
            moment = datetime.fromisoformat(f"{value}".replace("Z", "+00:00"))
            if timezone.is_naive(moment):
                moment = timezone.make_aware(moment)
            return DateRange(prefix, moment, moment + timedelta(seconds=1))
    except ValueError:
        raise bad_parameter(name, "is geen bestaande datum", "is not a valid date") from None
    if match["day"]:
        last = first + timedelta(days=1)
    elif match["month"]:
        last = date(year + (month == 12), month % 12 + 1, 1)
    else:
        last = date(year + 1, 1, 1)
    start = timezone.make_aware(datetime.combine(first, time.min))
    end = timezone.make_aware(datetime.combine(last, time.min))
    return DateRange(prefix, start, end)


def date_bounds(ranges: list[DateRange]) -> tuple[datetime | None, datetime | None]:
    """All date conditions together as one interval [low, high) (FHIR ANDs repeated
    parameters)."""
    low: datetime | None = None
    high: datetime | None = None
    for r in ranges:
        start: datetime | None = {"eq": r.start, "gt": r.end, "ge": r.start}.get(r.prefix)
        end: datetime | None = {"eq": r.end, "lt": r.start, "le": r.end}.get(r.prefix)
        if start is not None:
            low = start if low is None else max(low, start)
        if end is not None:
            high = end if high is None else min(high, end)
    return low, high


@dataclass(frozen=True)
class Token:
    system: str | None  # None: any system; "": no system
    code: str


def parse_token(name: str, raw: str) -> Token:
    if "|" in raw:
        system, _sep, code = raw.partition("|")
        if not code:
            raise bad_parameter(name, "mist de code na |", "lacks a code after |")
        return Token(system, code)
    if not raw:
        raise bad_parameter(name, "is leeg", "is empty")
    return Token(None, raw)


def parse_id(name: str, raw: str, resource_type: str | None = None) -> UUID | None:
    """A logical id (or a `Type/id` reference); None when it cannot be one of ours, which
    simply finds nothing."""
    value = raw
    if "/" in value:
        kind, _sep, value = value.rpartition("/")
        kind = kind.rsplit("/", 1)[-1]
        if resource_type is not None and kind != resource_type:
            raise bad_parameter(
                name,
                f"verwijst niet naar een {resource_type}",
                f"is not a reference to a {resource_type}",
            )
    try:
        return UUID(value)
    except ValueError:
        return None


def parse_count(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_COUNT
    if not raw.isdigit():
        raise bad_parameter("_count", "moet een geheel getal zijn", "must be an integer")
    return min(int(raw), MAX_COUNT)


def parse_offset(raw: str | None) -> int:
    if raw is None:
        return 0
    if not raw.isdigit() or int(raw) > MAX_OFFSET:
        raise bad_parameter(
            "_offset",
            f"moet een geheel getal tot {MAX_OFFSET} zijn",
            f"must be an integer up to {MAX_OFFSET}",
        )
    return int(raw)
