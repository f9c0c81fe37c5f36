"""Malformed or tampered input gets a 4xx, never a 500 (issue 16, point 7): ids that are
no UUID in a form, and dates in year 1 or 9999 in the agenda's and the figures' URLs."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.agenda.conftest import Agenda, book_online
from tests.conftest import verified_client
from tests.factories import no_red_flags


@pytest.mark.parametrize("value", ["abc", "0", "'; drop table", "12345678-1234-1234-1234"])
def test_a_time_that_is_no_uuid_is_refused_without_an_error(agenda: Agenda, value: str) -> None:
    appointment = book_online(agenda, agenda.slots[0])
    patient = verified_client(agenda.cast.patient_user_a)
    moved = patient.post(
        reverse("agenda:reschedule_my_appointment", args=[appointment.public_id]), {"tijd": value}
    )
    assert 400 <= moved.status_code < 500
    staff = verified_client(agenda.cast.assistant_a)
    desk = staff.post(reverse("agenda:reschedule", args=[appointment.public_id]), {"tijd": value})
    assert 400 <= desk.status_code < 500


def test_a_kind_that_is_no_uuid_on_the_confirmation_is_refused(agenda: Agenda) -> None:
    client = verified_client(agenda.cast.patient_user_a)
    client.post(
        reverse("agenda:book_start"),
        {"reason": "Knie", **{f"flag_{c}": "nee" for c in no_red_flags(agenda.cast.practice_a)}},
    )
    response = client.get(
        reverse("agenda:book_confirm"),
        {"soort": "geen-uuid", "tijd": str(agenda.slots[0].public_id)},
    )
    assert 400 <= response.status_code < 500


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "0000-01-01", "2026-02-30"])
def test_absurd_dates_in_agenda_and_figures_urls_show_a_page(agenda: Agenda, day: str) -> None:
    desk = verified_client(agenda.cast.assistant_a)
    for name, param in (("agenda:day", "dag"), ("agenda:week", "week")):
        assert desk.get(reverse(name), {param: day}).status_code == 200
    manager = verified_client(agenda.cast.manager_a)
    figures = manager.get(reverse("agenda:figures"), {"van": day, "tot": day})
    assert figures.status_code == 200


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_absurd_dates_in_the_booking_choice_are_no_error(agenda: Agenda, day: str) -> None:
    client = verified_client(agenda.cast.patient_user_a)
    client.post(
        reverse("agenda:book_start"),
        {"reason": "Knie", **{f"flag_{c}": "nee" for c in no_red_flags(agenda.cast.practice_a)}},
    )
    response = client.get(
        reverse("agenda:book_choose"),
        {
            "soort": str(agenda.types["consult"].public_id),
            "zorgverlener": "iedereen",
            "vanaf": day,
            "na": f"{day}T00:00:00+01:00",
        },
    )
    assert response.status_code == 200
