"""An appointment as an iCalendar file (RFC 5545) for the patient's own calendar.

It holds when, where and with whom, never why: a calendar syncs to other services."""

from __future__ import annotations

from datetime import UTC, datetime

from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from spreekuur.agenda.models import Appointment, AppointmentMode


def calendar_identity(appointment: Appointment) -> tuple[str, int]:
    """The event's UID and SEQUENCE. A move keeps the UID of the first booking and counts
    up, so the patient's calendar moves its entry instead of adding a second one; a
    cancellation counts up once more."""
    root, moves = appointment, 0
    while root.rescheduled_from_id is not None:
        root = Appointment.objects.only("public_id", "rescheduled_from_id").get(
            pk=root.rescheduled_from_id
        )
        moves += 1
    sequence = moves + (1 if appointment.is_cancelled else 0)
    return f"{root.public_id}@spreekuur", sequence


def appointment_calendar(appointment: Appointment, *, label: str) -> bytes:
    practice = appointment.patient.practice
    uid, sequence = calendar_identity(appointment)
    calendar = Calendar()
    calendar.add("prodid", "-//Spreekuur//Afspraken//NL")
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if appointment.is_cancelled else "PUBLISH")
    event = Event()
    event.add("uid", uid)
    event.add("sequence", sequence)
    event.add("dtstamp", datetime.now(UTC))
    event.add("dtstart", appointment.starts_at.astimezone(UTC))
    event.add("dtend", appointment.ends_at.astimezone(UTC))
    event.add("summary", _("Afspraak bij %(who)s") % {"who": label})
    if appointment.appointment_type.mode == AppointmentMode.IN_PERSON:
        event.add("location", f"{practice.name}, {practice.street}, {practice.city}")
    else:
        event.add("location", str(appointment.appointment_type.get_mode_display()))
    event.add(
        "description",
        _("Verhinderd? Annuleer in het portaal of bel %(phone)s.") % {"phone": practice.phone_main},
    )
    if appointment.is_cancelled:
        event.add("status", "CANCELLED")
    calendar.add_component(event)
    data: bytes = calendar.to_ical()
    return data
