"""Self-triage for the demo practice: two months of finished sessions, most of them
anonymous from the practice's website, some from the portal, so the figures page has
something to show. Walks are random answers through the shipped flows, stored through
the real service (a portal session also writes its access-log entry)."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from spreekuur.core.models import Practice
from spreekuur.patients.models import Patient
from spreekuur.triage import services
from spreekuur.triage.models import TriageChannel
from spreekuur.triage.selectors import offered_flows

SESSIONS = 240
DAYS = 60


def build_demo_triage(
    practice: Practice, *, today: date, leave_out: Patient, seed: int = 31
) -> int:
    rng = random.Random(seed)
    flows = offered_flows(practice)
    # Not the demo patient: an old "call" outcome of theirs must not stop the demo booking.
    patients = list(
        Patient.objects.filter(practice=practice, user__isnull=False)
        .exclude(pk=leave_out.pk)
        .order_by("id")[:20]
    )
    tz = timezone.get_current_timezone()
    for _ in range(SESSIONS):
        offered = rng.choice(flows)
        walk: list[int] = []
        step = offered.flow.walk(walk)
        while step.question is not None:
            # Mostly "no" to the first (alarm) questions, as in real life.
            answers = len(step.question.answers)
            walk.append(rng.randrange(answers) if rng.random() < 0.25 else answers - 1)
            step = offered.flow.walk(walk)
        day = today - timedelta(days=rng.randrange(1, DAYS + 1))  # before today: all past
        at = datetime.combine(day, time(rng.randrange(7, 23), rng.randrange(60)), tzinfo=tz)
        patient = rng.choice(patients) if patients and rng.random() < 0.2 else None
        services.record_triage(
            practice=practice,
            offered=offered,
            walk=walk,
            channel=TriageChannel.PORTAL
            if patient is not None
            else rng.choice([TriageChannel.WIDGET, TriageChannel.WEBSITE]),
            patient=patient,
            by=patient.user if patient is not None else None,
            now=at,
        )
    return SESSIONS
