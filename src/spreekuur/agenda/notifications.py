"""Content-free messages about appointments: when and with whom, never why (DESIGN.md §3.6)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from spreekuur.agenda.models import Appointment
from spreekuur.agenda.selectors import practitioner_label
from spreekuur.core.roles import StaffRole
from spreekuur.core.sms import send_sms

logger = logging.getLogger(__name__)


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
    patient = appointment.patient
    link = settings.SITE_URL + reverse("agenda:my_appointments")
    user = patient.user
    if user is not None and user.email_confirmed_at is not None:
        body = "\n\n".join(
            [
                _("Beste patiënt,"),
                line,
                _("Bekijken, verzetten of annuleren doet u in het portaal: %(link)s")
                % {"link": link},
                _("Met vriendelijke groet,\n%(practice)s") % {"practice": patient.practice.name},
            ]
        )
        try:
            send_mail(subject, body, None, [user.email])
        except Exception as error:
            # The booking stands; the portal shows it. Only the kind of failure is logged.
            logger.error("Appointment e-mail not sent: %s", type(error).__name__)
    if patient.phone:
        send_sms(patient.phone, f"{line} {patient.practice.name}")


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
