from __future__ import annotations

import re

import pytest
from django_otp_webauthn.models import WebAuthnCredential

from spreekuur.core.models import AuditEntry
from spreekuur.core.roles import StaffRole
from tests.browser.conftest import UI
from tests.factories import MembershipFactory

pytestmark = pytest.mark.browser


def test_staff_member_adds_a_passkey_and_logs_in_with_it(ui: UI, transactional_db: None) -> None:
    user = MembershipFactory(role=StaffRole.HUISARTS, user__full_name="Dokter Passkey").user
    page = ui.page
    # Chromium's virtual authenticator stands in for a fingerprint reader or security key.
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )
    ui.log_in(user.email)
    ui.verify()
    ui.submit(
        page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Beveiliging")
    )
    with page.expect_navigation():  # the page reloads to list the new passkey
        page.get_by_role("button", name="Passkey toevoegen").click()
    ui.check_page()
    assert page.get_by_text("Passkey toegevoegd op").is_visible()
    assert WebAuthnCredential.objects.filter(user=user, confirmed=True).count() == 1
    ui.screenshot("security-passkey-phone")

    ui.submit(page.get_by_role("button", name="Uitloggen"))
    ui.log_in(user.email)
    assert page.get_by_role("heading", name="Of met uw passkey").is_visible()
    with page.expect_navigation():
        page.get_by_role("button", name="Bevestigen met passkey").click()
    ui.check_page()
    assert page.get_by_role(
        "heading", name=re.compile(r"^Goede(morgen|middag|navond), dokter Passkey$")
    ).is_visible()
    assert AuditEntry.objects.filter(actor=user, action="login", detail="passkey").exists()
