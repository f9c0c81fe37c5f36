"""The record in the browser: the GP records and shields, the patient reads online."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from spreekuur.core.roles import StaffRole
from spreekuur.dossier import services
from spreekuur.dossier.models import JournalEntry
from spreekuur.results.table import load_test_table
from tests.browser.conftest import UI
from tests.factories import MembershipFactory, PatientFactory, PracticeFactory, UserFactory

pytestmark = pytest.mark.browser


def test_gp_records_and_shields_and_the_patient_sees_only_what_is_open(
    ui: UI, transactional_db: None
) -> None:
    practice = PracticeFactory(slug="de-beuk", records_online_from=date(2020, 7, 1))
    gp = MembershipFactory(practice=practice, role=StaffRole.HUISARTS).user
    patient = PatientFactory(
        practice=practice,
        given_name="Noor",
        family_name="Bakker",
        user=UserFactory(full_name="Noor Bakker"),
    )
    services.record_allergy(
        patient=patient, substance="Penicilline", kind="allergie", reaction="Uitslag", by=gp
    )
    services.record_medication(
        patient=patient,
        name="Amlodipine 5 mg",
        dosage="1 keer per dag",
        started_on=date(2023, 3, 1),
        chronic=True,
        by=gp,
    )
    page = ui.page

    ui.log_in(gp.email)
    ui.verify()
    ui.goto(f"/patienten/{patient.public_id}/dossier/")
    page.get_by_text("Journaalregel", exact=True).click()
    page.get_by_label("Datum contact").fill(timezone.localdate().isoformat())
    page.get_by_label("S: wat de patiënt vertelt").fill("Werkaantekening: slaapt slecht")
    page.get_by_label("E: conclusie").fill("Slaapproblemen")
    page.get_by_label("P: plan").fill("Slaapdagboek bijhouden")
    ui.submit(page.get_by_role("button", name="Journaalregel vastleggen"))
    assert page.get_by_text("Vastgelegd in het dossier.").is_visible()
    services.record_journal_entry(
        patient=patient,
        contact_on=timezone.localdate(),
        kind="consult",
        evaluation="Gevoelige conclusie",
        by=gp,
    )
    ui.goto(f"/patienten/{patient.public_id}/dossier/")
    sensitive = JournalEntry.objects.get(evaluation="Gevoelige conclusie")
    article = page.locator(f'[aria-labelledby="regel-{sensitive.public_id}"]')
    ui.submit(article.get_by_role("button", name="afschermen"))
    assert article.get_by_text("afgeschermd", exact=True).is_visible()
    ui.screenshot("dossier-staff-phone")
    page.context.clear_cookies()  # log out (the phone menu holds the button)

    ui.log_in(patient.user.email)  # type: ignore[union-attr]
    ui.verify()
    ui.goto("/mijn-dossier/")
    content = page.content()
    assert "Slaapproblemen" in content and "Slaapdagboek bijhouden" in content
    assert "Werkaantekening" not in content
    assert "Gevoelige conclusie" not in content
    assert "Penicilline" in content and "Amlodipine 5 mg" in content
    with page.expect_download() as download:
        page.get_by_role("link", name="Download als PDF").click()
    assert download.value.suggested_filename == "dossier.pdf"
    ui.screenshot("dossier-portal-phone")


def test_the_poh_records_a_blood_pressure_and_everyone_reads_it_as_one_value(
    ui: UI, transactional_db: None
) -> None:
    load_test_table()  # a transactional test before this one emptied the NHG table
    practice = PracticeFactory(slug="de-es", records_online_from=date(2020, 7, 1))
    poh = MembershipFactory(practice=practice, role=StaffRole.POH).user
    patient = PatientFactory(
        practice=practice,
        given_name="Piet",
        family_name="Visser",
        user=UserFactory(full_name="Piet Visser"),
    )
    page = ui.page

    ui.log_in(poh.email)
    ui.verify()
    page.set_viewport_size({"width": 1280, "height": 900})
    ui.goto(f"/patienten/{patient.public_id}/dossier/")
    page.get_by_text("Meting (bloeddruk, gewicht)", exact=True).click()
    page.get_by_label("Gemeten op").fill(date(2026, 3, 4).isoformat())
    page.get_by_label("Bovendruk (mmHg)").fill("134")
    page.get_by_label("Onderdruk (mmHg)").fill("82")
    page.get_by_label("Gewicht (kg)").fill("81.5")
    ui.submit(page.get_by_role("button", name="Meting vastleggen"))
    measurements = page.get_by_role("region", name="Metingen")
    expect(measurements).to_contain_text("4 mrt 2026: Bloeddruk 134/82 mmHg")
    expect(measurements).to_contain_text("4 mrt 2026: Gewicht 81,5 kg")
    ui.screenshot("dossier-measurements-desktop")
    page.set_viewport_size({"width": 360, "height": 800})
    ui.check_page()
    ui.screenshot("dossier-measurements-phone")
    page.context.clear_cookies()  # log out (the phone menu holds the button)

    ui.log_in(patient.user.email)  # type: ignore[union-attr]
    ui.verify()
    ui.goto("/mijn-uitslagen/")
    table = page.get_by_role("table", name="Metingen, nieuwste eerst")
    rows = table.get_by_role("row")
    expect(rows).to_have_count(3)
    expect(table).to_contain_text("Bloeddruk")
    expect(table).to_contain_text("134/82 mmHg")
    expect(table).to_contain_text("81,5 kg")
    expect(table).not_to_contain_text("Bovendruk")
    ui.screenshot("dossier-measurements-portal-phone")
    page.set_viewport_size({"width": 1280, "height": 900})
    ui.check_page()
    ui.screenshot("dossier-measurements-portal-desktop")
