"""Booking, cancelling and moving: the rules of the webagenda, including every refusal."""

from __future__ import annotations

import threading
from datetime import time, timedelta
from itertools import pairwise

import pytest
from django.core import mail
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from spreekuur.accounts.models import Membership
from spreekuur.agenda import services
from spreekuur.agenda.models import (
    Appointment,
    AppointmentStatus,
    BookingChannel,
    BookingRules,
    Slot,
)
from spreekuur.core.exceptions import BusinessRuleError, PermissionDenied
from spreekuur.core.models import AuditEntry
from spreekuur.patients.models import Patient
from spreekuur.triage import services as triage_services
from tests.agenda.conftest import Agenda, book_online, next_weekday
from tests.factories import (
    PatientFactory,
    UserFactory,
    add_appointment_types,
    add_slots,
    no_red_flags,
)


def test_patient_books_a_released_slot_and_it_is_logged(agenda: Agenda) -> None:
    appointment = book_online(agenda, agenda.slots[0])
    assert appointment.channel == BookingChannel.ONLINE
    assert appointment.ends_at - appointment.starts_at == timedelta(minutes=10)
    agenda.slots[0].refresh_from_db()
    assert agenda.slots[0].appointment == appointment
    assert appointment.lead_time_minutes is not None
    entry = AuditEntry.objects.get(action="create", object_kind="appointment")
    assert entry.patient == agenda.cast.patient_a
    assert entry.object_ids == [str(appointment.public_id)]


def test_confirmation_mail_names_time_and_practitioner_but_never_the_reason(
    agenda: Agenda, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        book_online(agenda, agenda.slots[0])
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert "Dokter A" in body
    assert timezone.localtime(agenda.slots[0].starts_at).strftime("%H:%M") in body
    assert "knie" not in body and "knie" not in mail.outbox[0].subject
    assert agenda.cast.patient_a.bsn not in body


def test_the_confirmation_is_written_with_the_booking_and_asks_for_one_delivery(
    agenda: Agenda, django_capture_on_commit_callbacks
) -> None:
    """The outbox rows are part of the booking's own transaction (a crash after the
    commit cannot lose them), and the e-mail and SMS share one delivery request."""
    from spreekuur.core.models import Notification
    from spreekuur.shell.tasks import enqueue_delivery

    patient = agenda.cast.patient_a
    patient.phone = "0612345678"
    patient.save(update_fields=["phone"])
    with django_capture_on_commit_callbacks() as callbacks:
        book_online(agenda, agenda.slots[0])
        assert Notification.objects.filter(practice=patient.practice).count() == 2
    assert [callback for callback in callbacks if callback is enqueue_delivery] == [
        enqueue_delivery
    ]


def test_a_refused_booking_queues_no_confirmation(agenda: Agenda) -> None:
    from spreekuur.core.models import Notification

    book_online(agenda, agenda.slots[0])
    sent = Notification.objects.count()
    with pytest.raises(services.SlotTaken):
        book_online(agenda, agenda.slots[0])
    assert Notification.objects.count() == sent


def test_a_red_flag_answer_never_reaches_a_booking(agenda: Agenda) -> None:
    answers = no_red_flags(agenda.cast.practice_a)
    answers["pijn-op-de-borst"] = True
    with pytest.raises(triage_services.RedFlagRaised) as raised:
        book_online(agenda, agenda.slots[0], triage_answers=answers)
    assert raised.value.flag.code == "pijn-op-de-borst"
    assert raised.value.flag.advice == "112"
    assert not Appointment.objects.exists()


@pytest.mark.parametrize("answers", [None, {}, {"pijn-op-de-borst": False}])
def test_unanswered_triage_refuses_online_booking(agenda: Agenda, answers: object) -> None:
    with pytest.raises(triage_services.TriageIncomplete):
        book_online(agenda, agenda.slots[0], triage_answers=answers)
    assert not Appointment.objects.exists()


def test_a_practice_flag_extends_the_national_list(agenda: Agenda) -> None:
    flag = triage_services.add_red_flag(
        practice=agenda.cast.practice_a,
        question="Heeft u een wond die flink bloedt na een val?",
        advice="spoedlijn",
        by=agenda.cast.manager_a,
    )
    answers = no_red_flags(agenda.cast.practice_a)
    assert flag.code in answers
    answers[flag.code] = True
    with pytest.raises(triage_services.RedFlagRaised):
        book_online(agenda, agenda.slots[0], triage_answers=answers)


def test_the_national_red_flags_cannot_be_switched_off(agenda: Agenda) -> None:
    from spreekuur.triage.models import RedFlag

    baseline = RedFlag.objects.filter(practice__isnull=True).first()
    assert baseline is not None
    with pytest.raises(BusinessRuleError):
        triage_services.switch_off_red_flag(flag=baseline, by=agenda.cast.manager_a)
    with pytest.raises(IntegrityError), transaction.atomic():
        RedFlag.objects.filter(pk=baseline.pk).update(active=False)


def test_a_taken_slot_cannot_be_booked_again(agenda: Agenda) -> None:
    book_online(agenda, agenda.slots[0])
    other = PatientFactory(practice=agenda.cast.practice_a, user=UserFactory())
    with pytest.raises(services.SlotTaken):
        book_online(agenda, agenda.slots[0], patient=other)
    assert Appointment.objects.count() == 1


def test_a_longer_type_takes_back_to_back_slots(agenda: Agenda) -> None:
    appointment = services.book_appointment(
        patient=agenda.cast.patient_a,
        slot=agenda.slots[1],
        appointment_type=agenda.types["dubbel"],
        reason="",
        by=agenda.cast.assistant_a,
        channel=BookingChannel.PHONE,
    )
    assert list(appointment.slots.order_by("starts_at")) == agenda.slots[1:3]
    # A consult in the second half of it is refused.
    with pytest.raises(services.SlotTaken):
        book_online(
            agenda,
            agenda.slots[2],
            patient=agenda.cast.other_patient_a,
            by=agenda.cast.assistant_a,
            channel=BookingChannel.DESK,
        )


def test_a_longer_type_does_not_fit_before_a_booked_slot(agenda: Agenda) -> None:
    book_online(agenda, agenda.slots[2])
    with pytest.raises(services.SlotTaken):
        services.book_appointment(
            patient=agenda.cast.other_patient_a,
            slot=agenda.slots[1],
            appointment_type=agenda.types["dubbel"],
            reason="",
            by=agenda.cast.assistant_a,
            channel=BookingChannel.PHONE,
        )


def test_online_booking_needs_a_released_slot(agenda: Agenda) -> None:
    closed = add_slots(agenda.gp, day=agenda.day, start=time(14), count=1, online=False)[0]
    with pytest.raises(services.SlotTaken):
        book_online(agenda, closed)
    # The desk may use it.
    services.book_appointment(
        patient=agenda.cast.patient_a,
        slot=closed,
        appointment_type=agenda.types["consult"],
        reason="",
        by=agenda.cast.assistant_a,
        channel=BookingChannel.DESK,
    )


def test_minimum_notice_holds_when_the_form_is_bypassed(agenda: Agenda) -> None:
    BookingRules.objects.update_or_create(
        practice=agenda.cast.practice_a, defaults={"min_notice_minutes": 120}
    )
    slot = agenda.slots[0]
    with pytest.raises(BusinessRuleError, match="minimaal 120 minuten"):
        book_online(agenda, slot, now=slot.starts_at - timedelta(minutes=90))


def test_horizon_holds(agenda: Agenda) -> None:
    BookingRules.objects.update_or_create(
        practice=agenda.cast.practice_a, defaults={"horizon_days": 14}
    )
    far = add_slots(agenda.gp, day=timezone.localdate() + timedelta(days=20), count=1)[0]
    with pytest.raises(BusinessRuleError, match="14 dagen"):
        book_online(agenda, far)


def test_maximum_open_online_appointments_holds(agenda: Agenda) -> None:
    BookingRules.objects.update_or_create(
        practice=agenda.cast.practice_a, defaults={"max_open_online": 2}
    )
    book_online(agenda, agenda.slots[0])
    book_online(agenda, agenda.slots[1])
    with pytest.raises(BusinessRuleError, match="maximum"):
        book_online(agenda, agenda.slots[2])


def test_types_longer_than_the_online_maximum_are_refused_online(agenda: Agenda) -> None:
    long_type = agenda.types["dubbel"]
    long_type.online_bookable = True
    long_type.save()
    with pytest.raises(BusinessRuleError, match="niet online"):
        book_online(agenda, agenda.slots[0], appointment_type=long_type)


def test_a_type_not_online_is_refused_online(agenda: Agenda) -> None:
    poh_slot = add_slots(agenda.poh, day=agenda.day, count=1, minutes=30)[0]
    with pytest.raises(BusinessRuleError):
        book_online(agenda, poh_slot, appointment_type=agenda.types["poh"])


def test_a_practitioner_without_that_type_is_refused(agenda: Agenda) -> None:
    poh_slot = add_slots(agenda.poh, day=agenda.day, count=1)[0]
    with pytest.raises(BusinessRuleError, match="geen spreekuur"):
        book_online(agenda, poh_slot)


def test_a_patient_cannot_book_for_another_patient(agenda: Agenda) -> None:
    with pytest.raises(PermissionDenied):
        book_online(
            agenda,
            agenda.slots[0],
            patient=agenda.cast.other_patient_a,
            by=agenda.cast.patient_user_a,
        )


def test_a_slot_of_another_practice_is_refused(agenda: Agenda) -> None:
    gp_b = Membership.objects.get(user=agenda.cast.gp_b)
    slot_b = add_slots(gp_b, day=agenda.day, count=1)[0]
    with pytest.raises(PermissionDenied):
        book_online(agenda, slot_b)


@pytest.mark.parametrize("who", ["manager_a", "gp_b", "patient_user_b"])
def test_wrong_roles_cannot_book_for_a_patient(agenda: Agenda, who: str) -> None:
    with pytest.raises(PermissionDenied):
        services.book_appointment(
            patient=agenda.cast.patient_a,
            slot=agenda.slots[0],
            appointment_type=agenda.types["consult"],
            reason="",
            by=getattr(agenda.cast, who),
            channel=BookingChannel.PHONE,
        )


def test_cancel_frees_the_slot_and_is_logged(agenda: Agenda) -> None:
    appointment = book_online(agenda, agenda.slots[0])
    services.cancel_appointment(appointment=appointment, by=agenda.cast.patient_user_a)
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED
    agenda.slots[0].refresh_from_db()
    assert agenda.slots[0].appointment is None
    assert AuditEntry.objects.filter(action="change", detail="geannuleerd").count() == 1
    # The slot can be booked again.
    book_online(
        agenda,
        agenda.slots[0],
        patient=PatientFactory(practice=agenda.cast.practice_a, user=UserFactory()),
    )


def test_patient_cannot_cancel_after_the_cutoff_but_the_desk_can(agenda: Agenda) -> None:
    BookingRules.objects.update_or_create(
        practice=agenda.cast.practice_a, defaults={"change_cutoff_hours": 24}
    )
    appointment = book_online(agenda, agenda.slots[0])
    late = appointment.starts_at - timedelta(hours=3)
    with pytest.raises(BusinessRuleError, match="niet meer online"):
        services.cancel_appointment(
            appointment=appointment, by=agenda.cast.patient_user_a, now=late
        )
    services.cancel_appointment(appointment=appointment, by=agenda.cast.assistant_a, now=late)


@pytest.mark.parametrize("who", ["patient_user_b", "gp_b", "manager_a"])
def test_others_cannot_cancel(agenda: Agenda, who: str) -> None:
    appointment = book_online(agenda, agenda.slots[0])
    with pytest.raises(PermissionDenied):
        services.cancel_appointment(appointment=appointment, by=getattr(agenda.cast, who))


def test_another_patient_of_the_practice_cannot_cancel(agenda: Agenda) -> None:
    appointment = book_online(agenda, agenda.slots[0])
    other = PatientFactory(practice=agenda.cast.practice_a, user=UserFactory())
    with pytest.raises(PermissionDenied):
        services.cancel_appointment(appointment=appointment, by=other.user)


def test_reschedule_moves_in_one_step(agenda: Agenda) -> None:
    appointment = book_online(agenda, agenda.slots[0])
    moved = services.reschedule_appointment(
        appointment=appointment, slot=agenda.slots[3], by=agenda.cast.patient_user_a
    )
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED
    assert moved.rescheduled_from == appointment
    assert moved.reason == appointment.reason
    assert moved.channel == BookingChannel.ONLINE
    agenda.slots[0].refresh_from_db()
    assert agenda.slots[0].appointment is None


def test_a_lost_race_while_moving_keeps_the_old_appointment(agenda: Agenda) -> None:
    appointment = book_online(agenda, agenda.slots[0])
    book_online(
        agenda,
        agenda.slots[3],
        patient=PatientFactory(practice=agenda.cast.practice_a, user=UserFactory()),
    )
    with pytest.raises(services.SlotTaken):
        services.reschedule_appointment(
            appointment=appointment, slot=agenda.slots[3], by=agenda.cast.patient_user_a
        )
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED
    agenda.slots[0].refresh_from_db()
    assert agenda.slots[0].appointment == appointment


def test_moving_does_not_count_against_the_maximum(agenda: Agenda) -> None:
    BookingRules.objects.update_or_create(
        practice=agenda.cast.practice_a, defaults={"max_open_online": 1}
    )
    appointment = book_online(agenda, agenda.slots[0])
    services.reschedule_appointment(
        appointment=appointment, slot=agenda.slots[4], by=agenda.cast.patient_user_a
    )


def test_the_database_refuses_overlapping_appointments(agenda: Agenda) -> None:
    first = book_online(agenda, agenda.slots[0])
    overlap = first.starts_at + timedelta(minutes=5)
    if connection.vendor != "postgresql":
        # SQLite has no exclusion constraint; the same start is still refused.
        overlap = first.starts_at
    with pytest.raises(IntegrityError), transaction.atomic():
        Appointment.objects.create(
            practice=first.practice,
            patient=agenda.cast.other_patient_a,
            practitioner=first.practitioner,
            appointment_type=first.appointment_type,
            starts_at=overlap,
            ends_at=overlap + timedelta(minutes=10),
            channel=BookingChannel.PHONE,
            booked_by=agenda.cast.assistant_a,
            booked_at=timezone.now(),
        )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_clients_racing_for_few_slots_get_one_booking_each() -> None:
    """40 patients at once on 5 released slots: 5 bookings, 35 clear refusals, no error."""
    if connection.vendor != "postgresql":
        pytest.skip("real parallel transactions need PostgreSQL")
    from tests.factories import MembershipFactory, PracticeFactory

    practice = PracticeFactory()
    gp = MembershipFactory(practice=practice)
    types = add_appointment_types(practice)
    day = next_weekday(timezone.localdate(), days=2)
    slots = add_slots(gp, day=day, count=5)
    long_start = add_slots(gp, day=day, start=time(11), count=3)
    patients = [PatientFactory(practice=practice, user=UserFactory()) for _ in range(40)]
    answers = no_red_flags(practice)
    barrier = threading.Barrier(len(patients))
    outcomes: list[str] = []
    lock = threading.Lock()

    def race(index: int, patient: Patient) -> None:
        try:
            barrier.wait()
            # Most go for the first slots; some take a 20-minute type across the late ones.
            if index % 8 == 0:
                services.book_appointment(
                    patient=patient,
                    slot=long_start[index % 2],
                    appointment_type=types["dubbel"],
                    reason="",
                    by=gp.user,
                    channel=BookingChannel.PHONE,
                )
            else:
                services.book_appointment(
                    patient=patient,
                    slot=slots[index % len(slots)],
                    appointment_type=types["consult"],
                    reason="Controle",
                    by=patient.user,  # type: ignore[arg-type]
                    triage_answers=answers,
                )
            result = "booked"
        except services.SlotTaken:
            result = "taken"
        except BaseException as error:  # pragma: no cover - reported by the assert
            result = f"error: {error!r}"
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=race, args=(i, p)) for i, p in enumerate(patients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [o for o in outcomes if o.startswith("error")] == []
    active = Appointment.objects.filter(practitioner=gp).exclude(status=AppointmentStatus.CANCELLED)
    # 5 single slots, and of the three late slots one 20-minute booking fits (slot 0 or 1).
    assert outcomes.count("booked") == active.count() == 6
    for slot in slots:
        assert Appointment.objects.filter(slots=slot).count() == 1
    ordered = list(active.order_by("starts_at"))
    for earlier, later in pairwise(ordered):
        assert earlier.ends_at <= later.starts_at, "a practitioner is booked twice at once"


def test_a_deleted_national_red_flag_is_put_back_before_anyone_is_asked(agenda: Agenda) -> None:
    from spreekuur.triage.models import RedFlag
    from spreekuur.triage.selectors import red_flags_for

    RedFlag.objects.filter(practice__isnull=True, code="beroerte").delete()
    codes = [flag.code for flag in red_flags_for(agenda.cast.practice_a)]
    assert "beroerte" in codes
    assert len(codes) == 8


def test_a_slot_made_over_a_booking_is_refused_on_every_database(agenda: Agenda) -> None:
    """A template change can make a 09:05 slot over a 09:00-09:10 booking (PostgreSQL
    refuses the slot; SQLite has no exclusion constraint, so the service checks)."""
    book_online(agenda, agenda.slots[0])
    start = agenda.slots[0].starts_at + timedelta(minutes=5)
    try:
        with transaction.atomic():
            overlapping = Slot.objects.create(
                practice=agenda.cast.practice_a,
                practitioner=agenda.gp,
                starts_at=start,
                ends_at=start + timedelta(minutes=10),
                online=True,
            )
    except IntegrityError:
        assert connection.vendor == "postgresql"
        return
    other = PatientFactory(practice=agenda.cast.practice_a, user=UserFactory())
    with pytest.raises(services.SlotTaken):
        book_online(agenda, overlapping, patient=other)


def test_a_practice_flag_never_takes_a_national_code(agenda: Agenda) -> None:
    flag = triage_services.add_red_flag(
        practice=agenda.cast.practice_a,
        question="Pijn op de borst bij inspanning?",
        advice="spoedlijn",
        by=agenda.cast.manager_a,
    )
    assert flag.code.startswith("praktijk-")
    from spreekuur.triage.selectors import red_flags_for

    codes = [f.code for f in red_flags_for(agenda.cast.practice_a)]
    assert len(codes) == len(set(codes)) == 9


def test_staff_who_are_also_patients_book_for_others_as_staff(agenda: Agenda) -> None:
    PatientFactory(practice=agenda.cast.practice_a, user=agenda.cast.assistant_a)
    appointment = services.book_appointment(
        patient=agenda.cast.other_patient_a,
        slot=agenda.slots[0],
        appointment_type=agenda.types["consult"],
        reason="",
        by=agenda.cast.assistant_a,
        channel=BookingChannel.PHONE,
    )
    assert appointment.channel == BookingChannel.PHONE


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_booking_and_an_audited_read_of_the_same_patient_do_not_deadlock() -> None:
    """The booking holds the patient row while a GP's read of that patient commits its
    audit entry (whose foreign key to the patient is checked at commit, with the
    practice's audit chain held); the booking then needs that chain. With a plain
    FOR UPDATE on the patient this was a deadlock."""
    if connection.vendor != "postgresql":
        pytest.skip("lock modes are PostgreSQL's")
    import time

    from spreekuur.agenda.services.booking import _patient_locked
    from spreekuur.core.audit import record_access
    from tests.factories import MembershipFactory, PracticeFactory

    practice = PracticeFactory()
    gp = MembershipFactory(practice=practice).user
    patient = PatientFactory(practice=practice, user=UserFactory())
    locked = threading.Event()
    errors: list[BaseException] = []

    def booking() -> None:
        try:
            with transaction.atomic():
                _patient_locked(patient)
                locked.set()
                time.sleep(0.5)  # ordering only: the read reaches its commit first
                record_access(
                    actor=patient.user,
                    action="create",
                    object_kind="appointment",
                    practice=practice,
                    patient=patient,
                )
        except BaseException as error:  # pragma: no cover - reported by the assert
            errors.append(error)
        finally:
            connection.close()

    def gp_reads() -> None:
        try:
            locked.wait(5)
            record_access(
                actor=gp,
                action="read",
                object_kind="personal_data",
                practice=practice,
                patient=patient,
            )
        except BaseException as error:  # pragma: no cover
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=booking), threading.Thread(target=gp_reads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert AuditEntry.objects.filter(patient=patient).count() == 2


def test_staff_who_are_also_patients_cancel_for_others_as_staff(agenda: Agenda) -> None:
    PatientFactory(practice=agenda.cast.practice_a, user=agenda.cast.assistant_a)
    appointment = book_online(agenda, agenda.slots[0])
    late = appointment.starts_at - timedelta(hours=1)  # past the patients' cut-off
    services.cancel_appointment(appointment=appointment, by=agenda.cast.assistant_a, now=late)
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED
