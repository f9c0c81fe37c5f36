"""Background work of the agenda, declared as periodic jobs in AgendaConfig and run by
`spreekuur worker`. Each job is a service (services/reminders.py) and idempotent: run
twice, or again after a crash, it sends nothing twice and creates nothing twice."""

from __future__ import annotations

from datetime import datetime

from spreekuur.agenda.services import reminders


def send_due_reminders(*, now: datetime | None = None, batch: int = 200) -> int:
    return reminders.send_due_reminders(now=now, batch=batch)


def extend_slots(*, today: datetime | None = None) -> int:
    return reminders.extend_slots(today=today)
