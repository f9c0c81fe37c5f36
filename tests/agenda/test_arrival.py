"""Arrival and calling in are for the day itself, and both can be undone (issue 15, defect 2)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from spreekuur.agenda import selectors, services
from spreekuur.agenda.models import AppointmentStatus
from spreekuur.core.exceptions import BusinessRuleError, PermissionDenied
from tests.agenda.conftest import Agenda, book_now_at_desk, book_online
from tests.conftest import verified_client


def test_an_appointment_days_ahead_cannot_be_marked_arrived(agenda: Agenda) -> None:
    ahead = book_online(agenda, agenda.slots[0])  # two working days from now
    with pytest.raises(BusinessRuleError, match="op de dag van de afspraak"):
        services.mark_arrived(appointment=ahead, by=agenda.cast.assistant_a)
    ahead.refresh_from_db()
    assert ahead.is_booked and ahead.queue_number is None


def test_arrival_opens_two_hours_before_the_start_on_the_day(agenda: Agenda) -> None:
    appointment = book_online(agenda, agenda.slots[0])
    too_early = appointment.starts_at - timedelta(hours=2, minutes=1)
    with pytest.raises(BusinessRuleError):
        services.mark_arrived(appointment=appointment, by=agenda.cast.assistant_a, now=too_early)
    services.mark_arrived(
        appointment=appointment,
        by=agenda.cast.assistant_a,
        now=appointment.starts_at - timedelta(hours=2),
    )


def test_a_future_arrival_cannot_be_called_onto_todays_screen(agenda: Agenda) -> None:
    appointment = book_online(agenda, agenda.slots[0])
    services.mark_arrived(
        appointment=appointment,
        by=agenda.cast.assistant_a,
        now=appointment.starts_at - timedelta(minutes=30),
    )
    with pytest.raises(BusinessRuleError, match="op de dag van de afspraak"):
        services.call_in(appointment=appointment, by=agenda.cast.gp_a)  # today is not that day
    services.call_in(
        appointment=appointment, by=agenda.cast.gp_a, now=appointment.starts_at - timedelta(1 / 24)
    )


def test_undoing_an_arrival_makes_it_cancellable_and_movable_again(agenda: Agenda) -> None:
    appointment = book_now_at_desk(agenda)
    services.mark_arrived(appointment=appointment, by=agenda.cast.assistant_a)
    services.call_in(appointment=appointment, by=agenda.cast.gp_a)
    with pytest.raises(BusinessRuleError):
        services.cancel_appointment(appointment=appointment, by=agenda.cast.assistant_a)
    services.undo_arrival(appointment=appointment, by=agenda.cast.assistant_a)
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED
    assert appointment.arrived_at is None and appointment.called_at is None
    assert selectors.waiting_room_calls(agenda.cast.practice_a, now=timezone.now()) == []
    services.cancel_appointment(appointment=appointment, by=agenda.cast.assistant_a)


def test_a_real_arrival_after_an_undo_keeps_the_queue_number(agenda: Agenda) -> None:
    appointment = book_now_at_desk(agenda)
    services.mark_arrived(appointment=appointment, by=agenda.cast.assistant_a)
    services.undo_arrival(appointment=appointment, by=agenda.cast.assistant_a)
    services.mark_arrived(appointment=appointment, by=agenda.cast.assistant_a)
    appointment.refresh_from_db()
    assert appointment.queue_number == 1


def test_undoing_a_call_takes_the_number_off_the_screen(agenda: Agenda) -> None:
    appointment = book_now_at_desk(agenda)
    services.mark_arrived(appointment=appointment, by=agenda.cast.assistant_a)
    services.call_in(appointment=appointment, by=agenda.cast.gp_a)
    assert selectors.waiting_room_calls(agenda.cast.practice_a, now=timezone.now())
    services.undo_call_in(appointment=appointment, by=agenda.cast.gp_a)
    appointment.refresh_from_db()
    assert appointment.is_arrived and appointment.called_at is None
    assert selectors.waiting_room_calls(agenda.cast.practice_a, now=timezone.now()) == []
    with pytest.raises(BusinessRuleError):
        services.undo_call_in(appointment=appointment, by=agenda.cast.gp_a)


@pytest.mark.parametrize("who", ["manager_b", "patient_user_a"])
def test_only_the_own_practice_undoes(agenda: Agenda, who: str) -> None:
    appointment = book_now_at_desk(agenda)
    services.mark_arrived(appointment=appointment, by=agenda.cast.assistant_a)
    with pytest.raises(PermissionDenied):
        services.undo_arrival(appointment=appointment, by=getattr(agenda.cast, who))


def test_the_desk_page_offers_undo_and_no_arrival_for_another_day(agenda: Agenda) -> None:
    client = verified_client(agenda.cast.assistant_a)
    ahead = book_online(agenda, agenda.slots[0])
    page = client.get(reverse("agenda:appointment", args=[ahead.public_id])).content.decode()
    assert "/aangemeld/" not in page
    assert "vanaf twee uur voor de begintijd" in page
    refused = client.post(reverse("agenda:change_status", args=[ahead.public_id, "aangemeld"]))
    assert refused.status_code == 302
    ahead.refresh_from_db()
    assert ahead.is_booked

    today = book_now_at_desk(agenda, patient=agenda.cast.other_patient_a)
    client.post(reverse("agenda:change_status", args=[today.public_id, "aangemeld"]))
    client.post(reverse("agenda:change_status", args=[today.public_id, "oproepen"]))
    page = client.get(reverse("agenda:appointment", args=[today.public_id])).content.decode()
    assert "Oproep terugdraaien" in page and "Aanmelding terugdraaien" in page
    client.post(reverse("agenda:change_status", args=[today.public_id, "aanmelding-terugdraaien"]))
    today.refresh_from_db()
    assert today.is_booked
