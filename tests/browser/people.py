"""The people of the browser tests: a patient with a portal login, a staff member, and
logging either in through the real login page (password, then the authenticator code);
and how staff pages are walked (the menu, both widths, a refusal)."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, ViewportSize, expect

from spreekuur.accounts.models import User
from spreekuur.core.models import Practice
from spreekuur.patients.models import Patient
from tests.browser.conftest import UI
from tests.factories import MembershipFactory, PatientFactory, UserFactory


def portal_patient(practice: Practice, given: str, family: str, **extra: object) -> Patient:
    return PatientFactory(
        practice=practice,
        given_name=given,
        family_name=family,
        user=UserFactory(full_name=f"{given} {family}"),
        **extra,
    )


def staff(practice: Practice, role: str, name: str) -> User:
    return MembershipFactory(practice=practice, role=role, user__full_name=name).user


def log_in(ui: UI, user: User | None) -> None:
    assert user is not None
    ui.log_in(user.email)
    ui.verify()


# --- pages as staff walk them ------------------------------------------------------------

WIDE: ViewportSize = {"width": 1280, "height": 900}
PHONE: ViewportSize = {"width": 360, "height": 740}
FORBIDDEN = "Failed to load resource: the server responded with a status of 403 (Forbidden)"


def nav(page: Page, name: str) -> Locator:
    """A link of the main menu by the start of its name (a badge may follow: "3 nieuw")."""
    return page.get_by_role("navigation", name="Hoofdmenu").get_by_role(
        "link", name=re.compile(rf"^{re.escape(name)}")
    )


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


def expect_forbidden(ui: UI) -> None:
    expect(ui.page.get_by_role("heading", level=1)).to_have_text("Geen toegang")
    # Chromium logs the 403 of the page itself as a console error: that one is expected.
    assert ui.console_errors == [FORBIDDEN]
    ui.console_errors.clear()
