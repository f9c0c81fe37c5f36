from __future__ import annotations

import re

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from spreekuur.core.roles import StaffRole
from tests.browser.conftest import UI, totp_code
from tests.factories import (
    TOTP_KEY_HEX,
    MembershipFactory,
    PatientFactory,
    UserFactory,
)

pytestmark = pytest.mark.browser


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
    assert page.get_by_role("heading", name="Goedendag, Lisa").is_visible()
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
    ui.screenshot("setup-totp-phone")
    page.get_by_label("Code van 6 cijfers uit de app").fill(totp_code(device.bin_key))
    ui.submit(page.get_by_role("button", name="Koppelen"))
    codes = page.locator(".spreekuur-codes code").all_inner_texts()
    assert len(codes) == 10 and all(re.fullmatch(r"[a-z2-9]{10}", c) for c in codes)
    ui.submit(page.get_by_role("link", name="Ik heb ze bewaard, verder"))
    assert page.get_by_role("heading", name="Goedendag, Nieuwe").is_visible()


def test_password_reset_pages(ui: UI, transactional_db: None) -> None:
    page = ui.goto("/account/inloggen/")
    ui.submit(page.get_by_role("link", name="Wachtwoord vergeten"))
    page.get_by_label("E-mailadres").fill("niemand@test.example")
    ui.submit(page.get_by_role("button", name="Link versturen"))
    assert page.get_by_role("heading", name="Kijk in uw e-mail").is_visible()
