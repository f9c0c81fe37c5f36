"""The record in the browser: the GP records and shields, the patient reads online."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import timezone

from spreekuur.core.roles import StaffRole
from spreekuur.dossier import services
from spreekuur.dossier.models import JournalEntry
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
    ui.submit(page.get_by_role("button", name="Uitloggen"))

    ui.log_in(patient.user.email)  # type: ignore[union-attr]
    ui.verify()
    ui.submit(
        page.get_by_role("navigation", name="Hoofdmenu").get_by_role(
            "link", name="Mijn dossier", exact=True
        )
    )
    content = page.content()
    assert "Slaapproblemen" in content and "Slaapdagboek bijhouden" in content
    assert "Werkaantekening" not in content
    assert "Gevoelige conclusie" not in content
    assert "Penicilline" in content and "Amlodipine 5 mg" in content
    with page.expect_download() as download:
        page.get_by_role("link", name="Download als PDF").click()
    assert download.value.suggested_filename == "dossier.pdf"
    ui.screenshot("dossier-portal-phone")
