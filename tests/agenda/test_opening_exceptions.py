"""Other hours on a day close the slots outside them, at once and after every worker run,
and what was already booked in that time goes on the desk's list (issue 15, defect 3)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.urls import reverse
from django.utils import timezone

from spreekuur.agenda import selectors, services, tasks
from spreekuur.agenda.models import BookingChannel, ScheduleBlock, Slot
from spreekuur.core.models import AuditEntry
from spreekuur.practice import services as practice_services
from spreekuur.shell.start import work_queues
from tests.agenda.conftest import Agenda, book_online
from tests.conftest import verified_client


def _poh_works_all_day(agenda: Agenda) -> None:
    """The POH's template: 08:00-17:00 on the test day's weekday, every slot online."""
    ScheduleBlock.objects.create(
        practice=agenda.cast.practice_a,
        practitioner=agenda.poh,
        weekday=agenda.day.weekday(),
        dagdeel="ochtend",
        starts=time(8),
        ends=time(17),
        slot_minutes=30,
        online_per_hour=2,
    )
    services.sync_slots(practitioner=agenda.poh, start=agenda.day, days=1)
    agenda.types["consult"].offered_by = ["huisarts", "poh"]
    agenda.types["consult"].save()


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _free_starts(agenda: Agenda) -> list[str]:
    return [
        timezone.localtime(slot.starts_at).strftime("%H:%M")
        for slot in Slot.objects.filter(practitioner=agenda.poh, appointment__isnull=True).order_by(
            "starts_at"
        )
        if timezone.localtime(slot.starts_at).date() == agenda.day
    ]


def _morning_only(agenda: Agenda) -> None:
    practice_services.set_opening_exception(
        practice=agenda.cast.practice_a,
        day=agenda.day,
        closed=False,
        opens=time(8),
        closes=time(12),
        reason="Teamuitje",
        by=agenda.cast.manager_a,
    )


def test_open_only_in_the_morning_closes_the_afternoon_slots_at_once(agenda: Agenda) -> None:
    _poh_works_all_day(agenda)
    assert "13:30" in _free_starts(agenda)
    _morning_only(agenda)
    free = _free_starts(agenda)
    assert free and max(free) == "11:30"
    assert all(start < "12:00" for start in free)


def test_the_worker_keeps_them_closed(agenda: Agenda) -> None:
    _poh_works_all_day(agenda)
    _morning_only(agenda)
    tasks.extend_slots()
    assert all(start < "12:00" for start in _free_starts(agenda))


def test_a_patient_is_not_offered_an_afternoon_time(agenda: Agenda) -> None:
    _poh_works_all_day(agenda)
    _morning_only(agenda)
    choices = selectors.free_slot_choices(
        practice=agenda.cast.practice_a,
        appointment_type=agenda.types["consult"],
        practitioners=[agenda.poh],
        online=True,
        earliest=_at(agenda.day, 0),
        latest=_at(agenda.day, 23),
        limit=50,
    )
    assert choices
    assert all(timezone.localtime(c.starts_at).hour < 12 for c in choices)


def test_a_closed_day_closes_every_slot_and_reopening_brings_them_back(agenda: Agenda) -> None:
    _poh_works_all_day(agenda)
    practice_services.set_opening_exception(
        practice=agenda.cast.practice_a,
        day=agenda.day,
        closed=True,
        opens=None,
        closes=None,
        reason="Scholing",
        by=agenda.cast.manager_a,
    )
    assert _free_starts(agenda) == []
    practice_services.set_opening_exception(
        practice=agenda.cast.practice_a,
        day=agenda.day,
        closed=False,
        opens=time(7, 30),
        closes=time(18),
        reason="Toch open",
        by=agenda.cast.manager_a,
    )
    assert "16:30" in _free_starts(agenda)


def test_what_was_booked_in_the_closed_time_goes_on_the_desk_list(agenda: Agenda) -> None:
    _poh_works_all_day(agenda)
    afternoon = Slot.objects.get(practitioner=agenda.poh, starts_at=_at(agenda.day, 13, 30))
    morning = Slot.objects.get(practitioner=agenda.poh, starts_at=_at(agenda.day, 9))
    late = book_online(agenda, afternoon)
    early = book_online(
        agenda,
        morning,
        patient=agenda.cast.other_patient_a,
        by=agenda.cast.assistant_a,
        channel=BookingChannel.DESK,
    )
    now = timezone.now()
    assert selectors.appointments_out_of_hours(agenda.cast.practice_a, now=now) == []
    _morning_only(agenda)
    found = selectors.appointments_out_of_hours(agenda.cast.practice_a, now=now)
    assert [item.appointment for item in found] == [late]
    assert found[0].why == "Teamuitje"
    assert early not in [item.appointment for item in found]
    # The booking itself stands: the desk decides, the patient is not silently dropped.
    afternoon.refresh_from_db()
    assert afternoon.appointment == late


def test_an_absence_puts_its_appointments_on_the_list_too(agenda: Agenda) -> None:
    booked = book_online(agenda, agenda.slots[0])
    services.add_absence(
        practitioner=agenda.gp,
        starts_on=agenda.day,
        ends_on=agenda.day,
        kind="ziek",
        note="",
        by=agenda.cast.manager_a,
    )
    found = selectors.appointments_out_of_hours(agenda.cast.practice_a, now=timezone.now())
    assert [item.appointment for item in found] == [booked]
    assert found[0].why == "ziek"


def test_the_desk_sees_the_list_and_a_counter_and_the_read_is_logged(agenda: Agenda) -> None:
    _poh_works_all_day(agenda)
    afternoon = Slot.objects.get(practitioner=agenda.poh, starts_at=_at(agenda.day, 13, 30))
    late = book_online(agenda, afternoon)
    _morning_only(agenda)
    queues = work_queues(agenda.cast.assistant_a)["work_queues"]
    assert "1 afspraak buiten de openingstijden" in [q.text for q in queues]  # type: ignore[attr-defined]
    response = verified_client(agenda.cast.assistant_a).get(reverse("agenda:out_of_hours"))
    assert response.status_code == 200
    assert agenda.cast.patient_a.display_name in response.content.decode()
    assert any(
        str(late.public_id) in entry.object_ids
        for entry in AuditEntry.objects.filter(actor=agenda.cast.assistant_a)
    )


def test_other_practices_and_patients_never_see_the_list(agenda: Agenda) -> None:
    _poh_works_all_day(agenda)
    afternoon = Slot.objects.get(practitioner=agenda.poh, starts_at=_at(agenda.day, 13, 30))
    book_online(agenda, afternoon)
    _morning_only(agenda)
    other = verified_client(agenda.cast.manager_b).get(reverse("agenda:out_of_hours"))
    assert agenda.cast.patient_a.display_name not in other.content.decode()
    patient = verified_client(agenda.cast.patient_user_a).get(reverse("agenda:out_of_hours"))
    assert patient.status_code in (403, 404)


def test_a_usual_day_keeps_an_evening_clinic_outside_the_opening_hours(agenda: Agenda) -> None:
    ScheduleBlock.objects.create(
        practice=agenda.cast.practice_a,
        practitioner=agenda.poh,
        weekday=agenda.day.weekday(),
        dagdeel="avond",
        starts=time(18),
        ends=time(20),
        slot_minutes=30,
    )
    services.sync_slots(practitioner=agenda.poh, start=agenda.day, days=1)
    assert "19:30" in _free_starts(agenda)
    assert (agenda.day - timezone.localdate()) < timedelta(days=56)
