from __future__ import annotations

import re

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page

from spreekuur.core.roles import StaffRole
from tests.browser.conftest import UI, totp_code
from tests.factories import (
    TOTP_KEY_HEX,
    MembershipFactory,
    PatientFactory,
    UserFactory,
)

pytestmark = pytest.mark.browser


def open_menu(page: Page) -> None:
    """On a phone the main menu is a disclosure behind a "Menu" button: open it."""
    toggle = page.locator("summary.spreekuur-menu__toggle")
    if (
        toggle.count()
        and toggle.is_visible()
        and not page.locator("details.spreekuur-menu[open]").count()
    ):
        toggle.click()


def qr_code_is_whole(page: Page, *, smallest: float) -> None:
    """The QR code as the browser lays it out: a square box of at least `smallest` px,
    its drawing (every module, quiet zone included) inside the viewBox, and the viewBox
    scaled to the box, so nothing is cut off (issue 15: one finder square showed)."""
    geometry = page.evaluate(
        """() => {
            const svg = document.querySelector("figure.spreekuur-qr svg");
            const box = svg.getBoundingClientRect();
            const view = svg.viewBox.baseVal;
            const drawn = [...svg.querySelectorAll("path")].map((p) => {
                const b = p.getBBox({stroke: true});
                return [b.x, b.y, b.x + b.width, b.y + b.height];
            });
            const client = document.documentElement.clientWidth;
            return {box: [box.left, box.top, box.width, box.height], client,
                    view: view ? [view.x, view.y, view.width, view.height] : null, drawn};
        }"""
    )
    left, _top, width, height = geometry["box"]
    assert geometry["view"] and geometry["view"][2] > 0, "no viewBox"
    vx, vy, vw, vh = geometry["view"]
    assert abs(width - height) < 1 and width >= smallest, geometry["box"]
    assert abs(vw - vh) < 1e-6 and left >= 0 and left + width <= geometry["client"]
    for x1, y1, x2, y2 in geometry["drawn"]:
        assert vx - 1e-6 <= x1 and x2 <= vx + vw + 1e-6, (x1, x2, geometry["view"])
        assert vy - 1e-6 <= y1 and y2 <= vy + vh + 1e-6, (y1, y2, geometry["view"])


def key_blocks_stay_whole(page: Page) -> None:
    """Each block of four of the key sits on one line (a line may break between blocks)."""
    lines_per_block = page.locator(".spreekuur-secret__group").evaluate_all(
        "(blocks) => blocks.map((b) => b.getClientRects().length)"
    )
    assert lines_per_block and set(lines_per_block) == {1}, lines_per_block


def test_staff_login_with_totp_reaches_todays_work(ui: UI, transactional_db: None) -> None:
    membership = MembershipFactory(role=StaffRole.ASSISTENT, user__full_name="Lisa Visser")
    PatientFactory(practice=membership.practice)
    page = ui.page
    ui.log_in(membership.user.email, password="verkeerd-wachtwoord")
    assert page.get_by_role("alert").inner_text().startswith("Dit e-mailadres en wachtwoord")

    ui.log_in(membership.user.email)
    assert "/account/tweede-stap/" in page.url
    page.get_by_label("Code uit uw authenticator-app of een herstelcode").fill("000000")
    ui.submit(page.get_by_role("button", name="Bevestigen"))
    assert page.get_by_text("Deze code klopt niet").is_visible()
    ui.screenshot("verify-error-phone")
    page.wait_for_timeout(1100)  # django-otp's back-off after a wrong code
    page.get_by_label("Code uit uw authenticator-app of een herstelcode").fill(
        totp_code(bytes.fromhex(TOTP_KEY_HEX))
    )
    ui.submit(page.get_by_role("button", name="Bevestigen"))
    assert page.get_by_role("heading", name=re.compile(r"^Goede\w+, Lisa$")).is_visible()
    open_menu(page)
    assert (
        page.get_by_role("navigation", name="Hoofdmenu")
        .get_by_role("link", name="Patiënten")
        .is_visible()
    )
    ui.screenshot("staff-start-phone")
    ui.submit(
        page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Beveiliging")
    )
    assert page.get_by_role("button", name="Nieuwe herstelcodes maken").is_visible()

    open_menu(page)
    ui.submit(page.get_by_role("button", name="Uitloggen"))
    assert page.get_by_text("U bent uitgelogd.").is_visible()
    ui.goto("/start/")
    assert "/account/inloggen/" in page.url


def test_first_login_links_authenticator_and_shows_recovery_codes(
    ui: UI, transactional_db: None
) -> None:
    user = UserFactory(totp=False, full_name="Nieuwe Huisarts")
    MembershipFactory(user=user, role=StaffRole.HUISARTS)
    page = ui.page
    ui.log_in(user.email)
    assert "/tweede-stap/instellen/" in page.url
    assert page.locator("figure svg").is_visible()
    secret = page.locator("code.spreekuur-secret").inner_text().replace(" ", "")
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    import base64

    assert base64.b32decode(secret + "=" * (-len(secret) % 8)) == device.bin_key
    link = page.get_by_role("link", name="Open de sleutel in uw authenticator-app")
    assert link.get_attribute("href") == device.config_url
    for width, name, smallest in ((360, "setup-totp-phone", 200), (1280, "setup-totp-wide", 230)):
        page.set_viewport_size({"width": width, "height": 900})
        ui.check_page()
        qr_code_is_whole(page, smallest=smallest)
        key_blocks_stay_whole(page)
        ui.screenshot(name)
    page.get_by_label("Code van 6 cijfers uit de app").fill(totp_code(device.bin_key))
    ui.submit(page.get_by_role("button", name="Koppelen"))
    codes = page.locator(".spreekuur-codes code").all_inner_texts()
    assert len(codes) == 10 and all(re.fullmatch(r"[a-z2-9]{10}", c) for c in codes)
    ui.submit(page.get_by_role("link", name="Ik heb ze bewaard, verder"))
    assert page.get_by_role(
        "heading", name=re.compile(r"^Goede\w+, (Nieuwe|dokter Huisarts)$")
    ).is_visible()


def test_password_reset_pages(ui: UI, transactional_db: None) -> None:
    page = ui.goto("/account/inloggen/")
    ui.submit(page.get_by_role("link", name="Wachtwoord vergeten"))
    page.get_by_label("E-mailadres").fill("niemand@test.example")
    ui.submit(page.get_by_role("button", name="Link versturen"))
    assert page.get_by_role("heading", name="Kijk in uw e-mail").is_visible()
