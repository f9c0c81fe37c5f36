"""The patient's appointment lists and calendar file say what happened: a move is a move,
a cancelled future appointment is not 'earlier', the calendar entry moves along, there
are more times than the first twelve, and the desk's notes stay the desk's
(issue 15, defects 10 and 11)."""

from __future__ import annotations

import re
from datetime import time, timedelta

from django.test import Client
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from spreekuur.agenda import selectors, services
from spreekuur.agenda.models import Appointment, AppointmentType
from tests.agenda.conftest import Agenda, book_online, next_weekday
from tests.conftest import verified_client
from tests.factories import add_slots, no_red_flags


def _move(agenda: Agenda, appointment: Appointment, to: int) -> Appointment:
    return services.reschedule_appointment(
        appointment=appointment, slot=agenda.slots[to], by=agenda.cast.patient_user_a
    )


def test_a_moved_appointment_shows_once_and_never_as_cancelled(agenda: Agenda) -> None:
    first = book_online(agenda, agenda.slots[0])
    moved = _move(agenda, first, 3)
    lists = selectors.patient_appointment_lists(agenda.cast.patient_a, now=timezone.now())
    assert lists.upcoming == [moved]
    assert first not in lists.cancelled + lists.past
    first.refresh_from_db()
    assert first.was_moved and first.status_label == "verzet"
    page = verified_client(agenda.cast.patient_user_a).get(reverse("agenda:my_appointments"))
    assert "geannuleerd" not in page.content.decode()


def test_a_cancelled_future_appointment_is_not_listed_as_earlier(agenda: Agenda) -> None:
    appointment = book_online(agenda, agenda.slots[0])
    services.cancel_appointment(appointment=appointment, by=agenda.cast.patient_user_a)
    lists = selectors.patient_appointment_lists(agenda.cast.patient_a, now=timezone.now())
    assert lists.cancelled == [appointment]
    assert lists.past == [] and lists.upcoming == []
    page = verified_client(agenda.cast.patient_user_a).get(reverse("agenda:my_appointments"))
    html = page.content.decode()
    earlier = html[html.index("Eerdere afspraken") :]
    assert "Geannuleerde afspraken" in html
    assert str(appointment.public_id) not in earlier


def _ics(client: Client, appointment: Appointment) -> tuple[str, int, str]:
    body = client.get(reverse("agenda:my_appointment_ics", args=[appointment.public_id])).content
    calendar = Calendar.from_ical(body)
    event = next(iter(calendar.walk("VEVENT")))
    return str(event["UID"]), int(event.get("SEQUENCE", 0)), str(calendar["METHOD"])


def test_a_move_keeps_the_calendar_uid_with_a_higher_sequence(agenda: Agenda) -> None:
    client = verified_client(agenda.cast.patient_user_a)
    first = book_online(agenda, agenda.slots[0])
    uid, sequence, method = _ics(client, first)
    assert (sequence, method) == (0, "PUBLISH")
    second = _move(agenda, first, 3)
    third = _move(agenda, second, 5)
    assert _ics(client, second)[:2] == (uid, 1 + 1)  # moved away: cancelled once more
    assert _ics(client, third) == (uid, 2, "PUBLISH")
    services.cancel_appointment(appointment=third, by=agenda.cast.patient_user_a)
    third.refresh_from_db()
    assert _ics(client, third) == (uid, 3, "CANCEL")


def test_the_patient_can_see_later_times_and_choose_a_day(agenda: Agenda) -> None:
    later_day = next_weekday(agenda.day, days=3)
    add_slots(agenda.gp, day=agenda.day, start=time(10), count=20)
    late = add_slots(agenda.gp, day=later_day, start=time(14), count=3)
    client = verified_client(agenda.cast.patient_user_a)
    client.post(
        reverse("agenda:book_start"),
        {
            "reason": "Knie",
            **{f"flag_{code}": "nee" for code in no_red_flags(agenda.cast.practice_a)},
        },
    )
    consult = str(agenda.types["consult"].public_id)
    first_page = client.get(
        reverse("agenda:book_choose"), {"soort": consult, "zorgverlener": "iedereen"}
    ).content.decode()
    shown = re.findall(r'name="tijd" value="([0-9a-f-]+)"', first_page)
    assert len(shown) == 12
    more = re.search(r'href="([^"]*na=[^"]+)"', first_page)
    assert more is not None, "a link to later times"
    second_page = client.get(more.group(1).replace("&amp;", "&")).content.decode()
    later = re.findall(r'name="tijd" value="([0-9a-f-]+)"', second_page)
    assert later and not set(later) & set(shown)
    by_day = client.get(
        reverse("agenda:book_choose"),
        {"soort": consult, "zorgverlener": "iedereen", "vanaf": later_day.isoformat()},
    ).content.decode()
    assert re.findall(r'name="tijd" value="([0-9a-f-]+)"', by_day) == [
        str(slot.public_id) for slot in late
    ]
    too_far = client.get(
        reverse("agenda:book_choose"),
        {
            "soort": consult,
            "zorgverlener": "iedereen",
            "vanaf": (agenda.day + timedelta(days=400)).isoformat(),
        },
    )
    assert "Online kunt u afspreken tot en met" in too_far.content.decode()


def test_a_type_nobody_offers_online_times_for_is_not_offered(agenda: Agenda) -> None:
    AppointmentType.objects.create(
        practice=agenda.cast.practice_a,
        name="Uitstrijkje",
        duration_minutes=10,
        offered_by=["assistent"],  # the assistant has no released slots
        online_bookable=True,
    )
    client = verified_client(agenda.cast.patient_user_a)
    client.post(
        reverse("agenda:book_start"),
        {
            "reason": "Knie",
            **{f"flag_{code}": "nee" for code in no_red_flags(agenda.cast.practice_a)},
        },
    )
    page = client.get(reverse("agenda:book_choose")).content.decode()
    assert "Consult" in page
    assert "Uitstrijkje" not in page


def test_a_patient_cannot_write_the_desk_note(agenda: Agenda) -> None:
    import pytest

    from spreekuur.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        book_online(agenda, agenda.slots[0], desk_note="door de patiënt zelf")


def test_the_patient_never_sees_the_desk_note(agenda: Agenda) -> None:
    appointment = services.book_appointment(
        patient=agenda.cast.patient_a,
        slot=agenda.slots[0],
        appointment_type=agenda.types["consult"],
        reason="",
        desk_note="Belt over de uitslag",
        by=agenda.cast.assistant_a,
        channel="telefoon",
    )
    moved = services.reschedule_appointment(
        appointment=appointment, slot=agenda.slots[3], by=agenda.cast.patient_user_a
    )
    assert moved.desk_note == "Belt over de uitslag"
    page = verified_client(agenda.cast.patient_user_a).get(
        reverse("agenda:my_appointment", args=[moved.public_id])
    )
    assert "Belt over de uitslag" not in page.content.decode()
