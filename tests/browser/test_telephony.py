"""The phone line in a real browser: an assistant works the callback queue (a try without
answer, then a talk), a caller the exchange reports shows up without a reload, two
assistants click the same caller and only one gets it (also without JavaScript, where the
refusal shows once); the manager reads a call report in and looks at the heat map (the
assistant only looks); the manager sets the phone menu and makes a link to the exchange.

Every page is loaded through `ui.goto` or `ui.submit`, and each change the queue swaps in
is checked again with `ui.check_page`, so axe-core checks all of them, at 360 px and, for
the key pages, at 1280 px."""

from __future__ import annotations

import json
import re
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, FilePayload, Locator, Page, expect
from standardwebhooks import Webhook

from spreekuur.core.models import Practice
from spreekuur.core.roles import StaffRole
from spreekuur.patients.models import Patient
from spreekuur.telephony.models import (
    CallbackRequest,
    CallbackStatus,
    CallHour,
    CallReportImport,
    PhoneSettings,
    TelephonyLink,
)
from spreekuur.telephony.services import claim_callback, create_link
from spreekuur.telephony.webhook import readable_number
from tests.browser.conftest import UI
from tests.browser.people import (
    PHONE,
    WIDE,
    both_widths,
    expect_forbidden,
    log_in,
    nav,
    staff,
)
from tests.factories import PatientFactory, PracticeFactory

pytestmark = pytest.mark.browser

KNOWN = "+31612345678"  # Sanne Visser's mobile
UNKNOWN = "+31201234567"  # nobody of the practice
NEW_CALLER = "+31687654321"  # Karim Bakker's, reported by the exchange during the test
DASH = "\u2013"  # an en dash, between two times
# A colleague's screen that has not refreshed yet: its polls are held back (test only).
HOLD_POLLS = """() => {
  window.spreekuurHoldPolls = true;
  document.body.addEventListener("htmx:beforeRequest", (event) => {
    if (window.spreekuurHoldPolls && event.detail.requestConfig.verb === "get") {
      event.preventDefault();
    }
  });
}"""


@pytest.fixture
def practice(transactional_db: None) -> Practice:
    return PracticeFactory(slug="de-linde", name="Huisartsenpraktijk De Linde")


@pytest.fixture
def colleague_ui(browser: Browser, live_server: object) -> Iterator[UI]:
    """A second browser (its own cookies) for a colleague, checked as the harness checks
    `ui`: axe-core on every page it visits and no console errors."""
    context = browser.new_context(viewport=PHONE, locale="nl-NL")
    context.set_default_timeout(10_000)
    page = context.new_page()
    harness = UI(page=page, base_url=live_server.url)  # type: ignore[attr-defined]

    def on_navigation(frame: object) -> None:
        if frame == page.main_frame:
            harness.visited.append(page.url.split("#")[0])

    page.on("framenavigated", on_navigation)
    page.on(
        "console",
        lambda message: (
            harness.console_errors.append(message.text) if message.type == "error" else None
        ),
    )
    page.on("pageerror", lambda error: harness.console_errors.append(f"page error: {error}"))
    yield harness
    if not page.is_closed():
        harness.settle()
    context.close()
    unchecked = [url for url in harness.visited if url not in harness.checked]
    assert not unchecked, f"pages visited without an axe-core run: {unchecked}"
    assert not harness.console_errors, f"browser console errors: {harness.console_errors}"


@pytest.fixture
def no_script_ui(browser: Browser, live_server: object) -> Iterator[UI]:
    """A browser with JavaScript off: the queue is a plain page with plain forms then."""
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


# --- the callback queue --------------------------------------------------------------------


def caller(
    practice: Practice, number: str, minutes_ago: int, patient: Patient | None = None
) -> CallbackRequest:
    return CallbackRequest.objects.create(
        practice=practice,
        call_id=f"c-{uuid.uuid4().hex[:8]}",
        number=number,
        requested_at=timezone.now() - timedelta(minutes=minutes_ago),
        menu_choice=4,
        patient=patient,
        match_count=1 if patient else 0,
    )


def sanne(practice: Practice) -> Patient:
    return PatientFactory(
        practice=practice,
        given_name="Sanne",
        family_name="Visser",
        phone="06-12345678",
        date_of_birth=date(1984, 3, 9),
    )


def entry(page: Page, number: str) -> Locator:
    """A caller's card in the queue, found by the number shown."""
    return (
        page.locator("#terugbellijst")
        .get_by_role("listitem")
        .filter(has=page.get_by_role("link", name=readable_number(number), exact=True))
    )


def action(page: Page, name: str, number: str) -> Locator:
    # The visually hidden ": number" is a box of its own, so the name may have a space in it.
    return page.get_by_role(
        "button", name=re.compile(rf"^{re.escape(name)}\s*: {re.escape(readable_number(number))}$")
    )


def swap(ui: UI, button: Locator) -> None:
    """Click a button of the queue (htmx swaps the list in place) and check the result."""
    button.click()
    ui.settle()
    ui.check_page()


def wait_for_a_poll(page: Page) -> None:
    """Until the list has refreshed itself once (its "Bijgewerkt om" time changes)."""
    stamp = page.locator("#terugbellijst").get_by_text(re.compile(r"^Bijgewerkt om"))
    before = stamp.inner_text()
    expect(stamp).not_to_have_text(before, timeout=5_000)


def test_the_assistant_calls_back_a_known_and_an_unknown_caller(ui: UI, practice: Practice) -> None:
    assistant = staff(practice, StaffRole.ASSISTENT, "Fatima el Amrani")
    patient = sanne(practice)
    known = caller(practice, KNOWN, 12, patient)
    caller(practice, UNKNOWN, 4)
    page = ui.page
    log_in(ui, assistant)

    ui.submit(nav(page, "Terugbellen"))
    expect(page.get_by_role("heading", name="Terugbellen", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="2 bellers in de lijst")).to_be_visible()
    cards = page.locator("#terugbellijst").get_by_role("listitem")
    expect(cards).to_have_count(2)
    # First come, first served: Sanne asked 12 minutes ago, the unknown number 4.
    expect(cards.nth(0)).to_contain_text("Sanne Visser")
    expect(cards.nth(0)).to_contain_text("(9-3-1984)")
    expect(cards.nth(0)).to_contain_text("wacht 12 minuten")
    expect(cards.nth(1)).to_contain_text("Onbekend nummer")
    expect(cards.nth(1)).to_contain_text("wacht 4 minuten")
    expect(entry(page, KNOWN).get_by_role("link")).to_have_attribute("href", f"tel:{KNOWN}")
    both_widths(ui, "callbacks-two-waiting")

    # A keyboard user on a button keeps their place while the list refreshes itself.
    second = action(page, "Oppakken", UNKNOWN)
    second.focus()
    wait_for_a_poll(page)
    expect(second).to_be_focused()

    swap(ui, action(page, "Oppakken", KNOWN))
    card = entry(page, KNOWN)
    expect(card).to_contain_text("door u opgepakt")
    outcome = card.get_by_label("Hoe ging het?")
    expect(outcome).to_be_visible()
    # The keyboard lands on the outcome of the caller just picked up, not at the top,
    # and stays where the user takes it next while the list refreshes.
    expect(outcome).to_be_focused()
    elsewhere = action(page, "Oppakken", UNKNOWN)
    elsewhere.focus()
    wait_for_a_poll(page)
    expect(elsewhere).to_be_focused()
    expect(card.get_by_role("button", name=re.compile("^Oppakken"))).to_have_count(0)
    outcome.select_option(label="Geen gehoor")
    # The choice survives the list refreshing itself before Vastleggen is clicked.
    wait_for_a_poll(page)
    expect(outcome).to_have_value("geen_gehoor")
    ui.screenshot("callbacks-picked-up-phone")
    swap(ui, action(page, "Vastleggen", KNOWN))

    # No answer: back in the list, one try counted, anyone may pick it up again.
    card = entry(page, KNOWN)
    expect(card).to_contain_text(re.compile(r"1 poging, laatste om \d\d:\d\d"))
    expect(card).not_to_contain_text("door u opgepakt")
    expect(page.get_by_role("heading", name="2 bellers in de lijst")).to_be_visible()
    known.refresh_from_db()
    assert (known.status, known.attempts) == (CallbackStatus.WAITING, 1)
    assert known.tries.get().outcome == "geen_gehoor"
    both_widths(ui, "callbacks-one-try")

    swap(ui, action(page, "Oppakken", KNOWN))
    entry(page, KNOWN).get_by_label("Hoe ging het?").select_option(label="Gesproken")
    swap(ui, action(page, "Vastleggen", KNOWN))

    expect(page.get_by_role("heading", name="1 beller in de lijst")).to_be_visible()
    expect(entry(page, KNOWN)).to_have_count(0)
    done = page.get_by_role("region", name="Vandaag afgehandeld")
    expect(done).to_contain_text(
        re.compile(r"\d\d:\d\d — Sanne Visser: afgerond \(Fatima el Amrani\)")
    )
    known.refresh_from_db()
    assert known.status == CallbackStatus.DONE and known.closed_by == assistant
    assert [t.outcome for t in known.tries.all()] == ["geen_gehoor", "gesproken"]
    both_widths(ui, "callbacks-done")


def post_signed(
    base_url: str, link: TelephonyLink, secret: str, events: list[dict[str, Any]]
) -> dict[str, Any]:
    """What the exchange does: a JSON body signed as Standard Webhooks says."""
    body = json.dumps({"events": events}).encode()
    message_id, now = f"msg_{uuid.uuid4().hex}", timezone.now()
    request = urllib.request.Request(  # noqa: S310 - the live server's own http address
        f"{base_url}/api/telefonie/{link.public_id}/gebeurtenissen/",
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "webhook-id": message_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": Webhook(secret).sign(message_id, now, body),
        },
    )
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
        assert answer.status == 200
        answered: dict[str, Any] = json.loads(answer.read())
        return answered


def test_a_caller_the_exchange_reports_appears_without_a_reload(ui: UI, practice: Practice) -> None:
    assistant = staff(practice, StaffRole.ASSISTENT, "Fatima el Amrani")
    manager = staff(practice, StaffRole.PRAKTIJKMANAGER, "Ruud Hendriks")
    PatientFactory(
        practice=practice, given_name="Karim", family_name="Bakker", phone="+31 6 8765 4321"
    )
    caller(practice, UNKNOWN, 3)
    link, secret = create_link(practice=practice, name="Centrale", by=manager)
    page = ui.page
    log_in(ui, assistant)
    page.set_viewport_size(WIDE)
    ui.goto("/terugbellen/")
    expect(page.get_by_role("heading", name="1 beller in de lijst")).to_be_visible()
    # Marked on this very document: a reload would lose it.
    page.evaluate("() => { window.spreekuurSameDocument = true; }")

    call = f"c-{uuid.uuid4().hex[:8]}"
    at = timezone.now().isoformat()
    answer = post_signed(
        ui.base_url,
        link,
        secret,
        [
            {"id": f"{call}-1", "type": "incoming", "call_id": call, "at": at},
            {"id": f"{call}-2", "type": "queued", "call_id": call, "at": at, "menu_choice": 4},
            {
                "id": f"{call}-3",
                "type": "callback_requested",
                "call_id": call,
                "at": at,
                "number": "06 87654321",
            },
        ],
    )
    assert answer["status"] == "ontvangen"
    assert (answer["accepted"], answer["duplicates"], answer["callbacks"]) == (3, 0, 1)

    # The list asks every 2 seconds: the new caller is there within 3, named by the number.
    expect(entry(page, NEW_CALLER)).to_contain_text("Karim Bakker", timeout=3_000)
    expect(page.get_by_role("heading", name="2 bellers in de lijst")).to_be_visible()
    assert page.evaluate("() => window.spreekuurSameDocument === true")
    ui.check_page()  # axe-core on the list with the new caller swapped in
    ui.screenshot("callbacks-new-caller-wide")

    # A request made straight in the database (another way in) shows up the same way.
    caller(practice, "+31101234567", 0)
    expect(page.get_by_role("heading", name="3 bellers in de lijst")).to_be_visible(timeout=3_000)
    expect(entry(page, "+31101234567")).to_contain_text("Onbekend nummer")
    assert page.evaluate("() => window.spreekuurSameDocument === true")
    ui.check_page()


def test_two_assistants_pick_up_the_same_caller_and_one_gets_it(
    ui: UI, colleague_ui: UI, practice: Practice
) -> None:
    fatima = staff(practice, StaffRole.ASSISTENT, "Fatima el Amrani")
    lisa = staff(practice, StaffRole.ASSISTENT, "Lisa Peters")
    callback = caller(practice, KNOWN, 6, sanne(practice))
    caller(practice, UNKNOWN, 2)
    first, second = ui.page, colleague_ui.page
    log_in(ui, fatima)
    log_in(colleague_ui, lisa)
    ui.goto("/terugbellen/")
    colleague_ui.goto("/terugbellen/")
    for page in (first, second):
        expect(action(page, "Oppakken", KNOWN)).to_be_visible()

    # Lisa's screen has not refreshed yet when she clicks, a moment after Fatima.
    second.evaluate(HOLD_POLLS)
    swap(ui, action(first, "Oppakken", KNOWN))
    expect(entry(first, KNOWN)).to_contain_text("door u opgepakt")
    swap(colleague_ui, action(second, "Oppakken", KNOWN))

    refused = second.get_by_role("status").filter(
        has_text="Fatima el Amrani heeft deze beller al opgepakt."
    )
    expect(refused).to_be_visible()
    # Nobody disappears: Sanne is still in Lisa's list, with who has her.
    expect(second.get_by_role("heading", name="2 bellers in de lijst")).to_be_visible()
    lisas_card = entry(second, KNOWN)
    expect(lisas_card).to_contain_text("Sanne Visser")
    expect(lisas_card).to_contain_text("Opgepakt door Fatima el Amrani")
    expect(lisas_card.get_by_role("button", name=re.compile("^Oppakken"))).to_have_count(0)
    expect(lisas_card.get_by_label("Hoe ging het?")).to_have_count(0)
    callback.refresh_from_db()
    assert callback.status == CallbackStatus.CLAIMED and callback.claimed_by == fatima
    colleague_ui.screenshot("callbacks-taken-by-colleague-phone")

    # Her screen refreshes itself again: the message stays until she does something else.
    second.evaluate("() => { window.spreekuurHoldPolls = false; }")
    wait_for_a_poll(second)
    expect(refused).to_be_visible()
    second.set_viewport_size(WIDE)
    colleague_ui.check_page()
    colleague_ui.screenshot("callbacks-taken-by-colleague-wide")
    swap(colleague_ui, action(second, "Oppakken", UNKNOWN))
    expect(refused).to_have_count(0)
    expect(entry(second, UNKNOWN)).to_contain_text("door u opgepakt")


def test_without_javascript_the_queue_is_plain_forms_and_says_it_once(
    no_script_ui: UI, practice: Practice
) -> None:
    ui = no_script_ui
    fatima = staff(practice, StaffRole.ASSISTENT, "Fatima el Amrani")
    lisa = staff(practice, StaffRole.ASSISTENT, "Lisa Peters")
    callback = caller(practice, KNOWN, 6, sanne(practice))
    page = ui.page
    log_in(ui, lisa)
    ui.goto("/terugbellen/")
    claim_callback(callback=callback, by=fatima)  # a moment before Lisa clicks

    ui.submit(action(page, "Oppakken", KNOWN))
    assert page.url == f"{ui.base_url}/terugbellen/"
    # Once, above the list (the page's messages), not a second time inside it.
    expect(page.get_by_text("Fatima el Amrani heeft deze beller al opgepakt.")).to_have_count(1)
    expect(entry(page, KNOWN)).to_contain_text("Opgepakt door Fatima el Amrani")
    ui.screenshot("callbacks-no-script-taken-phone")


# --- the call report and the heat map -------------------------------------------------------


def call_report(today: date) -> str:
    """The exchange's report, documented columns: two Mondays with a busy 8 o'clock (six
    callers each, one hung up, one asked to be called back), quieter hours around it, a
    menu call and an outgoing call that do not count."""
    lines = ["datum;tijd;richting;keuze;wachttijd;gespreksduur;status;nummer"]
    for weeks_back in (1, 2):
        monday = today - timedelta(days=today.weekday(), weeks=weeks_back)
        tuesday = monday + timedelta(days=1)
        day = monday.strftime("%d-%m-%Y")
        for minute in range(6):
            status = ("beantwoord", "0:45", "3:10")
            if minute == 4:
                status = ("opgehangen", "2:05", "")
            elif minute == 5:
                status = ("terugbelverzoek", "180", "")
            wait, talk = status[1], status[2]
            lines.append(
                f"{day};08:{minute * 7:02d}:10;inkomend;4;{wait};{talk};{status[0]};0612345678"
            )
        lines.append(f"{day};09:12:00;inkomend;4;0:20;2:00;beantwoord;0612345679")
        lines.append(f"{day};09:40:00;inkomend;4;0:35;1:30;beantwoord;0612345679")
        lines.append(f"{day};10:05:00;inkomend;3;;;keuzemenu;0612345671")
        lines.append(f"{day};11:15:00;uitgaand;;;120;beantwoord;0612345672")
        lines.append(f"{tuesday:%d-%m-%Y};08:30:00;inkomend;4;0:15;2:30;beantwoord;0612345673")
        lines.append(f"{tuesday:%d-%m-%Y};13:30:00;inkomend;4;0:10;1:30;beantwoord;0612345674")
    return "\n".join(lines) + "\n"


def test_the_manager_reads_a_call_report_in_and_finds_the_busiest_hour(
    ui: UI, practice: Practice
) -> None:
    manager = staff(practice, StaffRole.PRAKTIJKMANAGER, "Ruud Hendriks")
    page = ui.page
    log_in(ui, manager)

    ui.submit(nav(page, "Belbelasting"))
    expect(page.get_by_role("heading", name="Belbelasting per dag en uur", level=1)).to_be_visible()
    expect(page.get_by_text(re.compile("^Nog geen gesprekken in deze periode"))).to_be_visible()
    ui.submit(page.get_by_role("link", name="Gespreksrapport inlezen"))
    expect(page.get_by_role("heading", name="Gespreksrapport inlezen", level=1)).to_be_visible()
    columns = page.locator("summary", has_text="Welke kolommen?")
    columns.click()
    expect(page.get_by_text("seconden of mm:ss (leeg als niet aangenomen)")).to_be_visible()
    ui.check_page()
    report: FilePayload = {
        "name": "centrale-november.csv",
        "mimeType": "text/csv",
        "buffer": call_report(timezone.localdate()).encode(),
    }
    page.get_by_label("Gespreksrapport (CSV of queue_log)").set_input_files(files=[report])
    both_widths(ui, "call-report-form")
    ui.submit(page.get_by_role("button", name="Inlezen"))

    # 2 x (6 + 2 + 1 menu + 2 Tuesday) = 22 calls; the 2 outgoing ones are skipped.
    expect(
        page.get_by_text(
            "22 gesprekken toegevoegd (24 in het bestand, 2 overgeslagen: uitgaand, intern of "
            "al eerder ingelezen)."
        )
    ).to_be_visible()
    earlier = page.get_by_role("region", name="Eerder ingelezen")
    expect(earlier).to_contain_text("centrale-november.csv: 22 gesprekken toegevoegd")
    expect(earlier).to_contain_text("Ruud Hendriks")
    assert CallReportImport.objects.get().calls_added == 22
    assert CallHour.objects.filter(practice=practice).exists()
    both_widths(ui, "call-report-read")

    ui.goto("/belbelasting/")
    figures = page.get_by_role("region", name=re.compile(r"tot en met"))
    expect(figures).to_contain_text("Aangeboden aan de assistentes")
    # Offered: the 20 calls that reached the queue (the menu calls did not).
    expect(figures.locator("dd").first).to_have_text("20")
    expect(figures).to_contain_text(f"Drukste uren: maandag 8:00{DASH}9:00 (6,0)")
    heat = page.get_by_role("table").filter(
        has=page.get_by_role("columnheader", name="ma", exact=True)
    )
    expect(heat).to_be_visible()
    eight = heat.get_by_role("row").filter(has=page.get_by_role("rowheader", name="08:00"))
    peak = eight.locator("td.spreekuur-heat--peak")
    expect(peak).to_have_count(1)
    expect(peak).to_contain_text("6,0")
    expect(peak).to_contain_text("(drukst)")  # said in words as well as by ▲ and the outline
    expect(heat.locator("td.spreekuur-heat--peak")).to_have_count(1)
    both_widths(ui, "call-load-heat-map")

    details = page.locator("summary", has_text="Alle cijfers per dag en uur")
    numbers = page.get_by_role("table").filter(
        has=page.get_by_role("columnheader", name="Aangeboden per dag")
    )
    expect(numbers).to_be_hidden()
    details.click()
    expect(numbers).to_be_visible()
    monday_eight = numbers.get_by_role("row").filter(has_text=re.compile(r"maandag\s*08:00 ▲"))
    expect(monday_eight).to_have_count(1)
    expect(monday_eight).to_contain_text("(drukst)")  # the ▲ in words too
    expect(monday_eight).to_contain_text("1,0 (16,7%)")  # one of six hung up
    ui.check_page()
    both_widths(ui, "call-load-details-open")


def test_the_assistant_reads_the_heat_map_but_reads_no_report_in(
    ui: UI, practice: Practice
) -> None:
    assistant = staff(practice, StaffRole.ASSISTENT, "Fatima el Amrani")
    monday = timezone.localdate() - timedelta(days=timezone.localdate().weekday(), weeks=1)
    for hour, offered in ((8, 9), (9, 4), (10, 2), (14, 1)):
        CallHour.objects.create(
            practice=practice,
            day=monday,
            hour=hour,
            incoming=offered,
            offered=offered,
            answered=offered,
        )
    page = ui.page
    log_in(ui, assistant)

    ui.submit(nav(page, "Belbelasting"))
    expect(page.get_by_text(f"Drukste uren: maandag 8:00{DASH}9:00 (9,0)")).to_be_visible()
    expect(page.locator("td.spreekuur-heat--peak")).to_have_count(1)
    expect(page.get_by_role("link", name=re.compile("Gespreksrapport"))).to_have_count(0)
    page.get_by_label("Periode").select_option(label="4 weken")
    ui.submit(page.get_by_role("button", name="Tonen"))
    assert "weeks=4" in page.url
    expect(page.get_by_label("Periode")).to_have_value("4")
    expect(page.get_by_text(f"Drukste uren: maandag 8:00{DASH}9:00 (9,0)")).to_be_visible()
    both_widths(ui, "call-load-assistant")

    ui.goto("/beheer/telefonie/gespreksrapport/")
    expect_forbidden(ui)
    ui.goto("/beheer/telefonie/")
    expect_forbidden(ui)


# --- the settings ----------------------------------------------------------------------------


def test_the_manager_sets_the_callback_offer_and_makes_a_link(ui: UI, practice: Practice) -> None:
    manager = staff(practice, StaffRole.PRAKTIJKMANAGER, "Ruud Hendriks")
    page = ui.page
    log_in(ui, manager)

    ui.submit(nav(page, "Telefonie"))
    expect(page.get_by_role("heading", name="Telefonie instellen", level=1)).to_be_visible()
    offer = page.get_by_label("Aanbieden na (seconden wachten)")
    expect(offer).to_have_value("180")
    both_widths(ui, "phone-settings")
    offer.fill("120")
    page.get_by_label("Terugbellen aanbieden tot").fill("15:30")
    ui.submit(page.get_by_role("button", name="Opslaan"))
    expect(page.get_by_text("De instellingen van de telefoon zijn opgeslagen.")).to_be_visible()
    expect(page.get_by_label("Aanbieden na (seconden wachten)")).to_have_value("120")
    phone = PhoneSettings.objects.get(practice=practice)
    assert phone.callback_after_seconds == 120 and phone.callback_until.strftime("%H:%M") == "15:30"

    # Callback on 4, the assistant's key: refused, said beside the field, nothing stored.
    key = page.get_by_label("Toets terugbellen")
    key.fill("4")
    page.get_by_label("Aanbieden na (seconden wachten)").fill("90")
    ui.submit(page.get_by_role("button", name="Opslaan"))
    key = page.get_by_label("Toets terugbellen")
    clash = "Kies voor terugbellen een toets die niet in het keuzemenu zit."
    expect(key).to_have_attribute("aria-invalid", "true")
    expect(key).to_have_accessible_description(re.compile(re.escape(clash)))
    field = page.locator(".utrecht-form-field").filter(has=key)
    expect(field.locator(".utrecht-form-field-error-message")).to_have_text(clash)
    expect(page.get_by_text("De instellingen van de telefoon zijn opgeslagen.")).to_have_count(0)
    phone.refresh_from_db()
    assert (phone.callback_key, phone.callback_after_seconds) == (5, 120)
    both_widths(ui, "phone-settings-clash")

    # A clash inside the menu: the second use of a key is the one marked.
    key.fill("5")
    page.get_by_label("Toets zorgverleners").fill("1")
    ui.submit(page.get_by_role("button", name="Opslaan"))
    expect(page.get_by_label("Toets zorgverleners")).to_have_accessible_description(
        re.compile("Deze toets is al in gebruik in het keuzemenu.")
    )
    ui.goto("/beheer/telefonie/")  # start again from what is stored

    page.get_by_label("Naam van de koppeling").fill("VoIPgrid centrale")
    ui.submit(page.get_by_role("button", name="Koppeling maken"))
    expect(page.get_by_role("heading", name="Geheim van de koppeling", level=1)).to_be_visible()
    expect(page.get_by_text("Dit geheim ziet u maar één keer.", exact=False)).to_be_visible()
    link = TelephonyLink.objects.get(practice=practice)
    secrets = page.locator("code.spreekuur-secret")
    expect(secrets.nth(0)).to_have_text(
        f"{ui.base_url}/api/telefonie/{link.public_id}/gebeurtenissen/"
    )
    expect(secrets.nth(1)).to_have_text(re.compile(r"^whsec_[A-Za-z0-9+/=]{20,}$"))
    both_widths(ui, "phone-link-secret")

    ui.submit(page.get_by_role("link", name="Terug naar de instellingen"))
    listed = page.get_by_role("region", name="Koppeling met de telefooncentrale")
    expect(listed).to_contain_text("VoIPgrid centrale")
    expect(listed).to_contain_text("actief")
    expect(listed).to_contain_text("nog niet gebruikt")
    assert "whsec_" not in page.content()  # shown once, never again
    download = page.get_by_role("link", name="Configuratie downloaden")
    with page.expect_download() as started:
        download.click()
    config = json.loads(Path(started.value.path()).read_text(encoding="utf-8"))
    assert config["callback"]["offer_after_seconds"] == 120
    assert config["events_webhook"]["links"][0]["name"] == "VoIPgrid centrale"
    assert "whsec_" not in json.dumps(config)
    both_widths(ui, "phone-settings-with-link")
