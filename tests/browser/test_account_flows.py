"""The new account and login flows as people use them, in Chromium (axe-core on every page,
at phone and desk width): a GP confirming a colleague's role, and the owner logging in with
password and code after someone else's failures on their address."""

from __future__ import annotations

import re

import pytest
from django.conf import settings

from spreekuur.accounts.services import add_staff_member
from spreekuur.core.roles import StaffRole
from tests.browser.conftest import UI, totp_code
from tests.factories import TEST_PASSWORD, TOTP_KEY_HEX, MembershipFactory

pytestmark = pytest.mark.browser


def test_gp_confirms_a_new_colleagues_role(ui: UI, transactional_db: None) -> None:
    gp = MembershipFactory(role=StaffRole.HUISARTS, user__full_name="Anna de Vries")
    manager = MembershipFactory(practice=gp.practice, role=StaffRole.PRAKTIJKMANAGER)
    add_staff_member(
        practice=gp.practice,
        email="nieuwe.poh@praktijk.example",
        full_name="Sam Bakker",
        role=StaffRole.POH,
        by=manager.user,
        base_url=ui.base_url,
    )
    page = ui.page
    ui.log_in(gp.user.email)
    ui.verify()
    ui.submit(page.get_by_role("link", name="1 zorgrol wacht op uw bevestiging"))
    assert page.get_by_text("nieuwe.poh@praktijk.example").is_visible()
    for width, name in ((360, "role-requests-phone"), (1280, "role-requests-wide")):
        page.set_viewport_size({"width": width, "height": 900})
        ui.check_page()
        ui.screenshot(name)
    ui.submit(page.get_by_role("button", name=re.compile(r"^Bevestigen\W+Sam Bakker$")))
    assert page.get_by_text("Sam Bakker heeft de rol nu.").is_visible()
    assert page.get_by_text("Er wachten geen aanvragen.").is_visible()


def test_owner_logs_in_with_password_and_code_after_failures(
    ui: UI, transactional_db: None
) -> None:
    member = MembershipFactory(role=StaffRole.ASSISTENT, user__full_name="Lisa Visser")
    page = ui.page
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        ui.log_in(member.user.email, password="verkeerd-wachtwoord")
    ui.log_in(member.user.email)
    assert page.get_by_text("samen in").is_visible()
    for width, name in ((360, "login-with-code-phone"), (1280, "login-with-code-wide")):
        page.set_viewport_size({"width": width, "height": 900})
        ui.check_page()
        ui.screenshot(name)
    page.get_by_label("Wachtwoord").fill(TEST_PASSWORD)
    page.get_by_label("Code uit uw authenticator-app of een herstelcode").fill(
        totp_code(bytes.fromhex(TOTP_KEY_HEX))
    )
    ui.submit(page.get_by_role("button", name="Inloggen"))
    assert page.get_by_role("heading", name=re.compile(r"^Goede\w+, Lisa$")).is_visible()
