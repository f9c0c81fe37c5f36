"""A content-free notice to a patient: "there is something new in your portal", by e-mail
(confirmed addresses only) and SMS (Dutch mobile numbers only). Never what it is about:
not a test, a medicine, or a reason (DESIGN.md §3.6). A failing mail server or gateway
never undoes what caused the notice; only the kind of failure is logged."""

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


def notify_new_in_portal(patient: Patient) -> None:
    with translation.override("nl"):
        line = _("Er staat een nieuw bericht voor u in het patiëntenportaal.")
        user = patient.user
        if user is not None and user.email_confirmed_at is not None:
            link = settings.SITE_URL + reverse("shell:start")
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
                logger.error("Portal notice not sent: %s", type(error).__name__)
        if user is not None and patient.phone:
            send_sms(patient.phone, f"{line} {patient.practice.name}")
