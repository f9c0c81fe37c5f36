"""The region's year of care (demo/region/): a picture of a real practice's year
that the application itself accepts: the agenda as the slot task makes it, no double
bookings, a journal line for every consult that took place, prescriptions whose pharmacy
messages are valid FHIR, e-consults answered as the rules say, portal users who can log in."""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from datetime import timedelta

from django.contrib.auth import authenticate
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from fhir.resources.R4B.medicationrequest import MedicationRequest

from spreekuur.accounts.models import Membership
from spreekuur.agenda.models import (
    PRACTITIONER_ROLES,
    Appointment,
    AppointmentStatus,
    AppointmentType,
    BookingChannel,
    Slot,
)
from spreekuur.agenda.services.schedule import SLOT_GENERATION_DAYS, sync_slots
from spreekuur.core.models import Practice
from spreekuur.demo import generator, region
from spreekuur.demo.region import (
    PracticeYear,
    practice_patients,
    random_public_ids,
    set_up,
)
from spreekuur.dossier.models import Episode, JournalEntry, Medication
from spreekuur.econsult.models import Declaration, Message, Thread, ThreadStatus
from spreekuur.patients.models import Patient
from spreekuur.prescriptions import fhir
from spreekuur.prescriptions.models import (
    DeliveryStatus,
    ItemStatus,
    OutboxMessage,
    RepeatRequestItem,
)
from tests.conftest import verified_client

PATIENTS = 300


def _load_region() -> list[Practice]:
    generator.load(region_practices=2, patients_per_practice=PATIENTS, demo_patients=50)
    return list(Practice.objects.filter(slug__startswith="regio-").order_by("slug"))


def test_the_agenda_is_the_slot_tasks_and_holds_no_double_booking(db: None) -> None:
    region = _load_region()
    now = timezone.now()
    for practice in region:
        appointments = list(Appointment.objects.filter(practice=practice))
        # A year at about 3.5 contacts per patient, and the weeks ahead.
        assert len(appointments) > 2.5 * PATIENTS
        by_status = Counter(a.status for a in appointments)
        assert by_status[AppointmentStatus.COMPLETED] > by_status[AppointmentStatus.NO_SHOW] > 0
        assert by_status[AppointmentStatus.CANCELLED] > 0
        assert by_status[AppointmentStatus.BOOKED] > 0  # the weeks ahead
        for appointment in appointments:
            if appointment.status in (AppointmentStatus.BOOKED, AppointmentStatus.ARRIVED):
                assert appointment.starts_at > now - timedelta(hours=1)
            else:
                assert appointment.status != AppointmentStatus.COMPLETED or (
                    appointment.ends_at <= now
                )
        # No practitioner has two active appointments at overlapping times.
        active = defaultdict(list)
        for a in appointments:
            if a.status != AppointmentStatus.CANCELLED:
                active[a.practitioner_id].append((a.starts_at, a.ends_at))
        for times in active.values():
            times.sort()
            for (_s1, e1), (s2, _e2) in itertools.pairwise(times):
                assert e1 <= s2
        # Every active appointment holds its slots; a cancelled one holds none.
        holding = Counter(
            Slot.objects.filter(practice=practice, appointment__isnull=False).values_list(
                "appointment_id", flat=True
            )
        )
        for a in appointments:
            assert (holding[a.pk] > 0) == (a.status != AppointmentStatus.CANCELLED)
        for slot in Slot.objects.filter(
            practice=practice, appointment__isnull=False
        ).select_related("appointment"):
            assert slot.practitioner_id == slot.appointment.practitioner_id
            assert slot.appointment.starts_at <= slot.starts_at < slot.appointment.ends_at
        # Online bookings: by the patient's own account, in released slots, red flags all "no".
        online = [a for a in appointments if a.channel == BookingChannel.ONLINE]
        assert online
        users = dict(Patient.objects.filter(practice=practice).values_list("id", "user_id"))
        for a in online:
            assert a.booked_by_id == users[a.patient_id] is not None
            asked = a.triage_answers["asked"]
            assert asked and all(question["answer"] is False for question in asked)
        assert not Slot.objects.filter(
            appointment__channel=BookingChannel.ONLINE, online=False, practice=practice
        ).exists()
        # Moved appointments point at the cancelled one they replace.
        moved = [a for a in appointments if a.rescheduled_from_id]
        assert moved
        for a in moved:
            assert a.rescheduled_from.status == AppointmentStatus.CANCELLED
            assert a.rescheduled_from.patient_id == a.patient_id
        # The daily slot task finds the weeks ahead exactly as the template makes them.
        for member in Membership.objects.filter(practice=practice, role__in=PRACTITIONER_ROLES):
            result = sync_slots(
                practitioner=member, start=timezone.localdate(), days=SLOT_GENERATION_DAYS
            )
            assert (result.created, result.removed, result.changed) == (0, 0, 0)
    codes = list(Appointment.objects.values_list("checkin_code", flat=True))
    assert len(set(codes)) == len(codes) and all(len(code) == 10 for code in codes)


def test_the_record_prescriptions_and_econsults_follow_the_agenda(db: None) -> None:
    region = _load_region()
    practice = region[0]
    patient_of = {}
    for a in Appointment.objects.filter(
        practice=practice, status=AppointmentStatus.COMPLETED
    ).select_related("practitioner"):
        patient_of[a.pk] = (a.patient_id, timezone.localtime(a.starts_at).date(), a.practitioner)
    lines = Counter(
        JournalEntry.objects.filter(practice=practice).values_list(
            "patient_id", "contact_on", "created_by_id"
        )
    )
    # Every consult that took place has its journal line, by whoever saw the patient.
    for patient, day, practitioner in patient_of.values():
        assert lines[patient, day, practitioner.user_id] >= 1
    for line in JournalEntry.objects.filter(
        practice=practice, episode__isnull=False
    ).select_related("episode"):
        assert line.episode.patient_id == line.patient_id
    assert Episode.objects.filter(practice=practice, ended_on__isnull=True).exists()
    assert Episode.objects.filter(practice=practice, ended_on__isnull=False).exists()
    chronic = Medication.objects.filter(practice=practice, chronic=True, repeatable=True)
    assert chronic.count() > PATIENTS // 10

    # Repeat prescriptions: approved items carry a valid FHIR message, as the service writes it
    # (the product's own medication_request, from the stored item: the same JSON).
    items = RepeatRequestItem.objects.filter(practice=practice).select_related(
        "request__patient", "medication", "decided_by__membership"
    )
    statuses = Counter(item.status for item in items)
    assert statuses[ItemStatus.READY] > statuses[ItemStatus.REJECTED] > 0
    messages = {m.item_id: m for m in OutboxMessage.objects.filter(practice=practice)}
    checked = 0
    for item in items:
        if item.status in (ItemStatus.REQUESTED, ItemStatus.IN_REVIEW, ItemStatus.REJECTED):
            assert item.pk not in messages
            continue
        assert messages[item.pk].payload == fhir.medication_request(item)
        stored = MedicationRequest.model_validate(messages[item.pk].payload)
        written = MedicationRequest.model_validate(fhir.medication_request(item))
        assert stored.identifier == written.identifier
        assert stored.medicationCodeableConcept == written.medicationCodeableConcept
        assert stored.authoredOn == written.authoredOn
        assert stored.dosageInstruction == written.dosageInstruction
        assert stored.dispenseRequest == written.dispenseRequest
        assert stored.contained[0].identifier == written.contained[0].identifier  # BSN
        assert stored.contained[1].name == written.contained[1].name  # the prescriber
        checked += 1
    assert checked > 50
    assert not OutboxMessage.objects.filter(
        practice=practice, status=DeliveryStatus.PENDING
    ).exists()

    # E-consults: asked by the patient's account, answered within two working days (a few
    # late), each answered one declared once.
    threads = list(Thread.objects.filter(practice=practice).select_related("patient"))
    assert threads
    late = 0
    for thread in threads:
        first = Message.objects.filter(thread=thread).order_by("created_at").first()
        assert first is not None and first.from_patient
        assert thread.asked_by_id == thread.patient.user_id is not None
        if thread.answered_at is not None:
            late += thread.answered_at > thread.due_at
    answered = [t for t in threads if t.answered_at is not None]
    assert late <= max(2, len(answered) // 10)
    declared = Counter(Declaration.objects.filter(practice=practice).values_list("thread_id"))
    assert len(declared) == len(answered) and set(declared.values()) == {1}
    assert {t.status for t in threads} >= {ThreadStatus.CLOSED}

    # A portal user of the region logs in as De Linde's patients do and sees their year.
    patient = (
        Patient.objects.filter(practice=practice, user__isnull=False, appointments__isnull=False)
        .select_related("user")
        .first()
    )
    assert patient is not None
    request = RequestFactory().post("/account/inloggen/")
    assert authenticate(request, username=patient.user.email, password=generator.DEMO_PASSWORD)
    device = patient.user.totpdevice_set.get()
    assert device.verify_token(TOTP(device.bin_key).token())
    client = verified_client(patient.user)
    for name in ("agenda:my_appointments", "dossier:my_record"):
        assert client.get(reverse(name)).status_code == 200
    gp = Membership.objects.filter(practice=practice, role="huisarts").first()
    assert gp is not None
    assert verified_client(gp.user).get(reverse("agenda:day")).status_code == 200


def test_the_year_is_made_once_and_the_same_from_the_same_practice(db: None, monkeypatch) -> None:
    monkeypatch.setattr(
        region, "build_region_care", lambda **kwargs: region.Care(0, 0, 0, 0, 0, 0.0)
    )
    first, second = _load_region()
    assert not AppointmentType.objects.filter(practice__in=[first, second]).exists()
    # The planner, twice from the same set-up: the same rows (public ids from a seed).
    setting = set_up(first, PATIENTS, timezone.localdate(), "x")
    patients = practice_patients(first)
    now = timezone.now()
    plans = [
        PracticeYear(
            setting, patients, today=timezone.localdate(), now=now, public_id=random_public_ids(1)
        ).make()
        for _ in range(2)
    ]
    assert plans[0].rows == plans[1].rows
    assert len(plans[0].rows["appointment"]) > 2.5 * PATIENTS
    monkeypatch.undo()
    # Only a practice without an agenda gets its year, and only once.
    made = region.build_region_care()
    assert made.practices == 1 and made.appointments > 2.5 * PATIENTS
    assert not Appointment.objects.filter(practice=first).exists()
    assert region.build_region_care().practices == 0


def test_the_region_has_a_quarter_of_calls_and_their_hours(db: None) -> None:
    from spreekuur.telephony.models import Call, CallHour

    region = _load_region()
    for practice in region:
        calls = Call.objects.filter(practice=practice)
        assert calls.count() > 13 * 5 * 8  # a quarter of working days at ~11 calls a day
        hours = CallHour.objects.filter(practice=practice)
        assert sum(hours.values_list("incoming", flat=True)) == calls.count()
        assert all(day.weekday() < 5 for day in hours.values_list("day", flat=True))
    before = Call.objects.count()
    from spreekuur.demo.region import build_region_calls

    assert build_region_calls(today=timezone.localdate()).practices == 0  # idempotent
    assert Call.objects.count() == before
