"""The patient changes their phone number and e-mail address and gives a new address; the
desk handles it from its work queue (issue 15). Each page at 360 and 1280 px, axe on each."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from spreekuur.core.roles import StaffRole
from spreekuur.patients.models import AddressChange
from tests.browser.conftest import UI
from tests.browser.test_login_flows import qr_code_is_whole
from tests.factories import TEST_PASSWORD, MembershipFactory, PatientFactory, UserFactory

pytestmark = pytest.mark.browser
WIDE = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 740}


def both_widths(ui: UI, name: str) -> None:
    """A screenshot at phone width and at desktop width, axe and sideways scroll checked."""
    for size, suffix in ((PHONE, "phone"), (WIDE, "wide")):
        ui.page.set_viewport_size(size)
        ui.check_page()
        ui.screenshot(f"{name}-{suffix}")
    ui.page.set_viewport_size(PHONE)


def test_patient_changes_contact_details_and_the_desk_handles_the_move(
    ui: UI, transactional_db: None
) -> None:
    desk = MembershipFactory(role=StaffRole.ASSISTENT, user__full_name="Lisa Visser")
    patient = PatientFactory(
        practice=desk.practice,
        given_name="Sanne",
        family_name="de Vries",
        street="Oude Gracht",
        house_number="1",
        postal_code="3511 AA",
        city="Utrecht",
        phone="",
        user=UserFactory(email="sanne@voorbeeld.example", full_name="Sanne de Vries"),
    )
    page = ui.page
    ui.log_in("sanne@voorbeeld.example")
    ui.verify()
    page = ui.goto("/mijn-gegevens/")
    both_widths(ui, "my-details")

    # Phone: a Dutch number, with a clear message for anything else.
    ui.submit(page.get_by_role("link", name="Telefoonnummer wijzigen"))
    page.get_by_label("Telefoonnummer").fill("12345")
    ui.submit(page.get_by_role("button", name="Opslaan"))
    assert page.get_by_text("Vul een Nederlands telefoonnummer in van 10 cijfers").is_visible()
    both_widths(ui, "change-phone-error")
    page.get_by_label("Telefoonnummer").fill("06 1234 5678")
    ui.submit(page.get_by_role("button", name="Opslaan"))
    assert page.get_by_text("Uw telefoonnummer is opgeslagen.").is_visible()
    assert page.get_by_text("06-12345678").is_visible()

    # E-mail: the password, then the link from the new address.
    ui.submit(page.get_by_role("link", name="E-mailadres wijzigen"))
    page.get_by_label("Nieuw e-mailadres").fill("sanne.nieuw@voorbeeld.example")
    page.get_by_label("Uw huidige wachtwoord").fill(TEST_PASSWORD)
    both_widths(ui, "change-email")
    ui.submit(page.get_by_role("button", name="Link sturen"))
    assert page.get_by_text("Wacht op bevestiging: sanne.nieuw@voorbeeld.example").is_visible()
    # Delivered at once (the outbox empties a sent message's body): read the mailbox.
    [sent] = [m for m in mail.outbox if m.to == ["sanne.nieuw@voorbeeld.example"]]
    body = sent.body
    link = re.search(r"http://[^/\s]+(/mijn-gegevens/e-mailadres/bevestigen/\S+/)", body)
    assert link is not None, body
    ui.goto(link.group(1))
    both_widths(ui, "confirm-email")
    ui.submit(page.get_by_role("button", name="Ja, dit adres gebruiken"))
    assert page.get_by_text("Uw nieuwe e-mailadres is opgeslagen en bevestigd.").is_visible()
    [told] = [m for m in mail.outbox if m.to == ["sanne@voorbeeld.example"]]
    assert "gewijzigd" in told.body
    for secret in ("Sanne", "Vries", patient.bsn, "sanne.nieuw"):  # no patient data
        assert secret not in told.body

    # A move: a request for the desk, with Dutch messages for a wrong postcode.
    ui.submit(page.get_by_role("link", name="Verhuisd? Nieuw adres doorgeven"))
    page.get_by_label("Straat").fill("Lindelaan")
    page.get_by_label("Huisnummer en toevoeging").fill("12a")
    page.get_by_label("Postcode").fill("351")
    page.get_by_label("Plaats").fill("Utrecht")
    ui.submit(page.get_by_role("button", name="Doorgeven"))
    assert page.get_by_text("Vul een Nederlandse postcode in").is_visible()
    both_widths(ui, "change-address-error")
    page.get_by_label("Postcode").fill("3512ab")
    ui.submit(page.get_by_role("button", name="Doorgeven"))
    assert page.get_by_text("Lindelaan 12A, 3512 AB Utrecht").is_visible()
    both_widths(ui, "my-details-pending")

    # The desk: the work queue on the start page, the list, the change.
    page.context.clear_cookies()
    ui.log_in(desk.user.email)
    ui.verify()
    queue = page.get_by_role("link", name="1 adreswijziging te verwerken")
    assert queue.is_visible()
    ui.submit(queue)
    both_widths(ui, "address-changes")
    ui.submit(page.get_by_role("link", name="Sanne de Vries"))
    ui.submit(page.get_by_role("button", name="Afwijzen"))  # without a reason
    assert page.get_by_text("Dit veld is verplicht.").is_visible()
    both_widths(ui, "address-change")
    ui.submit(page.get_by_role("button", name="Nieuw adres overnemen"))
    assert page.get_by_text("Het nieuwe adres van Sanne de Vries is opgeslagen.").is_visible()
    assert page.get_by_text("Er zijn geen adreswijzigingen te verwerken.").is_visible()
    patient.refresh_from_db()
    assert (patient.street, patient.house_number, patient.postal_code) == (
        "Lindelaan",
        "12A",
        "3512 AB",
    )
    assert AddressChange.objects.get().decided_by == desk.user


def test_activation_letter_qr_code_is_whole(ui: UI, transactional_db: None) -> None:
    """The letter's QR code had the authenticator's defect too (a fixed size, no viewBox)."""
    desk = MembershipFactory(role=StaffRole.ASSISTENT)
    patient = PatientFactory(practice=desk.practice, given_name="Noor", family_name="Bakker")
    page = ui.page
    ui.log_in(desk.user.email)
    ui.verify()
    ui.goto(f"/patienten/{patient.public_id}/")
    ui.submit(page.get_by_role("button", name="Activeringsbrief maken"))
    for size, name, smallest in ((PHONE, "phone", 200), (WIDE, "wide", 230)):
        page.set_viewport_size(size)
        ui.check_page()
        qr_code_is_whole(page, smallest=smallest)
        ui.screenshot(f"activation-letter-qr-{name}")
