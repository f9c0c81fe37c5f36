"""Content-free messages about appointments: when and with whom, never why (DESIGN.md §3.6).
They leave through the outbox, in the same transaction as the booking, move or cancel."""

from __future__ import annotations

from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from spreekuur.agenda.models import Appointment
from spreekuur.agenda.selectors import practitioner_label
from spreekuur.core.roles import StaffRole
from spreekuur.patients.notices import notify_patient


def _who(appointment: Appointment) -> str:
    """'Dokter X' for a GP; other practitioners by name only, without the role: a message
    saying "praktijkondersteuner GGZ" would tell a reader more than when and where."""
    if appointment.practitioner.role == StaffRole.HUISARTS:
        return practitioner_label(appointment.practitioner)
    return appointment.practitioner.user.full_name


def _when_and_who(appointment: Appointment) -> dict[str, str]:
    local = timezone.localtime(appointment.starts_at)
    return {
        "day": formats.date_format(local, "l j F Y"),
        "time": formats.time_format(local, "H:i"),
        "who": _who(appointment),
        "practice": appointment.patient.practice.name,
    }


def _send(appointment: Appointment, subject: str, line: str) -> None:
    notify_patient(
        appointment.patient,
        subject=subject,
        line=line,
        link_text=_("Bekijken, verzetten of annuleren doet u in het portaal: %(link)s"),
        url=reverse("agenda:my_appointments"),
    )


def send_booked(appointment: Appointment, *, moved: bool = False) -> None:
    with translation.override("nl"):
        facts = _when_and_who(appointment)
        if moved:
            subject = _("Uw afspraak is verzet")
            line = _("Uw afspraak is verzet naar %(day)s om %(time)s bij %(who)s.") % facts
        else:
            subject = _("Uw afspraak is gemaakt")
            line = _("U heeft een afspraak op %(day)s om %(time)s bij %(who)s.") % facts
        _send(appointment, subject, line)


def send_cancelled(appointment: Appointment) -> None:
    with translation.override("nl"):
        facts = _when_and_who(appointment)
        line = _("Uw afspraak op %(day)s om %(time)s bij %(who)s is geannuleerd.") % facts
        _send(appointment, _("Uw afspraak is geannuleerd"), line)


def send_reminder(appointment: Appointment) -> None:
    with translation.override("nl"):
        facts = _when_and_who(appointment)
        line = (
            _("Herinnering: u heeft morgen, %(day)s, om %(time)s een afspraak bij %(who)s.") % facts
        )
        _send(appointment, _("Herinnering aan uw afspraak"), line)
