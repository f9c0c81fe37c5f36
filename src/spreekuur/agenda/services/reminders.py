"""The agenda's background writes: tomorrow's reminders and slots for the weeks ahead."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from spreekuur.agenda import notifications
from spreekuur.agenda.models import Appointment, AppointmentStatus
from spreekuur.agenda.services.schedule import sync_practice_slots
from spreekuur.core.models import Practice

REMINDERS_FROM = time(9)  # reminders for tomorrow go out from 09:00 today


def send_due_reminders(*, now: datetime | None = None, batch: int = 200) -> int:
    """Remind patients of tomorrow's appointments, once each. Marking an appointment and
    queueing its reminder in the outbox are one transaction, so a crash or a second
    worker can neither skip a reminder nor send one twice; the outbox retries delivery."""
    now = now or timezone.now()
    local = timezone.localtime(now)
    if local.time() < REMINDERS_FROM:
        return 0
    start = timezone.make_aware(datetime.combine(local.date() + timedelta(days=1), time.min))
    end = start + timedelta(days=1)
    queued = 0
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
            for appointment in due:
                appointment.reminder_sent_at = now
                appointment.save(update_fields=["reminder_sent_at"])
                notifications.send_reminder(appointment)
        queued += len(due)
        if len(due) < batch:
            return queued


def extend_slots(*, today: datetime | None = None) -> int:
    """Generate slots for the weeks ahead in every practice (daily)."""
    day = timezone.localtime(today).date() if today else timezone.localdate()
    created = 0
    for practice in Practice.objects.order_by("pk").iterator():
        created += sync_practice_slots(practice=practice, start=day).created
    return created
