"""A content-free notice to a patient: "there is something new in your portal", by e-mail
(confirmed addresses only) and SMS (Dutch mobile numbers only). Never what it is about:
not a test, a medicine, or a reason (DESIGN.md §3.6). Both go through the outbox
(core.outbox): written in the caller's transaction, sent by the worker with retries."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from spreekuur.core.badges import forget_badges
from spreekuur.core.outbox import queue_email, queue_sms
from spreekuur.patients.models import Patient


def notify_patient(patient: Patient, *, subject: str, line: str, link_text: str, url: str) -> None:
    """One notice to the patient's confirmed e-mail address and mobile number (either may
    be missing); `line` is the whole message, and must be content-free."""
    user = patient.user
    if user is None:
        return  # no portal account: the practice informs them in person
    forget_badges(user.pk)  # the menu counts what is new again on the next page
    if user.email_confirmed_at is not None:
        body = "\n\n".join(
            [
                _("Beste patiënt,"),
                line,
                link_text % {"link": settings.SITE_URL + url},
                _("Met vriendelijke groet,\n%(practice)s") % {"practice": patient.practice.name},
            ]
        )
        queue_email(practice=patient.practice, to=user.email, subject=subject, body=body)
    if patient.phone:
        queue_sms(
            practice=patient.practice, phone=patient.phone, text=f"{line} {patient.practice.name}"
        )


def notify_new_in_portal(patient: Patient) -> None:
    with translation.override("nl"):
        notify_patient(
            patient,
            subject=_("Nieuw bericht in het portaal"),
            line=_("Er staat een nieuw bericht voor u in het patiëntenportaal."),
            link_text=_("Log in om het te lezen: %(link)s"),
            url=reverse("shell:start"),
        )
