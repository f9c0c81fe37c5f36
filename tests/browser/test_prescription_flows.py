"""Repeat prescriptions in the browser: the patient asks for two medicines and reads why one
was refused, the assistant forwards one and refuses the other, the GP approves keyboard-only
from the accorderingslijst with the kidney warning in view."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Locator, expect

from spreekuur.accounts.models import User
from spreekuur.core.models import Practice
from spreekuur.core.roles import StaffRole
from spreekuur.dossier import services as dossier_services
from spreekuur.dossier.models import Medication
from spreekuur.patients.models import Patient
from spreekuur.prescriptions.models import (
    ItemStatus,
    OutboxMessage,
    Pharmacy,
    RepeatRequestItem,
    RepeatSettings,
    Route,
)
from spreekuur.prescriptions.services import reject_items, request_repeat
from spreekuur.results.models import LabResult
from spreekuur.results.samples import SampleResult, hl7_oru, sample_patient
from spreekuur.results.services import receive_lab_message
from spreekuur.results.table import load_test_table
from tests.browser.conftest import UI
from tests.factories import MembershipFactory, PatientFactory, PracticeFactory, UserFactory

pytestmark = pytest.mark.browser

METFORMIN = "Metformine 500 mg"
SIMVASTATIN = "Simvastatine 40 mg"
PHARMACY = "Apotheek De Linde"
# Whether the middle of an element is on screen and not under other content (a sticky bar).
ON_TOP = """el => {
  const box = el.getBoundingClientRect();
  const hit = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
  return hit !== null && (hit === el || el.contains(hit));
}"""


@pytest.fixture(autouse=True)
def _test_table(transactional_db: None) -> None:
    """A data migration loads the test table, but a transactional test empties every table
    when it ends; load it again for each test."""
    load_test_table()


def _pharmacy(practice: Practice) -> Pharmacy:
    return Pharmacy.objects.create(
        practice=practice,
        name=PHARMACY,
        city="Lindewijk",
        transport="http",
        endpoint="http://127.0.0.1:9/medicationrequest",
    )


def _repeatable(patient: Patient, name: str, gp: User) -> Medication:
    medication = dossier_services.record_medication(
        patient=patient,
        name=name,
        dosage="1 keer per dag 1 tablet",
        started_on=date(2021, 3, 1),
        chronic=True,
        by=gp,
    )
    return dossier_services.set_repeat(
        medication=medication,
        repeatable=True,
        quantity="90 tabletten",
        control_due_on=timezone.localdate() + timedelta(days=60),
        by=gp,
    )


def _ask(medication: Medication, pharmacy: Pharmacy) -> RepeatRequestItem:
    """The patient's own request from the portal, made in the database."""
    request = request_repeat(
        patient=medication.patient,
        medication_ids=[medication.public_id],
        pharmacy=pharmacy,
        by=medication.patient.user,  # type: ignore[arg-type]
    )
    return request.items.get()


def test_the_patient_asks_for_two_medicines_and_reads_why_one_was_refused(
    ui: UI, transactional_db: None
) -> None:
    practice = PracticeFactory(slug="de-linde")
    gp = MembershipFactory(practice=practice, role=StaffRole.HUISARTS).user
    patient = PatientFactory(
        practice=practice,
        given_name="Anna",
        family_name="de Boer",
        user=UserFactory(full_name="Anna de Boer"),
    )
    _pharmacy(practice)
    metformin = _repeatable(patient, METFORMIN, gp)
    _repeatable(patient, SIMVASTATIN, gp)
    page = ui.page

    ui.log_in(patient.user.email)  # type: ignore[union-attr]
    ui.verify()
    ui.goto("/herhaalrecepten/")
    choices = page.get_by_role("group", name="Welke medicijnen wilt u opnieuw?")
    expect(choices.get_by_role("checkbox")).to_have_count(2)
    for name in (METFORMIN, SIMVASTATIN):
        box = choices.get_by_role("checkbox", name=re.compile(f"^{name}"))
        box.check()
        expect(box).to_be_checked()
    page.get_by_label("Apotheek", exact=True).select_option(label=f"{PHARMACY}, Lindewijk")
    ui.submit(page.get_by_role("button", name="Aanvragen"))

    expect(
        page.get_by_text("Verstuurd. U ziet hieronder wanneer het klaar is bij de apotheek.")
    ).to_be_visible()
    requests = page.get_by_role("region", name="Uw aanvragen", exact=True).get_by_role("listitem")
    expect(requests).to_have_count(2)
    for name in (METFORMIN, SIMVASTATIN):
        request = requests.filter(has_text=name)
        expect(request.get_by_text("aangevraagd", exact=True)).to_be_visible()  # the status
        expect(request).to_contain_text(PHARMACY)
    expect(choices.get_by_role("checkbox")).to_have_count(0)
    for name in (METFORMIN, SIMVASTATIN):
        expect(choices.get_by_role("listitem").filter(has_text=name)).to_contain_text(
            "Al aangevraagd; stand: aangevraagd."
        )
    assert set(
        RepeatRequestItem.objects.filter(request__patient=patient).values_list("status", flat=True)
    ) == {ItemStatus.REQUESTED}

    refused = RepeatRequestItem.objects.get(medication=metformin)
    reject_items(items=[refused], reason="controle", by=gp)
    ui.goto("/herhaalrecepten/")
    refused_row = requests.filter(has_text=METFORMIN)
    expect(refused_row.get_by_text("afgewezen", exact=True)).to_be_visible()
    expect(refused_row).to_contain_text("Eerst een controle: maak een afspraak")
    appointment = refused_row.get_by_role("link", name="Maak een afspraak")
    expect(appointment).to_have_attribute("href", reverse("agenda:my_appointments"))
    expect(
        requests.filter(has_text=SIMVASTATIN).get_by_text("aangevraagd", exact=True)
    ).to_be_visible()
    # Refused, so it can be asked for again; the other is still on its way.
    expect(choices.get_by_role("checkbox", name=re.compile(f"^{METFORMIN}"))).to_be_enabled()
    expect(choices.get_by_role("listitem").filter(has_text=SIMVASTATIN)).to_contain_text(
        "Al aangevraagd"
    )
    ui.screenshot("prescriptions-patient-phone")


def test_the_assistant_forwards_one_request_and_refuses_the_other(
    ui: UI, transactional_db: None
) -> None:
    practice = PracticeFactory(slug="de-kastanje")  # the default route: the assistant first
    gp = MembershipFactory(practice=practice, role=StaffRole.HUISARTS).user
    assistant = MembershipFactory(
        practice=practice, role=StaffRole.ASSISTENT, user__full_name="Assistent Smit"
    ).user
    pharmacy = _pharmacy(practice)
    piet = PatientFactory(
        practice=practice, given_name="Piet", family_name="Mulder", user=UserFactory()
    )
    els = PatientFactory(
        practice=practice, given_name="Els", family_name="Visser", user=UserFactory()
    )
    forwarded = _ask(_repeatable(piet, METFORMIN, gp), pharmacy)
    refused = _ask(_repeatable(els, SIMVASTATIN, gp), pharmacy)
    page = ui.page

    ui.log_in(assistant.email)
    ui.verify()
    ui.goto("/herhaalrecepten/te-controleren/")
    reviews = page.get_by_role("article")
    expect(reviews).to_have_count(2)
    expect(reviews.nth(0)).to_contain_text("Mulder")
    expect(reviews.nth(1)).to_contain_text("Visser")
    page.get_by_role("checkbox", name=re.compile(f"^{METFORMIN}")).check()
    ui.submit(page.get_by_role("button", name="Gekozen naar de huisarts"))
    expect(page.get_by_text("1 doorgestuurd naar de huisarts.")).to_be_visible()
    expect(reviews).to_have_count(1)

    page.get_by_role("checkbox", name=re.compile(f"^{SIMVASTATIN}")).check()
    page.get_by_label("Reden", exact=True).select_option(label="Te vroeg: u heeft nog voldoende")
    page.get_by_label(re.compile("^Toelichting voor de patiënt")).fill("Tot de volgende maand.")
    page.keyboard.press("Enter")  # submits nothing: only a button decides (not "forward")
    ui.submit(page.get_by_role("button", name="Gekozen afwijzen"))
    expect(page.get_by_text("1 afgewezen.")).to_be_visible()
    expect(page.get_by_text("Er wacht niets.")).to_be_visible()

    forwarded.refresh_from_db()
    assert forwarded.status == ItemStatus.IN_REVIEW and forwarded.forwarded_by == assistant
    assert forwarded.decided_by is None
    refused.refresh_from_db()
    assert refused.status == ItemStatus.REJECTED and refused.reason == "te-vroeg"
    assert refused.explanation == "Tot de volgende maand."
    assert refused.decided_by == assistant
    assert not OutboxMessage.objects.exists()


def test_the_gp_approves_keyboard_only_with_the_kidney_warning_in_view(
    ui: UI, transactional_db: None
) -> None:
    practice = PracticeFactory(slug="de-esdoorn")
    RepeatSettings.objects.create(practice=practice, route=Route.STRAIGHT_TO_GP)
    gp = MembershipFactory(
        practice=practice, role=StaffRole.HUISARTS, user__full_name="Dokter Visser"
    ).user
    pharmacy = _pharmacy(practice)
    henk = PatientFactory(
        practice=practice, given_name="Henk", family_name="Smits", user=UserFactory()
    )
    ria = PatientFactory(practice=practice, given_name="Ria", family_name="Bos", user=UserFactory())
    raw = hl7_oru(
        sample_patient(henk),
        [SampleResult("3907", "27", "ml/min/1,73m2")],
        control_id="BRW000001",
        order="ORD000001",
        taken=timezone.localtime().replace(second=0, microsecond=0) - timedelta(days=3),
    )
    receive_lab_message(practice=practice, door="hl7v2", raw=raw, source="test")
    assert LabResult.objects.filter(patient=henk, test__nhg_code="3907").exists()
    metformin = _ask(_repeatable(henk, METFORMIN, gp), pharmacy)
    simvastatin = _ask(_repeatable(ria, SIMVASTATIN, gp), pharmacy)
    page = ui.page

    ui.log_in(gp.email)
    ui.verify()
    ui.goto("/accorderingslijst/")
    expect(page.get_by_text("2 aanvragen wachten.")).to_be_visible()
    reviews = page.get_by_role("article")
    expect(reviews).to_have_count(2)
    kidney = reviews.filter(has_text=METFORMIN)
    expect(kidney.get_by_role("list", name="Waarschuwingen")).to_contain_text(
        "eGFR onder 30: metformine is gecontra-indiceerd"
    )
    expect(kidney).to_contain_text("27")
    expect(
        reviews.filter(has_text=SIMVASTATIN).get_by_role("list", name="Waarschuwingen")
    ).to_have_count(0)
    ui.screenshot("prescriptions-accorderingslijst-phone")

    first = page.get_by_role("checkbox", name=re.compile(f"^{METFORMIN}"))
    second = page.get_by_role("checkbox", name=re.compile(f"^{SIMVASTATIN}"))
    approve = page.get_by_role("button", name="Gekozen goedkeuren")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Direct naar de inhoud")).to_be_focused()
    page.keyboard.press("Enter")  # the skip link: on to the main content
    page.keyboard.press("Tab")
    expect(first).to_be_focused()
    _expect_in_view(first)
    page.keyboard.press("Space")
    expect(first).to_be_checked()
    page.keyboard.press("Tab")
    expect(second).to_be_focused()
    _expect_in_view(second)
    page.keyboard.press("Space")
    expect(second).to_be_checked()
    page.keyboard.press("Tab")
    expect(approve).to_be_focused()
    _expect_in_view(approve)
    _press_to_navigate(ui, "Enter")

    expect(page.get_by_text("2 goedgekeurd: op weg naar de apotheek.")).to_be_visible()
    expect(page.get_by_text("Niets te accorderen.")).to_be_visible()
    for item in (metformin, simvastatin):
        item.refresh_from_db()
        assert item.status == ItemStatus.APPROVED and item.decided_by == gp
    assert OutboxMessage.objects.count() == 2
    assert set(OutboxMessage.objects.values_list("item_id", flat=True)) == {
        metformin.pk,
        simvastatin.pk,
    }


def _expect_in_view(control: Locator) -> None:
    """A control in focus ends up on screen and not behind the sticky action bar (WCAG
    2.4.11), once the page has scrolled to it (smoothly, so this waits)."""
    control.page.wait_for_function(ON_TOP, arg=control.element_handle(), timeout=3_000)


def _press_to_navigate(ui: UI, key: str) -> None:
    """Press a key on the focused control, wait for the page it loads, and check it."""
    with ui.page.expect_navigation():
        ui.page.keyboard.press(key)
    ui.check_page()
