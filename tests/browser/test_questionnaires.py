"""Questionnaires in a real browser: the manager builds one (a question shown only at one
answer, a scale, a refused question) and looks at it as the patient would; a patient
fills in the consult preparation on a phone; the manager sends the anonymous survey to
a group and reads the results only once five people answered; and the GP reads the
preparation with the appointment, after the assistant put it ready.

Every page is loaded through `ui.goto` or `ui.submit`, so axe-core checks each of them
(the error pages too), at 360 px and, for the key pages, at 1280 px."""

from __future__ import annotations

import re
from datetime import time, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Locator, Page, ViewportSize, expect

from spreekuur.accounts.models import User
from spreekuur.agenda import services as agenda_services
from spreekuur.agenda.models import Appointment, AppointmentType
from spreekuur.core.models import Practice
from spreekuur.core.roles import StaffRole
from spreekuur.patients.models import Patient
from spreekuur.triage import services
from spreekuur.triage.models import (
    InvitationReason,
    PendingAnswer,
    Questionnaire,
    QuestionnaireInvitation,
    QuestionnaireMailing,
    QuestionnaireResponse,
)
from tests.browser.conftest import UI
from tests.browser.people import log_in, portal_patient, staff
from tests.factories import (
    MembershipFactory,
    PracticeFactory,
    add_appointment_types,
    add_slots,
    no_red_flags,
)

pytestmark = pytest.mark.browser

SLUG = "de-linde"
WIDE: ViewportSize = {"width": 1280, "height": 900}
PHONE: ViewportSize = {"width": 360, "height": 740}
PREPARATION = "Voorbereiding op uw afspraak"
SURVEY = "Hoe tevreden bent u over de praktijk?"
# Chromium logs the page's own 422 (a form sent back with its errors) as a console error.
UNPROCESSABLE = re.compile(r"^Failed to load resource: the server responded with a status of 422")


@pytest.fixture
def practice(transactional_db: None) -> Practice:
    # The shipped questionnaires are put back after a flush (post_migrate, TriageConfig).
    return PracticeFactory(slug=SLUG, name="Huisartsenpraktijk De Linde")


def nav(page: Page, name: str) -> Locator:
    # The patient's entry carries a badge with the number waiting: match the start.
    return page.get_by_role("navigation", name="Hoofdmenu").get_by_role(
        "link", name=re.compile(rf"^{re.escape(name)}")
    )


def in_use(practice: Practice, code: str, by: User) -> Questionnaire:
    shipped = Questionnaire.objects.get(practice__isnull=True, code=code)
    draft = services.adopt_shipped_questionnaire(practice=practice, shipped=shipped, by=by)
    return services.publish_questionnaire(questionnaire=draft, by=by)


def choose(page: Page, question: str, answer: str) -> None:
    """Click the answer's label (the whole box is the label), as a person taps it."""
    group = page.get_by_role("group", name=re.compile(re.escape(question)))
    expect(group).to_be_visible()
    group.locator("label.spreekuur-choice").filter(
        has_text=re.compile(rf"^\s*{re.escape(answer)}\s*$")
    ).click()
    expect(group.get_by_role("radio", name=answer, exact=True)).to_be_checked()


def both_widths(ui: UI, name: str) -> None:
    """Screenshots of the page at 360 px and at 1280 px, each width checked (axe-core and
    no sideways scrolling); the phone width again after."""
    page = ui.page
    page.set_viewport_size(PHONE)
    ui.check_page()
    ui.screenshot(f"{name}-phone")
    page.set_viewport_size(WIDE)
    ui.check_page()
    ui.screenshot(f"{name}-wide")
    page.set_viewport_size(PHONE)


def expect_unprocessable(ui: UI) -> None:
    """The form came back with its errors (422): the one console line that goes with it."""
    assert len(ui.console_errors) == 1 and UNPROCESSABLE.match(ui.console_errors[0]), (
        ui.console_errors
    )
    ui.console_errors.clear()


# --- the builder ---------------------------------------------------------------------------


def add_question(ui: UI, text: str, kind: str, **fields: str) -> None:
    page = ui.page
    ui.submit(page.get_by_role("link", name="Vraag toevoegen"))
    expect(page.get_by_role("heading", name="Vraag toevoegen", level=1)).to_be_visible()
    page.get_by_label("Vraag", exact=True).fill(text)
    page.get_by_role("group", name="Soort antwoord").get_by_label(kind, exact=True).check()
    for label, value in fields.items():
        page.get_by_label(re.compile(rf"^{re.escape(label)}")).fill(value)


def test_the_manager_builds_a_questionnaire_previews_it_and_puts_it_in_use(
    ui: UI, practice: Practice
) -> None:
    manager = staff(practice, StaffRole.PRAKTIJKMANAGER, "Ruud Hendriks")
    page = ui.page
    log_in(ui, manager)

    ui.submit(nav(page, "Vragenlijsten"))
    expect(page.get_by_role("heading", name="Vragenlijsten", level=1)).to_be_visible()
    shipped = page.get_by_role("region", name="Kant-en-klare vragenlijsten")
    # The visually hidden ": title" is a box of its own, so the name has a space in it.
    for title in (PREPARATION, SURVEY):
        adopt = shipped.get_by_role(
            "button", name=re.compile(rf"^Overnemen\s*: {re.escape(title)}$")
        )
        expect(adopt).to_be_visible()
    both_widths(ui, "questionnaires-list")

    new = page.get_by_role("region", name="Nieuwe vragenlijst")
    new.get_by_label("Titel").fill("Ervaring met beeldbellen")
    new.get_by_label("Uitleg bovenaan").fill("Drie korte vragen over uw videoconsult.")
    new.get_by_label("enquête").check()
    new.get_by_label("Anoniem").check()
    ui.submit(new.get_by_role("button", name="Aanmaken"))
    expect(page.get_by_text("De vragenlijst is aangemaakt. Voeg nu de vragen toe.")).to_be_visible()
    expect(page.get_by_role("heading", name="Ervaring met beeldbellen", level=1)).to_be_visible()
    draft = Questionnaire.objects.get(practice=practice)
    assert draft.is_draft and draft.anonymous

    # A choice question, then a text question shown only at its second option.
    add_question(ui, "Ging het beeldbellen goed?", "Eén keuze")
    page.get_by_label("Verplicht", exact=True).check()
    page.get_by_label("Keuzes (één per regel)").fill("Ja\nNee")
    ui.submit(page.get_by_role("button", name="Opslaan"))
    expect(page.get_by_text("De vraag is opgeslagen.")).to_be_visible()

    add_question(ui, "Wat ging er mis?", "Tekst")
    condition = page.get_by_role("group", name=re.compile("^Alleen tonen als"))
    expect(condition.get_by_role("checkbox")).to_have_count(2)  # the choice's two options
    condition.get_by_label("Vraag 1 (Ging het beeldbellen goed?): Nee").check()
    ui.screenshot("questionnaire-add-question-phone")
    ui.submit(page.get_by_role("button", name="Opslaan"))

    add_question(
        ui,
        "Hoe duidelijk was het beeld?",
        "Schaal",
        **{
            "Laagste waarde": "1",
            "Hoogste waarde": "5",
            "Tekst bij de laagste waarde": "heel onduidelijk",
            "Tekst bij de hoogste waarde": "heel duidelijk",
        },
    )
    ui.submit(page.get_by_role("button", name="Opslaan"))

    # A choice question with one option is refused, in Dutch, and nothing is stored.
    add_question(ui, "Zou u het weer doen?", "Eén keuze")
    page.get_by_label("Keuzes (één per regel)").fill("Ja")
    ui.submit(page.get_by_role("button", name="Opslaan"))
    expect_unprocessable(ui)
    alert = page.get_by_role("alert").filter(has_text="De vraag is niet opgeslagen")
    expect(alert).to_contain_text("twee keuzes")
    expect(page.get_by_label("Vraag", exact=True)).to_have_value("Zou u het weer doen?")
    both_widths(ui, "questionnaire-question-refused")
    ui.submit(page.get_by_role("link", name="Terug"))

    questions = page.get_by_role("region", name="Vragen").locator("ol > li")
    expect(questions).to_have_count(3)
    expect(questions.nth(1)).to_contain_text("Alleen als u bij vraag 1 “Nee” koos.")
    expect(questions.nth(2)).to_contain_text("Schaal: 1\u20135")  # an en dash
    # The scale one up, and back down: the order is the builder's.
    ui.submit(page.get_by_role("button", name=re.compile(r"^Omhoog\s*: vraag 3$")))
    expect(questions.nth(1)).to_contain_text("Hoe duidelijk was het beeld?")
    ui.submit(page.get_by_role("button", name=re.compile(r"^Omlaag\s*: vraag 2$")))
    expect(questions.nth(2)).to_contain_text("Hoe duidelijk was het beeld?")
    both_widths(ui, "questionnaire-builder")

    # The preview: the conditional question shows only while "Nee" is chosen.
    ui.submit(page.get_by_role("link", name="Bekijken als patiënt"))
    expect(page.get_by_text("Voorbeeld: zo ziet de patiënt deze vragenlijst.")).to_be_visible()
    expect(page.get_by_role("button", name="Antwoorden versturen")).to_have_count(0)
    follow_up = page.get_by_label(re.compile("Wat ging er mis"))
    expect(follow_up).to_have_count(1)
    expect(follow_up).to_be_hidden()
    expect(
        page.get_by_role("group", name=re.compile("Hoe duidelijk was het beeld"))
    ).to_be_visible()
    choose(page, "Ging het beeldbellen goed?", "Nee")
    expect(follow_up).to_be_visible()
    expect(page.get_by_text("Alleen als u bij vraag 1 “Nee” koos.")).to_be_visible()
    ui.check_page()  # axe-core with the question shown
    both_widths(ui, "questionnaire-preview")
    choose(page, "Ging het beeldbellen goed?", "Ja")
    expect(follow_up).to_be_hidden()
    choose(page, "Hoe duidelijk was het beeld?", "4")
    ui.submit(page.get_by_role("link", name="Terug naar de vragenlijst"))

    ui.submit(page.get_by_role("button", name="In gebruik nemen"))
    expect(page.get_by_text("De vragenlijst is in gebruik.")).to_be_visible()
    expect(page.get_by_role("link", name="Versturen aan een groep")).to_be_visible()
    expect(page.get_by_role("link", name="Vraag toevoegen")).to_have_count(0)
    draft.refresh_from_db()
    assert draft.is_published
    assert [i["type"] for i in draft.definition["items"]] == ["choice", "text", "scale"]
    assert draft.definition["items"][1]["show_if"] == {
        "item": draft.definition["items"][0]["id"],
        "answers": [1],
    }
    both_widths(ui, "questionnaire-in-use")

    ui.submit(page.get_by_role("link", name="Alle vragenlijsten"))
    row = page.get_by_role("row").filter(has_text="Ervaring met beeldbellen")
    expect(row).to_contain_text("in gebruik, versie 1")
    expect(row).to_contain_text("(enquête, anoniem)")
    both_widths(ui, "questionnaires-list-own")


# --- the patient ---------------------------------------------------------------------------


def test_a_patient_fills_in_the_consult_preparation_on_a_phone(ui: UI, practice: Practice) -> None:
    gp = staff(practice, StaffRole.HUISARTS, "Anna Jansen")
    patient = portal_patient(practice, "Sanne", "Visser")
    questionnaire = in_use(practice, "consultvoorbereiding", gp)
    appointment_at = timezone.localtime() + timedelta(days=2)
    invitation = services.invite_patient(
        questionnaire=questionnaire,
        patient=patient,
        by=gp,
        reason=InvitationReason.APPOINTMENT,
        answer_before=appointment_at,
    )
    page = ui.page
    log_in(ui, patient.user)

    ui.submit(nav(page, "Vragenlijsten"))
    waiting = page.get_by_role("region", name="In te vullen")
    expect(waiting).to_contain_text("vóór uw afspraak van")
    ui.screenshot("questionnaire-portal-list-phone")
    ui.submit(waiting.get_by_role("link", name=PREPARATION))
    expect(page.get_by_role("heading", name=PREPARATION, level=1)).to_be_visible()
    expect(page.get_by_text("Graag invullen vóór uw afspraak van")).to_be_visible()
    last = page.locator("#vraag-last-blok")  # "Hoeveel last heeft u ervan?"
    expect(last).to_be_hidden()
    expect(page.locator("#vraag-wat-gedaan-blok")).to_be_hidden()
    ui.screenshot("questionnaire-answer-phone")

    ui.submit(page.get_by_role("button", name="Antwoorden versturen"))  # nothing filled in
    expect_unprocessable(ui)
    expect(page.get_by_text("Beantwoord deze vraag.")).to_have_count(2)  # the two required
    complaint = page.get_by_label(re.compile("Waarvoor komt u naar het spreekuur"))
    expect(complaint).to_have_attribute("aria-invalid", "true")
    assert not QuestionnaireResponse.objects.exists()
    ui.screenshot("questionnaire-answer-errors-phone")

    complaint.fill("Ik hoest al weken, vooral 's nachts.")
    choose(page, "Hoe lang heeft u deze klacht al?", "1 tot 4 weken")
    expect(last).to_be_visible()
    choose(page, "Hoeveel last heeft u ervan?", "6")
    choose(page, "Heeft u hier zelf al iets voor gedaan of gebruikt?", "Ja")
    page.get_by_label(re.compile("Wat heeft u gedaan of gebruikt")).fill("Hoestdrank, hielp niet")
    page.get_by_role("group", name=re.compile("Wat hoopt u dat de huisarts doet")).get_by_label(
        "Mij onderzoeken"
    ).check()
    ui.check_page()  # axe-core with the conditional questions shown
    ui.screenshot("questionnaire-answer-filled-phone")
    ui.submit(page.get_by_role("button", name="Antwoorden versturen"))

    expect(page.get_by_text("Dank u wel! Uw antwoorden zijn opgeslagen.")).to_be_visible()
    answers = page.get_by_role("region", name="Uw antwoorden")
    expect(answers).to_contain_text("Ik hoest al weken, vooral 's nachts.")
    expect(answers).to_contain_text("1 tot 4 weken")
    expect(answers).to_contain_text("Hoeveel last heeft u ervan?")
    expect(answers).to_contain_text("Hoestdrank, hielp niet")
    expect(answers).to_contain_text("Mij onderzoeken")
    response = QuestionnaireResponse.objects.get()
    assert response.patient == patient and response.invitation == invitation
    assert response.answers["duur"] == 1 and response.answers["last"] == 6
    assert response.answers["verwachting"] == [1]
    both_widths(ui, "questionnaire-answered")

    ui.submit(page.get_by_role("link", name="Naar uw vragenlijsten"))
    expect(page.get_by_role("region", name="In te vullen")).to_contain_text(
        "Er staat geen vragenlijst voor u klaar."
    )
    expect(page.get_by_role("region", name="Ingevuld").get_by_role("link")).to_have_text(
        PREPARATION
    )


# --- the anonymous survey ------------------------------------------------------------------


def survey_answers(number: int) -> dict[str, list[str]]:
    """'Altijd' (3) throughout, an 8, a remark: what four of the five answer."""
    return {
        "telefoon": ["3"],
        "afspraak": ["3"],
        "tijd": ["3"],
        "uitleg": ["3"],
        "assistent": ["3"],
        "cijfer": ["8"],
        "beter": [f"Opmerking {number}"],
    }


def results_section(page: Page, question: str) -> Locator:
    """The card of one question on the results page (found by its heading)."""
    heading = page.get_by_role("heading", name=re.compile(rf"^\d+\. {re.escape(question)}$"))
    return page.locator("section").filter(has=heading)


def test_the_manager_sends_the_anonymous_survey_and_reads_it_once_closed_with_five(
    ui: UI, practice: Practice
) -> None:
    manager = staff(practice, StaffRole.PRAKTIJKMANAGER, "Ruud Hendriks")
    survey = in_use(practice, "patienttevredenheid", manager)
    # An anonymous survey goes to 10 patients at least.
    patients = [portal_patient(practice, "Patiënt", f"Nummer {n}") for n in range(1, 11)]
    page = ui.page
    log_in(ui, manager)
    page.set_viewport_size(WIDE)

    ui.submit(nav(page, "Vragenlijsten"))
    ui.submit(page.get_by_role("link", name=SURVEY))
    expect(page.get_by_text("Anoniem.", exact=True)).to_be_visible()
    ui.submit(page.get_by_role("link", name="Versturen aan een groep"))
    expect(page.get_by_label("Vanaf leeftijd")).to_have_value("18")
    ui.submit(page.get_by_role("button", name="Groep tellen"))
    expect(page.get_by_role("status")).to_have_text("Deze groep telt 10 patiënten.")
    assert not QuestionnaireMailing.objects.exists()  # counted, nothing sent yet
    both_widths(ui, "questionnaire-send-count")
    page.set_viewport_size(WIDE)
    ui.submit(page.get_by_role("button", name="Nu versturen"))

    expect(page.get_by_text("De vragenlijst is verstuurd.")).to_be_visible()
    mailing = QuestionnaireMailing.objects.get()
    assert mailing.invited == 10
    progress = page.get_by_role("region", name="Voortgang")
    expect(progress).to_contain_text("Bericht verstuurd aan 0 van 10 patiënten")
    expect(progress.locator("progress")).to_have_attribute("value", "0")
    ui.screenshot("questionnaire-mailing-sending-wide")
    # The notice job sends the content-free notices; the page polls (htmx) and updates.
    assert services.send_due_questionnaire_notices() == 10
    expect(progress).to_contain_text("Alle berichten zijn verstuurd.", timeout=10_000)
    expect(progress).to_contain_text("Bericht verstuurd aan 10 van 10 patiënten")
    ui.check_page()  # the swapped-in progress, checked too
    both_widths(ui, "questionnaire-mailing-done")

    # Four answer (set up here); their answers stay hidden below five.
    for number, patient in enumerate(patients[:4], start=1):
        assert patient.user is not None
        services.submit_answers(
            invitation=QuestionnaireInvitation.objects.get(mailing=mailing, patient=patient),
            submitted=survey_answers(number),
            by=patient.user,
        )
    page.set_viewport_size(WIDE)
    ui.submit(page.get_by_role("link", name="Uitkomsten van deze verzending"))
    expect(page.get_by_text("4 ingevulde vragenlijsten.")).to_be_visible()
    expect(page.get_by_text(re.compile("^Nog geen uitkomsten"))).to_be_visible()
    expect(page.get_by_text("Opmerking 1")).to_have_count(0)
    both_widths(ui, "questionnaire-results-hidden")

    # The fifth answers in the browser, on a phone; the manager's session waits aside.
    manager_session = page.context.cookies()
    page.context.clear_cookies()
    log_in(ui, patients[4].user)
    ui.submit(nav(page, "Vragenlijsten"))
    expect(page.get_by_role("region", name="In te vullen")).to_contain_text("anoniem")
    ui.submit(page.get_by_role("link", name=SURVEY))
    expect(page.get_by_text("Deze vragenlijst is anoniem.")).to_be_visible()
    for question in (
        "Kon u binnen een redelijke tijd een afspraak krijgen?",
        "Nam de huisarts genoeg tijd voor u?",
        "Legde de huisarts dingen uit op een manier die u begreep?",
        "Behandelde de doktersassistent u met respect?",
    ):
        choose(page, question, "Altijd")
    choose(page, "Kon u de praktijk telefonisch goed bereiken?", "Meestal")
    expect(page.locator("#vraag-portaal-gemak-blok")).to_be_hidden()
    choose(page, "Heeft u het afgelopen jaar het patiëntenportaal gebruikt?", "Ja")
    choose(page, "Hoe makkelijk vond u het portaal?", "4")
    choose(page, "Welk cijfer geeft u de praktijk?", "7")
    page.get_by_label(re.compile("Wat kan de praktijk beter doen")).fill("Opmerking 5")
    ui.check_page()
    ui.screenshot("questionnaire-survey-filled-phone")
    ui.submit(page.get_by_role("button", name="Antwoorden versturen"))
    expect(page.get_by_text("De vragenlijst was anoniem")).to_be_visible()
    expect(page.get_by_role("region", name="Uw antwoorden")).to_have_count(0)
    # Held until the mailing closes, with nothing but the mailing.
    assert PendingAnswer.objects.filter(mailing=mailing).count() == 5
    ui.screenshot("questionnaire-survey-answered-phone")

    page.context.clear_cookies()
    page.context.add_cookies(manager_session)  # type: ignore[arg-type]
    results_url = (
        f"/beheer/vragenlijsten/{survey.public_id}/uitkomsten/?verzending={mailing.public_id}"
    )
    ui.goto(results_url)
    # Five, but the mailing is still open: a new answer could be told apart.
    expect(page.get_by_text("5 ingevulde vragenlijsten.")).to_be_visible()
    expect(page.get_by_text(re.compile("^Nog geen uitkomsten"))).to_be_visible()
    QuestionnaireMailing.objects.filter(pk=mailing.pk).update(
        closes_on=timezone.localdate() - timedelta(days=1)
    )
    assert services.release_anonymous_answers() == 5  # the hourly job
    ui.goto(results_url)
    expect(page.get_by_text("5 ingevulde vragenlijsten.")).to_be_visible()
    expect(page.get_by_text(re.compile("^Nog geen uitkomsten"))).to_have_count(0)
    # Everyone "Altijd": a count of 5 shows.
    time_taken = results_section(page, "Nam de huisarts genoeg tijd voor u?")
    expect(time_taken).to_contain_text("Beantwoord door 5 mensen.")
    altijd = time_taken.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Altijd"))
    expect(altijd.get_by_role("cell").first).to_have_text("5")
    expect(altijd.get_by_role("cell").last).to_contain_text("100%")
    # 4 and 1: both hidden ("minder dan 5"), else one would follow from the total.
    phone = results_section(page, "Kon u de praktijk telefonisch goed bereiken?")
    for option in ("Altijd", "Meestal"):
        row = phone.get_by_role("row").filter(has=page.get_by_role("rowheader", name=option))
        expect(row.get_by_role("cell").first).to_have_text("minder dan 5")
    # One person answered the portal questions: nothing counted shows.
    portal = results_section(page, "Heeft u het afgelopen jaar het patiëntenportaal gebruikt?")
    expect(portal).to_contain_text("Beantwoord door minder dan 5 mensen.")
    expect(portal.get_by_role("cell").filter(has_text=re.compile(r"^\d+$"))).to_have_count(0)
    mark = results_section(page, "Welk cijfer geeft u de praktijk?")
    # Marks of 1 to 4 people are hidden, so no mean either (with the total it would
    # give them away).
    expect(mark).to_contain_text("minder dan 5")
    expect(mark).not_to_contain_text("Gemiddeld")
    remarks = results_section(page, "Wat kan de praktijk beter doen?")
    expect(remarks.get_by_role("listitem")).to_have_text([f"Opmerking {n}" for n in range(1, 6)])
    both_widths(ui, "questionnaire-results")


# --- the appointment -----------------------------------------------------------------------


def test_the_gp_reads_the_preparation_with_the_appointment(ui: UI, practice: Practice) -> None:
    gp_membership = MembershipFactory(
        practice=practice, role=StaffRole.HUISARTS, user__full_name="Anna Jansen"
    )
    gp = gp_membership.user
    assistant = staff(practice, StaffRole.ASSISTENT, "Fatima el Amrani")
    types = add_appointment_types(practice)
    in_use(practice, "consultvoorbereiding", gp)
    patient = portal_patient(practice, "Ilse", "de Boer")
    assert patient.user is not None
    day = timezone.localdate() + timedelta(days=2)
    slots = add_slots(gp_membership, day=day, start=time(9), count=3)

    def book(who: Patient, slot_number: int, kind: AppointmentType) -> Appointment:
        assert who.user is not None
        return agenda_services.book_appointment(
            patient=who,
            slot=slots[slot_number],
            appointment_type=kind,
            reason="Pijnlijke knie sinds een week",
            by=who.user,
            triage_answers=no_red_flags(practice),
        )

    appointment = book(patient, 0, types["consult"])  # a kind without a questionnaire
    assert appointment.preparation is None
    # A kind with one: booking it sends the questionnaire by itself (another patient:
    # the same patient's open one would be given back for the first appointment too).
    AppointmentType.objects.filter(pk=types["telefonisch"].pk).update(
        preparation_code="consultvoorbereiding"
    )
    types["telefonisch"].refresh_from_db()
    by_phone = book(portal_patient(practice, "Karim", "Bakker"), 2, types["telefonisch"])
    assert by_phone.preparation is not None
    assert by_phone.preparation.answer_before == by_phone.starts_at
    page = ui.page

    # The assistant puts the preparation ready with the first appointment.
    log_in(ui, assistant)
    page.set_viewport_size(WIDE)
    ui.goto(f"/agenda/afspraak/{appointment.public_id}/")
    ready = page.get_by_role("region", name="Vragenlijst vooraf")
    expect(ready.get_by_label("Vragenlijst")).to_have_value("consultvoorbereiding")
    both_widths(ui, "appointment-preparation-form")
    ui.submit(ready.get_by_role("button", name="Klaarzetten voor de patiënt"))
    expect(
        page.get_by_text("De vragenlijst staat klaar in het portaal van de patiënt.")
    ).to_be_visible()
    preparation = page.get_by_role("region", name="Voorbereiding door de patiënt")
    expect(preparation).to_contain_text(f"{PREPARATION} · nog niet ingevuld")
    expect(page.get_by_role("region", name="Vragenlijst vooraf")).to_have_count(0)
    appointment.refresh_from_db()
    invitation = appointment.preparation
    assert invitation is not None and invitation.answer_before == appointment.starts_at

    # The patient answers (set up here), then the GP opens the appointment.
    services.submit_answers(
        invitation=invitation,
        submitted={
            "hulpvraag": ["Mijn knie doet pijn bij traplopen."],
            "duur": ["1"],
            "last": ["7"],
            "zorgen": ["Is het artrose?"],
        },
        by=patient.user,
    )
    page.context.clear_cookies()
    log_in(ui, gp)
    page.set_viewport_size(WIDE)
    ui.goto(f"/agenda/afspraak/{appointment.public_id}/")
    preparation = page.get_by_role("region", name="Voorbereiding door de patiënt")
    expect(preparation).to_contain_text(f"{PREPARATION} · ingevuld")
    answers = preparation.locator("dl")
    for question, given in (
        ("Waarvoor komt u naar het spreekuur?", "Mijn knie doet pijn bij traplopen."),
        ("Hoe lang heeft u deze klacht al?", "1 tot 4 weken"),
        ("Hoeveel last heeft u ervan?", "7"),
        ("Waar maakt u zich zorgen over?", "Is het artrose?"),
    ):
        pair = answers.locator("div").filter(has=page.locator("dt", has_text=question))
        expect(pair.locator("dd")).to_contain_text(given)
    both_widths(ui, "appointment-preparation-answers")

    ui.goto(f"/agenda/afspraak/{by_phone.public_id}/")
    expect(page.get_by_role("region", name="Voorbereiding door de patiënt")).to_contain_text(
        f"{PREPARATION} · nog niet ingevuld"
    )
