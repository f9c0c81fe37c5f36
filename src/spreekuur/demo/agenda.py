"""The demo practice's agenda: types, weekly templates, and a realistic month of appointments
(two weeks back, four weeks ahead), so every agenda page and figure has something to show.

Synthetic data is written in bulk, not through the booking service: it is a picture of a
month that already happened, not a month of requests (and it would fill the audit log
with thousands of made-up reads)."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from spreekuur.accounts.models import Membership, User
from spreekuur.agenda.models import (
    Appointment,
    AppointmentMode,
    AppointmentStatus,
    AppointmentType,
    BookingChannel,
    BookingRules,
    Dagdeel,
    ScheduleBlock,
    Slot,
    new_checkin_code,
)
from spreekuur.agenda.services.schedule import sync_slots
from spreekuur.core.models import Practice
from spreekuur.core.roles import StaffRole
from spreekuur.patients.models import Patient
from spreekuur.triage.models import RedFlag

DAYS_BACK = 14
DAYS_AHEAD = 28

TYPES = [
    # name, minutes, mode, offered by, online, patient text
    (
        "Consult",
        10,
        AppointmentMode.IN_PERSON,
        [StaffRole.HUISARTS],
        True,
        "Voor één klacht of vraag.",
    ),
    (
        "Dubbel consult",
        20,
        AppointmentMode.IN_PERSON,
        [StaffRole.HUISARTS],
        False,
        "Voor meerdere klachten; via de assistente.",
    ),
    (
        "Telefonisch consult",
        10,
        AppointmentMode.PHONE,
        [StaffRole.HUISARTS],
        True,
        "De huisarts belt u op het afgesproken tijdstip.",
    ),
    (
        "Beeldbellen",
        10,
        AppointmentMode.VIDEO,
        [StaffRole.HUISARTS],
        False,
        "Een consult via video.",
    ),
    (
        "POH-controle",
        30,
        AppointmentMode.IN_PERSON,
        [StaffRole.POH],
        False,
        "Controle voor diabetes, hart en vaten of longen.",
    ),
    (
        "Assistentespreekuur",
        10,
        AppointmentMode.IN_PERSON,
        [StaffRole.ASSISTENT],
        True,
        "Bloeddruk meten, hechtingen verwijderen, oren uitspuiten.",
    ),
]

REASONS = [
    "Pijn in de onderrug sinds een week",
    "Huiduitslag op de arm",
    "Hoesten dat niet overgaat",
    "Oorpijn",
    "Controle bloeddruk",
    "Moe en weinig energie",
    "Pijnlijke knie na het sporten",
    "Vraag over medicatie",
    "Plekje op de huid laten bekijken",
    "Klachten bij het plassen",
    "Slecht slapen",
    "Hechtingen laten verwijderen",
]


def _blocks(practice: Practice) -> None:
    staff = {
        m.user.email: m for m in Membership.objects.filter(practice=practice).select_related("user")
    }
    day_off = {
        "huisarts@de-linde.example": 2,
        "huisarts2@de-linde.example": 4,
        "huisarts3@de-linde.example": 0,
    }
    rows = []
    for email, weekday_off in day_off.items():
        gp = staff[email]
        for weekday in range(5):
            if weekday == weekday_off:
                continue
            rows.append(
                ScheduleBlock(
                    practice=practice,
                    practitioner=gp,
                    weekday=weekday,
                    dagdeel=Dagdeel.OCHTEND,
                    starts=time(8),
                    ends=time(11, 30),
                    slot_minutes=10,
                    online_per_hour=2,
                )
            )
            rows.append(
                ScheduleBlock(
                    practice=practice,
                    practitioner=gp,
                    weekday=weekday,
                    dagdeel=Dagdeel.MIDDAG,
                    starts=time(13, 30),
                    ends=time(16),
                    slot_minutes=10,
                    online_per_hour=1,
                )
            )
    poh = staff["poh@de-linde.example"]
    for weekday in (1, 3):
        rows.append(
            ScheduleBlock(
                practice=practice,
                practitioner=poh,
                weekday=weekday,
                dagdeel=Dagdeel.OCHTEND,
                starts=time(8, 30),
                ends=time(12),
                slot_minutes=30,
                online_per_hour=0,
            )
        )
    assistant = staff["assistent@de-linde.example"]
    for weekday in range(5):
        rows.append(
            ScheduleBlock(
                practice=practice,
                practitioner=assistant,
                weekday=weekday,
                dagdeel=Dagdeel.MIDDAG,
                starts=time(14),
                ends=time(15, 30),
                slot_minutes=10,
                online_per_hour=2,
            )
        )
    ScheduleBlock.objects.bulk_create(rows)


def _fill_share(day: date, today: date) -> float:
    """How full a day is: past days nearly full, the far future mostly open."""
    if day <= today:
        return 0.85
    ahead = (day - today).days
    return max(0.15, 0.85 - ahead * 0.04)


def create_demo_types(practice: Practice) -> dict[str, AppointmentType]:
    """De Linde's appointment types (TYPES) for a practice; the region's practices too."""
    created = AppointmentType.objects.bulk_create(
        AppointmentType(
            practice=practice,
            name=name,
            duration_minutes=minutes,
            mode=mode,
            offered_by=list(roles),
            online_bookable=online,
            description=text,
            sort_order=order,
        )
        for order, (name, minutes, mode, roles, online, text) in enumerate(TYPES)
    )
    return {t.name: t for t in created}


@transaction.atomic
def build_demo_agenda(practice: Practice, *, today: date, seed: int = 7) -> int:
    """Types, templates, slots and a month of appointments; returns the appointments made."""
    rng = random.Random(seed)
    BookingRules.objects.get_or_create(practice=practice)
    types = create_demo_types(practice)
    _blocks(practice)
    start = today - timedelta(days=DAYS_BACK)
    for practitioner in Membership.objects.filter(practice=practice).select_related("practice"):
        sync_slots(practitioner=practitioner, start=start, days=DAYS_BACK + DAYS_AHEAD)
    asked = [
        {"code": f.code, "question": f.question, "answer": False}
        for f in RedFlag.objects.filter(practice__isnull=True).order_by("sort_order")
    ]
    patient_ids = list(Patient.objects.filter(practice=practice).values_list("id", flat=True))
    desk = User.objects.get(email="assistent@de-linde.example")
    now = timezone.now()
    slots = list(
        Slot.objects.filter(practice=practice).select_related("practitioner").order_by("starts_at")
    )
    appointments: list[Appointment] = []
    slot_of: list[Slot] = []
    queue: dict[date, int] = {}
    for slot in slots:
        day = timezone.localtime(slot.starts_at).date()
        if rng.random() > _fill_share(day, today):
            continue
        role = slot.practitioner.role
        if role == StaffRole.POH:
            kind = types["POH-controle"]
        elif role == StaffRole.ASSISTENT:
            kind = types["Assistentespreekuur"]
        else:
            kind = types["Telefonisch consult"] if rng.random() < 0.2 else types["Consult"]
        online = slot.online and kind.online_bookable and rng.random() < 0.7
        channel = (
            BookingChannel.ONLINE
            if online
            else (BookingChannel.DESK if rng.random() < 0.15 else BookingChannel.PHONE)
        )
        lead_hours = rng.choice([1, 3, 20, 26, 50, 75, 120, 170])
        booked_at = min(slot.starts_at - timedelta(hours=lead_hours), now)
        status = AppointmentStatus.BOOKED
        arrived_at = None
        number = None
        if slot.ends_at < now:
            roll = rng.random()
            status = (
                AppointmentStatus.NO_SHOW
                if roll < 0.04
                else AppointmentStatus.CANCELLED
                if roll < 0.08
                else AppointmentStatus.COMPLETED
            )
            if status == AppointmentStatus.COMPLETED and kind.mode == AppointmentMode.IN_PERSON:
                arrived_at = slot.starts_at - timedelta(minutes=rng.randint(2, 15))
                queue[day] = queue.get(day, 0) + 1
                number = queue[day]
        appointments.append(
            Appointment(
                practice=practice,
                patient_id=rng.choice(patient_ids),
                practitioner=slot.practitioner,
                appointment_type=kind,
                starts_at=slot.starts_at,
                ends_at=slot.starts_at + timedelta(minutes=kind.duration_minutes),
                status=status,
                channel=channel,
                reason=rng.choice(REASONS) if online else "",
                triage_answers={"asked": asked} if online else {},
                booked_by=desk,
                booked_at=booked_at,
                lead_time_minutes=int(lead_hours * 60 * rng.uniform(0.3, 0.9)),
                cancelled_at=booked_at + timedelta(hours=1)
                if status == AppointmentStatus.CANCELLED
                else None,
                cancelled_by=desk if status == AppointmentStatus.CANCELLED else None,
                arrived_at=arrived_at,
                queue_number=number,
                checkin_code=new_checkin_code(),
            )
        )
        slot_of.append(slot)
    Appointment.objects.bulk_create(appointments, batch_size=1000)
    linked = []
    for appointment, slot in zip(appointments, slot_of, strict=True):
        if appointment.status != AppointmentStatus.CANCELLED:
            slot.appointment = appointment
            linked.append(slot)
    Slot.objects.bulk_update(linked, ["appointment"], batch_size=1000)
    return len(appointments)


def give_portal_patient_appointments(patient: Patient, *, today: date) -> None:
    """The demo patient has one past visit and one upcoming online appointment."""
    now = timezone.now()
    asked = [
        {"code": f.code, "question": f.question, "answer": False}
        for f in RedFlag.objects.filter(practice__isnull=True).order_by("sort_order")
    ]
    consult = AppointmentType.objects.get(practice=patient.practice, name="Consult")
    for when, status in (
        (today - timedelta(days=5), AppointmentStatus.COMPLETED),
        (today + timedelta(days=6), AppointmentStatus.BOOKED),
    ):
        slot = (
            Slot.objects.filter(
                practice=patient.practice,
                appointment__isnull=True,
                online=True,
                practitioner__role=StaffRole.HUISARTS,
                starts_at__gte=timezone.make_aware(datetime.combine(when, time.min)),
            )
            .order_by("starts_at")
            .first()
        )
        if slot is None:
            continue
        appointment = Appointment.objects.create(
            practice=patient.practice,
            patient=patient,
            practitioner=slot.practitioner,
            appointment_type=consult,
            starts_at=slot.starts_at,
            ends_at=slot.starts_at + timedelta(minutes=consult.duration_minutes),
            status=status,
            channel=BookingChannel.ONLINE,
            reason="Pijnlijke schouder bij het optillen van de arm",
            triage_answers={"asked": asked},
            booked_by=patient.user or slot.practitioner.user,
            booked_at=min(slot.starts_at - timedelta(days=2), now),
            lead_time_minutes=600,
        )
        slot.appointment = appointment
        slot.save(update_fields=["appointment"])
