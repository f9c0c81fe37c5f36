"""The patient changes their own phone number and e-mail address; a new postal address goes
to the desk as a request (Spreekuur issue 15). Every change is in the patient's access log."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from spreekuur.core.exceptions import BusinessRuleError, PermissionDenied
from spreekuur.core.models import AuditAction, AuditEntry, AuditOutcome, Notification
from spreekuur.core.roles import StaffRole
from spreekuur.patients import services
from spreekuur.patients.contact_rules import (
    normalise_house_number,
    normalise_phone,
    normalise_postal_code,
)
from spreekuur.patients.models import (
    AddressChange,
    AddressChangeStatus,
    EmailChange,
    Patient,
    Representation,
)
from spreekuur.shell.start import work_queues
from tests.conftest import Cast, verified_client
from tests.factories import TEST_PASSWORD, MembershipFactory, PatientFactory, UserFactory

MY_DETAILS = reverse("patients:my_details")
PHONE = reverse("patients:change_phone")
EMAIL = reverse("patients:change_email")
ADDRESS = reverse("patients:change_address")
DESK = reverse("patients:address_changes")
NEW_ADDRESS = {
    "street": "Lindelaan",
    "house_number": "12a",
    "postal_code": "3511ab",
    "city": "Utrecht",
}


# --- The Dutch rules ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("0612345678", "06-12345678"),
        ("06 12 34 56 78", "06-12345678"),
        ("+31 6 12345678", "06-12345678"),
        ("+31 (0)6 1234 5678", "06-12345678"),
        ("0031612345678", "06-12345678"),
        ("0301234567", "030-1234567"),
        ("(030) 123 45 67", "030-1234567"),
        ("0345-123456", "0345-123456"),
        ("0851234567", "085-1234567"),
        ("  ", ""),
    ],
)
def test_dutch_phone_numbers_are_kept_in_one_form(typed: str, kept: str) -> None:
    assert normalise_phone(typed) == kept


@pytest.mark.parametrize(
    "typed",
    ["12345", "06-1234567", "06-123456789", "+32 470 12 34 56", "06-abcdefgh", "0012345678"],
)
def test_other_phone_numbers_are_refused_in_dutch(typed: str) -> None:
    with pytest.raises(ValidationError, match="Nederlands telefoonnummer in van 10 cijfers"):
        normalise_phone(typed)


@pytest.mark.parametrize(
    ("typed", "kept"), [("1234ab", "1234 AB"), (" 3511 AB ", "3511 AB"), ("9999  zz", "9999 ZZ")]
)
def test_postcodes_are_written_as_1234_ab(typed: str, kept: str) -> None:
    assert normalise_postal_code(typed) == kept


@pytest.mark.parametrize("typed", ["0123 AB", "1234 SS", "12345", "1234 A1", "1234", ""])
def test_wrong_postcodes_are_refused_in_dutch(typed: str) -> None:
    with pytest.raises(ValidationError, match="Nederlandse postcode"):
        normalise_postal_code(typed)


@pytest.mark.parametrize(
    ("typed", "kept"),
    [("12", "12"), ("12a", "12A"), ("12 A", "12A"), ("12-2", "12-2"), ("12 bis", "12-BIS")],
)
def test_house_numbers_with_additions(typed: str, kept: str) -> None:
    assert normalise_house_number(typed) == kept


@pytest.mark.parametrize("typed", ["0", "a12", "", "12-abcde"])
def test_wrong_house_numbers_are_refused(typed: str) -> None:
    with pytest.raises(ValidationError, match="huisnummer"):
        normalise_house_number(typed)


# --- Phone ----------------------------------------------------------------------------------


def _changes(patient: Patient, outcome: str = AuditOutcome.ALLOWED) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(
            patient=patient, action=AuditAction.CHANGE, object_kind="personal_data", outcome=outcome
        ).order_by("pk")
    )


def test_patient_changes_own_phone_and_it_is_logged(cast: Cast) -> None:
    client = verified_client(cast.patient_user_a)
    assert client.get(PHONE).status_code == 200
    response = client.post(PHONE, {"phone": "+31 6 1234 5678"})
    assert response.status_code == 302 and response["Location"] == MY_DETAILS
    cast.patient_a.refresh_from_db()
    assert cast.patient_a.phone == "06-12345678"
    [entry] = _changes(cast.patient_a)
    assert entry.actor == cast.patient_user_a and entry.detail == "telefoonnummer gewijzigd"
    assert "06-12345678" not in str(entry.object_ids) + entry.detail  # no number in the log


def test_wrong_phone_number_shows_a_dutch_message_and_saves_nothing(cast: Cast) -> None:
    before = cast.patient_a.phone
    response = verified_client(cast.patient_user_a).post(PHONE, {"phone": "12345"})
    assert response.status_code == 200
    assert "Vul een Nederlands telefoonnummer in van 10 cijfers" in response.content.decode()
    cast.patient_a.refresh_from_db()
    assert cast.patient_a.phone == before and not _changes(cast.patient_a)


def test_only_the_patient_themself_changes_contact_details(cast: Cast) -> None:
    """A parent or gemachtigde acting for the patient, and staff, may not: these are the
    details the practice reaches the patient by."""
    representative = UserFactory()
    Representation.objects.create(
        practice=cast.practice_a,
        patient=cast.patient_a,
        representative=representative,
        kind="gemachtigde",
        valid_from=timezone.localdate(),
        valid_until=timezone.localdate() + timedelta(days=30),
        recorded_by=cast.assistant_a,
    )
    for someone in (representative, cast.assistant_a, cast.patient_user_b):
        with pytest.raises(PermissionDenied):
            services.change_phone(patient=cast.patient_a, phone="0612345678", by=someone)
        with pytest.raises(PermissionDenied):
            services.request_address_change(patient=cast.patient_a, by=someone, **NEW_ADDRESS)
        with pytest.raises(PermissionDenied):
            services.request_email_change(
                patient=cast.patient_a,
                new_email="nieuw@test.example",
                password=TEST_PASSWORD,
                by=someone,
                base_url="http://testserver/",
            )
    chosen = verified_client(representative)
    chosen.post(reverse("patients:acting_for"), {"patient": str(cast.patient_a.public_id)})
    for url in (PHONE, EMAIL, ADDRESS):
        assert chosen.get(url).status_code == 403
        assert chosen.post(url, {"phone": "0612345678"}).status_code == 403


# --- E-mail address -----------------------------------------------------------------------------


def _confirmation_link(to: str) -> str:
    mail = Notification.objects.get(recipient=to)
    match = re.search(
        r"http://testserver(/mijn-gegevens/e-mailadres/bevestigen/[^/\s]+/)", mail.body
    )
    assert match is not None, mail.body
    return match.group(1)


def test_new_email_address_needs_the_password_and_the_link_from_the_new_address(
    cast: Cast,
) -> None:
    user = cast.patient_user_a
    old = user.email
    client = verified_client(user)
    response = client.post(EMAIL, {"new_email": "Nieuw@Test.example", "password": TEST_PASSWORD})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.email == old  # nothing changes before the link is used
    change = EmailChange.objects.get(user=user)
    assert change.new_email == "nieuw@test.example"
    link = _confirmation_link("nieuw@test.example")
    assert "nieuw" not in link and str(change.public_id) not in link  # signed, no address
    mail = Notification.objects.get(recipient="nieuw@test.example")
    assert cast.patient_a.bsn not in mail.body and cast.patient_a.family_name not in mail.body

    page = client.get(link)  # a GET only asks: mail scanners open links too
    assert page.status_code == 200 and "nieuw@test.example" in page.content.decode()
    user.refresh_from_db()
    assert user.email == old

    response = client.post(link)
    assert response.status_code == 302 and response["Location"] == MY_DETAILS
    user.refresh_from_db()
    assert user.email == "nieuw@test.example" and user.email_confirmed_at is not None
    # The old address hears of it, without patient data (name, BSN, the new address).
    told = Notification.objects.get(recipient=old)
    text = told.subject + told.body
    assert "gewijzigd" in text and cast.practice_a.phone_main in text
    for secret in (
        cast.patient_a.bsn,
        cast.patient_a.family_name,
        cast.patient_a.given_name,
        "nieuw@test.example",
    ):
        assert secret not in text
    assert [e.detail for e in _changes(cast.patient_a)] == [
        "e-mailadres wijzigen aangevraagd",
        "e-mailadres gewijzigd",
    ]
    # The link works once.
    again = client.post(link, follow=True)
    assert "Deze link werkt niet meer" in again.content.decode()
    # And the new address logs in.
    logged_in = Client().post(
        reverse("accounts:login"), {"username": "nieuw@test.example", "password": TEST_PASSWORD}
    )
    assert logged_in["Location"] == reverse("accounts:verify")


def test_wrong_password_changes_nothing_and_is_a_refusal_in_the_log(cast: Cast) -> None:
    client = verified_client(cast.patient_user_a)
    response = client.post(EMAIL, {"new_email": "nieuw@test.example", "password": "fout"})
    assert response.status_code == 200
    assert "Dit wachtwoord klopt niet." in response.content.decode()
    assert not EmailChange.objects.exists() and not Notification.objects.exists()
    [refused] = _changes(cast.patient_a, AuditOutcome.DENIED)
    assert refused.detail == "e-mailadres wijzigen: wachtwoord klopt niet"


def test_guessing_the_password_is_limited(cast: Cast) -> None:
    client = verified_client(cast.patient_user_a)
    for _attempt in range(services.PASSWORD_TRIES_PER_HOUR):
        client.post(EMAIL, {"new_email": "nieuw@test.example", "password": "fout"})
    response = client.post(EMAIL, {"new_email": "nieuw@test.example", "password": TEST_PASSWORD})
    assert "Te veel pogingen" in response.content.decode()
    assert not EmailChange.objects.exists()


def test_an_address_in_use_is_refused(cast: Cast) -> None:
    response = verified_client(cast.patient_user_a).post(
        EMAIL, {"new_email": cast.gp_a.email, "password": TEST_PASSWORD}
    )
    assert "kan niet worden gebruikt" in response.content.decode()
    assert not EmailChange.objects.exists()


def test_the_link_works_only_for_the_patient_who_asked_and_not_after_48_hours(
    cast: Cast,
) -> None:
    verified_client(cast.patient_user_a).post(
        EMAIL, {"new_email": "nieuw@test.example", "password": TEST_PASSWORD}
    )
    link = _confirmation_link("nieuw@test.example")
    other = cast.other_patient_a
    other.user = UserFactory()
    other.save()
    response = verified_client(other.user).post(link, follow=True)
    assert "Deze link werkt niet meer" in response.content.decode()
    EmailChange.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    response = verified_client(cast.patient_user_a).post(link, follow=True)
    assert "Deze link werkt niet meer" in response.content.decode()
    cast.patient_user_a.refresh_from_db()
    assert cast.patient_user_a.email != "nieuw@test.example"
    assert not Notification.objects.exclude(recipient="nieuw@test.example").exists()


def test_a_second_request_replaces_the_first_link(cast: Cast) -> None:
    client = verified_client(cast.patient_user_a)
    client.post(EMAIL, {"new_email": "eerste@test.example", "password": TEST_PASSWORD})
    first = _confirmation_link("eerste@test.example")
    client.post(EMAIL, {"new_email": "tweede@test.example", "password": TEST_PASSWORD})
    assert "Deze link werkt niet meer" in client.post(first, follow=True).content.decode()
    client.post(_confirmation_link("tweede@test.example"))
    cast.patient_user_a.refresh_from_db()
    assert cast.patient_user_a.email == "tweede@test.example"


# --- Postal address: a request for the desk ---------------------------------------------------


def test_new_address_waits_for_the_desk(cast: Cast) -> None:
    client = verified_client(cast.patient_user_a)
    before = (cast.patient_a.street, cast.patient_a.postal_code)
    response = client.post(ADDRESS, NEW_ADDRESS)
    assert response.status_code == 302
    change = AddressChange.objects.get()
    assert (change.postal_code, change.house_number) == ("3511 AB", "12A") and change.is_open
    cast.patient_a.refresh_from_db()
    assert (cast.patient_a.street, cast.patient_a.postal_code) == before
    page = client.get(MY_DETAILS).content.decode()
    assert "Lindelaan 12A" in page and "te verwerken" in page
    # Given again before the desk got to it: the open request is updated, not doubled.
    client.post(ADDRESS, {**NEW_ADDRESS, "house_number": "14"})
    assert AddressChange.objects.get().house_number == "14"


def test_wrong_postcode_in_the_address_form_is_a_dutch_message(cast: Cast) -> None:
    response = verified_client(cast.patient_user_a).post(
        ADDRESS, {**NEW_ADDRESS, "postal_code": "0123"}
    )
    assert response.status_code == 200
    assert "Vul een Nederlandse postcode in" in response.content.decode()
    assert not AddressChange.objects.exists()


def _requested(patient: Patient) -> AddressChange:
    assert patient.user is not None
    return services.request_address_change(patient=patient, by=patient.user, **NEW_ADDRESS)


def test_assistant_accepts_and_the_address_is_applied_and_logged(cast: Cast) -> None:
    change = _requested(cast.patient_a)
    client = verified_client(cast.assistant_a)
    listing = client.get(DESK).content.decode()
    assert cast.patient_a.display_name in listing
    record = reverse("patients:detail", args=[cast.patient_a.public_id])
    link = reverse("patients:address_change", args=[change.public_id])
    assert link in client.get(record).content.decode()  # also seen from the patient's page
    assert link not in verified_client(cast.gp_a).get(record).content.decode()  # not the GP's task
    detail = client.get(reverse("patients:address_change", args=[change.public_id]))
    assert detail.status_code == 200 and "Nieuw adres overnemen" in detail.content.decode()
    response = client.post(reverse("patients:accept_address_change", args=[change.public_id]))
    assert response.status_code == 302
    cast.patient_a.refresh_from_db()
    assert (cast.patient_a.street, cast.patient_a.house_number) == ("Lindelaan", "12A")
    assert (cast.patient_a.postal_code, cast.patient_a.city) == ("3511 AB", "Utrecht")
    change.refresh_from_db()
    assert change.status == AddressChangeStatus.ACCEPTED and change.decided_by == cast.assistant_a
    accepted = _changes(cast.patient_a)[-1]
    assert accepted.actor == cast.assistant_a and accepted.detail == "adreswijziging verwerkt"
    # Handled once: a second click changes nothing.
    client.post(reverse("patients:accept_address_change", args=[change.public_id]))
    assert len(_changes(cast.patient_a)) == 2


def test_rejection_needs_a_reason_that_the_patient_reads(cast: Cast) -> None:
    change = _requested(cast.patient_a)
    client = verified_client(cast.assistant_a)
    url = reverse("patients:reject_address_change", args=[change.public_id])
    response = client.post(url, {"reason": ""})
    assert response.status_code == 200 and AddressChange.objects.get().is_open
    with pytest.raises(BusinessRuleError):
        services.reject_address_change(change=change, reason="  ", by=cast.assistant_a)
    client.post(url, {"reason": "Dit adres staat niet in de BRP. Belt u even?"})
    change.refresh_from_db()
    assert change.is_rejected
    page = verified_client(cast.patient_user_a).get(MY_DETAILS).content.decode()
    assert "Dit adres staat niet in de BRP. Belt u even?" in page
    assert _changes(cast.patient_a)[-1].detail == "adreswijziging afgewezen"


def test_another_practices_assistant_gets_404_and_a_gp_403(cast: Cast) -> None:
    change = _requested(cast.patient_a)
    other_desk = MembershipFactory(practice=cast.practice_b, role=StaffRole.ASSISTENT).user
    client = verified_client(other_desk)
    assert cast.patient_a.display_name not in client.get(DESK).content.decode()
    for name in ("address_change", "accept_address_change", "reject_address_change"):
        method = client.get if name == "address_change" else client.post
        assert method(reverse(f"patients:{name}", args=[change.public_id])).status_code == 404
    assert verified_client(cast.gp_a).get(DESK).status_code == 403
    with pytest.raises(PermissionDenied):
        services.accept_address_change(change=change, by=other_desk)
    assert AddressChange.objects.get().is_open


def test_desk_counter_counts_open_changes_of_its_own_practice(cast: Cast) -> None:
    """Hand-made: two open in practice A, one handled in A, one open in B."""
    first = PatientFactory(practice=cast.practice_a, user=UserFactory())
    second = PatientFactory(practice=cast.practice_a, user=UserFactory())
    handled = _requested(cast.patient_a)
    services.accept_address_change(change=handled, by=cast.assistant_a)
    _requested(first)
    _requested(second)
    _requested(cast.patient_b)

    def queue_texts(user: object) -> list[str]:
        return [queue.text for queue in work_queues(user)["work_queues"]]  # type: ignore[arg-type,attr-defined]

    assert "2 adreswijzigingen te verwerken" in queue_texts(cast.assistant_a)
    assert not any("adreswijziging" in text for text in queue_texts(cast.gp_a))
    services.reject_address_change(
        change=AddressChange.objects.get(patient=first), reason="Onbekend", by=cast.assistant_a
    )
    assert "1 adreswijziging te verwerken" in queue_texts(cast.assistant_a)
    start = verified_client(cast.assistant_a).get(reverse("shell:start")).content.decode()
    assert "1 adreswijziging te verwerken" in start and DESK in start
