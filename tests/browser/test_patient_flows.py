from __future__ import annotations

import re

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from spreekuur.core.roles import StaffRole
from spreekuur.patients.models import Patient
from tests.browser.conftest import UI, totp_code
from tests.factories import (
    MembershipFactory,
    PatientFactory,
    PracticeFactory,
    UserFactory,
)

pytestmark = pytest.mark.browser


def test_assistant_prints_letter_and_patient_activates_portal(
    ui: UI, transactional_db: None
) -> None:
    practice = PracticeFactory(slug="de-eik", name="Huisartsenpraktijk De Eik")
    assistant = MembershipFactory(practice=practice, role=StaffRole.ASSISTENT).user
    patient = PatientFactory(practice=practice, given_name="Sanne", family_name="Visser")
    page = ui.page

    ui.log_in(assistant.email)
    ui.verify()
    ui.submit(
        page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Patiënten")
    )
    page.get_by_label("Naam of BSN").fill(patient.bsn)
    page.get_by_role("button", name="Zoeken").click()  # htmx swaps the results in place
    page.get_by_role("table", name="Zoekresultaten").wait_for()
    ui.check_page()
    assert patient.bsn not in page.url
    ui.submit(page.get_by_role("link", name="Visser, Sanne"))
    ui.submit(page.get_by_role("button", name="Activeringsbrief maken"))
    code = page.locator(".spreekuur-code").inner_text()
    assert len(code) == 14
    ui.screenshot("activation-letter-phone")
    ui.submit(page.get_by_role("button", name="Uitloggen"))

    ui.goto("/activeren/#code=" + code)
    assert page.get_by_label("Activeringscode").input_value() == code
    assert "#" not in page.url  # the code leaves the address bar
    birth = page.get_by_role("group", name="Uw geboortedatum")
    birth.get_by_label("Dag").fill(str(patient.date_of_birth.day))
    birth.get_by_label("Maand").fill(str(patient.date_of_birth.month))
    birth.get_by_label("Jaar").fill(str(patient.date_of_birth.year))
    ui.submit(page.get_by_role("button", name="Verder"))
    page.get_by_label("E-mailadres").fill("sanne@voorbeeld.example")
    page.get_by_label("Wachtwoord", exact=True).fill("Een-lang-wachtwoord-9")
    page.get_by_label("Wachtwoord nogmaals").fill("Een-lang-wachtwoord-9")
    ui.submit(page.get_by_role("button", name="Account aanmaken"))
    assert "/tweede-stap/instellen/" in page.url
    device = TOTPDevice.objects.get(user__email="sanne@voorbeeld.example", confirmed=False)
    page.get_by_label("Code van 6 cijfers uit de app").fill(totp_code(device.bin_key))
    ui.submit(page.get_by_role("button", name="Koppelen"))
    ui.submit(page.get_by_role("link", name="Ik heb ze bewaard, verder"))
    assert page.get_by_role(
        "heading", name=re.compile(r"^Goede(morgen|middag|navond), Sanne$")
    ).is_visible()
    ui.screenshot("patient-start-phone")

    ui.submit(page.get_by_role("link", name="Mijn gegevens").first)
    assert page.get_by_text(patient.bsn).is_visible()
    ui.submit(
        page.get_by_role("navigation", name="Hoofdmenu").get_by_role(
            "link", name="Wie keek in mijn dossier"
        )
    )
    table = page.get_by_role("table")
    assert "U zelf" in table.inner_text()
    assert "activeringscode portaal" in table.inner_text()  # the assistant's letter
    ui.screenshot("patient-audit-log-phone")
    assert Patient.objects.get(pk=patient.pk).user is not None


def test_manager_searches_log_and_manages_staff_and_page(ui: UI, transactional_db: None) -> None:
    practice = PracticeFactory(slug="de-eik", name="Huisartsenpraktijk De Eik")
    manager = MembershipFactory(practice=practice, role=StaffRole.PRAKTIJKMANAGER).user
    MembershipFactory(practice=practice, role=StaffRole.HUISARTS, user__full_name="Dr. Jansen")
    page = ui.page
    ui.log_in(manager.email)
    ui.verify()

    nav = page.get_by_role("navigation", name="Hoofdmenu")
    ui.submit(nav.get_by_role("link", name="Logboek"))
    page.get_by_label("Handeling").select_option("login")
    ui.submit(page.get_by_role("button", name="Zoeken"))
    assert "ingelogd" in page.get_by_role("table").inner_text()
    ui.screenshot("manager-audit-log-phone")

    ui.submit(nav.get_by_role("link", name="Medewerkers"))
    page.get_by_label("Naam").fill("Nieuwe POH")
    page.get_by_label("E-mailadres").fill("poh@de-eik.example")
    page.get_by_label("Rol").select_option("poh")
    ui.submit(page.get_by_role("button", name="Toevoegen"))
    assert page.get_by_text("Nieuwe POH is toegevoegd").is_visible()
    ui.submit(page.get_by_role("link", name="Dr. Jansen"))
    ui.submit(page.get_by_role("button", name="Opslaan"))

    ui.submit(nav.get_by_role("link", name="Praktijkpagina"))
    ui.submit(page.get_by_role("link", name="vaste openingstijden wijzigen"))
    page.get_by_label("Open op zaterdag").fill("09:00-12:00")
    page.get_by_label("Huiskleur").fill("#ffff00")
    ui.submit(page.get_by_role("button", name="Opslaan"))
    assert page.get_by_text("Deze kleur is te licht").is_visible()
    page.get_by_label("Huiskleur").fill("#1d5e3a")
    ui.submit(page.get_by_role("button", name="Opslaan"))
    assert page.get_by_text("De praktijkgegevens zijn opgeslagen.").is_visible()
    ui.submit(nav.get_by_role("link", name="Praktijkpagina"))
    page.get_by_label("Titel").fill("Nieuwe openingstijden")
    page.get_by_label("Tekst").fill("Vanaf januari zijn we ook op zaterdag open.")
    ui.submit(page.get_by_role("button", name="Plaatsen"))
    assert page.get_by_text("Het nieuwsbericht is geplaatst.").is_visible()
    ui.screenshot("manager-page-phone")
    ui.goto("/p/de-eik/")
    assert page.get_by_text("Vanaf januari zijn we ook op zaterdag open.").is_visible()


def test_patient_without_second_factor_never_sees_data(ui: UI, transactional_db: None) -> None:
    user = UserFactory()
    PatientFactory(user=user)
    page = ui.page
    ui.log_in(user.email)
    for path in ("/start/", "/mijn-gegevens/", "/mijn-dossier/wie-keek-er/"):
        ui.goto(path)
        assert "/account/tweede-stap/" in page.url
