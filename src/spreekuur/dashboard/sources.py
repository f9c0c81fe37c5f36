"""Where each dashboard figure comes from: one grouped query per figure over the care
tables, per practice and day (local time), written straight into `DailyFigure` by the
database (INSERT … SELECT), so a refresh of a whole region is the aggregate itself and
nothing travels through Python but the snapshots.

A figure appears once its source exists (the issue's rule): each app's table is asked
here by name; the dashboard is the one app allowed to read across them (it imports their
models, they never import it).

Counts per day (summed over any period):
    consults (type name)          held appointments: arrived or completed, by start
    declared (performance code)   held appointments whose type has a code
    no_shows                      appointments marked "niet verschenen", by start
    bookings (channel)            appointments booked, by booking day (moves not counted)
    econsults_received            questions asked, by day asked
    econsults_answered            first answers, by day answered
    econsults_in_time             of those, answered before their deadline
    econsult_revenue_cents (code) declared e-consults at their frozen tariff
    repeat_requests (channel)     repeat prescription requests, by day asked
    calls_offered, calls_answered, calls_abandoned, callbacks, call_wait_seconds,
    call_waits                    the phone line, from its hourly summaries
    self_triages (urgency)        finished self-triages
Snapshots (the value on that day; read at a period's end):
    enrolled                      patients enrolled on or before the day
    portal_accounts               of them, with a portal account opened by then
    portal_active_90d             of them, logged in within the 90 days before (today only)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import BigIntegerField, CharField, Count, F, QuerySet, Sum, Value
from django.db.models.functions import Cast, Coalesce, Substr, TruncDate
from django.utils import timezone

from spreekuur.agenda.models import Appointment, AppointmentStatus
from spreekuur.core.local_days import day_span
from spreekuur.dashboard.models import DailyFigure
from spreekuur.econsult.models import Declaration, Thread
from spreekuur.patients.models import Patient
from spreekuur.prescriptions.models import RepeatRequest
from spreekuur.telephony.models import CallHour
from spreekuur.triage.models import TriageSession

HELD = (AppointmentStatus.ARRIVED, AppointmentStatus.COMPLETED)
SNAPSHOTS = ("enrolled", "portal_accounts", "portal_active_90d")
COLUMNS = ("practice_id", "day", "metric", "dimension", "value")


@dataclass(frozen=True)
class Span:
    """Local days first..last and the moments they cover."""

    first: date
    last: date

    @property
    def start(self) -> datetime:
        return day_span(self.first, self.last)[0]

    @property
    def end(self) -> datetime:
        return day_span(self.first, self.last)[1]


def _scoped(queryset: QuerySet[Any], practice_ids: Sequence[int] | None) -> QuerySet[Any]:
    return queryset if practice_ids is None else queryset.filter(practice_id__in=practice_ids)


def _day(field: str) -> TruncDate:
    return TruncDate(field, tzinfo=timezone.get_current_timezone())


def _dimension(field: str | None) -> Any:
    if field is None:
        return Value("", output_field=CharField())
    return Substr(Cast(F(field), CharField()), 1, 80)


def _grouped(
    queryset: QuerySet[Any], *, metric: str, day: Any, dimension: str | None, value: Any
) -> QuerySet[Any]:
    """practice_id, day, metric, dimension, value: one row per group."""
    grouped: QuerySet[Any] = (
        queryset.annotate(
            f_day=day,
            f_metric=Value(metric, output_field=CharField()),
            f_dimension=_dimension(dimension),
        )
        .values("practice_id", "f_day", "f_metric", "f_dimension")
        .annotate(f_value=value)
        .order_by()
    )
    return grouped


def counted_sources(practice_ids: Sequence[int] | None, span: Span) -> list[QuerySet[Any]]:
    """The grouped queries of every per-day count (see the module's docstring)."""
    moments = {"starts_at__gte": span.start, "starts_at__lt": span.end}
    appointments = _scoped(Appointment.objects.filter(**moments), practice_ids)
    held = appointments.filter(status__in=HELD)
    threads = _scoped(Thread.objects.all(), practice_ids)
    answered = threads.filter(answered_at__gte=span.start, answered_at__lt=span.end)
    calls = _scoped(CallHour.objects.filter(day__gte=span.first, day__lte=span.last), practice_ids)
    return [
        _grouped(
            held,
            metric="consults",
            day=_day("starts_at"),
            dimension="appointment_type__name",
            value=Count("id"),
        ),
        _grouped(
            held.exclude(appointment_type__performance_code=""),
            metric="declared",
            day=_day("starts_at"),
            dimension="appointment_type__performance_code",
            value=Count("id"),
        ),
        _grouped(
            appointments.filter(status=AppointmentStatus.NO_SHOW),
            metric="no_shows",
            day=_day("starts_at"),
            dimension=None,
            value=Count("id"),
        ),
        _grouped(
            _scoped(
                Appointment.objects.filter(
                    booked_at__gte=span.start, booked_at__lt=span.end, rescheduled_from__isnull=True
                ),
                practice_ids,
            ),
            metric="bookings",
            day=_day("booked_at"),
            dimension="channel",
            value=Count("id"),
        ),
        _grouped(
            threads.filter(created_at__gte=span.start, created_at__lt=span.end),
            metric="econsults_received",
            day=_day("created_at"),
            dimension=None,
            value=Count("id"),
        ),
        _grouped(
            answered,
            metric="econsults_answered",
            day=_day("answered_at"),
            dimension=None,
            value=Count("id"),
        ),
        _grouped(
            answered.filter(answered_at__lte=F("due_at")),
            metric="econsults_in_time",
            day=_day("answered_at"),
            dimension=None,
            value=Count("id"),
        ),
        _grouped(
            _scoped(
                Declaration.objects.filter(
                    declared_on__gte=span.first, declared_on__lte=span.last, tariff__isnull=False
                ),
                practice_ids,
            ),
            metric="econsult_revenue_cents",
            day=F("declared_on"),
            dimension="code",
            value=Cast(Sum(F("tariff") * 100), output_field=BigIntegerField()),
        ),
        _grouped(
            _scoped(
                RepeatRequest.objects.filter(created_at__gte=span.start, created_at__lt=span.end),
                practice_ids,
            ),
            metric="repeat_requests",
            day=_day("created_at"),
            dimension="channel",
            value=Count("id"),
        ),
        *(
            _grouped(
                calls, metric=metric, day=F("day"), dimension=None, value=Coalesce(Sum(field), 0)
            )
            for metric, field in (
                ("calls_offered", "offered"),
                ("calls_answered", "answered"),
                ("calls_abandoned", "abandoned"),
                ("callbacks", "callbacks"),
                ("call_wait_seconds", "wait_seconds_total"),
                ("call_waits", "waits_counted"),
            )
        ),
        _grouped(
            _scoped(
                TriageSession.objects.filter(created_at__gte=span.start, created_at__lt=span.end),
                practice_ids,
            ),
            metric="self_triages",
            day=_day("created_at"),
            dimension="urgency",
            value=Count("id"),
        ),
    ]


def insert_counted(practice_ids: Sequence[int] | None, span: Span) -> int:
    """Every count of the span, written by the database itself (INSERT … SELECT); returns
    the rows written."""
    table = DailyFigure._meta.db_table
    quote = connection.ops.quote_name
    written = 0
    with connection.cursor() as cursor:
        for queryset in counted_sources(practice_ids, span):
            sql, params = queryset.query.sql_with_params()
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(quote(c) for c in COLUMNS)}) "  # noqa: S608 - names are ours
                f"SELECT practice_id, f_day, f_metric, f_dimension, f_value FROM ({sql}) grouped "
                "WHERE f_value <> 0",
                params,
            )
            written += max(cursor.rowcount, 0)
    return written


# ---- snapshots -------------------------------------------------------------------------------


def snapshot_days(span: Span, today: date) -> list[date]:
    """The month ends in the span, and its last day: enough for "over time" and for the end
    of any period (a period's end reads the latest snapshot on or before it)."""
    days = []
    day = span.first
    while day <= span.last:
        following = day + timedelta(days=1)
        if following.day == 1 or day == span.last:
            days.append(day)
        day = following
    return days


def snapshot_rows(
    practice_ids: Sequence[int] | None, span: Span, *, today: date
) -> list[DailyFigure]:
    days = snapshot_days(span, today)
    if not days:
        return []
    patients = _scoped(Patient.objects.all(), practice_ids)
    enrolled_per_day: dict[int, list[tuple[date, int]]] = {}
    for practice_id, enrolled_on, n in (
        patients.filter(enrolled_on__lte=span.last)
        .values_list("practice_id", "enrolled_on")
        .annotate(n=Count("id"))
        .order_by("practice_id", "enrolled_on")
    ):
        enrolled_per_day.setdefault(practice_id, []).append((enrolled_on, n))
    opened_per_day: dict[int, list[tuple[date, int]]] = {}
    for practice_id, opened_on, n in (
        patients.filter(user__isnull=False)
        .annotate(opened=_day("user__date_joined"))
        .values_list("practice_id", "opened")
        .annotate(n=Count("id"))
        .order_by("practice_id", "opened")
    ):
        opened_per_day.setdefault(practice_id, []).append((opened_on, n))
    rows: list[DailyFigure] = []
    for metric, per_practice in (
        ("enrolled", enrolled_per_day),
        ("portal_accounts", opened_per_day),
    ):
        for practice_id, dated in per_practice.items():
            rows.extend(
                DailyFigure(
                    practice_id=practice_id,
                    day=day,
                    metric=metric,
                    dimension="",
                    value=sum(n for on, n in dated if on <= day),
                )
                for day in days
            )
    if span.first <= today <= span.last:
        since = timezone.now() - timedelta(days=90)
        for practice_id, n in (
            patients.filter(user__last_login__gte=since)
            .values_list("practice_id")
            .annotate(n=Count("id"))
            .order_by()
        ):
            rows.append(
                DailyFigure(
                    practice_id=practice_id,
                    day=today,
                    metric="portal_active_90d",
                    dimension="",
                    value=n,
                )
            )
    return rows
