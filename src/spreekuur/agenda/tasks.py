"""Background work of the agenda, run by `spreekuur worker` (or its single-shot commands).

Each job is idempotent: running it twice, or again after a crash, sends nothing twice and
creates nothing twice."""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from spreekuur.agenda import notifications
from spreekuur.agenda.models import Appointment, AppointmentStatus
from spreekuur.agenda.services.schedule import sync_practice_slots
from spreekuur.core.models import Practice

logger = logging.getLogger(__name__)

REMINDERS_FROM = time(9)  # reminders for tomorrow go out from 09:00 today


def send_due_reminders(*, now: datetime | None = None, batch: int = 200) -> int:
    """Remind patients of tomorrow's appointments, once each."""
    now = now or timezone.now()
    local = timezone.localtime(now)
    if local.time() < REMINDERS_FROM:
        return 0
    tomorrow = local.date() + timedelta(days=1)
    start = timezone.make_aware(datetime.combine(tomorrow, time.min))
    end = start + timedelta(days=1)
    sent = 0
    while True:
        with transaction.atomic():
            due = list(
                Appointment.objects.select_for_update(skip_locked=True, no_key=True, of=("self",))
                .select_related("patient__practice", "patient__user", "practitioner__user")
                .filter(
                    status=AppointmentStatus.BOOKED,
                    reminder_sent_at__isnull=True,
                    starts_at__gte=start,
                    starts_at__lt=end,
                )
                .order_by("starts_at")[:batch]
            )
            if not due:
                return sent
            for appointment in due:
                # Marked first: a crash after sending can at worst skip one reminder,
                # never send one twice.
                appointment.reminder_sent_at = now
                appointment.save(update_fields=["reminder_sent_at"])
        for appointment in due:
            appointment.refresh_from_db(fields=["status"])
            if appointment.status != AppointmentStatus.BOOKED:
                continue  # cancelled between claiming and sending
            try:
                notifications.send_reminder(appointment)
            except Exception as error:
                logger.error("Reminder not sent: %s", type(error).__name__)
                continue
            sent += 1


def extend_slots(*, today: datetime | None = None) -> int:
    """Generate slots for the weeks ahead in every practice (daily)."""
    day = timezone.localtime(today).date() if today else timezone.localdate()
    created = 0
    for practice in Practice.objects.order_by("pk").iterator():
        created += sync_practice_slots(practice=practice, start=day).created
    return created
