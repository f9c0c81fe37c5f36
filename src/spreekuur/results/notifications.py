"""Content-free notices about results: never which test, never a value (DESIGN.md §3.6)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from spreekuur.core.sms import send_sms
from spreekuur.patients.models import Patient

logger = logging.getLogger(__name__)


def send_result_released(patient: Patient) -> None:
    with translation.override("nl"):
        line = _("Er staat een nieuw bericht voor u in het patiëntenportaal.")
        user = patient.user
        if user is not None and user.email_confirmed_at is not None:
            link = settings.SITE_URL + reverse("core:start")
            body = "\n\n".join(
                [
                    _("Beste patiënt,"),
                    line,
                    _("Log in om het te lezen: %(link)s") % {"link": link},
                    _("Met vriendelijke groet,\n%(practice)s")
                    % {"practice": patient.practice.name},
                ]
            )
            try:
                send_mail(_("Nieuw bericht in het portaal"), body, None, [user.email])
            except Exception as error:
                logger.error("Result notice not sent: %s", type(error).__name__)
        if user is not None and patient.phone:
            send_sms(patient.phone, f"{line} {patient.practice.name}")
