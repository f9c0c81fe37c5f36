"""Self-triage in a real browser, as people use it: a patient walks the sore-throat complaint
to "make an appointment" (going back one question on the way) and books from it; a "yes"
to the first question says "call 112" and then keeps online booking shut; a visitor of
the practice's own website walks the embedded widget to self-care; a visitor of the
practice page gets the urgent line or the huisartsenpost by the hour; and the manager
rewords the advice, tries a broken own complaint and reads the figures.

Every answer is given by clicking its label, every page is loaded through `ui.goto` or
`ui.submit`, so axe-core checks each of them (the widget's framed pages too)."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable

import pytest
from django.urls import reverse
from playwright.sync_api import Frame, FrameLocator, Locator, Page, Route, ViewportSize, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from spreekuur.core.models import Practice
from spreekuur.core.roles import StaffRole
from spreekuur.triage.models import ComplaintFlow, TriageChannel, TriageSession
from tests.browser.conftest import ARTIFACTS, AXE_PATH, AXE_TAGS, UI
from tests.browser.people import log_in, portal_patient
from tests.core.test_emergency_advice import closed_all_week, open_around_the_clock
from tests.factories import MembershipFactory, PracticeFactory
from tests.triage.conftest import WALK_TO, sore_throat, triaged

pytestmark = pytest.mark.browser

SLUG = "de-wilg"
PRACTICE_NAME = "Huisartsenpraktijk De Wilg"
WIDE: ViewportSize = {"width": 1280, "height": 900}
PHONE: ViewportSize = {"width": 360, "height": 740}
MIN_FRAME_HEIGHT = 32 * 16  # the embed script's min-height: 32rem
NOT_A_DIAGNOSIS = "Dit is een advies, geen diagnose."
# The practice's own website, which embeds the widget. The browser never reaches it: the
# test answers its requests (an https page, as the widget's frame-ancestors asks for).
HOST_SITE = "https://www.praktijk-de-wilg.example"
HOST_PAGE = """<!DOCTYPE html>
<html lang="nl">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <link rel="icon" href="data:,">
  <title>Zelftriage · Huisartsenpraktijk De Wilg</title>
</head>
<body style="margin:0;font-family:sans-serif">
  <main style="padding:0 8px">
    <h1>Moet ik naar de huisarts?</h1>
    <script src="{script}" async></script>
  </main>
</body>
</html>
"""


@pytest.fixture
def practice(transactional_db: None) -> Practice:
    # The national red flags and complaint flows are put back after a flush (post_migrate).
    return PracticeFactory(slug=SLUG, name=PRACTICE_NAME)


def nav(page: Page, name: str) -> Locator:
    return page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name=name)


def labels_to(practice: Practice, urgency: str) -> list[tuple[str, str]]:
    """(question, answer label) along keelpijn.json's walk to `urgency`."""
    flow = sore_throat(practice).flow
    walk = WALK_TO[urgency]
    steps = []
    for position, number in enumerate(walk):
        question = flow.walk(walk[:position]).question
        assert question is not None
        steps.append((question.text, question.answers[number].label))
    return steps


def choose(scope: Page | Frame, question: str, answer: str) -> None:
    """Click the answer's label (the whole box is the label), as a person taps it."""
    fieldset = scope.get_by_role("group", name=question)
    expect(fieldset).to_be_visible()
    fieldset.locator("label.spreekuur-choice").filter(
        has_text=re.compile(rf"^\s*{re.escape(answer)}\s*$")
    ).click()
    expect(fieldset.get_by_role("radio", name=answer, exact=True)).to_be_checked()


def answer(ui: UI, question: str, label: str) -> None:
    choose(ui.page, question, label)
    ui.submit(ui.page.get_by_role("button", name="Volgende"))


def walk_to(ui: UI, practice: Practice, urgency: str) -> None:
    for question, label in labels_to(practice, urgency):
        answer(ui, question, label)


# --- the patient in the portal ------------------------------------------------------------


def test_a_patient_triages_a_sore_throat_and_books_from_the_advice(
    ui: UI, practice: Practice
) -> None:
    patient = portal_patient(practice, "Sanne", "Visser")
    page = ui.page
    log_in(ui, patient.user)

    ui.submit(page.get_by_role("link", name=re.compile("^Moet ik naar de huisarts?")))
    expect(page.get_by_role("heading", name="Moet ik naar de huisarts?", level=1)).to_be_visible()
    expect(page.get_by_text(NOT_A_DIAGNOSIS)).to_be_visible()
    page.get_by_label("Zoek uw klacht").fill("keel")
    ui.submit(page.get_by_role("button", name="Zoeken"))
    expect(page.get_by_label("Zoek uw klacht")).to_have_value("keel")
    complaints = page.locator("ul.spreekuur-complaints").get_by_role("link")
    expect(complaints.filter(has_text=re.compile("^Keelpijn "))).to_have_count(1)
    expect(complaints.filter(has_text="Brandwond")).to_have_count(0)  # filtered out
    ui.submit(page.get_by_role("link", name=re.compile("^Keelpijn")))
    assert "keelpijn" not in page.url.lower()  # an opaque id, not the complaint's name

    steps = labels_to(practice, "U4")
    expect(page.get_by_text("Vraag 1", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Vorige vraag")).to_have_count(0)
    choose(page, *steps[0])
    ui.screenshot("selftriage-question-phone")  # with the chosen answer's dot
    ui.submit(page.get_by_role("button", name="Volgende"))
    for question, label in steps[1:3]:
        answer(ui, question, label)
    expect(page.get_by_text("Vraag 4", exact=True)).to_be_visible()
    expect(page.get_by_role("group", name=steps[3][0])).to_be_visible()
    ui.submit(page.get_by_role("button", name="Vorige vraag"))
    expect(page.get_by_text("Vraag 3", exact=True)).to_be_visible()
    for question, label in steps[2:-1]:
        answer(ui, question, label)
    assert not TriageSession.objects.exists()  # a step stores nothing, only the last answer
    answer(ui, *steps[-1])

    expect(
        page.get_by_role("heading", name="Maak een afspraak in de komende dagen", level=1)
    ).to_be_visible()
    expect(page.get_by_text(NOT_A_DIAGNOSIS)).to_be_visible()
    session = TriageSession.objects.get()
    assert session.patient == patient and session.urgency == "U4"
    assert session.channel == TriageChannel.PORTAL
    ui.screenshot("selftriage-outcome-u4-phone")

    ui.submit(page.get_by_role("link", name="Afspraak maken", exact=True))
    assert page.url.startswith(ui.base_url + reverse("agenda:book_start"))
    expect(page.get_by_text("Uit de zelftriage (Keelpijn)")).to_be_visible()
    expect(page.get_by_label("Waarvoor wilt u een afspraak?")).to_have_value("Keelpijn")
    hidden = page.locator("input[type=hidden][name=triage]")
    expect(hidden).to_have_value(str(session.public_id))


def test_a_yes_to_the_first_question_says_call_112_and_closes_booking(
    ui: UI, practice: Practice
) -> None:
    patient = portal_patient(practice, "Karim", "Bakker")
    page = ui.page
    log_in(ui, patient.user)

    ui.submit(nav(page, "Zelftriage"))
    ui.submit(page.get_by_role("link", name=re.compile("^Keelpijn")))
    question, label = labels_to(practice, "U1")[0]
    assert label == "Ja"
    answer(ui, question, label)

    expect(page.get_by_role("heading", name="Bel nu 112", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="Bel 112")).to_have_attribute("href", "tel:112")
    session = TriageSession.objects.get()
    assert session.urgency == "U1" and session.red_flag
    ui.screenshot("selftriage-outcome-u1-phone")

    ui.goto(reverse("agenda:book_start"))
    expect(page.get_by_role("heading", name="Bel de praktijk", level=1)).to_be_visible()
    expect(
        page.get_by_text("Uit uw zelftriage kwam kort geleden het advies om te bellen")
    ).to_be_visible()
    expect(page.get_by_label("Waarvoor wilt u een afspraak?")).to_have_count(0)


# --- the widget on the practice's own website ---------------------------------------------


def check_frame(frame: Frame) -> None:
    """axe-core inside the framed document (cross-origin: the host page cannot reach in)."""
    frame.wait_for_load_state("load")
    if not frame.evaluate("() => typeof window.axe !== 'undefined'"):
        frame.evaluate(AXE_PATH.read_text())
    result = frame.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})",
        AXE_TAGS,
    )
    violations = [f"{v['id']} ({v['impact']}): {v['help']}" for v in result["violations"]]
    assert not violations, f"axe-core violations in the widget at {frame.url}:\n" + "\n".join(
        violations
    )
    overflow = frame.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the widget at {frame.url} scrolls sideways by {overflow}px"


def submit_in_frame(frame: Frame, locator: Locator) -> None:
    """Click a control that loads a new page inside the widget's frame, then check it."""
    with frame.expect_navigation():
        locator.click()
    check_frame(frame)


def widget_screenshot(ui: UI, frame: Frame, name: str) -> None:
    """The host page from the top down to the end of the widget's content, at phone width.
    Not `ui.screenshot`: a full-page capture leaves the cross-origin frame blank, so the
    viewport is made as tall as what is to be seen for a moment instead."""
    page = ui.page
    page.evaluate("() => window.scrollTo(0, 0)")
    top = page.locator("iframe").evaluate("frame => frame.getBoundingClientRect().top")
    content = frame.evaluate("() => document.body.scrollHeight")
    page.set_viewport_size({"width": PHONE["width"], "height": int(top + content) + 16})
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
    page.set_viewport_size(PHONE)


def frame_height(page: Page) -> float:
    """What the embed script set as the iframe's height (px), 0 if nothing yet."""
    style = page.locator("iframe").evaluate("frame => frame.style.height")
    return float(style.removesuffix("px")) if style else 0.0


def serve_host_page(page: Page, script: str) -> None:
    def fulfil(route: Route) -> None:
        if route.request.url.rstrip("/") == HOST_SITE:
            route.fulfill(content_type="text/html", body=HOST_PAGE.format(script=script))
        else:
            route.fulfill(status=204)

    page.route(f"{HOST_SITE}/**", fulfil)


def open_widget(ui: UI) -> tuple[Frame, FrameLocator]:
    """The practice's own website with the one-line embed; the widget's frame once it has
    told the page its height."""
    page = ui.page
    script = ui.base_url + reverse("triage:widget_script", args=[SLUG])
    serve_host_page(page, script)
    # Only in the test is Spreekuur on this machine: a public site reaching a loopback
    # address asks the visitor first (Chromium's Local Network Access); grant that here.
    page.context.grant_permissions(["local-network-access"], origin=HOST_SITE)
    page.goto(HOST_SITE + "/")
    expect(page.locator("iframe")).to_have_attribute("title", f"{PRACTICE_NAME}: zelftriage")
    widget = page.frame_locator("iframe")
    expect(widget.get_by_role("heading", name="Moet ik naar de huisarts?")).to_be_visible()
    frame = next(f for f in page.frames if "/widget/" in f.url)
    assert frame.url == ui.base_url + reverse("triage:widget_index", args=[SLUG])
    assert page.context.cookies(ui.base_url) == []
    page.wait_for_function("() => parseFloat(document.querySelector('iframe').style.height) > 0")
    check_frame(frame)
    ui.check_page()  # the host page, with the frame (axe is in it now)
    return frame, widget


def test_a_visitor_of_the_practice_website_triages_in_the_widget_without_cookies(
    ui: UI, practice: Practice
) -> None:
    page = ui.page
    frame, widget = open_widget(ui)
    # The frame grew from the script's minimum (32rem) to the whole list of complaints,
    # told by the postMessage from inside: no scroll bar inside the page's scroll bar.
    listed = frame.evaluate("() => document.documentElement.scrollHeight")
    page.wait_for_function(
        "(h) => parseFloat(document.querySelector('iframe').style.height) === h", arg=listed
    )
    assert frame_height(page) == listed > MIN_FRAME_HEIGHT
    box = page.locator("iframe").bounding_box()
    assert box is not None and abs(box["height"] - listed) <= 1

    submit_in_frame(frame, widget.get_by_role("link", name=re.compile("^Keelpijn")))
    widget_screenshot(ui, frame, "selftriage-widget-question-phone")
    for question, label in labels_to(practice, "U5"):
        choose(frame, question, label)
        submit_in_frame(frame, widget.get_by_role("button", name="Volgende"))

    expect(widget.get_by_role("heading", name="U kunt dit zelf aanpakken")).to_be_visible()
    expect(widget.get_by_text(NOT_A_DIAGNOSIS)).to_be_visible()
    thuisarts = widget.get_by_role("link", name=re.compile("^Lees meer op Thuisarts.nl"))
    expect(thuisarts).to_have_attribute("href", "https://www.thuisarts.nl/keelpijn")
    session = TriageSession.objects.get()
    assert session.channel == TriageChannel.WIDGET and session.urgency == "U5"
    assert session.patient is None and session.started_by is None
    econsult = widget.get_by_role("link", name="Toch een vraag? Stuur een e-consult")
    expect(econsult).to_have_attribute("target", "_blank")  # the portal, not in the frame
    expect(econsult).to_have_attribute(
        "href", reverse("econsult:ask") + f"?triage={session.public_id}"
    )
    widget_screenshot(ui, frame, "selftriage-widget-outcome-phone")

    # No cookie for Spreekuur's address; none at all in the walk.
    assert page.context.cookies(ui.base_url) == []
    assert page.context.cookies() == []

    # The same outcome opened on its own, checked as every other page.
    ui.goto(reverse("triage:widget_outcome", args=[SLUG, session.public_id]))
    expect(page.get_by_role("heading", name="U kunt dit zelf aanpakken")).to_be_visible()


def test_the_widget_frame_shrinks_to_a_shorter_page(ui: UI, practice: Practice) -> None:
    page = ui.page
    frame, widget = open_widget(ui)
    listed = frame_height(page)
    submit_in_frame(frame, widget.get_by_role("link", name=re.compile("^Keelpijn")))
    # What the visitor sees right after picking the complaint: they tapped it far down the
    # list, the page stays scrolled there, and there is only empty frame.
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "selftriage-widget-after-picking-phone.png"))
    content = frame.evaluate("() => document.body.scrollHeight")
    assert content < listed  # one question is much shorter than the list of complaints
    with contextlib.suppress(PlaywrightTimeoutError):  # the assert below says what it is
        page.wait_for_function(
            "(h) => parseFloat(document.querySelector('iframe').style.height) <= h + 1",
            arg=content,
            timeout=3_000,
        )
    assert frame_height(page) <= content + 1, (
        f"the frame stays {frame_height(page)}px tall around {content}px of question"
    )


# --- the practice page --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hours", "heading"),
    [
        (open_around_the_clock, "Bel nu de spoedlijn van de praktijk"),
        (closed_all_week, "Bel nu de huisartsenpost"),
    ],
    ids=["open", "closed"],
)
def test_a_visitor_of_the_practice_page_is_told_whom_to_call_now(
    ui: UI, practice: Practice, hours: Callable[[Practice], None], heading: str
) -> None:
    hours(practice)
    page = ui.page
    ui.goto(reverse("triage:public_index", args=[SLUG]))
    ui.submit(page.get_by_role("link", name=re.compile("^Keelpijn")))
    walk_to(ui, practice, "U2")

    stop = page.get_by_role("alert")
    expect(stop.get_by_role("heading", name=heading, level=1)).to_be_visible()
    number = practice.phone_urgent if "spoedlijn" in heading else practice.hap_phone
    expect(stop.get_by_role("link", name=re.compile(re.escape(number)))).to_have_attribute(
        "href", re.compile("^tel:")
    )
    session = TriageSession.objects.get()
    assert session.channel == TriageChannel.WEBSITE and session.urgency == "U2"
    ui.screenshot(f"selftriage-public-u2-{'open' if 'spoedlijn' in heading else 'closed'}-phone")


# --- the practice's settings and figures ---------------------------------------------------

OWN_ADVICE = "Praktijk De Wilg: zuig op een ijsblokje, drink thee met honing en rust uit."


def test_the_manager_rewords_advice_tries_an_own_complaint_and_reads_the_figures(
    ui: UI, practice: Practice
) -> None:
    manager = MembershipFactory(
        practice=practice, role=StaffRole.PRAKTIJKMANAGER, user__full_name="Ruud Hendriks"
    ).user
    for urgency in ("U5", "U5", "U4", "U2"):
        triaged(practice, urgency)
    page = ui.page
    log_in(ui, manager)

    ui.submit(nav(page, "Triage-instellingen"))
    expect(page.get_by_role("heading", name="Triage-instellingen", level=1)).to_be_visible()
    complaints = page.get_by_role("table", name="Klachten voor zelftriage")
    row = complaints.get_by_role("row").filter(
        has=page.get_by_role("rowheader", name="Keelpijn", exact=True)
    )
    expect(row).to_contain_text("landelijk v1")
    script = page.get_by_label("Met een script (past de hoogte vanzelf aan)")
    expect(script).to_have_value(
        f'<script src="{ui.base_url}/widget/{SLUG}/zelftriage.js" async></script>'
    )
    expect(page.get_by_label("Zonder script (een iframe)")).to_have_value(
        re.compile(re.escape(f'<iframe src="{ui.base_url}/widget/{SLUG}/zelftriage/"'))
    )
    ui.screenshot("selftriage-settings-phone")
    page.set_viewport_size(WIDE)
    ui.check_page()
    ui.screenshot("selftriage-settings-wide")
    page.set_viewport_size(PHONE)

    # The visually hidden ": Keelpijn" is a box of its own, so the name has a space in it.
    ui.submit(row.get_by_role("link", name=re.compile(r"^adviesteksten\s*: Keelpijn$")))
    expect(page.get_by_role("heading", name="Adviesteksten: Keelpijn", level=1)).to_be_visible()
    advice = page.get_by_label("Advies bij U5 (zelfzorg)")
    expect(advice).to_have_value(re.compile("^Keelpijn gaat meestal binnen een week"))
    advice.fill(OWN_ADVICE)
    ui.screenshot("selftriage-edit-texts-phone")
    ui.submit(page.get_by_role("button", name="Opslaan"))
    expect(page.get_by_text("De adviesteksten zijn opgeslagen.")).to_be_visible()
    expect(row).to_contain_text("eigen teksten v1")
    assert ComplaintFlow.objects.filter(practice=practice, code="keelpijn").exists()

    ui.submit(page.get_by_role("link", name="Eigen klacht toevoegen"))
    document = page.get_by_label("Klachtschema (JSON)")
    expect(document).to_have_value(re.compile('"praktijk-voorbeeld"'))
    document.fill("{niet: json")
    ui.submit(page.get_by_role("button", name="Controleren en opslaan"))
    expect(page.get_by_text("Dit is geen geldige JSON.")).to_be_visible()
    assert not ComplaintFlow.objects.filter(practice=practice).exclude(code="keelpijn").exists()
    ui.screenshot("selftriage-add-flow-error-phone")

    ui.submit(nav(page, "Triage-cijfers"))
    expect(page.get_by_role("heading", name="Triage-cijfers", level=1)).to_be_visible()
    expect(page.get_by_text(re.compile(r"4 zelftriages\."))).to_be_visible()
    expect(page.get_by_text(re.compile(r"2 eindigden in zelfzorg \(50[.,]0%\)"))).to_be_visible()
    figures = page.get_by_role("table", name="Zelftriages per klacht en urgentie")
    keelpijn = figures.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Keelpijn"))
    expect(keelpijn.get_by_role("cell")).to_have_text(["0", "0", "1", "0", "1", "2", "4"])
    ui.screenshot("selftriage-figures-phone")

    # What visitors of the practice page now read at self-care: the practice's own words.
    ui.submit(nav(page, "Triage-instellingen"))
    ui.submit(page.get_by_role("link", name="Zelftriage bekijken zoals bezoekers hem zien"))
    ui.submit(page.get_by_role("link", name=re.compile("^Keelpijn")))
    walk_to(ui, practice, "U5")
    expect(page.get_by_role("heading", name="U kunt dit zelf aanpakken", level=1)).to_be_visible()
    expect(page.get_by_text(OWN_ADVICE)).to_be_visible()
    ui.screenshot("selftriage-public-own-advice-phone")
