"""Layout and the page furniture in a real browser: the compact header with its menu on a
phone (also by keyboard and without JavaScript), radio buttons that show their dot, no CSP
refusal after an htmx swap, the waiting-room screen on a TV with its chime, and emergency
numbers that know whether the practice is open."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import time

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from spreekuur.accounts.models import Membership, User
from spreekuur.agenda import services
from spreekuur.agenda.models import Appointment, BookingChannel
from spreekuur.core.roles import StaffRole
from spreekuur.patients.models import Patient
from tests.browser.conftest import PHONE, UI
from tests.browser.test_agenda_flows import (
    SLUG,
    Agenda,
    answer_triage,
    booking_day,
    log_in,
    portal_patient,
    staff,
    start_booking,
)
from tests.core.test_emergency_advice import closed_all_week, open_around_the_clock
from tests.factories import (
    MembershipFactory,
    PatientFactory,
    PracticeFactory,
    add_appointment_types,
    add_slots,
)

pytestmark = pytest.mark.browser

WIDE = {"width": 1280, "height": 900}
TV = {"width": 1920, "height": 1080}


@pytest.fixture
def agenda(transactional_db: None) -> Agenda:
    """The agenda tests' practice: De Eik, with Dokter Anna Jansen and the usual types."""
    practice = PracticeFactory(slug=SLUG, name="Huisartsenpraktijk De Eik")
    gp = MembershipFactory(
        practice=practice, role=StaffRole.HUISARTS, user__full_name="Anna Jansen"
    )
    return Agenda(practice=practice, gp=gp, types=add_appointment_types(practice))


def header_height(page: Page) -> float:
    return float(
        page.evaluate(
            "() => document.querySelector('.spreekuur-header').getBoundingClientRect().height"
        )
    )


def main_menu(page: Page) -> object:
    return page.get_by_role("navigation", name="Hoofdmenu")


# --- the header ---------------------------------------------------------------------------


def test_the_header_is_compact_on_a_phone_and_its_menu_opens_by_keyboard(
    ui: UI, agenda: Agenda
) -> None:
    patient = portal_patient(agenda.practice, "Sanne", "Visser")
    page = ui.page
    log_in(ui, patient.user)
    # Before: the name, the buttons and nine links took 304 of 780 px at 360 px.
    assert header_height(page) <= 120
    menu = page.get_by_role("navigation", name="Hoofdmenu")
    expect(menu).to_be_hidden()
    ui.screenshot("layout-header-phone")

    toggle = page.locator("summary", has_text="Menu")
    page.keyboard.press("Tab")  # the skip link
    page.keyboard.press("Tab")  # the practice's name
    page.keyboard.press("Tab")
    expect(toggle).to_be_focused()
    page.keyboard.press("Enter")
    expect(menu).to_be_visible()
    expect(menu.get_by_role("link", name="Afspraken")).to_be_visible()
    expect(page.get_by_role("button", name="Uitloggen")).to_be_visible()
    ui.check_page()  # axe on the open menu
    ui.screenshot("layout-menu-open-phone")
    page.keyboard.press("Escape")
    expect(menu).to_be_hidden()
    expect(toggle).to_be_focused()

    page.keyboard.press("Enter")
    ui.submit(menu.get_by_role("link", name="Afspraken"))
    assert "/afspraken/" in page.url

    page.set_viewport_size(WIDE)
    expect(toggle).to_be_hidden()
    expect(menu.get_by_role("link", name="Afspraken")).to_be_visible()
    expect(page.get_by_role("button", name="Uitloggen")).to_be_visible()
    ui.check_page()
    ui.screenshot("layout-header-wide")


@pytest.fixture
def no_script_ui(browser: Browser, live_server: object) -> Iterator[UI]:
    context = browser.new_context(viewport=PHONE, locale="nl-NL", java_script_enabled=False)
    context.set_default_timeout(10_000)
    page = context.new_page()
    harness = UI(page=page, base_url=live_server.url, scripts=False)  # type: ignore[attr-defined]
    page.on(
        "console",
        lambda message: (
            harness.console_errors.append(message.text) if message.type == "error" else None
        ),
    )
    yield harness
    context.close()
    assert not harness.console_errors


def test_the_menu_works_without_javascript(no_script_ui: UI, agenda: Agenda) -> None:
    ui = no_script_ui
    patient = portal_patient(agenda.practice, "Karim", "Bakker")
    page = ui.page
    log_in(ui, patient.user)
    menu = page.get_by_role("navigation", name="Hoofdmenu")
    expect(menu).to_be_hidden()
    page.locator("summary", has_text="Menu").click()
    expect(menu.get_by_role("link", name="Afspraken")).to_be_visible()
    ui.screenshot("layout-menu-no-script-phone")
    ui.submit(menu.get_by_role("link", name="Afspraken"))

    page.set_viewport_size(WIDE)  # wide: the bar shows without opening anything
    expect(menu.get_by_role("link", name="Start")).to_be_visible()
    expect(page.locator("summary", has_text="Menu")).to_be_hidden()
    ui.screenshot("layout-header-no-script-wide")


# --- radio buttons ------------------------------------------------------------------------


RADIO_LOOK = """(radio) => {
  const style = getComputedStyle(radio);
  return [style.backgroundImage, style.backgroundColor, style.borderColor].join(' | ');
}"""


def test_a_chosen_radio_button_shows_its_dot(ui: UI, agenda: Agenda) -> None:
    add_slots(agenda.gp, day=booking_day(), start=time(9), count=3)
    patient = portal_patient(agenda.practice, "Sanne", "Visser")
    page = ui.page
    log_in(ui, patient.user)
    start_booking(ui)
    question = page.get_by_role("group", name="Vragen over spoed").get_by_role("group").first
    yes = question.get_by_role("radio", name="Ja", exact=True)
    no = question.get_by_role("radio", name="Nee", exact=True)
    unchecked = no.evaluate(RADIO_LOOK)
    no.check()
    page.mouse.move(0, 0)  # no hover look
    checked = no.evaluate(RADIO_LOOK)
    assert checked != unchecked
    assert checked != yes.evaluate(RADIO_LOOK)
    assert "radial-gradient" in checked and "255, 255, 255" in checked  # the white dot
    ui.screenshot("layout-radio-phone")
    page.set_viewport_size(WIDE)
    answer_triage(page)
    page.get_by_label("Waarvoor wilt u een afspraak?").fill("Knie")
    ui.submit(page.get_by_role("button", name="Verder"))
    time_choice = page.get_by_role("radio", name=re.compile(r"^09:00"))
    expect(time_choice).to_be_checked()
    assert "radial-gradient" in time_choice.evaluate(RADIO_LOOK)
    ui.screenshot("layout-radio-time-wide")


# --- htmx swaps under the CSP ------------------------------------------------------------


def booking_step_two(ui: UI, agenda: Agenda) -> Page:
    second = MembershipFactory(
        practice=agenda.practice, role=StaffRole.HUISARTS, user__full_name="Bram de Vries"
    )
    add_slots(agenda.gp, day=booking_day(), start=time(9), count=6)
    add_slots(second, day=booking_day(), start=time(10), count=6)
    patient = portal_patient(agenda.practice, "Sanne", "Visser")
    page = ui.page
    log_in(ui, patient.user)
    start_booking(ui)
    page.get_by_label("Waarvoor wilt u een afspraak?").fill("Pijnlijke knie")
    answer_triage(page)
    ui.submit(page.get_by_role("button", name="Verder"))
    return page


def choose(ui: UI, label: str, option: str) -> None:
    ui.page.get_by_label(label).select_option(label=option)
    ui.settle()


def test_changing_type_and_practitioner_on_step_two_logs_no_console_error(
    ui: UI, agenda: Agenda
) -> None:
    page = booking_step_two(ui, agenda)
    times = page.locator("#tijden")
    choose(ui, "Bij wie", "Dokter Bram de Vries")
    expect(times.get_by_role("radio", name=re.compile(r"^10:00"))).to_be_checked()
    choose(ui, "Soort afspraak", "Telefonisch consult (10 min)")
    choose(ui, "Bij wie", "Dokter Anna Jansen")
    expect(times.get_by_role("radio", name=re.compile(r"^09:00"))).to_be_checked()
    choose(ui, "Bij wie", "Maakt niet uit: de eerste die vrij is")
    ui.check_page()  # axe on the swapped list, and no console error so far
    ui.screenshot("layout-step-two-after-swaps-phone")


def test_htmx_is_configured_to_write_no_inline_style(ui: UI, agenda: Agenda) -> None:
    """htmx's defaults write inline style under our CSP: an indicator <style> in the head,
    and settling copies an old element's style attribute onto swapped-in content (the
    defaults settle class, style, width and height). Both are off, on every page."""
    page = booking_step_two(ui, agenda)
    choose(ui, "Soort afspraak", "Telefonisch consult (10 min)")  # same slots: same ids
    config = page.evaluate(
        "() => ({settle: htmx.config.attributesToSettle,"
        " indicators: htmx.config.includeIndicatorStyles,"
        " scripts: htmx.config.allowScriptTags})"
    )
    assert "style" not in config["settle"]
    assert config["indicators"] is False and config["scripts"] is False
    styles_without_nonce = page.evaluate(
        "() => [...document.querySelectorAll('style')].filter((s) => !s.nonce).length"
    )
    assert styles_without_nonce == 0
    ui.check_page()


def test_the_harness_catches_a_csp_refusal_after_a_swap(ui: UI, agenda: Agenda) -> None:
    page = booking_step_two(ui, agenda)
    page.evaluate(
        """() => document.body.addEventListener('htmx:afterSettle', () => {
             document.querySelector('h1').setAttribute('style', 'color: red');
           }, {once: true})"""
    )
    page.get_by_label("Bij wie").select_option(label="Dokter Bram de Vries")
    ui.settle()
    refused = [error for error in ui.console_errors if "Content Security Policy" in error]
    assert refused, ui.console_errors
    ui.console_errors.clear()  # seen: the test would fail on it otherwise


# --- the waiting-room screen ------------------------------------------------------------


def arrive_now(agenda: Agenda, practitioner: Membership, by: User, family: str) -> Appointment:
    """A patient booked at the desk for this very minute (any time of day), then arrived."""
    start = timezone.localtime().replace(second=0, microsecond=0)
    slot = add_slots(practitioner, day=start.date(), start=start.time(), count=1, online=False)[0]
    appointment = services.book_appointment(
        patient=PatientFactory(practice=agenda.practice, given_name="Marieke", family_name=family),
        slot=slot,
        appointment_type=agenda.types["consult"],
        reason="",
        by=by,
        channel=BookingChannel.DESK,
    )
    return services.mark_arrived(appointment=appointment, by=by)


def test_the_waiting_room_fills_a_tv_in_large_type_and_chimes_when_asked(
    ui: UI, agenda: Agenda
) -> None:
    assistant = staff(agenda.practice, StaffRole.ASSISTENT, "Lisa Peters")
    second = MembershipFactory(
        practice=agenda.practice, role=StaffRole.HUISARTS, user__full_name="Bram de Vries"
    )
    arrived = [
        arrive_now(agenda, agenda.gp, assistant, "Hendriks"),
        arrive_now(agenda, second, assistant, "Jansen"),
    ]
    services.call_in(appointment=arrived[0], by=assistant)
    page = ui.page
    page.set_viewport_size(TV)
    ui.goto(f"/wachtkamer/{SLUG}/")
    expect(page.get_by_role("heading", name="Wachtkamer", level=1)).to_be_visible()
    expect(page.get_by_text(agenda.practice.name)).to_be_visible()
    calls = page.locator(".spreekuur-call-list")
    width = calls.evaluate("(list) => list.getBoundingClientRect().width")
    assert width >= 0.8 * TV["width"]
    latest = page.locator(".spreekuur-call--latest")
    assert float(latest.evaluate("(call) => parseFloat(getComputedStyle(call).fontSize)")) >= 32
    body = page.locator("main .utrecht-paragraph").first
    assert float(body.evaluate("(p) => parseFloat(getComputedStyle(p).fontSize)")) >= 32

    chime = page.get_by_role("button", name="Geluid bij een oproep")
    expect(chime).to_have_attribute("aria-pressed", "false")  # off until someone turns it on
    chime.click()
    expect(chime).to_have_attribute("aria-pressed", "true")
    expect(chime).to_have_attribute("data-rung", "1")  # a tone to hear that it is on
    ui.screenshot("layout-waiting-room-tv")

    services.call_in(appointment=arrived[1], by=assistant)
    expect(page.locator(".spreekuur-call--latest")).to_contain_text(
        f"nummer {arrived[1].queue_number}", timeout=8_000
    )
    expect(chime).to_have_attribute("data-rung", "2")
    ui.check_page()
    ui.screenshot("layout-waiting-room-tv-next-call")

    page.set_viewport_size(PHONE)
    ui.check_page()
    ui.screenshot("layout-waiting-room-phone")


# --- emergency numbers that know the time -------------------------------------------------


def red_flag_stop(ui: UI, agenda: Agenda, patient: Patient) -> Page:
    page = ui.page
    log_in(ui, patient.user)
    start_booking(ui)
    page.get_by_label("Waarvoor wilt u een afspraak?").fill("Mijn dochter is erg suf")
    answer_triage(page, yes="kind dat erg ziek is")
    ui.submit(page.get_by_role("button", name="Verder"))
    return page


def test_when_the_practice_is_closed_the_huisartsenpost_comes_first(ui: UI, agenda: Agenda) -> None:
    closed_all_week(agenda.practice)
    patient = portal_patient(agenda.practice, "Karim", "Bakker")
    page = red_flag_stop(ui, agenda, patient)
    expect(page.get_by_role("heading", name="Bel nu de huisartsenpost")).to_be_visible()
    call = page.get_by_role("link", name="Bel Huisartsenpost Test: 0900-1111111")
    expect(call).to_have_attribute("href", "tel:09001111111")
    stop = page.get_by_role("alert")
    hrefs = [link.get_attribute("href") for link in stop.locator("a[href^='tel:']").all()]
    assert hrefs == ["tel:09001111111", "tel:112", "tel:113", "tel:08000113", "tel:0107654321"]
    ui.screenshot("layout-red-flag-closed-phone")
    page.set_viewport_size(WIDE)
    ui.check_page()
    ui.screenshot("layout-red-flag-closed-wide")

    page.set_viewport_size(PHONE)
    ui.goto("/econsult/nieuw/")
    note = page.locator(".utrecht-alert")
    hrefs = [link.get_attribute("href") for link in note.locator("a[href^='tel:']").all()]
    assert hrefs[:2] == ["tel:112", "tel:09001111111"]
    ui.screenshot("layout-econsult-ask-closed-phone")


def test_when_the_practice_is_open_its_urgent_line_comes_first(ui: UI, agenda: Agenda) -> None:
    open_around_the_clock(agenda.practice)
    patient = portal_patient(agenda.practice, "Karim", "Bakker")
    page = ui.page
    log_in(ui, patient.user)
    start_booking(ui)
    box = page.get_by_role("note")
    hrefs = [link.get_attribute("href") for link in box.locator("a[href^='tel:']").all()]
    assert hrefs == ["tel:112", "tel:0107654321", "tel:113", "tel:08000113", "tel:09001111111"]
    footer = page.get_by_role("contentinfo")
    expect(footer.get_by_role("link", name="0107654321")).to_have_count(0)  # shown as written
    expect(footer.get_by_role("link", name="010-7654321")).to_have_attribute(
        "href", "tel:0107654321"
    )
    ui.screenshot("layout-urgent-box-open-phone")
    page.set_viewport_size(WIDE)
    ui.check_page()
    ui.screenshot("layout-urgent-box-open-wide")
