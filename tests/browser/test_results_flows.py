"""Lab results in the browser: the patient reads released results with a chart and a table,
the GP reviews keyboard-only, the assistant links and closes lab messages."""

from __future__ import annotations

import dataclasses
import re
from datetime import date, datetime, timedelta
from io import BytesIO

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfReader

from spreekuur.core.models import Practice
from spreekuur.core.roles import StaffRole
from spreekuur.results.models import LabMessage, LabResult, MessageStatus
from spreekuur.results.samples import SamplePatient, SampleResult, hl7_oru, sample_patient
from spreekuur.results.services import receive_lab_message, review_result
from spreekuur.results.table import load_test_table
from tests.browser.conftest import UI
from tests.factories import MembershipFactory, PatientFactory, PracticeFactory, UserFactory

pytestmark = pytest.mark.browser

HBA1C = "Suiker, gemiddeld over 2 à 3 maanden (HbA1c)"
_messages = iter(range(1, 1000))


@pytest.fixture(autouse=True)
def _test_table(transactional_db: None) -> None:
    """A data migration loads the test table, but a transactional test empties every table
    when it ends; load it again for each test."""
    load_test_table()


def _taken(days_ago: int) -> datetime:
    # HL7 times carry no offset: the lab writes local time.
    moment = timezone.localtime() - timedelta(days=days_ago)
    return moment.replace(second=0, microsecond=0)


def _receive(
    practice: Practice, patient: SamplePatient, *results: SampleResult, days_ago: int
) -> LabMessage:
    number = next(_messages)
    raw = hl7_oru(
        patient,
        results,
        control_id=f"BRW{number:06d}",
        order=f"ORD{number:06d}",
        taken=_taken(days_ago),
    )
    return receive_lab_message(practice=practice, door="hl7v2", raw=raw, source="test").messages[0]


def test_the_patient_follows_one_test_over_time_and_downloads_the_record(
    ui: UI, transactional_db: None
) -> None:
    practice = PracticeFactory(slug="de-linde", records_online_from=date(2020, 7, 1))
    gp = MembershipFactory(practice=practice, role=StaffRole.HUISARTS).user
    patient = PatientFactory(
        practice=practice,
        given_name="Fatima",
        family_name="El Amrani",
        user=UserFactory(full_name="Fatima El Amrani"),
    )
    lab = sample_patient(patient)
    history = [
        (400, "39", "", "Normaal, geen actie nodig."),
        (300, "41", "", "Normaal, geen actie nodig."),
        (150, "49", "H", "Licht afwijkend, geen actie nodig."),
        (10, "53", "H", "Hoger dan vorige keer: graag een afspraak maken met de huisarts."),
    ]
    for days_ago, value, flag, comment in history:
        message = _receive(
            practice, lab, SampleResult("2816", value, "mmol/mol", "20-42", flag), days_ago=days_ago
        )
        review_result(
            result=LabResult.objects.get(message=message), comment=comment, release=True, by=gp
        )
    _receive(practice, lab, SampleResult("542", "3.4", "mmol/l", "<3.0", "H"), days_ago=5)
    page = ui.page

    ui.log_in(patient.user.email)  # type: ignore[union-attr]
    ui.verify()
    ui.goto("/mijn-uitslagen/")
    assert page.get_by_role("link", name=HBA1C).is_visible()
    content = page.content()
    assert "LDL" not in content and "cholesterol" not in content  # not reviewed: not online
    ui.submit(page.get_by_role("link", name=HBA1C))
    assert page.get_by_role("heading", level=1, name=HBA1C).is_visible()
    chart = page.get_by_role("img", name=f"{HBA1C} door de tijd")
    expect(chart).to_be_visible()
    expect(chart).to_have_accessible_name(re.compile(r"4 waarden van .+ tot .+"))
    expect(chart.locator(".spreekuur-chart__point")).to_have_count(4)
    expect(chart.locator(".spreekuur-chart__point--out")).to_have_count(2)
    table = page.get_by_role("table", name="Alle uitslagen, nieuwste eerst")
    rows = table.get_by_role("row")
    expect(rows).to_have_count(5)  # the header and four results, newest first
    for row, (_days_ago, value, flag, comment) in zip(
        rows.all()[1:], reversed(history), strict=True
    ):
        expect(row).to_contain_text(f"{value} mmol/mol")
        expect(row).to_contain_text(comment)
        if flag:
            expect(row).to_contain_text("hoger dan normaal")  # in words, not only colour
        else:
            expect(row).not_to_contain_text("dan normaal")
    latest = page.get_by_role("region", name=re.compile("Laatste uitslag"))
    expect(latest).to_contain_text("53 mmol/mol")
    expect(latest).to_contain_text("hoger dan normaal")
    expect(latest).to_contain_text("Normaal: 20 - 42 mmol/mol")
    expect(latest).to_contain_text(history[-1][3])
    ui.screenshot("results-portal-phone")

    ui.goto("/mijn-dossier/")
    download = page.get_by_role("link", name="Download als PDF")
    expect(download).to_have_attribute("href", "/mijn-dossier/dossier.pdf")
    response = page.request.get(ui.base_url + "/mijn-dossier/dossier.pdf")
    assert response.ok
    assert response.headers["content-type"] == "application/pdf"
    text = "".join(sheet.extract_text() for sheet in PdfReader(BytesIO(response.body())).pages)
    assert "HbA1c" in text and "LDL" not in text


def test_the_gp_releases_keyboard_only_and_moves_on_to_the_next(
    ui: UI, transactional_db: None
) -> None:
    practice = PracticeFactory(slug="de-eik", records_online_from=date(2020, 7, 1))
    gp = MembershipFactory(
        practice=practice, role=StaffRole.HUISARTS, user__full_name="Dokter Visser"
    ).user
    patient = PatientFactory(practice=practice, given_name="Kees", family_name="de Vries", gp=gp)
    lab = sample_patient(patient)
    normal = _receive(practice, lab, SampleResult("542", "2.6", "mmol/l", "<3.0"), days_ago=3)
    urgent = _receive(
        practice, lab, SampleResult("513", "7.1", "mmol/l", "3.5-5.0", "HH"), days_ago=1
    )
    normal_result = LabResult.objects.get(message=normal)
    urgent_result = LabResult.objects.get(message=urgent)
    page = ui.page

    ui.log_in(gp.email)
    ui.verify()
    ui.goto("/uitslagen/beoordelen/")
    rows = page.get_by_role("table").get_by_role("row")
    expect(rows).to_have_count(3)
    expect(rows.nth(1)).to_contain_text("kalium")  # far out of range first, though newer
    expect(rows.nth(1)).to_contain_text("veel hoger dan normaal")
    expect(rows.nth(2)).to_contain_text("LDL-cholesterol")

    expect(rows.nth(1)).to_contain_text("7,1 mmol/l")  # a decimal comma, as the lab's digits

    rows.nth(1).get_by_role("link", name=re.compile("^Beoordelen")).focus()
    _press_to_navigate(ui, "Enter")
    assert page.url.endswith(f"/uitslagen/aanvraag/{urgent.public_id}/")
    phrase = page.get_by_label("Standaardzin")
    phrase.focus()
    page.keyboard.type("Graag een afspraak maken met de h")  # type-ahead in the closed select
    expect(phrase).to_have_value("Graag een afspraak maken met de huisarts.")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Commentaar voor de patiënt")).to_be_focused()
    page.keyboard.type("Vandaag nog bellen.")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Vrijgeven met commentaar")).to_be_focused()
    _press_to_navigate(ui, "Enter")

    # Next: the same patient's other order.
    assert page.url.endswith(f"/uitslagen/aanvraag/{normal.public_id}/")
    assert page.get_by_text(
        "Vrijgegeven: de patiënt ziet de uitslag met uw commentaar."
    ).is_visible()
    expect(page.get_by_role("table")).to_contain_text("LDL-cholesterol")
    urgent_result.refresh_from_db()
    assert urgent_result.released and urgent_result.reviewed_by == gp
    assert urgent_result.comment == "Graag een afspraak maken met de huisarts. Vandaag nog bellen."
    normal_result.refresh_from_db()
    assert normal_result.reviewed_at is None
    ui.screenshot("results-review-phone")


def test_the_assistant_links_an_unmatched_message_and_closes_a_quarantined_one(
    ui: UI, transactional_db: None
) -> None:
    practice = PracticeFactory(slug="de-wilg")
    assistant = MembershipFactory(
        practice=practice, role=StaffRole.ASSISTENT, user__full_name="Assistent Smit"
    ).user
    patient = PatientFactory(
        practice=practice, given_name="Ria", family_name="Mulder", date_of_birth=date(1962, 9, 4)
    )
    PatientFactory(practice=practice, family_name="Anders")  # another date of birth
    wrong_bsn = dataclasses.replace(sample_patient(patient), bsn="111222333")
    unmatched = _receive(
        practice,
        wrong_bsn,
        SampleResult("2816", "47", "mmol/mol", "20-42", "H"),
        SampleResult("542", "2.6", "mmol/l", "<3.0"),
        days_ago=1,
    )
    unreadable = receive_lab_message(
        practice=practice, door="hl7v2", raw=b"not hl7", source="test"
    ).messages[0]
    assert unmatched.status == MessageStatus.UNMATCHED
    assert unreadable.status == MessageStatus.QUARANTINED
    page = ui.page

    ui.log_in(assistant.email)
    ui.verify()
    ui.goto("/uitslagen/werklijst/")
    rows = page.get_by_role("table").get_by_role("row")
    expect(rows).to_have_count(3)
    ui.submit(
        rows.filter(has_text="patiënt niet gevonden").get_by_role("link", name=re.compile("Openen"))
    )
    expect(page.get_by_text("BSN 111222333")).to_be_visible()
    offered = page.get_by_role("listitem").filter(has_text="04-09-1962")
    expect(offered).to_contain_text("Mulder")
    expect(page.get_by_role("button", name=re.compile("Koppelen"))).to_have_count(1)
    ui.submit(offered.get_by_role("button", name=re.compile(r"^Koppelen\W+Mulder$")))
    assert page.get_by_text("Gekoppeld: 2 uitslagen opgeslagen.").is_visible()
    unmatched.refresh_from_db()
    assert unmatched.status == MessageStatus.IMPORTED and unmatched.patient == patient
    assert sorted(
        LabResult.objects.filter(patient=patient).values_list("test__nhg_code", flat=True)
    ) == ["2816", "542"]
    assert not LabResult.objects.exclude(patient=patient).exists()

    ui.submit(page.get_by_role("link", name="Terug naar de labberichten"))
    expect(rows).to_have_count(2)
    ui.submit(rows.filter(has_text="in quarantaine").get_by_role("link", name=re.compile("Openen")))
    page.get_by_label("Wat is er met dit bericht gedaan?").fill("Lab gebeld, stuurt opnieuw.")
    ui.submit(page.get_by_role("button", name="Afhandelen"))
    assert page.get_by_text("Het bericht is afgehandeld.").is_visible()
    assert page.get_by_text("Lab gebeld, stuurt opnieuw.").is_visible()
    unreadable.refresh_from_db()
    assert unreadable.status == MessageStatus.HANDLED and unreadable.handled_by == assistant
    ui.screenshot("results-lab-message-phone")
    ui.goto("/uitslagen/werklijst/")
    assert page.get_by_text("Er wacht niets.").is_visible()


def test_the_gp_releases_a_whole_order_and_the_patient_reads_it_with_the_comment(
    ui: UI, transactional_db: None
) -> None:
    practice = PracticeFactory(slug="de-beuk", records_online_from=date(2020, 7, 1))
    gp = MembershipFactory(
        practice=practice, role=StaffRole.HUISARTS, user__full_name="Dokter Bakker"
    ).user
    patient = PatientFactory(
        practice=practice,
        given_name="Henk",
        family_name="Smit",
        gp=gp,
        user=UserFactory(full_name="Henk Smit"),
    )
    other = PatientFactory(practice=practice, given_name="Els", family_name="Kok", gp=gp)
    lab = sample_patient(patient)
    panel = _receive(
        practice,
        lab,
        SampleResult("2816", "58", "mmol/mol", "20-42", "H"),
        SampleResult("523", "132", "umol/l", "50-110", "H"),
        SampleResult("542", "2.60", "mmol/l", "<3.0"),
        SampleResult("1385", "2.10", "mU/l", "0.4-4.0"),
        days_ago=2,
    )
    later = _receive(practice, lab, SampleResult("227", "<0.5", "mg/l", "<10"), days_ago=1)
    _receive(
        practice, sample_patient(other), SampleResult("1385", "1.5", "mU/l", "0.4-4.0"), days_ago=5
    )
    page = ui.page

    ui.log_in(gp.email)
    ui.verify()
    page.set_viewport_size({"width": 1280, "height": 900})
    ui.goto("/uitslagen/beoordelen/")
    rows = page.get_by_role("table").get_by_role("row")
    expect(rows).to_have_count(4)  # Henk's two orders together, then Els
    expect(rows.nth(1)).to_contain_text("Henk Smit")
    expect(rows.nth(1)).to_contain_text("2,60 mmol/l")
    expect(rows.nth(2)).to_contain_text("Henk Smit")
    expect(rows.nth(3)).to_contain_text("Els Kok")
    ui.screenshot("results-review-queue-desktop")
    ui.submit(rows.nth(1).get_by_role("link", name=re.compile("^Alle 4 beoordelen")))
    assert page.url.endswith(f"/uitslagen/aanvraag/{panel.public_id}/")
    expect(page.get_by_text("2 van de 4 buiten de referentiewaarden.")).to_be_visible()
    table = page.get_by_role("table")
    expect(table.get_by_text("hoger dan normaal")).to_have_count(2)
    for name in ("HbA1c (glycohemoglobine) IFCC", "kreatinine", "LDL-cholesterol", "TSH"):
        expect(page.get_by_role("checkbox", name=name)).to_be_checked()
    page.get_by_label("Standaardzin").select_option(
        "Graag een afspraak maken met de praktijkondersteuner."
    )
    page.get_by_label("Commentaar voor de patiënt").fill("Suiker en nierfunctie iets te hoog.")
    ui.screenshot("results-panel-desktop")
    page.set_viewport_size({"width": 360, "height": 800})
    ui.check_page()
    ui.screenshot("results-panel-phone")
    ui.submit(page.get_by_role("button", name="Vrijgeven met commentaar"))
    # Next: the same patient's later order, before Els's older one.
    assert page.url.endswith(f"/uitslagen/aanvraag/{later.public_id}/")
    expect(
        page.get_by_text("Vrijgegeven: de patiënt ziet de 4 uitslagen met uw commentaar.")
    ).to_be_visible()
    expect(page.get_by_role("table")).to_contain_text("<0,5 mg/l")
    ui.screenshot("results-panel-next-phone")
    released = LabResult.objects.filter(message=panel)
    assert all(r.released and r.reviewed_by == gp for r in released)
    assert {r.comment for r in released} == {
        "Graag een afspraak maken met de praktijkondersteuner. Suiker en nierfunctie iets te hoog."
    }
    page.context.clear_cookies()

    ui.log_in(patient.user.email)  # type: ignore[union-attr]
    ui.verify()
    ui.goto("/mijn-uitslagen/")
    listed = page.get_by_role("list").filter(has_text="LDL-cholesterol")
    expect(listed).to_contain_text("2,60 mmol/l")
    expect(
        listed.get_by_text("Graag een afspraak maken met de praktijkondersteuner.")
    ).to_have_count(4)
    content = page.content()
    assert "Ontstekingswaarde" not in content  # the later order waits for the GP
    ui.screenshot("results-portal-after-panel-phone")
    page.set_viewport_size({"width": 1280, "height": 900})
    ui.submit(page.get_by_role("link", name=re.compile("^Nierfunctie: kreatinine")))
    latest = page.get_by_role("region", name=re.compile("Laatste uitslag"))
    expect(latest).to_contain_text("132 umol/l")
    expect(latest).to_contain_text("hoger dan normaal")
    expect(latest).to_contain_text("Normaal: 50 - 110 umol/l")
    expect(latest).to_contain_text("Suiker en nierfunctie iets te hoog.")
    ui.screenshot("results-portal-after-panel-desktop")


def _press_to_navigate(ui: UI, key: str) -> None:
    """Press a key on the focused control, wait for the page it loads, and check it."""
    with ui.page.expect_navigation():
        ui.page.keyboard.press(key)
    ui.check_page()
