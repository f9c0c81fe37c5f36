"""Reads of the audit log for its two pages: a patient's own log and the manager's search."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from spreekuur.accounts.models import User
from spreekuur.core.models import AuditEntry, Practice
from spreekuur.patients.models import Patient


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
