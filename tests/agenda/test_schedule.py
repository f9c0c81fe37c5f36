"""Templates become slots (minus holidays, closed days and absences), the desk's day, the
background jobs and the figures."""

from __future__ import annotations

import itertools
from datetime import date, datetime, time, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from spreekuur.agenda import figures, services, tasks
from spreekuur.agenda.models import AppointmentStatus, BookingChannel, ScheduleBlock, Slot
from spreekuur.agenda.slots import FreeSlot, block_slots, released_positions, runs_that_fit
from spreekuur.core.exceptions import BusinessRuleError, PermissionDenied
from spreekuur.core.models import OpeningException
from spreekuur.core.sms import mobile_number
from tests.agenda.conftest import Agenda, book_online
from tests.conftest import deliver_notifications
from tests.factories import add_slots

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


@given(st.integers(1, 12), st.integers(0, 14))
def test_released_positions_spread_evenly_and_never_exceed_the_hour(
    slots_per_hour: int, online: int
) -> None:
    chosen = released_positions(slots_per_hour, online)
    assert len(chosen) == min(online, slots_per_hour)
    assert all(0 <= i < slots_per_hour for i in chosen)


def test_two_of_six_go_online_on_the_hour_and_half_hour() -> None:
    slots = block_slots(
        day=date(2026, 12, 1),
        starts=time(8),
        ends=time(9),
        slot_minutes=10,
        online_per_hour=2,
        tz=AMSTERDAM,
    )
    assert [s.starts_at.strftime("%H:%M") for s in slots if s.online] == ["08:00", "08:30"]


def test_blocks_keep_wall_clock_times_across_the_change_to_summer_time() -> None:
    slots = block_slots(
        day=date(2027, 3, 28),
        starts=time(8),
        ends=time(9),
        slot_minutes=30,
        online_per_hour=0,
        tz=AMSTERDAM,
    )
    assert [s.starts_at.hour for s in slots] == [8, 8]
    assert slots[0].starts_at.utcoffset() == timedelta(hours=2)


def test_a_remainder_shorter_than_a_slot_is_left_free() -> None:
    slots = block_slots(
        day=date(2026, 12, 1),
        starts=time(8),
        ends=time(8, 25),
        slot_minutes=10,
        online_per_hour=0,
        tz=AMSTERDAM,
    )
    assert len(slots) == 2


@given(st.lists(st.booleans(), min_size=1, max_size=12), st.sampled_from([10, 20, 30]))
def test_runs_that_fit_only_use_back_to_back_free_slots(free: list[bool], minutes: int) -> None:
    start = datetime(2026, 12, 1, 8, tzinfo=AMSTERDAM)
    slots = [
        FreeSlot(
            i, 1, start + timedelta(minutes=10 * i), start + timedelta(minutes=10 * (i + 1)), True
        )
        for i, is_free in enumerate(free)
        if is_free
    ]
    for first, run in runs_that_fit(slots, minutes=minutes, online_only=True):
        assert run[0] is first
        assert run[-1].ends_at - first.starts_at >= timedelta(minutes=minutes)
        for earlier, later in itertools.pairwise(run):
            assert earlier.ends_at == later.starts_at


def next_monday(after: date) -> date:
    return after + timedelta(days=7 - after.weekday())


def test_a_block_makes_slots_for_the_weeks_ahead_and_syncing_again_changes_nothing(
    agenda: Agenda,
) -> None:
    services.add_schedule_block(
        practitioner=agenda.poh,
        weekday=1,
        starts=time(8, 30),
        ends=time(10),
        slot_minutes=30,
        online_per_hour=0,
        by=agenda.cast.manager_a,
    )
    slots = Slot.objects.filter(practitioner=agenda.poh)
    assert slots.count() >= 3 * 7  # 3 a Tuesday, at least 7 Tuesdays in 8 weeks
    assert all(timezone.localtime(s.starts_at).weekday() == 1 for s in slots)
    again = services.sync_slots(practitioner=agenda.poh, start=timezone.localdate(), days=56)
    assert (again.created, again.removed, again.changed) == (0, 0, 0)


def test_no_slots_on_public_holidays_closed_days_or_absence(agenda: Agenda) -> None:
    for weekday in range(5):
        ScheduleBlock.objects.create(
            practice=agenda.cast.practice_a,
            practitioner=agenda.poh,
            weekday=weekday,
            dagdeel="ochtend",
            starts=time(9),
            ends=time(10),
            slot_minutes=30,
        )
    christmas = date(2026, 12, 25)  # a Friday
    closed = date(2026, 12, 23)
    OpeningException.objects.create(practice=agenda.cast.practice_a, date=closed, closed=True)
    services.add_absence(
        practitioner=agenda.poh,
        starts_on=date(2026, 12, 21),
        ends_on=date(2026, 12, 22),
        kind="verlof",
        note="",
        by=agenda.cast.manager_a,
    )
    services.sync_slots(practitioner=agenda.poh, start=date(2026, 12, 21), days=7)
    days = {
        timezone.localtime(s.starts_at).date() for s in Slot.objects.filter(practitioner=agenda.poh)
    }
    assert days & {date(2026, 12, 21), date(2026, 12, 22), closed, christmas} == set()
    assert date(2026, 12, 24) in days


def test_removing_a_block_removes_free_slots_but_never_a_booking(agenda: Agenda) -> None:
    block = services.add_schedule_block(
        practitioner=agenda.gp,
        weekday=agenda.day.weekday(),
        starts=time(13),
        ends=time(14),
        slot_minutes=10,
        online_per_hour=6,
        by=agenda.cast.manager_a,
    )
    afternoon = Slot.objects.filter(
        practitioner=agenda.gp,
        starts_at=timezone.make_aware(datetime.combine(agenda.day, time(13))),
    ).get()
    appointment = book_online(agenda, afternoon)
    services.remove_schedule_block(block=block, by=agenda.cast.manager_a)
    left = Slot.objects.filter(practitioner=agenda.gp, starts_at__hour__gte=12)
    assert list(left) == [afternoon]
    afternoon.refresh_from_db()
    assert afternoon.appointment == appointment


def test_overlapping_blocks_are_refused(agenda: Agenda) -> None:
    services.add_schedule_block(
        practitioner=agenda.poh,
        weekday=2,
        starts=time(8),
        ends=time(10),
        slot_minutes=30,
        online_per_hour=0,
        by=agenda.cast.manager_a,
    )
    with pytest.raises(BusinessRuleError, match="overlapt"):
        services.add_schedule_block(
            practitioner=agenda.poh,
            weekday=2,
            starts=time(9, 30),
            ends=time(11),
            slot_minutes=30,
            online_per_hour=0,
            by=agenda.cast.manager_a,
        )


@pytest.mark.parametrize("who", ["assistant_a", "gp_a", "manager_b"])
def test_only_the_own_manager_changes_schedules(agenda: Agenda, who: str) -> None:
    with pytest.raises(PermissionDenied):
        services.add_schedule_block(
            practitioner=agenda.poh,
            weekday=2,
            starts=time(8),
            ends=time(10),
            slot_minutes=30,
            online_per_hour=0,
            by=getattr(agenda.cast, who),
        )


def test_absence_reports_appointments_that_still_stand(agenda: Agenda) -> None:
    book_online(agenda, agenda.slots[0])
    _absence, standing = services.add_absence(
        practitioner=agenda.gp,
        starts_on=agenda.day,
        ends_on=agenda.day,
        kind="cursus",
        note="",
        by=agenda.cast.manager_a,
    )
    assert standing == 1


def test_queue_numbers_count_up_per_day(agenda: Agenda) -> None:
    first = book_online(agenda, agenda.slots[0])
    second = book_online(
        agenda,
        agenda.slots[1],
        patient=agenda.cast.other_patient_a,
        by=agenda.cast.assistant_a,
        channel=BookingChannel.DESK,
    )
    on_the_day = first.starts_at - timedelta(minutes=20)
    services.mark_arrived(appointment=second, by=agenda.cast.assistant_a, now=on_the_day)
    services.mark_arrived(appointment=first, by=agenda.cast.assistant_a, now=on_the_day)
    second.refresh_from_db()
    first.refresh_from_db()
    assert (second.queue_number, first.queue_number) == (1, 2)


def test_call_in_needs_an_arrived_patient_and_no_show_a_past_start(agenda: Agenda) -> None:
    appointment = book_online(agenda, agenda.slots[0])
    with pytest.raises(BusinessRuleError):
        services.call_in(appointment=appointment, by=agenda.cast.gp_a)
    with pytest.raises(BusinessRuleError, match="nog niet begonnen"):
        services.mark_no_show(appointment=appointment, by=agenda.cast.assistant_a)
    services.mark_no_show(
        appointment=appointment,
        by=agenda.cast.assistant_a,
        now=appointment.starts_at + timedelta(minutes=15),
    )


@pytest.mark.parametrize("typed", ["12", "12 ", " 12", "12-"])
def test_kiosk_house_numbers_are_compared_loosely(agenda: Agenda, typed: str) -> None:
    appointment = book_online(agenda, agenda.slots[0])
    kiosk = services.register_kiosk(
        practice=agenda.cast.practice_a, name="Zuil", by=agenda.cast.manager_a
    )
    result = services.check_in_by_birth_date(
        kiosk=kiosk,
        born=agenda.cast.patient_a.date_of_birth,
        house_number=typed,
        now=appointment.starts_at - timedelta(minutes=10),
    )
    assert result.found


def test_kiosk_does_not_match_a_wrong_house_number_or_a_day_too_early(agenda: Agenda) -> None:
    appointment = book_online(agenda, agenda.slots[0])
    kiosk = services.register_kiosk(
        practice=agenda.cast.practice_a, name="Zuil", by=agenda.cast.manager_a
    )
    born = agenda.cast.patient_a.date_of_birth
    soon = appointment.starts_at - timedelta(minutes=10)
    assert not services.check_in_by_birth_date(
        kiosk=kiosk, born=born, house_number="14", now=soon
    ).found
    assert not services.check_in_by_birth_date(
        kiosk=kiosk, born=born, house_number="12", now=appointment.starts_at - timedelta(days=1)
    ).found


def test_reminders_go_out_once_the_day_before_without_the_reason(agenda: Agenda) -> None:
    appointment = book_online(agenda, agenda.slots[0])
    deliver_notifications()  # the booking's own confirmation, queued with it
    mail.outbox.clear()
    evening_before = timezone.make_aware(
        datetime.combine(
            timezone.localtime(appointment.starts_at).date() - timedelta(days=1), time(18)
        )
    )
    early = evening_before.replace(hour=7)
    assert tasks.send_due_reminders(now=early) == 0
    assert tasks.send_due_reminders(now=evening_before) == 1
    assert tasks.send_due_reminders(now=evening_before + timedelta(minutes=5)) == 0
    deliver_notifications()
    assert len(mail.outbox) == 1
    assert "Herinnering" in mail.outbox[0].subject
    assert "knie" not in mail.outbox[0].body.lower()


def test_cancelled_appointments_get_no_reminder(agenda: Agenda) -> None:
    appointment = book_online(agenda, agenda.slots[0])
    services.cancel_appointment(appointment=appointment, by=agenda.cast.assistant_a)
    evening_before = timezone.make_aware(
        datetime.combine(
            timezone.localtime(appointment.starts_at).date() - timedelta(days=1), time(18)
        )
    )
    assert tasks.send_due_reminders(now=evening_before) == 0


def test_sms_goes_only_to_mobile_numbers(
    agenda: Agenda, settings, django_capture_on_commit_callbacks
) -> None:
    from spreekuur.core import sms

    settings.SMS_BACKEND = "spreekuur.core.sms.LocmemBackend"
    sms.outbox.clear()
    patient = agenda.cast.patient_a
    patient.phone = "06-12345678"
    patient.save()
    with django_capture_on_commit_callbacks(execute=True):
        book_online(agenda, agenda.slots[0])
    assert [m.to for m in sms.outbox] == ["+31612345678"]
    assert "knie" not in sms.outbox[0].text.lower()
    assert mobile_number("010-1234567") is None
    assert mobile_number("+31 6 1234 5678") == "+31612345678"


def test_worker_runs_every_job_once(agenda: Agenda) -> None:
    out = StringIO()
    call_command("worker", "--once", stdout=out)
    assert "send_due_reminders" in out.getvalue()
    assert "extend_slots" in out.getvalue()


def test_figures_count_channels_and_no_shows(agenda: Agenda) -> None:
    online = book_online(agenda, agenda.slots[0])
    phone = book_online(
        agenda,
        agenda.slots[1],
        patient=agenda.cast.other_patient_a,
        by=agenda.cast.assistant_a,
        channel=BookingChannel.PHONE,
    )
    after = online.starts_at + timedelta(hours=1)
    services.mark_no_show(appointment=online, by=agenda.cast.assistant_a, now=after)
    services.mark_arrived(appointment=phone, by=agenda.cast.assistant_a, now=after)
    result = figures.agenda_figures(
        agenda.cast.practice_a, since=timezone.localdate(), until=agenda.day
    )
    counts = {row.channel: row.count for row in result.bookings}
    assert counts == {"online": 1, "telefoon": 1, "balie": 0}
    assert result.total_bookings == 2
    assert [r.practitioner for r in result.first_free] == ["Dokter A"]
    assert result.first_free[0].any_channel == agenda.slots[2].starts_at
    # Both appointments lie in the future, so they do not count for attendance yet.
    assert result.no_show_rate is None
    assert AppointmentStatus.NO_SHOW == "niet_verschenen"


def test_no_show_rate_counts_past_appointments_that_were_seen_or_missed(agenda: Agenda) -> None:
    from spreekuur.agenda.models import Appointment

    yesterday = timezone.localdate() - timedelta(days=1)
    past = add_slots(agenda.gp, day=yesterday, count=5)
    outcomes = [
        AppointmentStatus.COMPLETED,
        AppointmentStatus.COMPLETED,
        AppointmentStatus.ARRIVED,
        AppointmentStatus.NO_SHOW,
        AppointmentStatus.BOOKED,  # never marked: not counted either way
    ]
    for slot, status in zip(past, outcomes, strict=True):
        Appointment.objects.create(
            practice=agenda.cast.practice_a,
            patient=agenda.cast.patient_a,
            practitioner=agenda.gp,
            appointment_type=agenda.types["consult"],
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
            status=status,
            channel=BookingChannel.PHONE,
            booked_by=agenda.cast.assistant_a,
            booked_at=slot.starts_at - timedelta(days=1),
        )
    result = figures.agenda_figures(agenda.cast.practice_a, since=yesterday, until=yesterday)
    assert (result.attended, result.no_shows) == (3, 1)
    assert result.no_show_rate == 25.0


def test_a_changed_template_makes_no_slot_over_a_booked_one(agenda: Agenda) -> None:
    """Slots kept for a booking stay; new slots that would overlap them are not made
    (on SQLite too, which has no exclusion constraint)."""
    booked_day = agenda.day
    ScheduleBlock.objects.create(
        practice=agenda.cast.practice_a,
        practitioner=agenda.gp,
        weekday=booked_day.weekday(),
        dagdeel="ochtend",
        starts=time(9, 5),
        ends=time(9, 45),
        slot_minutes=10,
    )
    appointment = book_online(agenda, agenda.slots[0])  # 09:00-09:10
    services.sync_slots(practitioner=agenda.gp, start=booked_day, days=1)
    starts = sorted(
        timezone.localtime(s.starts_at).strftime("%H:%M")
        for s in Slot.objects.filter(practitioner=agenda.gp)
    )
    assert starts == ["09:00", "09:15", "09:25", "09:35"]
    assert Slot.objects.get(appointment=appointment).starts_at == appointment.starts_at
