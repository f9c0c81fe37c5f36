"""The start pages and the access log in a browser, at 1280 and 360 px with axe on each:
the GP's and the desk's day, the patient's "new for you" with the menu badges, the
messages overview, and the manager finding a patient in the log by date of birth."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from django.utils import timezone

from spreekuur.accounts.models import Membership
from spreekuur.agenda.models import Appointment, BookingChannel
from spreekuur.core.audit import record_access
from spreekuur.core.models import AuditAction
from spreekuur.econsult import services as econsult_services
from spreekuur.econsult.models import Message, Thread, ThreadStatus
from spreekuur.patients.models import Patient
from spreekuur.results.models import LabResult
from spreekuur.results.services import receive_lab_message, review_result
from spreekuur.results.table import load_test_table
from tests.browser.conftest import UI
from tests.factories import (
    MembershipFactory,
    PatientFactory,
    PracticeFactory,
    UserFactory,
    add_appointment_types,
)
from tests.results.conftest import HBA1C_HIGH, LDL, oru

pytestmark = pytest.mark.browser

WIDE = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 740}


@pytest.fixture(autouse=True)
def _test_table(transactional_db: None) -> None:
    """The lab test table comes from a data migration; a transactional test empties it."""
    load_test_table()


def _question(patient: Patient, body: str, *, hours_left: float) -> Thread:
    thread = Thread.objects.create(
        practice=patient.practice,
        patient=patient,
        asked_by=patient.user,
        category="huid",
        status=ThreadStatus.OPEN,
        due_at=timezone.now() + timedelta(hours=hours_left),
    )
    Message.objects.create(
        practice=patient.practice, thread=thread, author=patient.user, from_patient=True, body=body
    )
    return thread


def _scene() -> dict[str, object]:
    practice = PracticeFactory(
        slug="de-linde", name="Huisartsenpraktijk De Linde", records_online_from=date(2020, 7, 1)
    )
    gp = MembershipFactory(practice=practice, role="huisarts", user__full_name="Dr. Anna de Boer")
    assistant = MembershipFactory(
        practice=practice, role="assistent", user__full_name="Fatima el Amrani"
    )
    manager = MembershipFactory(
        practice=practice, role="praktijkmanager", user__full_name="Ruud Hendriks"
    )
    patient = PatientFactory(
        practice=practice,
        given_name="Sanne",
        family_name="Visser",
        date_of_birth=date(1984, 3, 9),
        user=UserFactory(full_name="Sanne Visser"),
    )
    PatientFactory(practice=practice, given_name="Daan", family_name="Visser")
    answered = _question(
        patient, "Sinds een week een rode plek op mijn arm die jeukt.", hours_left=30
    )
    _question(patient, "Een moedervlek op mijn rug lijkt groter te worden.", hours_left=-2)
    econsult_services.answer_thread(
        thread=answered, body="Smeer er twee keer per dag een vette crème op.", by=gp.user
    )
    types = add_appointment_types(practice)
    today = timezone.localdate()
    for hour, who in ((9, patient), (10, PatientFactory(practice=practice))):
        start = timezone.make_aware(datetime.combine(today, time(hour)))
        Appointment.objects.create(
            practice=practice,
            patient=who,
            practitioner=gp,
            appointment_type=types["consult"],
            starts_at=start + timedelta(days=7 if who == patient else 0),
            ends_at=start + timedelta(days=7 if who == patient else 0, minutes=10),
            channel=BookingChannel.ONLINE,
            booked_by=gp.user,
            booked_at=timezone.now(),
        )
    receive_lab_message(
        practice=practice, door="hl7v2", raw=oru(patient, HBA1C_HIGH, LDL), source="test"
    )
    first = LabResult.objects.filter(patient=patient).order_by("id").first()
    assert first is not None
    review_result(
        result=first, comment="Licht verhoogd, bespreken bij de controle.", release=True, by=gp.user
    )
    # Work that no person did, as the worker writes it (no user, no request).
    record_access(
        actor=None,
        action=AuditAction.EXPORT,
        object_kind="repeatrequest",
        practice=practice,
        patient=patient,
        object_ids=[patient.public_id],
        detail="naar Apotheek De Linde",
    )
    return {"gp": gp, "assistant": assistant, "manager": manager, "patient": patient}


def _both_widths(ui: UI, path: str, name: str) -> None:
    for size, suffix in ((WIDE, "1280"), (PHONE, "360")):
        ui.page.set_viewport_size(size)
        ui.goto(path)
        ui.screenshot(f"{name}-{suffix}")


def test_the_gp_starts_with_their_day(ui: UI, transactional_db: None) -> None:
    scene = _scene()
    gp: Membership = scene["gp"]  # type: ignore[assignment]
    ui.log_in(gp.user.email)
    ui.verify()
    page = ui.page
    assert page.get_by_role("heading", level=1).inner_text().endswith(", dokter De Boer")
    assert page.get_by_role("link", name="1 afspraak vandaag").is_visible()
    assert page.get_by_role("link", name="1 e-consult over tijd").is_visible()
    assert page.get_by_role("link", name="1 open e-consult").is_visible()
    assert page.get_by_role("link", name="1 uitslag te beoordelen").is_visible()
    _both_widths(ui, "/start/", "start-gp")


def test_the_desk_starts_with_the_practices_day(ui: UI, transactional_db: None) -> None:
    scene = _scene()
    assistant: Membership = scene["assistant"]  # type: ignore[assignment]
    ui.log_in(assistant.user.email)
    ui.verify()
    assert ui.page.get_by_role("heading", level=1).inner_text().endswith(", Fatima")
    assert ui.page.get_by_role("link", name="1 afspraak vandaag").is_visible()
    _both_widths(ui, "/start/", "start-assistant")


def test_the_patient_sees_what_is_new_and_the_messages(ui: UI, transactional_db: None) -> None:
    scene = _scene()
    patient: Patient = scene["patient"]  # type: ignore[assignment]
    assert patient.user is not None
    ui.log_in(patient.user.email)
    ui.verify()
    page = ui.page
    page.set_viewport_size(WIDE)
    ui.goto("/start/")
    assert page.get_by_role("heading", name="Nieuw voor u").is_visible()
    assert page.get_by_text("Uw volgende afspraak:").is_visible()
    assert page.get_by_text("Nieuw antwoord op uw vraag van").is_visible()
    assert page.get_by_text("1 nieuwe uitslag met commentaar van de huisarts").is_visible()
    # The menu's badges, read as "… 1 nieuw".
    assert page.get_by_role("link", name="Vraag de praktijk 1 nieuw").is_visible()
    assert page.get_by_role("link", name="Uitslagen 1 nieuw").count() == 1
    _both_widths(ui, "/start/", "start-patient")
    _both_widths(ui, "/econsult/", "econsult-overview")
    lines = page.locator(".spreekuur-tasks li").all_inner_texts()
    assert len(lines) == 2 and lines[0] != lines[1]
    _both_widths(ui, "/mijn-dossier/wie-keek-er/", "audit-log-patient")
    assert page.get_by_text("Verzending naar de apotheek (automatisch)").count() >= 1
    assert page.get_by_text("niet was ingelogd").count() == 0


def test_the_manager_finds_a_patient_in_the_log(ui: UI, transactional_db: None) -> None:
    scene = _scene()
    manager: Membership = scene["manager"]  # type: ignore[assignment]
    ui.log_in(manager.user.email)
    ui.verify()
    page = ui.page
    _both_widths(ui, "/beheer/logboek/", "audit-search")
    page.set_viewport_size(WIDE)
    page.get_by_label("Naam, BSN of geboortedatum").fill("31-02-1984")
    ui.submit(page.get_by_role("button", name="Zoek patiënt"))
    assert page.get_by_text("Deze datum bestaat niet").is_visible()
    assert "31-02" not in page.url
    page.get_by_label("Naam, BSN of geboortedatum").fill("09-03-1984")
    ui.submit(page.get_by_role("button", name="Zoek patiënt"))
    assert "09-03" not in page.url and page.url.endswith("/beheer/logboek/patient/")
    ui.screenshot("audit-search-found-1280")
    page.set_viewport_size(PHONE)
    ui.check_page()
    ui.screenshot("audit-search-found-360")
    ui.submit(page.get_by_role("link", name="Sanne Visser"))
    assert page.get_by_role("heading", name="Regels over Sanne Visser").is_visible()
    _both_widths(ui, page.url.removeprefix(ui.base_url), "audit-search-patient")
