"""Background work: a reminder when an answer has stayed unread for 3 days (once)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import F, Q
from django.utils import timezone

from spreekuur.econsult.models import Thread, ThreadStatus
from spreekuur.patients.notices import notify_new_in_portal

UNREAD_DAYS = 3


def remind_unread_answers(*, now: datetime | None = None, batch: int = 200) -> int:
    now = now or timezone.now()
    due = (
        Thread.objects.filter(
            status__in=[ThreadStatus.ANSWERED, ThreadStatus.CLOSED],
            last_answer_at__lte=now - timedelta(days=UNREAD_DAYS),
            reminder_sent_at__isnull=True,
        )
        .filter(Q(patient_read_at__isnull=True) | Q(patient_read_at__lt=F("last_answer_at")))
        .select_related("patient__practice", "patient__user")[:batch]
    )
    sent = 0
    for thread in due:
        # Claimed first: a second worker finds nothing left to send.
        if Thread.objects.filter(pk=thread.pk, reminder_sent_at__isnull=True).update(
            reminder_sent_at=now
        ):
            notify_new_in_portal(thread.patient)
            sent += 1
    return sent
