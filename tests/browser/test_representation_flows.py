"""Acting for someone else (namens) in the browser: the assistant records a parent and the
child's consent, the parent reads the child's record and results and is logged under their
own name, and a child of 16 is listed with the reason and no way in."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from spreekuur.core.models import Practice
from spreekuur.core.roles import StaffRole
from spreekuur.dossier import services as dossier_services
from spreekuur.patients.models import Patient, Representation
from spreekuur.results.models import LabResult
from spreekuur.results.samples import SampleResult, hl7_oru, sample_patient
from spreekuur.results.services import receive_lab_message, review_result
from spreekuur.results.table import load_test_table
from tests.browser.conftest import UI
from tests.factories import MembershipFactory, PatientFactory, PracticeFactory, UserFactory

pytestmark = pytest.mark.browser

CRP = "Ontstekingswaarde (CRP)"
HBA1C = "Suiker, gemiddeld over 2 à 3 maanden (HbA1c)"
_messages = iter(range(1, 1000))


@pytest.fixture(autouse=True)
def _test_table(transactional_db: None) -> None:
    """A transactional test empties every table when it ends; load the test table again."""
    load_test_table()


def _born_years_ago(years: int, *, days: int = 0) -> date:
    """The date of birth of someone who turns `years` exactly `days` days from today."""
    today = timezone.localdate()
    try:
        born = today.replace(year=today.year - years)
    except ValueError:  # 29 February
        born = today.replace(year=today.year - years, day=28)
    return born + timedelta(days=days)


def _parent(practice: Practice) -> Patient:
    """A patient of the practice with a portal login, who is also a parent."""
    return PatientFactory(
        practice=practice,
        given_name="Marieke",
        family_name="Visser",
        user=UserFactory(full_name="Marieke Visser"),
    )


def _child(practice: Practice, given_name: str, born: date) -> Patient:
    return PatientFactory(
        practice=practice, given_name=given_name, family_name="Visser", date_of_birth=born
    )


def _represents(parent: Patient, child: Patient, by: object, **extra: object) -> Representation:
    assert parent.user is not None
    return Representation.objects.create(
        practice=child.practice,
        patient=child,
        representative=parent.user,
        kind="ouder",
        valid_from=timezone.localdate() - timedelta(days=30),
        recorded_by=by,
        **extra,
    )


def _release(patient: Patient, result: SampleResult, gp: object, comment: str) -> None:
    number = next(_messages)
    raw = hl7_oru(
        sample_patient(patient),
        [result],
        control_id=f"NMS{number:06d}",
        order=f"ORD{number:06d}",
        taken=timezone.localtime().replace(second=0, microsecond=0) - timedelta(days=3),
    )
    message = receive_lab_message(
        practice=patient.practice, door="hl7v2", raw=raw, source="test"
    ).messages[0]
    review_result(
        result=LabResult.objects.get(message=message), comment=comment, release=True, by=gp
    )


def _choose(ui: UI, name: str) -> Page:
    """On /namens/, press the button for `name` ("Mijzelf" or "Namens …")."""
    page = ui.page
    if not page.url.endswith("/namens/"):
        ui.goto("/namens/")
    return ui.submit(page.get_by_role("button", name=re.compile(f"^{re.escape(name)}")))


def test_the_assistant_records_a_parent_and_the_childs_consent(
    ui: UI, transactional_db: None
) -> None:
    practice = PracticeFactory(slug="de-hazelaar")
    assistant = MembershipFactory(
        practice=practice, role=StaffRole.ASSISTENT, user__full_name="Assistent Smit"
    ).user
    parent = _parent(practice)
    child = _child(practice, "Lotte", _born_years_ago(13))
    page = ui.page

    ui.log_in(assistant.email)
    ui.verify()
    ui.goto(f"/patienten/{child.public_id}/")
    section = page.get_by_role("region", name="Vertegenwoordigers")
    expect(section).to_be_visible()
    section.get_by_text("Vertegenwoordiger vastleggen", exact=True).click()
    section.get_by_label("Soort").select_option(label="Ouder of voogd (kind tot 16 jaar)")
    section.get_by_label("E-mailadres van het portaalaccount van de vertegenwoordiger").fill(
        parent.user.email  # type: ignore[union-attr]
    )
    section.get_by_label("Geldig vanaf").fill(timezone.localdate().isoformat())
    ui.submit(section.get_by_role("button", name="Vastleggen", exact=True))

    assert page.get_by_text(
        "Vastgelegd. De vertegenwoordiger kiest in het portaal 'Namens'."
    ).is_visible()
    item = section.get_by_role("listitem").filter(has_text="Marieke Visser")
    expect(item).to_contain_text("(ouder of voogd;")
    expect(item).to_contain_text(
        "Nu geen toegang: vanaf 12 jaar alleen met toestemming van het kind."
    )
    representation = Representation.objects.get(patient=child)
    assert representation.representative == parent.user
    assert representation.recorded_by == assistant
    assert not representation.allows(timezone.localdate())

    ui.submit(item.get_by_role("button", name="Toestemming kind vastleggen"))
    assert page.get_by_text("De toestemming van het kind is bijgewerkt.").is_visible()
    expect(item).not_to_contain_text("Nu geen toegang")
    expect(item).to_contain_text("toestemming kind op")
    expect(item.get_by_role("button", name="Toestemming kind intrekken")).to_be_visible()
    representation.refresh_from_db()
    assert representation.child_consent_on == timezone.localdate()
    assert representation.allows(timezone.localdate())


def test_the_parent_reads_the_childs_record_and_results_and_is_logged_by_name(
    ui: UI, transactional_db: None
) -> None:
    practice = PracticeFactory(slug="de-kastanje", records_online_from=date(2020, 7, 1))
    gp = MembershipFactory(practice=practice, role=StaffRole.HUISARTS).user
    assistant = MembershipFactory(practice=practice, role=StaffRole.ASSISTENT).user
    parent = _parent(practice)
    child = _child(practice, "Sem", _born_years_ago(9))
    _represents(parent, child, assistant)
    for patient, conclusion in ((child, "Waterpokken"), (parent, "Hooikoorts")):
        dossier_services.record_journal_entry(
            patient=patient,
            contact_on=timezone.localdate() - timedelta(days=2),
            kind="consult",
            evaluation=conclusion,
            by=gp,
        )
    _release(child, SampleResult("227", "14", "mg/l", "<10", "H"), gp, "Past bij de waterpokken.")
    _release(
        parent, SampleResult("2816", "39", "mmol/mol", "20-42"), gp, "Normaal, geen actie nodig."
    )
    page = ui.page

    ui.log_in(parent.user.email)  # type: ignore[union-attr]
    ui.verify()
    assert page.url.endswith("/start/")
    ui.submit(page.get_by_role("link", name=re.compile("^Kies namens wie")))
    assert page.url.endswith("/namens/")
    expect(page.get_by_role("button", name="Mijzelf (nu gekozen)")).to_be_visible()
    _choose(ui, "Namens Sem")

    assert page.url.endswith("/mijn-dossier/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Dossier van Sem")
    banner = page.get_by_role("status").filter(has_text="U bekijkt dit namens")
    expect(banner).to_contain_text("U bekijkt dit namens Sem (ouder of voogd).")
    expect(banner.get_by_role("link", name="Wisselen")).to_have_attribute("href", "/namens/")
    content = page.content()
    assert "Waterpokken" in content and "Hooikoorts" not in content
    ui.screenshot("representation-record-phone")

    ui.goto("/mijn-uitslagen/")
    expect(page.get_by_role("status").filter(has_text="namens Sem")).to_be_visible()
    expect(page.get_by_role("link", name=CRP)).to_be_visible()
    expect(page.get_by_role("link", name=HBA1C)).to_have_count(0)

    ui.submit(
        page.get_by_role("navigation", name="Hoofdmenu").get_by_role(
            "link", name="Wie keek in mijn dossier"
        )
    )
    expect(page.get_by_role("status").filter(has_text="namens Sem")).to_be_visible()
    table = page.get_by_role("table", name="Toegang tot uw dossier, nieuwste eerst")
    own_visits = table.get_by_role("row").filter(has_text="U zelf")
    expect(own_visits.first).to_contain_text("U zelf (ouder of voogd)")
    assert own_visits.count() >= 2  # the record and the results, each under the parent's name

    _choose(ui, "Mijzelf")
    assert page.url.endswith("/mijn-dossier/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mijn dossier")
    expect(page.get_by_text("U bekijkt dit namens")).to_have_count(0)
    content = page.content()
    assert "Hooikoorts" in content and "Waterpokken" not in content
    ui.goto("/mijn-uitslagen/")
    expect(page.get_by_role("link", name=HBA1C)).to_be_visible()
    expect(page.get_by_role("link", name=CRP)).to_have_count(0)


def test_a_child_of_16_is_listed_with_the_reason_and_no_way_in(
    ui: UI, transactional_db: None
) -> None:
    practice = PracticeFactory(slug="de-vlier", records_online_from=date(2020, 7, 1))
    assistant = MembershipFactory(practice=practice, role=StaffRole.ASSISTENT).user
    parent = _parent(practice)
    lotte = _child(practice, "Lotte", _born_years_ago(16))
    sem = _child(practice, "Sem", _born_years_ago(16, days=1))  # 15, turns 16 tomorrow
    _represents(parent, lotte, assistant, child_consent_on=date(2024, 5, 1))
    _represents(parent, sem, assistant, child_consent_on=timezone.localdate())
    page = ui.page
    reason = "nu niet mogelijk, vanaf 16 jaar ziet alleen de patiënt zelf het dossier."

    ui.log_in(parent.user.email)  # type: ignore[union-attr]
    ui.verify()
    ui.goto("/namens/")
    choice = page.get_by_role("group", name="Kies")
    expect(choice.get_by_role("listitem").filter(has_text="Lotte")).to_contain_text(
        f"Lotte (ouder of voogd): {reason}"
    )
    expect(choice.get_by_role("button", name=re.compile("Lotte"))).to_have_count(0)
    _choose(ui, "Namens Sem")
    expect(page.get_by_role("heading", level=1)).to_have_text("Dossier van Sem")
    ui.goto("/namens/")
    expect(choice.get_by_role("button", name="Namens Sem (nu gekozen)")).to_be_visible()
    ui.screenshot("representation-choice-phone")

    # Sem's 16th birthday comes while the parent still has his record chosen.
    sem.date_of_birth = _born_years_ago(16)
    sem.save(update_fields=["date_of_birth"])
    ui.goto("/mijn-dossier/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Geen toegang")
    # Chromium logs the 403 of the page itself as a console error: that one is expected.
    forbidden = "Failed to load resource: the server responded with a status of 403 (Forbidden)"
    assert ui.console_errors == [forbidden]
    ui.console_errors.clear()

    ui.goto("/namens/")  # back to oneself, not stuck
    expect(choice.get_by_role("button", name="Mijzelf (nu gekozen)")).to_be_visible()
    expect(choice.get_by_role("button")).to_have_count(1)
    for name in ("Lotte", "Sem"):
        expect(choice.get_by_role("listitem").filter(has_text=name)).to_contain_text(reason)
    ui.goto("/mijn-dossier/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mijn dossier")


def test_a_gemachtigde_following_a_link_is_asked_to_choose_first(
    ui: UI, transactional_db: None
) -> None:
    """Someone with no record of their own, only a gemachtigde: a bookmarked portal page
    brings them to the choice with a note, not to a refusal."""
    practice = PracticeFactory(slug="de-els", records_online_from=date(2020, 7, 1))
    assistant = MembershipFactory(practice=practice, role=StaffRole.ASSISTENT).user
    grandmother = PatientFactory(
        practice=practice, given_name="Truus", family_name="Bakker", date_of_birth=date(1941, 3, 9)
    )
    daughter = UserFactory(full_name="Anja Bakker")
    Representation.objects.create(
        practice=practice,
        patient=grandmother,
        representative=daughter,
        kind="gemachtigde",
        valid_from=timezone.localdate() - timedelta(days=30),
        valid_until=timezone.localdate() + timedelta(days=300),
        recorded_by=assistant,
    )
    page = ui.page

    ui.log_in(daughter.email)
    ui.verify()
    ui.goto("/mijn-uitslagen/")
    assert page.url.endswith("/namens/")
    expect(page.get_by_role("status").filter(has_text="Kies eerst")).to_contain_text(
        "Kies eerst voor wie u het portaal wilt gebruiken."
    )
    assert ui.console_errors == []
    ui.screenshot("representation-choose-first-phone")
    _choose(ui, "Namens Truus")
    expect(page.get_by_role("heading", level=1)).to_have_text("Dossier van Truus")
