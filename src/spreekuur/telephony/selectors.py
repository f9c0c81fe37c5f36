"""Reads of the phone line, scoped to the practice."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any
from uuid import UUID

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.dates import WEEKDAYS, WEEKDAYS_ABBR

from spreekuur.accounts.models import User
from spreekuur.accounts.selectors import practice_of
from spreekuur.core.exceptions import OutOfReach
from spreekuur.core.local_days import day_span
from spreekuur.core.models import Practice
from spreekuur.patients.models import Patient, phone_tail
from spreekuur.telephony.capabilities import can_work_callbacks
from spreekuur.telephony.models import (
    OPEN_CALLBACK,
    CallbackRequest,
    CallbackStatus,
    CallHour,
    CallReportImport,
    PhoneSettings,
    TelephonyLink,
)
from spreekuur.telephony.webhook import normalised_number


def settings_for(practice: Practice) -> PhoneSettings:
    """The practice's phone settings; the guide's defaults until the manager saves."""
    found = PhoneSettings.objects.filter(practice=practice).first()
    return found or PhoneSettings(practice=practice)


# ---- who is calling -------------------------------------------------------------------


def patients_with_numbers(
    *, practice_id: int, numbers: Sequence[str], limit: int = 5
) -> dict[str, list[Patient]]:
    """The practice's patients for each number (E.164), in one query. Numbers are typed by
    people ("06-1234 5678", "+31 6 ..."), so the database compares the last nine digits
    without separators (an indexed expression, patients.models.phone_tail), and each
    candidate is then compared in full."""
    found: dict[str, list[Patient]] = {number: [] for number in numbers}
    tails = {number.lstrip("+")[-9:] for number in numbers}
    if not tails:
        return found
    candidates = (
        Patient.objects.annotate(phone_last_nine=phone_tail())
        .filter(practice_id=practice_id, phone_last_nine__in=tails)
        .order_by("id")[: 20 * len(tails)]
    )
    for patient in candidates:
        number = normalised_number(patient.phone)
        if number in found and len(found[number]) < limit:
            found[number].append(patient)
    return found


# ---- the callback queue ------------------------------------------------------------------


def open_callbacks(practice: Practice) -> QuerySet[CallbackRequest]:
    """Waiting and picked-up callers, first come first."""
    return (
        CallbackRequest.objects.filter(practice=practice, status__in=OPEN_CALLBACK)
        .select_related("patient", "claimed_by")
        .order_by("requested_at", "id")
    )


def closed_since(practice: Practice, since: date) -> QuerySet[CallbackRequest]:
    start, _end = day_span(since, since)
    return (
        CallbackRequest.objects.filter(practice=practice, closed_at__gte=start)
        .exclude(status__in=OPEN_CALLBACK)
        .select_related("patient", "closed_by")
        .order_by("-closed_at")
    )


def waiting_count(user: Any) -> int:
    practice = practice_of(user)
    if practice is None:
        return 0
    return CallbackRequest.objects.filter(practice=practice, status=CallbackStatus.WAITING).count()


def waiting_badge(request: HttpRequest) -> QuerySet[CallbackRequest] | int:
    practice = practice_of(request.user)  # type: ignore[arg-type]
    if practice is None:
        return 0
    return CallbackRequest.objects.filter(practice=practice, status=CallbackStatus.WAITING)


def get_callback_for(user: User, public_id: UUID | str) -> CallbackRequest:
    practice = practice_of(user)
    if practice is None or not can_work_callbacks(user):
        raise OutOfReach(actor=user, object_kind="callback_request", object_ids=[public_id])
    found = (
        CallbackRequest.objects.filter(practice=practice, public_id=public_id)
        .select_related("practice", "patient")
        .first()
    )
    if found is None:
        raise OutOfReach(actor=user, object_kind="callback_request", object_ids=[public_id])
    return found


# ---- links and imports -------------------------------------------------------------------


def links_of(practice: Practice) -> QuerySet[TelephonyLink]:
    return TelephonyLink.objects.filter(practice=practice).order_by("-active", "name")


def get_link_for(user: User, public_id: UUID | str) -> TelephonyLink:
    practice = practice_of(user)
    found = (
        TelephonyLink.objects.filter(practice=practice, public_id=public_id)
        .select_related("practice")
        .first()
        if practice is not None
        else None
    )
    if found is None:
        raise OutOfReach(actor=user, object_kind="telephony_link", object_ids=[public_id])
    return found


def active_link(public_id: UUID | str) -> TelephonyLink | None:
    """The webhook's link by the id in its address (no user: the signature decides)."""
    return (
        TelephonyLink.objects.filter(public_id=public_id, active=True)
        .select_related("practice")
        .first()
    )


def imports_of(practice: Practice) -> QuerySet[CallReportImport]:
    return CallReportImport.objects.filter(practice=practice).select_related("imported_by")


# ---- the call load (heat map) ------------------------------------------------------------


@dataclass(frozen=True)
class LoadCell:
    weekday: int
    hour: int
    days: int  # how many of these weekdays had calls in the period
    offered: float  # per day, on average
    answered: float
    abandoned: float
    callbacks: float
    average_wait: int | None  # seconds
    busiest: bool = False
    level: int = 0  # 0..4, the shade in the heat map (share of the busiest hour)

    @property
    def weekday_name(self) -> str:
        return str(WEEKDAYS[self.weekday])

    @property
    def abandoned_percent(self) -> float | None:
        return round(100 * self.abandoned / self.offered, 1) if self.offered else None


@dataclass(frozen=True)
class CallLoad:
    since: date
    until: date
    weekdays: list[int]
    hours: list[int]
    cells: dict[tuple[int, int], LoadCell]
    total_offered: int
    total_answered: int
    total_abandoned: int
    total_callbacks: int
    average_wait: int | None
    average_talk: int | None
    days_with_calls: int

    def cell(self, weekday: int, hour: int) -> LoadCell | None:
        return self.cells.get((weekday, hour))

    @property
    def weekday_names(self) -> list[tuple[str, str]]:
        return [(str(WEEKDAYS[day]), str(WEEKDAYS_ABBR[day])) for day in self.weekdays]

    @property
    def grid(self) -> list[tuple[int, list[LoadCell | None]]]:
        """Rows of the heat map: each hour with its cell per weekday."""
        return [(hour, [self.cell(day, hour) for day in self.weekdays]) for hour in self.hours]

    @property
    def in_order(self) -> list[LoadCell]:
        return [self.cells[key] for key in sorted(self.cells)]

    @property
    def busiest(self) -> list[LoadCell]:
        return sorted((c for c in self.cells.values() if c.busiest), key=lambda c: -c.offered)


BUSIEST_SHARE = 0.1  # the top tenth of the hours is marked


def call_load(practice: Practice, *, since: date, until: date) -> CallLoad:
    """Calls per weekday and hour over a period, averaged per day of that weekday, from
    the hourly summaries."""
    rows = list(
        CallHour.objects.filter(practice=practice, day__gte=since, day__lte=until).values_list(
            "day",
            "hour",
            "offered",
            "answered",
            "abandoned",
            "callbacks",
            "wait_seconds_total",
            "waits_counted",
            "talk_seconds_total",
            "talks_counted",
        )
    )
    days_per_weekday: dict[int, set[date]] = defaultdict(set)
    sums: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0] * 6)
    totals = [0] * 8
    for day, hour, offered, answered, abandoned, callbacks, wait, waits, talk, talks in rows:
        weekday = day.weekday()
        days_per_weekday[weekday].add(day)
        cell = sums[(weekday, hour)]
        for index, value in enumerate((offered, answered, abandoned, callbacks, wait, waits)):
            cell[index] += value
        for index, value in enumerate(
            (offered, answered, abandoned, callbacks, wait, waits, talk, talks)
        ):
            totals[index] += value
    cells: dict[tuple[int, int], LoadCell] = {}
    for (weekday, hour), summed in sums.items():
        offered, answered, abandoned, callbacks, wait, waits = summed
        n = len(days_per_weekday[weekday])
        cells[(weekday, hour)] = LoadCell(
            weekday=weekday,
            hour=hour,
            days=n,
            offered=round(offered / n, 1),
            answered=round(answered / n, 1),
            abandoned=round(abandoned / n, 1),
            callbacks=round(callbacks / n, 1),
            average_wait=round(wait / waits) if waits else None,
        )
    ranked = sorted((c for c in cells.values() if c.offered > 0), key=lambda c: -c.offered)
    marked = max(1, math.ceil(BUSIEST_SHARE * len(ranked))) if ranked else 0
    threshold = ranked[marked - 1].offered if ranked else 0
    peak = ranked[0].offered if ranked else 0
    for key, found in cells.items():
        cells[key] = replace(
            found,
            busiest=bool(ranked) and found.offered >= threshold,
            level=math.ceil(4 * found.offered / peak) if peak else 0,
        )
    hours = sorted({hour for _weekday, hour in cells})
    weekdays = sorted(set(range(5)) | {weekday for weekday, _hour in cells})
    return CallLoad(
        since=since,
        until=until,
        weekdays=weekdays,
        hours=list(range(hours[0], hours[-1] + 1)) if hours else [],
        cells=cells,
        total_offered=totals[0],
        total_answered=totals[1],
        total_abandoned=totals[2],
        total_callbacks=totals[3],
        average_wait=round(totals[4] / totals[5]) if totals[5] else None,
        average_talk=round(totals[6] / totals[7]) if totals[7] else None,
        days_with_calls=len({d for days in days_per_weekday.values() for d in days}),
    )
