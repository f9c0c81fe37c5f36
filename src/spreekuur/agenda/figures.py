"""Agenda figures for the practice (and the later management dashboard): bookings per
channel, no-show rate, lead time to the first free slot. No patient data in any of them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from statistics import median

from django.db.models import Count
from django.utils import timezone

from spreekuur.agenda import selectors
from spreekuur.agenda.models import (
    Appointment,
    AppointmentStatus,
    AppointmentType,
    BookingChannel,
)
from spreekuur.core.local_days import day_span
from spreekuur.core.models import Practice
from spreekuur.core.roles import StaffRole


@dataclass(frozen=True)
class ChannelCount:
    channel: str
    label: str
    count: int
    share: float  # 0..100
    median_lead_minutes: int | None

    @property
    def median_lead_text(self) -> str:
        return lead_text(self.median_lead_minutes)


def lead_text(minutes: int | None) -> str:
    """'45 minuten', '5 uur', '3 dagen': readable at a glance."""
    from django.utils.translation import ngettext

    if minutes is None:
        return "—"
    if minutes < 120:
        return ngettext("%(n)d minuut", "%(n)d minuten", minutes) % {"n": minutes}
    if minutes < 48 * 60:
        hours = round(minutes / 60)
        return ngettext("%(n)d uur", "%(n)d uur", hours) % {"n": hours}
    days = round(minutes / (24 * 60))
    return ngettext("%(n)d dag", "%(n)d dagen", days) % {"n": days}


@dataclass(frozen=True)
class FirstFree:
    practitioner: str
    online: datetime | None
    any_channel: datetime | None

    @property
    def online_wait(self) -> str:
        return _wait_from_now(self.online)

    @property
    def any_wait(self) -> str:
        return _wait_from_now(self.any_channel)


def _wait_from_now(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return lead_text(max(0, int((moment - timezone.now()).total_seconds() // 60)))


@dataclass(frozen=True)
class AgendaFigures:
    bookings: list[ChannelCount]
    total_bookings: int
    attended: int
    no_shows: int
    cancelled: int
    first_free: list[FirstFree]
    first_free_type: str

    @property
    def no_show_rate(self) -> float | None:
        seen = self.attended + self.no_shows
        return round(100 * self.no_shows / seen, 1) if seen else None


def _regular_type(practice: Practice) -> AppointmentType | None:
    """The practice's ordinary GP consult: the shortest online type a GP offers."""
    candidates = [
        t
        for t in AppointmentType.objects.filter(practice=practice, active=True).order_by(
            "duration_minutes", "sort_order"
        )
        if t.offered_by_role(StaffRole.HUISARTS)
    ]
    online = [t for t in candidates if t.online_bookable]
    found = online or candidates
    return found[0] if found else None


def agenda_figures(practice: Practice, *, since: date, until: date) -> AgendaFigures:
    start, end = day_span(since, until)
    booked = Appointment.objects.filter(
        practice=practice, booked_at__gte=start, booked_at__lt=end, rescheduled_from__isnull=True
    )
    per_channel = dict(
        booked.values_list("channel").annotate(n=Count("id")).values_list("channel", "n")
    )
    total = sum(per_channel.values())
    lead: dict[str, int | None] = {}
    for channel in BookingChannel:
        minutes = [
            value
            for value in booked.filter(
                channel=channel.value, lead_time_minutes__isnull=False
            ).values_list("lead_time_minutes", flat=True)[:5000]
            if value is not None
        ]
        lead[channel.value] = int(median(minutes)) if minutes else None
    bookings = [
        ChannelCount(
            channel.value,
            str(channel.label),
            per_channel.get(channel.value, 0),
            round(100 * per_channel.get(channel.value, 0) / total, 1) if total else 0.0,
            lead[channel.value],
        )
        for channel in BookingChannel
    ]
    held = Appointment.objects.filter(
        practice=practice, starts_at__gte=start, starts_at__lt=min(end, timezone.now())
    )
    statuses = dict(held.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    regular = _regular_type(practice)
    first_free: list[FirstFree] = []
    if regular is not None:
        rules = selectors.booking_rules_for(practice)
        now = timezone.now()
        window = selectors.online_window(rules, now)
        for practitioner in selectors.practitioners_offering(practice, regular):
            online_first = None
            if regular.online_bookable:
                online_first = selectors.first_free_start(
                    practice=practice,
                    appointment_type=regular,
                    practitioners=[practitioner],
                    online=True,
                    earliest=window.earliest,
                    latest=window.latest,
                )
            any_first = selectors.first_free_start(
                practice=practice,
                appointment_type=regular,
                practitioners=[practitioner],
                online=False,
                earliest=now,
                latest=now + timedelta(days=selectors.STAFF_SEARCH_DAYS),
            )
            first_free.append(
                FirstFree(selectors.practitioner_label(practitioner), online_first, any_first)
            )
    return AgendaFigures(
        bookings=bookings,
        total_bookings=total,
        attended=statuses.get(AppointmentStatus.ARRIVED, 0)
        + statuses.get(AppointmentStatus.COMPLETED, 0),
        no_shows=statuses.get(AppointmentStatus.NO_SHOW, 0),
        cancelled=statuses.get(AppointmentStatus.CANCELLED, 0),
        first_free=first_free,
        first_free_type=regular.name if regular else "",
    )
