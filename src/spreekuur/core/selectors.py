"""Reads for practices and the audit log, scoped to the acting user."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from spreekuur.core.models import AuditEntry, NewsItem, Practice
from spreekuur.core.opening_hours import DayException, Schedule

if TYPE_CHECKING:
    from spreekuur.accounts.models import User
    from spreekuur.patients.models import Patient


def get_public_practice(slug: str) -> Practice:
    return get_object_or_404(Practice, slug=slug)


def schedule_for(practice: Practice, *, from_day: date | None = None) -> Schedule:
    weekly: dict[int, list[tuple[time, time]]] = {}
    for hours in practice.opening_hours.all():
        weekly.setdefault(hours.weekday, []).append((hours.opens, hours.closes))
    start = (from_day or timezone.localdate()) - timedelta(days=1)
    exceptions = {
        exception.date: DayException(
            closed=exception.closed,
            opens=exception.opens,
            closes=exception.closes,
            reason=exception.reason,
        )
        for exception in practice.opening_exceptions.filter(date__gte=start)
    }
    return Schedule(weekly=weekly, exceptions=exceptions)


def published_news(practice: Practice, *, limit: int = 5) -> QuerySet[NewsItem]:
    return practice.news.filter(published_on__lte=timezone.localdate())[:limit]


def all_news(practice: Practice) -> QuerySet[NewsItem]:
    return practice.news.all()


def audit_entries_about(patient: Patient) -> QuerySet[AuditEntry]:
    """What a patient may see of their own log: every access to their record."""
    return (
        AuditEntry.objects.filter(patient=patient, practice_id=patient.practice_id)
        .select_related("actor", "acting_for")
        .order_by("-occurred_at", "-id")
    )


def search_audit_log(
    *,
    practice: Practice,
    action: str = "",
    actor: User | None = None,
    patient: Patient | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> QuerySet[AuditEntry]:
    entries = AuditEntry.objects.filter(practice=practice)
    if action:
        entries = entries.filter(action=action)
    if actor is not None:
        entries = entries.filter(actor=actor)
    if patient is not None:
        entries = entries.filter(patient=patient)
    tz = timezone.get_current_timezone()
    if date_from is not None:
        entries = entries.filter(occurred_at__gte=datetime.combine(date_from, time.min, tzinfo=tz))
    if date_to is not None:
        end = datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=tz)
        entries = entries.filter(occurred_at__lt=end)
    return entries.select_related("actor", "acting_for", "patient").order_by("-occurred_at", "-id")


def get_news_item_for(practice: Practice, public_id: object) -> NewsItem:
    return get_object_or_404(NewsItem, practice=practice, public_id=public_id)
