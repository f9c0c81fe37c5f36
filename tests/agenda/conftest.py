"""The agenda's shared set-up: practice A with appointment types and six released 10-minute
slots of Dokter A two working days ahead."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.utils import timezone

from spreekuur.accounts.models import Membership
from spreekuur.agenda import services
from spreekuur.agenda.models import Appointment, AppointmentType, Slot
from spreekuur.patients.models import Patient
from tests.conftest import Cast
from tests.factories import add_appointment_types, add_slots, no_red_flags


@dataclass
class Agenda:
    cast: Cast
    gp: Membership
    poh: Membership
    types: dict[str, AppointmentType]
    slots: list[Slot]
    day: date


def next_weekday(after: date, *, days: int = 1) -> date:
    day = after + timedelta(days=days)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


@pytest.fixture
def agenda(cast: Cast) -> Agenda:
    return make_agenda(cast)


def make_agenda(cast: Cast) -> Agenda:
    """Practice A's agenda as the fixture makes it (also for other apps' tests)."""
    day = next_weekday(timezone.localdate(), days=2)
    gp = Membership.objects.get(user=cast.gp_a)
    return Agenda(
        cast=cast,
        gp=gp,
        poh=Membership.objects.get(user=cast.poh_a),
        types=add_appointment_types(cast.practice_a),
        slots=add_slots(gp, day=day, count=6),
        day=day,
    )


def book_online(
    agenda: Agenda, slot: Slot, patient: Patient | None = None, **extra: object
) -> Appointment:
    patient = patient or agenda.cast.patient_a
    arguments: dict[str, object] = {
        "patient": patient,
        "slot": slot,
        "appointment_type": agenda.types["consult"],
        "reason": "Pijnlijke knie sinds een week",
        "by": patient.user,
        "triage_answers": no_red_flags(patient.practice),
    }
    arguments.update(extra)
    return services.book_appointment(**arguments)  # type: ignore[arg-type]


def book_now_at_desk(agenda: Agenda, patient: Patient | None = None) -> Appointment:
    """An appointment that starts this minute (today, whatever the clock says), booked by
    the desk: arrival and calling in are only for the day itself."""
    start = timezone.now().replace(second=0, microsecond=0)
    slot = Slot.objects.create(
        practice=agenda.cast.practice_a,
        practitioner=agenda.gp,
        starts_at=start,
        ends_at=start + timedelta(minutes=10),
        online=False,
    )
    return services.book_appointment(
        patient=patient or agenda.cast.patient_a,
        slot=slot,
        appointment_type=agenda.types["consult"],
        reason="",
        by=agenda.cast.assistant_a,
        channel="balie",
    )
