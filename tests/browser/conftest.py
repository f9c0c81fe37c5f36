"""Browser harness: the app served by pytest-django's live server, Debian's Chromium driven
by Playwright, and axe-core (from npm) run on every page a test visits.

A test navigates with `ui.goto(path)` or `ui.submit(locator)`; each runs axe on the page it
lands on and fails on any violation. At the end the harness checks that no page was
visited without an axe run, and that the browser logged no errors (a CSP refusal shows
up there too, and so does an uncaught script error). Each page check and the end of a test
first wait for htmx to finish any request, swap and settle, so a refusal caused by a swap,
also one late in a test, is caught. A test that expects an error (a 403 page) asserts and
clears it.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import Browser, Locator, Page, sync_playwright

from tests.factories import TEST_PASSWORD, TOTP_KEY_HEX


def totp_code(key: bytes) -> str:
    return f"{TOTP(key).token():06d}"


AXE_PATH = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
PHONE = {"width": 360, "height": 740}
# htmx marks an element while it requests, swaps and settles; none marked means it is idle.
HTMX_IDLE = (
    "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')"
)
NEXT_FRAME = "() => new Promise((done) => requestAnimationFrame(() => setTimeout(done, 0)))"


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.fail("Chromium is not installed: apt-get install -y chromium (see .ci/run)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@dataclass
class UI:
    page: Page
    base_url: str
    visited: list[str] = field(default_factory=list)
    checked: set[str] = field(default_factory=set)
    console_errors: list[str] = field(default_factory=list)
    scripts: bool = True  # False in a context without JavaScript: nothing to settle then

    def goto(self, path: str) -> Page:
        self.page.goto(self.base_url + path)
        self.check_page()
        return self.page

    def submit(self, locator: Locator) -> Page:
        """Click a control that loads a new page, wait for it, and check it."""
        self.reveal(locator)
        with self.page.expect_navigation():
            locator.click()
        self.check_page()
        return self.page

    def reveal(self, locator: Locator) -> None:
        """A link or button in the main menu while that is closed (a phone): open the menu
        with its button first, as a person would."""
        toggle = self.page.locator("details.spreekuur-menu:not([open]) > summary")
        # A role locator finds nothing inside a closed disclosure; nothing found means "open it".
        if toggle.count() and toggle.is_visible() and not locator.count():
            toggle.click()

    def check_page(self) -> None:
        self.page.wait_for_load_state("load")
        url = self.page.url
        if not self.scripts:
            # Without JavaScript axe cannot run (its timers never fire); the same pages are
            # checked with JavaScript on in the other tests. The width still counts.
            self.check_width(url)
            self.checked.add(url.split("#")[0])
            return
        if not self.page.evaluate("() => typeof window.axe !== 'undefined'"):
            self.page.evaluate(AXE_PATH.read_text())
        result = self.page.evaluate(
            "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})",
            AXE_TAGS,
        )
        violations = [
            f"{v['id']} ({v['impact']}): {v['help']} — "
            + "; ".join(node["target"][0] for node in v["nodes"][:3])
            for v in result["violations"]
        ]
        assert not violations, f"axe-core violations on {url}:\n" + "\n".join(violations)
        self.check_width(url)
        self.checked.add(url.split("#")[0])
        self.settle()  # what this page's swaps logged is in console_errors before we go on

    def check_width(self, url: str) -> None:
        overflow = self.page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{url} scrolls sideways by {overflow}px at this width"

    def settle(self) -> None:
        """Wait until htmx has no request, swap or settle under way, then let the browser's
        messages about it (a CSP refusal, a script error) arrive here."""
        if not self.scripts:
            return  # no htmx, and no frame callbacks to wait for
        self.page.wait_for_function(HTMX_IDLE)
        self.page.evaluate(NEXT_FRAME)

    def log_in(self, email: str, password: str = TEST_PASSWORD) -> None:
        """The password step of the login page."""
        page = self.goto("/account/inloggen/")
        page.get_by_label("E-mailadres").fill(email)
        page.get_by_label("Wachtwoord").fill(password)
        self.submit(page.get_by_role("button", name="Inloggen"))

    def verify(self, key_hex: str = TOTP_KEY_HEX) -> None:
        """The second step with the factory users' authenticator."""
        self.page.get_by_label("Code uit uw authenticator-app of een herstelcode").fill(
            totp_code(bytes.fromhex(key_hex))
        )
        self.submit(self.page.get_by_role("button", name="Bevestigen"))

    def screenshot(self, name: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.fixture
def ui(browser: Browser, live_server: object) -> Iterator[UI]:
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
    # An uncaught script error is no console message: it counts all the same.
    page.on("pageerror", lambda error: harness.console_errors.append(f"page error: {error}"))
    yield harness
    if not page.is_closed():
        harness.settle()  # a swap still under way may yet log an error (a CSP refusal)
    context.close()
    unchecked = [url for url in harness.visited if url not in harness.checked]
    assert not unchecked, f"pages visited without an axe-core run: {unchecked}"
    assert not harness.console_errors, f"browser console errors: {harness.console_errors}"
