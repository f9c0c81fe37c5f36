"""Reads for the shell's pages: the manager's search in the audit log (a patient's own is
patients.access_log), and the notifications that did not leave."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from spreekuur.accounts.models import User
from spreekuur.accounts.selectors import practice_of
from spreekuur.core.models import AuditEntry, Notification, NotificationStatus, Practice
from spreekuur.patients.models import Patient
from spreekuur.patients.selectors import search_patients


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


def failed_notifications(*, by: User) -> QuerySet[Notification]:
    """E-mail and SMS of the user's practice that did not leave after every attempt."""
    practice = practice_of(by)
    if practice is None:
        return Notification.objects.none()
    return Notification.objects.filter(
        practice=practice, status=NotificationStatus.FAILED
    ).order_by("-created_at", "-id")


def get_failed_notification_for(user: User, public_id: object) -> Notification:
    return get_object_or_404(failed_notifications(by=user), public_id=public_id)


@dataclass(frozen=True)
class PatientQuery:
    """What was asked: words of a name, a BSN, a date of birth (any may be empty)."""

    name: str = ""
    bsn: str = ""
    born_on: date | None = None


def patients_matching(*, by: User, query: PatientQuery) -> QuerySet[Patient]:
    """The patients of the user's own practice with this BSN, or every word of the name,
    and the date of birth when given. A BSN and a date of birth are found through their
    (practice, bsn) and (practice, date_of_birth) indexes; words of a name are matched
    within the practice's rows (patients.selectors.search_patients, as the desk does)."""
    if not (query.bsn or query.name or query.born_on):
        return Patient.objects.none()
    return search_patients(by=by, query=query.bsn or query.name, born_on=query.born_on).order_by(
        "family_name", "given_name", "date_of_birth", "id"
    )
