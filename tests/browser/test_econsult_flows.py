"""E-consults in the browser: the patient asks a question with a photo behind the red-flag
questions, a "yes" stops with 112 and stores nothing, and the GP works the inbox (an
overdue question first), writes an internal note and answers with a standard answer,
which the patient then reads without ever seeing the note."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path
from typing import IO

import pytest
from django.utils import dateformat, timezone, translation
from PIL import Image
from playwright.sync_api import Page, expect

from spreekuur.core.roles import StaffRole
from spreekuur.econsult import services
from spreekuur.econsult.forms import ANSWER_TEMPLATES
from spreekuur.econsult.models import Message, Photo, Thread, ThreadStatus
from spreekuur.patients.models import Patient
from spreekuur.triage.red_flags import BASELINE
from tests.browser.conftest import UI
from tests.browser.people import log_in, portal_patient
from tests.econsult.conftest import image_bytes
from tests.factories import (
    MembershipFactory,
    PracticeFactory,
    no_red_flags,
)

pytestmark = pytest.mark.browser

SKIN = "Huid (plek, uitslag, moedervlek)"
QUESTION = "Sinds een week een rode, schilferige plek op mijn onderarm. Moet ik langskomen?"
NOTE = "INTERN: lijkt eczeem, geen afspraak nodig"
ANSWER = str(ANSWER_TEMPLATES[2])  # the eczema answer
PHOTO_URL = re.compile(r"/econsult/foto/[0-9a-f-]{36}/$")
CHEST_PAIN = "pijn op de borst"  # in the text of a baseline question that says: call 112
# The national red flags are put back after a transactional test has flushed the table
# (post_migrate, AgendaConfig); nothing to restore here.


def answer_red_flags(page: Page, *, yes: str | None = None) -> None:
    """'Nee' to every red-flag question, except 'Ja' to the one whose text contains `yes`."""
    gate = page.get_by_role("group", name="Eerst: is het dringend?")
    # Each question is its own group, named by its legend (the markup booking uses).
    questions = gate.get_by_role("group")
    count = questions.count()
    assert count == len(BASELINE)
    for index in range(count):
        question = questions.nth(index)
        text = question.locator("legend").inner_text()
        answer = "Ja" if yes is not None and yes in text else "Nee"
        question.get_by_role("radio", name=answer, exact=True).check()
    assert gate.locator("input[type=radio]:checked").count() == count
    assert gate.locator("input[value=ja]:checked").count() == (0 if yes is None else 1)


def ask(
    patient: Patient, body: str = QUESTION, photos: list[tuple[IO[bytes], int]] | None = None
) -> Thread:
    """A question from the portal, made in the database."""
    assert patient.user is not None
    return services.ask_question(
        patient=patient,
        category="huid",
        body=body,
        triage_answers=no_red_flags(patient.practice),
        consent=True,
        photos=photos or [],
        by=patient.user,
    )


def fill_question(ui: UI, *, photo: Path | None = None) -> None:
    """From the patient's list: a new question about the skin, every red flag "Nee"."""
    page = ui.page
    ui.goto("/econsult/")
    ui.submit(page.get_by_role("link", name="Nieuwe vraag stellen"))
    expect(page.get_by_role("heading", name="Nieuwe vraag aan de praktijk")).to_be_visible()
    answer_red_flags(page)
    page.get_by_label("Waar gaat uw vraag over?").select_option(label=SKIN)
    page.get_by_label("Uw vraag", exact=True).fill(QUESTION)
    if photo is not None:
        page.get_by_label(re.compile("^Foto's")).set_input_files(photo)
    page.get_by_label(re.compile("^Ik begrijp dat een e-consult niet voor spoed is")).check()


def expect_the_thread_page(page: Page, thread: Thread) -> None:
    expect(page.get_by_role("heading", name=f"Vraag: {SKIN}", level=1)).to_be_visible()
    expect(page.get_by_role("region", name="Berichten").get_by_text(QUESTION)).to_be_visible()
    with translation.override("nl"):
        due = dateformat.format(timezone.localtime(thread.due_at), "l j F Y")
    expect(page.get_by_text(f"De praktijk antwoordt uiterlijk op {due}.")).to_be_visible()


def expect_the_photo_loads(ui: UI) -> None:
    """The photo shows in the thread, loaded through the access check, and what the browser
    is served is a re-encoded JPEG without the GPS position of the upload."""
    page = ui.page
    image = page.get_by_role("region", name="Berichten").get_by_role(
        "img", name="Foto 1 bij dit bericht"
    )
    expect(image).to_have_attribute("src", PHOTO_URL)
    image.scroll_into_view_if_needed()  # loading="lazy": only fetched once near the screen
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
    )
    assert image.evaluate("img => img.naturalWidth") == 640
    served = page.request.get(ui.base_url + (image.get_attribute("src") or ""))
    assert served.ok and served.headers["content-type"] == "image/jpeg"
    with Image.open(io.BytesIO(served.body())) as delivered:
        assert delivered.format == "JPEG" and not delivered.getexif().get_ifd(0x8825)


def test_the_patient_asks_a_question_and_sees_when_the_answer_comes(
    ui: UI, transactional_db: None
) -> None:
    practice = PracticeFactory(slug="de-wilg")
    patient = portal_patient(practice, "Sanne", "Visser")
    page = ui.page

    log_in(ui, patient.user)
    ui.goto("/econsult/")
    expect(page.get_by_text("U heeft nog geen vragen gesteld.")).to_be_visible()
    fill_question(ui)
    expect(
        page.get_by_text("Een e-consult is niet voor spoed. Bij levensgevaar: bel 112.")
    ).to_be_visible()
    ui.screenshot("econsult-ask-phone")
    ui.submit(page.get_by_role("button", name="Vraag versturen"))

    expect(page.get_by_text("Uw vraag is verstuurd.")).to_be_visible()
    thread = Thread.objects.get()
    assert thread.patient == patient and thread.category == "huid"
    assert thread.status == ThreadStatus.OPEN and thread.asked_by == patient.user
    expect_the_thread_page(page, thread)

    ui.goto("/econsult/")
    expect(page.get_by_role("link", name=re.compile(re.escape(SKIN)))).to_contain_text(
        "wacht op de praktijk"
    )


def test_the_patient_sees_the_photo_of_a_question(ui: UI, transactional_db: None) -> None:
    """The thread page with a photo, the question asked through the service (as the portal
    would; the upload through the form is the next test)."""
    practice = PracticeFactory(slug="de-populier")
    patient = portal_patient(practice, "Ilse", "de Vries")
    content = image_bytes(gps=True)
    thread = ask(patient, photos=[(io.BytesIO(content), len(content))])
    page = ui.page

    log_in(ui, patient.user)
    ui.goto("/econsult/")
    ui.submit(page.get_by_role("link", name=re.compile(re.escape(SKIN))))
    expect_the_thread_page(page, thread)
    expect_the_photo_loads(ui)
    ui.screenshot("econsult-thread-photo-phone")


def test_the_patient_attaches_a_photo_when_asking(
    ui: UI, transactional_db: None, tmp_path: Path
) -> None:
    practice = PracticeFactory(slug="de-wilg")
    patient = portal_patient(practice, "Sanne", "Visser")
    photo = tmp_path / "plek-op-arm.jpg"
    photo.write_bytes(image_bytes(gps=True))
    with Image.open(photo) as original:
        assert original.getexif().get_ifd(0x8825), "the upload carries a GPS position"
    page = ui.page

    log_in(ui, patient.user)
    fill_question(ui, photo=photo)
    ui.submit(page.get_by_role("button", name="Vraag versturen"))

    expect(page.get_by_text("Er is geen bestand verstuurd.")).to_have_count(0)
    expect(page.get_by_text("Uw vraag is verstuurd.")).to_be_visible()
    thread = Thread.objects.get()
    expect_the_thread_page(page, thread)
    expect_the_photo_loads(ui)
    assert Photo.objects.get().message.thread == thread


def test_a_red_flag_stops_the_question_with_112(ui: UI, transactional_db: None) -> None:
    practice = PracticeFactory(slug="de-beuk")
    patient = portal_patient(practice, "Kees", "Bakker")
    page = ui.page

    log_in(ui, patient.user)
    ui.goto("/econsult/nieuw/")
    answer_red_flags(page, yes=CHEST_PAIN)
    page.get_by_label("Waar gaat uw vraag over?").select_option(label="Een andere klacht")
    page.get_by_label("Uw vraag", exact=True).fill(
        "Sinds vanochtend een drukkend gevoel op mijn borst."
    )
    page.get_by_label(re.compile("^Ik begrijp dat een e-consult niet voor spoed is")).check()
    ui.submit(page.get_by_role("button", name="Vraag versturen"))

    expect(page.get_by_role("heading", name="Bel nu 112")).to_be_visible()
    expect(page.get_by_role("link", name="Bel 112")).to_have_attribute("href", "tel:112")
    assert not Thread.objects.exists() and not Message.objects.exists()
    ui.screenshot("econsult-red-flag-112-phone")


def test_the_gp_notes_and_answers_and_the_patient_reads_only_the_answer(
    ui: UI, transactional_db: None
) -> None:
    practice = PracticeFactory(slug="de-linde")
    gp = MembershipFactory(
        practice=practice, role=StaffRole.HUISARTS, user__full_name="Dokter Jansen"
    ).user
    anna = portal_patient(practice, "Anna", "de Boer")
    els = portal_patient(practice, "Els", "Mulder")
    late = ask(anna)
    Thread.objects.filter(pk=late.pk).update(due_at=timezone.now() - timedelta(hours=3))
    ask(els, "Mag ik mijn pil doorslikken als ik naar Spanje vlieg?")
    page = ui.page

    log_in(ui, gp)
    ui.goto("/econsult/inbox/")
    expect(page.get_by_text("2 open, waarvan 1 over tijd")).to_be_visible()
    inbox = (
        page.get_by_role("main")
        .get_by_role("listitem")
        .filter(has=page.get_by_role("link", name=re.compile("^(Anna|Els) ")))
    )
    expect(inbox).to_have_count(2)
    expect(inbox.nth(0)).to_contain_text("Anna de Boer")  # the overdue one first
    expect(inbox.nth(0)).to_contain_text("over tijd")
    expect(inbox.nth(1)).to_contain_text("Els Mulder")
    expect(inbox.nth(1)).not_to_contain_text("over tijd")
    ui.submit(inbox.nth(0).get_by_role("link", name=re.compile("^Anna de Boer")))

    expect(page.get_by_role("heading", name="E-consult van Anna de Boer")).to_be_visible()
    messages = page.get_by_role("region", name="Berichten")
    expect(messages.get_by_text(QUESTION)).to_be_visible()
    page.get_by_label("Interne notitie (alleen voor de praktijk)").fill(NOTE)
    ui.submit(page.get_by_role("button", name="Notitie opslaan"))
    expect(page.get_by_text("Notitie opgeslagen (niet zichtbaar voor de patiënt).")).to_be_visible()
    note = messages.get_by_role("article").filter(
        has=page.get_by_role("heading", name=re.compile("^Interne notitie · Dokter Jansen"))
    )
    expect(note).to_contain_text(NOTE)
    ui.screenshot("econsult-staff-thread-phone")

    page.get_by_label("Standaardantwoord").select_option(label=ANSWER)
    ui.submit(page.get_by_role("button", name="Antwoord versturen"))
    expect(page.get_by_text("Het antwoord is verstuurd.")).to_be_visible()
    expect(page.get_by_text("1 open, waarvan 0 over tijd")).to_be_visible()
    late.refresh_from_db()
    assert late.status == ThreadStatus.ANSWERED and late.assignee == gp
    assert late.patient_read_at is None
    ui.submit(page.get_by_role("button", name="Uitloggen"))

    log_in(ui, anna.user)
    ui.goto("/econsult/")
    ui.submit(page.get_by_role("link", name=re.compile(re.escape(SKIN))))
    messages = page.get_by_role("region", name="Berichten")
    expect(messages.get_by_role("article")).to_have_count(2)
    expect(messages.get_by_text(QUESTION)).to_be_visible()
    # Signed by whoever answered, as a letter from the practice would be (issue 15, #12).
    answer = messages.get_by_role("article").filter(
        has=page.get_by_role("heading", name=re.compile("^Dokter Jansen"))
    )
    expect(answer).to_contain_text(ANSWER)
    assert NOTE not in page.content() and "INTERN" not in page.content()
    assert "Interne notitie" not in page.content()
    late.refresh_from_db()
    assert late.patient_read_at is not None
