"""The webagenda in a real browser: booking behind the red-flag questions, cancelling and
moving, the staff agenda, the check-in kiosk, the waiting-room screen and the settings.

Every page is loaded through `ui.goto` or `ui.submit`, so axe-core checks each of them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, time, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from spreekuur.accounts.models import Membership, User
from spreekuur.agenda import services
from spreekuur.agenda.models import (
    Appointment,
    AppointmentStatus,
    AppointmentType,
    BookingChannel,
    BookingRules,
    KioskDevice,
    ScheduleBlock,
    Slot,
)
from spreekuur.core.models import Practice
from spreekuur.core.roles import StaffRole
from spreekuur.patients.models import Patient
from spreekuur.triage.models import RedFlag
from spreekuur.triage.red_flags import BASELINE
from tests.browser.conftest import UI
from tests.browser.people import log_in, portal_patient, staff
from tests.core.test_emergency_advice import open_around_the_clock
from tests.factories import (
    MembershipFactory,
    PatientFactory,
    PracticeFactory,
    add_appointment_types,
    add_slots,
    no_red_flags,
)

pytestmark = pytest.mark.browser

SLUG = "de-eik"


@dataclass
class Agenda:
    practice: Practice
    gp: Membership
    types: dict[str, AppointmentType]


@pytest.fixture
def agenda(transactional_db: None) -> Agenda:
    # The national red flags are put back after a flush (post_migrate, AgendaConfig).
    practice = PracticeFactory(slug=SLUG, name="Huisartsenpraktijk De Eik")
    gp = MembershipFactory(
        practice=practice, role=StaffRole.HUISARTS, user__full_name="Anna Jansen"
    )
    return Agenda(practice=practice, gp=gp, types=add_appointment_types(practice))


def booking_day() -> date:
    """Two days ahead: past the minimum notice, inside the horizon, over 24 h away."""
    return timezone.localdate() + timedelta(days=2)


def nav(page: Page, name: str) -> Locator:
    return page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name=name)


def book_online(patient: Patient, slot: Slot, agenda: Agenda) -> Appointment:
    assert patient.user is not None
    return services.book_appointment(
        patient=patient,
        slot=slot,
        appointment_type=agenda.types["consult"],
        reason="Pijnlijke knie sinds een week",
        by=patient.user,
        triage_answers=no_red_flags(agenda.practice),
    )


def book_now_at_desk(agenda: Agenda, by: User, given: str, family: str) -> Appointment:
    """An appointment starting this minute, booked at the desk (arrival is for today)."""
    start = timezone.localtime().replace(second=0, microsecond=0)
    slot = add_slots(agenda.gp, day=start.date(), start=start.time(), count=1, online=False)[0]
    return services.book_appointment(
        patient=PatientFactory(practice=agenda.practice, given_name=given, family_name=family),
        slot=slot,
        appointment_type=agenda.types["consult"],
        reason="",
        by=by,
        channel=BookingChannel.DESK,
    )


def answer_triage(page: Page, *, yes: str | None = None) -> None:
    """'Nee' to every red-flag question, except 'Ja' to the one whose text contains `yes`."""
    questions = page.get_by_role("group", name="Vragen over spoed").get_by_role("group")
    count = questions.count()
    assert count == len(BASELINE)
    for index in range(count):
        question = questions.nth(index)
        legend = question.locator("legend").inner_text()
        answer = "Ja" if yes is not None and yes in legend else "Nee"
        question.get_by_role("radio", name=answer, exact=True).check()


def start_booking(ui: UI) -> Page:
    page = ui.page
    ui.submit(nav(page, "Afspraken"))
    ui.submit(page.get_by_role("link", name="Afspraak maken"))
    return page


# --- the patient --------------------------------------------------------------------------


def test_patient_books_online_behind_the_red_flag_questions(ui: UI, agenda: Agenda) -> None:
    slots = add_slots(agenda.gp, day=booking_day(), start=time(9), count=6)
    patient = portal_patient(agenda.practice, "Sanne", "Visser")
    page = ui.page
    log_in(ui, patient.user)
    start_booking(ui)
    assert page.get_by_role("note").get_by_text(agenda.practice.phone_urgent).is_visible()

    ui.submit(page.get_by_role("button", name="Verder"))  # nothing filled in
    assert page.get_by_text("Vertel kort waarvoor u de afspraak maakt.").is_visible()
    assert page.get_by_text("Beantwoord deze vraag met ja of nee.").count() == len(BASELINE)
    ui.screenshot("agenda-triage-errors-phone")

    page.get_by_label("Waarvoor wilt u een afspraak?").fill("Pijnlijke knie sinds een week")
    answer_triage(page)
    ui.submit(page.get_by_role("button", name="Verder"))
    assert page.get_by_role("heading", name="De eerste vrije tijden").is_visible()
    first = page.get_by_role("radio", name=re.compile(r"^09:00"))
    expect(first).to_be_checked()
    ui.screenshot("agenda-choose-time-phone")
    ui.submit(page.get_by_role("button", name="Kies deze tijd"))
    assert page.get_by_role("heading", name="Afspraak bevestigen").is_visible()
    assert page.get_by_text("Dokter Anna Jansen").is_visible()
    assert page.get_by_text("Pijnlijke knie sinds een week").is_visible()
    ui.submit(page.get_by_role("button", name="Afspraak bevestigen"))

    assert page.get_by_text("Uw afspraak is gemaakt").is_visible()
    assert page.get_by_role("heading", name="Uw afspraak").is_visible()
    appointment = Appointment.objects.get()
    assert appointment.channel == BookingChannel.ONLINE
    assert appointment.patient == patient
    assert appointment.starts_at == slots[0].starts_at
    assert f"/afspraken/{appointment.public_id}/" in page.url
    qr = page.locator(".spreekuur-appointment-qr svg")
    assert qr.is_visible()
    assert qr.get_attribute("viewBox")  # scales to its CSS size instead of being cropped
    assert page.get_by_label("Aanmeldcode").inner_text() == appointment.checkin_code
    ics = page.get_by_role("link", name="Zet in mijn agenda (.ics)")
    href = ics.get_attribute("href")
    assert href is not None and href.endswith("/agenda.ics")
    response = page.request.get(ui.base_url + href)
    assert response.ok and "BEGIN:VCALENDAR" in response.text()
    ui.screenshot("agenda-booked-phone")


def test_a_red_flag_stops_online_booking(ui: UI, agenda: Agenda) -> None:
    open_around_the_clock(agenda.practice)  # the urgent line, not the huisartsenpost
    add_slots(agenda.gp, day=booking_day(), count=3)
    patient = portal_patient(agenda.practice, "Karim", "Bakker")
    page = ui.page
    log_in(ui, patient.user)
    start_booking(ui)

    page.get_by_label("Waarvoor wilt u een afspraak?").fill("Druk op de borst")
    answer_triage(page, yes="pijn op de borst")
    ui.submit(page.get_by_role("button", name="Verder"))
    assert page.get_by_role("heading", name="Bel nu 112").is_visible()
    assert page.get_by_role("link", name="Bel 112").get_attribute("href") == "tel:112"
    assert not Appointment.objects.exists()
    ui.screenshot("agenda-red-flag-112-phone")

    ui.submit(page.get_by_role("link", name="Verkeerd beantwoord? Begin opnieuw"))
    page.get_by_label("Waarvoor wilt u een afspraak?").fill("Mijn dochter is erg suf")
    answer_triage(page, yes="kind dat erg ziek is")
    ui.submit(page.get_by_role("button", name="Verder"))
    assert page.get_by_role("heading", name="Bel nu de praktijk").is_visible()
    call = page.get_by_role("link", name=f"Bel de spoedlijn: {agenda.practice.phone_urgent}")
    assert call.get_attribute("href") == "tel:0107654321"  # 010-7654321, as dialled
    assert not Appointment.objects.exists()
    ui.screenshot("agenda-red-flag-practice-phone")


def test_patient_moves_and_then_cancels_an_appointment(ui: UI, agenda: Agenda) -> None:
    slots = add_slots(agenda.gp, day=booking_day(), start=time(9), count=6)
    patient = portal_patient(agenda.practice, "Ilse", "de Boer")
    first = book_online(patient, slots[0], agenda)
    page = ui.page
    log_in(ui, patient.user)
    ui.submit(nav(page, "Afspraken"))
    upcoming = page.get_by_role("region", name="Komende afspraken")
    ui.submit(upcoming.get_by_role("link", name=re.compile("09:00")))
    ui.submit(page.get_by_role("link", name="Verzetten"))
    assert page.get_by_role("heading", name="Afspraak verzetten").is_visible()
    page.get_by_role("radio", name=re.compile(r"^09:30")).check()
    ui.submit(page.get_by_role("button", name="Verzet naar deze tijd"))
    assert page.get_by_text("Uw afspraak is verzet.").is_visible()
    moved = Appointment.objects.get(status=AppointmentStatus.BOOKED)
    assert moved.starts_at == slots[3].starts_at
    assert moved.channel == BookingChannel.ONLINE
    first.refresh_from_db()
    assert first.status == AppointmentStatus.CANCELLED
    assert f"/afspraken/{moved.public_id}/" in page.url

    ui.submit(page.get_by_role("link", name="Annuleren"))
    assert page.get_by_text("De tijd komt dan vrij voor een ander.").is_visible()
    ui.submit(page.get_by_role("button", name="Ja, annuleer de afspraak"))
    assert page.get_by_text("Uw afspraak is geannuleerd.").is_visible()
    assert page.get_by_text("U heeft geen afspraken staan.").is_visible()
    # A cancelled appointment that was still to come is not an "earlier" one; the move
    # before it shows nowhere as a cancellation.
    cancelled = page.get_by_role("region", name="Geannuleerde afspraken")
    assert "geannuleerd" in cancelled.inner_text()
    assert cancelled.get_by_role("listitem").count() == 1
    assert page.get_by_text("Nog geen eerdere afspraken.").is_visible()
    moved.refresh_from_db()
    assert moved.status == AppointmentStatus.CANCELLED
    assert not Slot.objects.filter(appointment__isnull=False).exists()
    ui.screenshot("agenda-cancelled-phone")


# --- the practice ------------------------------------------------------------------------


def test_assistant_works_the_day_and_books_a_free_slot(ui: UI, agenda: Agenda) -> None:
    day = booking_day()
    slots = add_slots(agenda.gp, day=day, start=time(9), count=6)
    patient = portal_patient(agenda.practice, "Sanne", "Visser")
    book_online(patient, slots[0], agenda)
    caller = PatientFactory(practice=agenda.practice, given_name="Kees", family_name="Smit")
    assistant = staff(agenda.practice, StaffRole.ASSISTENT, "Lisa Peters")
    page = ui.page
    log_in(ui, assistant)

    ui.submit(nav(page, "Agenda"))
    assert page.get_by_role("heading", name=re.compile("^Agenda ")).is_visible()
    ui.goto(f"/agenda/?dag={day.isoformat()}")
    column = page.get_by_role("region", name=re.compile("Anna Jansen"))
    row = column.get_by_role("listitem").filter(has_text="Sanne Visser")
    expect(row).to_contain_text("Online geboekt")  # a label, not a colour alone
    assert "1 afspraken, 5 vrij" in column.inner_text()
    ui.screenshot("agenda-day-phone")

    ui.submit(row.get_by_role("link", name="Sanne Visser"))
    assert page.get_by_text("Pijnlijke knie sinds een week").is_visible()
    triage = page.get_by_role("region", name="Antwoorden op de spoedvragen")
    assert triage.get_by_role("listitem").count() == len(BASELINE)
    assert "pijn op de borst" in triage.inner_text()
    # Sanne comes in two days: arrival is for the day itself.
    expect(page.get_by_role("button", name="Aangemeld")).to_have_count(0)
    assert page.get_by_text("Aanmelden kan op de dag van de afspraak").is_visible()

    # A patient booked for right now arrives, is called in, and both are undone.
    walk_in = book_now_at_desk(agenda, assistant, "Piet", "de Vries")
    ui.goto("/agenda/")
    ui.submit(page.get_by_role("link", name="Piet de Vries"))
    ui.submit(page.get_by_role("button", name="Aangemeld"))
    assert page.get_by_text("Aangemeld.").is_visible()
    walk_in.refresh_from_db()
    assert walk_in.status == AppointmentStatus.ARRIVED and walk_in.queue_number is not None
    waiting = page.get_by_role("region", name="In de wachtkamer")
    ui.submit(waiting.get_by_role("button", name=f"Roep nummer {walk_in.queue_number} op"))
    assert page.get_by_text("Opgeroepen: het nummer staat op het wachtkamerscherm.").is_visible()
    walk_in.refresh_from_db()
    assert walk_in.called_at is not None
    ui.submit(page.get_by_role("link", name="Piet de Vries"))
    ui.screenshot("agenda-arrived-phone")
    ui.submit(page.get_by_role("button", name="Oproep terugdraaien"))
    assert page.get_by_text("De oproep is teruggedraaid").is_visible()
    ui.submit(page.get_by_role("link", name="Piet de Vries"))
    ui.submit(page.get_by_role("button", name="Aanmelding terugdraaien"))
    walk_in.refresh_from_db()
    assert walk_in.is_booked and walk_in.called_at is None
    ui.goto(f"/agenda/?dag={day.isoformat()}")

    ui.submit(page.get_by_role("link", name="Weekoverzicht"))
    # From the whole practice's day: the week as counts, without names.
    assert page.get_by_role("heading", name=re.compile("^Week van .*de hele praktijk")).is_visible()
    assert page.get_by_text("Sanne Visser").count() == 0
    ui.submit(page.get_by_role("link", name="Anna Jansen"))
    assert page.get_by_role("heading", name=re.compile("^Week van .*Anna Jansen")).is_visible()
    assert page.get_by_role("link", name="Sanne Visser").is_visible()
    ui.screenshot("agenda-week-phone")

    ui.goto(f"/agenda/?dag={day.isoformat()}")
    ui.submit(page.get_by_role("link", name="vrij — plan een afspraak om 09:10"))
    page.get_by_label("Naam of BSN").fill("kees smit")
    ui.submit(page.get_by_role("button", name="Zoek patiënt"))
    ui.submit(page.get_by_role("button", name=re.compile("^Kees Smit, ")))
    assert page.get_by_role("heading", name="Kees Smit").is_visible()
    page.get_by_label("Soort afspraak").select_option(label="Consult (10 min)")
    page.get_by_role("radio", name="telefoon").check()
    page.get_by_label("Notitie voor de praktijk").fill("Belt over uitslag")
    ui.submit(page.get_by_role("button", name="Afspraak maken"))
    assert page.get_by_text("De afspraak is gemaakt.").is_visible()
    booked = Appointment.objects.get(patient=caller)
    assert booked.channel == BookingChannel.PHONE
    assert booked.starts_at == slots[1].starts_at
    assert booked.booked_by == assistant
    expect(page.get_by_role("listitem").filter(has_text="Kees Smit")).not_to_contain_text(
        "Online geboekt"
    )


def kiosk_slots(agenda: Agenda) -> list[Slot]:
    """Three slots around now, all of them today (late in the evening too, when "shortly"
    would be tomorrow): inside the kiosk's window (2 h before until 30 min after)."""
    now = timezone.localtime().replace(second=0, microsecond=0)
    midnight = now.replace(hour=0, minute=0)
    start = max(now - timedelta(minutes=20), midnight)
    return add_slots(agenda.gp, day=start.date(), start=start.time(), count=3)


def book_at_desk(patient: Patient, slot: Slot, agenda: Agenda, by: User) -> Appointment:
    return services.book_appointment(
        patient=patient,
        slot=slot,
        appointment_type=agenda.types["consult"],
        reason="",
        by=by,
        channel=BookingChannel.DESK,
    )


def test_kiosk_checks_in_by_birth_date_and_by_code(ui: UI, agenda: Agenda) -> None:
    assistant = staff(agenda.practice, StaffRole.ASSISTENT, "Lisa Peters")
    slots = kiosk_slots(agenda)
    by_birth = PatientFactory(
        practice=agenda.practice,
        given_name="Marieke",
        family_name="Hendriks",
        date_of_birth=date(1975, 3, 4),
        house_number="7a",
    )
    by_code = PatientFactory(practice=agenda.practice, given_name="Pieter", family_name="Mulder")
    first = book_at_desk(by_birth, slots[0], agenda, assistant)
    second = book_at_desk(by_code, slots[1], agenda, assistant)
    page = ui.page

    ui.goto(f"/kiosk/{SLUG}/")  # this browser is no kiosk yet
    assert page.get_by_role("heading", name="Deze aanmeldzuil staat uit").is_visible()
    assert page.get_by_role("textbox").count() == 0
    # Chromium logs the 403 of the page itself as a console error: that one is expected.
    forbidden = "Failed to load resource: the server responded with a status of 403 (Forbidden)"
    assert ui.console_errors == [forbidden]
    ui.console_errors.clear()

    log_in(ui, assistant)
    ui.goto("/beheer/aanmeldzuilen/")
    ui.submit(page.get_by_role("button", name="Zet aan als aanmeldzuil"))
    assert page.url.endswith(f"/kiosk/{SLUG}/")
    assert KioskDevice.objects.filter(practice=agenda.practice).count() == 1
    # Switching the kiosk on logged the assistant out of this tablet.
    assert page.get_by_role("button", name="Uitloggen").count() == 0
    ui.goto("/start/")
    assert "/account/inloggen/" in page.url

    ui.goto(f"/kiosk/{SLUG}/")
    assert page.get_by_role("heading", name="Meld u aan voor uw afspraak").is_visible()
    ui.screenshot("agenda-kiosk-phone")
    birth_form = page.get_by_role("region", name="Met geboortedatum en huisnummer")
    birth = birth_form.get_by_role("group", name="Uw geboortedatum")
    birth.get_by_label("Dag").fill("4")
    birth.get_by_label("Maand").fill("3")
    birth.get_by_label("Jaar").fill("1975")
    birth_form.get_by_label("Uw huisnummer").fill("7 A")
    ui.submit(birth_form.get_by_role("button", name="Aanmelden"))
    first.refresh_from_db()
    assert first.status == AppointmentStatus.ARRIVED
    assert page.get_by_role("heading", name="U bent aangemeld").is_visible()
    assert page.locator(".spreekuur-queue-number").inner_text() == str(first.queue_number)
    content = page.content()
    assert "Marieke" not in content and "Hendriks" not in content
    ui.screenshot("agenda-kiosk-done-phone")

    ui.submit(page.get_by_role("link", name="Klaar"))
    code_form = page.get_by_role("region", name="Met de QR-code")
    code_form.get_by_label("Code van uw bevestiging").fill(second.checkin_code.lower())
    ui.submit(code_form.get_by_role("button", name="Aanmelden"))
    second.refresh_from_db()
    assert second.status == AppointmentStatus.ARRIVED
    assert page.get_by_role("heading", name="U bent aangemeld").is_visible()
    assert page.locator(".spreekuur-queue-number").inner_text() == str(second.queue_number)
    assert second.queue_number != first.queue_number
    content = page.content()
    assert "Pieter" not in content and "Mulder" not in content

    ui.submit(page.get_by_role("link", name="Klaar"))
    code_form = page.get_by_role("region", name="Met de QR-code")
    code_form.get_by_label("Code van uw bevestiging").fill("ONBEKEND1")
    ui.submit(code_form.get_by_role("button", name="Aanmelden"))
    assert page.get_by_text("We konden geen afspraak van vandaag vinden.").is_visible()


def test_waiting_room_screen_shows_the_call_without_a_name(ui: UI, agenda: Agenda) -> None:
    assistant = staff(agenda.practice, StaffRole.ASSISTENT, "Lisa Peters")
    slots = kiosk_slots(agenda)
    patient = PatientFactory(practice=agenda.practice, given_name="Marieke", family_name="Hendriks")
    appointment = book_at_desk(patient, slots[0], agenda, assistant)
    appointment = services.mark_arrived(appointment=appointment, by=assistant)
    page = ui.goto(f"/wachtkamer/{SLUG}/")
    calls = page.get_by_role("region", name="Aan de beurt")
    assert calls.get_by_text("U wordt hier opgeroepen met uw nummer.").is_visible()

    services.call_in(appointment=appointment, by=assistant)
    expect(calls).to_contain_text(f"nummer {appointment.queue_number}", timeout=8_000)
    expect(calls).to_contain_text("Dokter Anna Jansen")
    ui.check_page()  # axe on the swapped-in calls
    content = page.content()
    assert "Marieke" not in content and "Hendriks" not in content
    ui.screenshot("agenda-waiting-room-phone")


def test_manager_sets_rules_red_flag_and_schedule(ui: UI, agenda: Agenda) -> None:
    manager = staff(agenda.practice, StaffRole.PRAKTIJKMANAGER, "Petra de Wit")
    page = ui.page
    log_in(ui, manager)

    ui.submit(nav(page, "Agenda-instellingen"))
    types = page.get_by_role("region", name="Soorten afspraken")
    assert types.get_by_role("link", name="Dubbel consult").is_visible()
    rules = page.get_by_role("region", name="Regels voor online afspraken")
    rules.get_by_label("Hoe ver vooruit (dagen)").fill("21")
    ui.submit(rules.get_by_role("button", name="Regels opslaan"))
    assert page.get_by_text("De regels voor online afspraken zijn opgeslagen.").is_visible()
    assert BookingRules.objects.get(practice=agenda.practice).horizon_days == 21

    ui.screenshot("agenda-settings-phone")
    ui.submit(page.get_by_role("link", name="Naar de triage-instellingen"))
    flags = page.get_by_role("region", name="Spoedvragen vóór online boeken en e-consult")
    flags.get_by_text("Spoedvraag toevoegen").click()  # a <details>: opens in place
    flags.get_by_label("Vraag").fill("Heeft u een wond die flink bloedt na een val?")
    flags.get_by_label("Advies bij 'ja'").select_option(label="Bel de spoedlijn van de praktijk")
    ui.submit(flags.get_by_role("button", name="Toevoegen"))
    assert page.get_by_text("De vraag is toegevoegd aan de spoedvragen.").is_visible()
    assert page.get_by_text("Heeft u een wond die flink bloedt na een val?").is_visible()
    assert RedFlag.objects.filter(practice=agenda.practice, advice="spoedlijn").count() == 1
    ui.screenshot("triage-settings-phone")

    ui.submit(nav(page, "Agenda-instellingen"))
    ui.submit(page.get_by_role("link", name="Roosters en afwezigheid"))
    week = page.get_by_role("region", name="Weekrooster per dagdeel")
    week.get_by_label("Zorgverlener").select_option(label="Anna Jansen (Huisarts)")
    week.get_by_label("Dag", exact=True).select_option(label="dinsdag")
    week.get_by_label("Van", exact=True).fill("08:00")
    week.get_by_label("Tot", exact=True).fill("12:00")
    week.get_by_label("Online vrijgegeven per uur").fill("2")
    ui.submit(week.get_by_role("button", name="Toevoegen"))
    assert page.get_by_text("Het dagdeel is toegevoegd; de tijdsloten zijn gemaakt.").is_visible()
    block = ScheduleBlock.objects.get(practitioner=agenda.gp)
    assert (block.weekday, block.starts, block.ends) == (1, time(8), time(12))
    assert Slot.objects.filter(practitioner=agenda.gp, online=True).exists()
    row = page.get_by_role("region", name="Weekrooster per dagdeel").get_by_role("row")
    expect(row.filter(has_text="Anna Jansen")).to_contain_text("08:00\u201312:00")  # an en dash
    ui.screenshot("agenda-schedule-phone")

    ui.goto("/agenda/cijfers/")
    assert page.get_by_role("heading", name=re.compile("^Agenda ")).is_visible()
    first_free = page.get_by_role("region", name=re.compile("Eerste vrije plek nu"))
    assert "Anna Jansen" in first_free.inner_text()
    ui.screenshot("agenda-figures-phone")


def test_a_slot_taken_meanwhile_offers_other_times(ui: UI, agenda: Agenda) -> None:
    slots = add_slots(agenda.gp, day=booking_day(), count=3)
    patient = portal_patient(agenda.practice, "Eva", "Smit")
    rival = portal_patient(agenda.practice, "Ruben", "Mol")
    log_in(ui, patient.user)
    page = start_booking(ui)
    page.get_by_label("Waarvoor wilt u een afspraak?").fill("Oorpijn")
    answer_triage(page)
    ui.submit(page.get_by_role("button", name="Verder"))
    ui.submit(page.get_by_role("button", name="Kies deze tijd"))
    book_online(rival, slots[0], agenda)  # someone else is quicker
    ui.submit(page.get_by_role("button", name="Afspraak bevestigen"))
    assert page.get_by_text("net door iemand anders geboekt").is_visible()
    assert page.get_by_role("radio").count() == 2
    # Chromium logs the page's own 409 (the answer for a lost race) as a console error.
    conflict = "Failed to load resource: the server responded with a status of 409 (Conflict)"
    assert ui.console_errors == [conflict]
    ui.console_errors.clear()
    ui.screenshot("agenda-taken-phone")


def test_online_booking_switched_off_says_so(ui: UI, agenda: Agenda) -> None:
    from spreekuur.agenda.models import BookingRules

    BookingRules.objects.update_or_create(
        practice=agenda.practice, defaults={"online_booking_enabled": False}
    )
    patient = portal_patient(agenda.practice, "Lotte", "Kok")
    log_in(ui, patient.user)
    page = ui.goto("/afspraken/maken/")
    assert page.get_by_text("biedt op dit moment geen online afspraken aan").is_visible()


def test_assistant_moves_an_appointment_and_manager_edits_a_type(ui: UI, agenda: Agenda) -> None:
    slots = add_slots(agenda.gp, day=booking_day(), count=4)
    patient = portal_patient(agenda.practice, "Bram", "Vos")
    appointment = book_online(patient, slots[0], agenda)
    assistant = staff(agenda.practice, StaffRole.ASSISTENT, "Sara Dekker")
    manager = staff(agenda.practice, StaffRole.PRAKTIJKMANAGER, "Tom Wit")
    page = ui.page
    log_in(ui, assistant)
    ui.goto(f"/agenda/afspraak/{appointment.public_id}/verzetten/")
    page.get_by_role("radio").nth(1).check()
    ui.submit(page.get_by_role("button", name="Verzet naar deze tijd"))
    assert page.get_by_text("De afspraak is verzet.").is_visible()
    ui.submit(page.get_by_role("button", name="Uitloggen"))

    log_in(ui, manager)
    consult = agenda.types["consult"]
    ui.goto(f"/beheer/agenda/soort/{consult.public_id}/")
    page.get_by_label("Duur (minuten)").fill("15")
    ui.submit(page.get_by_role("button", name="Opslaan"))
    consult.refresh_from_db()
    assert consult.duration_minutes == 15


def test_patient_sees_later_times_and_chooses_a_day(ui: UI, agenda: Agenda) -> None:
    """More than the first twelve times: page on, or start from a day (issue 15, #10)."""
    day = booking_day()
    later = day + timedelta(days=3)
    add_slots(agenda.gp, day=day, start=time(8), count=20)
    late = add_slots(agenda.gp, day=later, start=time(15), count=2)
    patient = portal_patient(agenda.practice, "Sanne", "Visser")
    page = ui.page
    log_in(ui, patient.user)
    start_booking(ui)
    page.get_by_label("Waarvoor wilt u een afspraak?").fill("Pijnlijke knie sinds een week")
    answer_triage(page)
    ui.submit(page.get_by_role("button", name="Verder"))
    expect(page.get_by_role("radio")).to_have_count(12)
    page.get_by_role("link", name="Latere tijden").click()  # htmx swaps the list in place
    expect(page.get_by_role("radio", name=re.compile(r"^10:00"))).to_be_visible()
    ui.check_page()
    expect(page.get_by_role("radio", name=re.compile(r"^08:00"))).to_have_count(0)
    ui.screenshot("agenda-later-times-phone")
    page.get_by_label("Vanaf welke dag").fill(later.isoformat())
    ui.submit(page.get_by_role("button", name="Toon vrije tijden"))
    expect(page.get_by_role("radio")).to_have_count(len(late))
    page.set_viewport_size({"width": 1280, "height": 900})
    ui.check_page()
    ui.screenshot("agenda-from-a-day-wide")


def test_desk_sees_appointments_a_closed_afternoon_no_longer_allows(ui: UI, agenda: Agenda) -> None:
    """The manager opens only the morning; the booked afternoon goes on the desk's list."""
    from spreekuur.practice.services import set_opening_exception

    day = booking_day()
    slots = add_slots(agenda.gp, day=day, start=time(14), count=2)
    patient = portal_patient(agenda.practice, "Sanne", "Visser")
    book_online(patient, slots[0], agenda)
    manager = staff(agenda.practice, StaffRole.PRAKTIJKMANAGER, "Mira Bakker")
    set_opening_exception(
        practice=agenda.practice,
        day=day,
        closed=False,
        opens=time(8),
        closes=time(12),
        reason="Teamdag",
        by=manager,
    )
    assistant = staff(agenda.practice, StaffRole.ASSISTENT, "Lisa Peters")
    page = ui.page
    log_in(ui, assistant)
    ui.submit(page.get_by_role("link", name="1 afspraak buiten de openingstijden"))
    item = page.get_by_role("listitem").filter(has_text="Sanne Visser")
    expect(item).to_contain_text("Teamdag")
    ui.screenshot("agenda-out-of-hours-phone")
    page.set_viewport_size({"width": 1280, "height": 900})
    ui.check_page()
    ui.submit(item.get_by_role("link", name=re.compile("^Verzetten")))
    assert page.get_by_role("heading", name="Sanne Visser").is_visible() or "verzetten" in page.url
