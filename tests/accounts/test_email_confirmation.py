from __future__ import annotations

import re

from django.core import mail
from django.test import Client
from django.urls import reverse

from spreekuur.accounts.models import User
from spreekuur.patients import services as patient_services
from tests.conftest import Cast, deliver_notifications, dob_parts, verified_client


def _activate(cast: Cast, client: Client, capture) -> User:
    issued = patient_services.issue_portal_activation(
        patient=cast.other_patient_a, by=cast.assistant_a
    )
    client.post(
        reverse("patients:activate"),
        {"code": issued.code, **dob_parts(cast.other_patient_a.date_of_birth)},
    )
    with capture(execute=True):
        client.post(
            reverse("patients:activate_account"),
            {
                "email": "nieuw@patient.example",
                "password1": "Lang-genoeg-2026",
                "password2": "Lang-genoeg-2026",
            },
        )
    return User.objects.get(email="nieuw@patient.example")


def _link(message) -> str:
    match = re.search(r"http://testserver(/account/e-mail-bevestigen/[^/\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


def test_new_patient_confirms_address_before_reset_mails_reach_it(
    cast: Cast, django_capture_on_commit_callbacks
) -> None:
    user = _activate(cast, Client(), django_capture_on_commit_callbacks)
    assert user.email_confirmed_at is None
    (confirmation,) = mail.outbox
    assert cast.other_patient_a.family_name not in confirmation.body + confirmation.subject
    assert cast.other_patient_a.bsn not in confirmation.body

    Client().post(reverse("accounts:password_reset"), {"email": "nieuw@patient.example"})
    assert len(mail.outbox) == 1  # no reset mail for an unconfirmed address

    response = Client().get(_link(confirmation))
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.email_confirmed_at is not None
    Client().post(reverse("accounts:password_reset"), {"email": "nieuw@patient.example"})
    deliver_notifications()
    assert len(mail.outbox) == 2


def test_the_link_does_not_carry_the_address(
    cast: Cast, django_capture_on_commit_callbacks
) -> None:
    """Signed is not secret: the token is readable base64, and links end up in proxy logs."""
    import base64

    _activate(cast, Client(), django_capture_on_commit_callbacks)
    token = _link(mail.outbox[0]).rstrip("/").rsplit("/", 1)[1]
    payload = token.split(":", 1)[0]
    readable = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    assert b"nieuw" not in readable and b"patient.example" not in readable
    assert b"nieuw" not in token.encode() and "%40" not in token


def test_tampered_or_stale_confirmation_link_confirms_nothing(
    cast: Cast, django_capture_on_commit_callbacks
) -> None:
    user = _activate(cast, Client(), django_capture_on_commit_callbacks)
    link = _link(mail.outbox[0])
    tampered = link[:-3] + ("A" if link[-3] != "A" else "B") + link[-2:]
    response = Client().get(tampered, follow=True)
    assert "Deze bevestigingslink werkt niet meer" in response.content.decode()
    # a link for an address the account no longer has
    User.objects.filter(pk=user.pk).update(email="ander@patient.example")
    Client().get(link)
    user.refresh_from_db()
    assert user.email_confirmed_at is None


def test_unconfirmed_patient_sees_a_reminder_and_can_resend(cast: Cast) -> None:
    User.objects.filter(pk=cast.patient_user_a.pk).update(email_confirmed_at=None)
    client = verified_client(User.objects.get(pk=cast.patient_user_a.pk))
    assert "Bevestig uw e-mailadres" in client.get(reverse("shell:start")).content.decode()
    client.post(reverse("accounts:resend_email_confirmation"))
    deliver_notifications()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [cast.patient_user_a.email]


def test_choosing_a_password_from_the_invitation_confirms_the_address(
    cast: Cast, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        verified_client(cast.manager_a).post(
            reverse("accounts:staff_list"),
            {
                "full_name": "Nieuw",
                "email": "nieuw@praktijk.example",
                "role": "poh",
                "agb_code": "",
            },
        )
    invitation = next(m for m in mail.outbox if m.to == ["nieuw@praktijk.example"])
    link = re.search(r"http://testserver(/account/wachtwoord-kiezen/\S+)", invitation.body).group(1)
    client = Client()
    form_page = client.get(link, follow=True)
    client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "Een-nieuw-wachtwoord-7", "new_password2": "Een-nieuw-wachtwoord-7"},
    )
    assert User.objects.get(email="nieuw@praktijk.example").email_confirmed_at is not None
