"""Apps in a real browser: the practice manager registers a personal health app and sees
its client id once; the patient, sent by the app to the consent screen, logs in, sees
what the app wants and for whom, says yes, and later finds and disconnects it under
Apps. Every page is checked with axe-core, at 360 px and at 1280 px."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.conf import settings
from playwright.sync_api import expect

from spreekuur.core.models import Practice
from spreekuur.core.roles import StaffRole
from spreekuur.fhir.models import Connection, FhirApp
from tests.browser.conftest import TEST_PASSWORD, UI
from tests.browser.people import both_widths, log_in, nav, portal_patient, staff
from tests.factories import PracticeFactory
from tests.fhir.conftest import pkce

pytestmark = pytest.mark.browser


@pytest.fixture
def practice(transactional_db: None) -> Practice:
    return PracticeFactory(slug="de-linde", name="Huisartsenpraktijk De Linde")


def test_the_manager_registers_an_app_and_the_patient_connects_and_disconnects_it(
    ui: UI, practice: Practice
) -> None:
    manager = staff(practice, StaffRole.PRAKTIJKMANAGER, "Ruud Hendriks")
    patient = portal_patient(practice, "Sanne", "Visser")
    page = ui.page
    # Any page of ours stands in for the app: the code arrives in its query.
    callback = f"{ui.base_url}/p/de-linde/"

    log_in(ui, manager)
    ui.submit(nav(page, "Apps en koppelingen"))
    expect(page.get_by_role("heading", name="Apps en koppelingen", level=1)).to_be_visible()
    both_widths(ui, "fhir-apps")
    page.get_by_label("App voor patiënten (PGO)").check()
    page.get_by_label("Naam").fill("Mijn Gezondheid")
    page.get_by_label(re.compile("^Leverancier")).fill("Gezond BV")
    page.get_by_label(re.compile("^Terugkeeradressen")).fill(callback)
    page.get_by_label("Toegestane scopes").fill("launch/patient openid fhirUser patient/*.rs")
    ui.submit(page.get_by_role("button", name="Aanmelden"))
    expect(page.get_by_role("heading", name="Gegevens voor de app", level=1)).to_be_visible()
    app = FhirApp.objects.get(name="Mijn Gezondheid")
    expect(page.get_by_text(app.application.client_id)).to_be_visible()
    both_widths(ui, "fhir-app-credentials")
    page.context.clear_cookies()  # the manager leaves; the patient comes

    # The app sends the patient to the consent screen; the login comes first.
    _verifier, challenge = pkce()
    query = urlencode(
        {
            "response_type": "code",
            "client_id": app.application.client_id,
            "redirect_uri": callback,
            "scope": "launch/patient patient/*.rs",
            "state": "s1",
            "aud": settings.FHIR_BASE_URL,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    ui.goto(f"/oauth/authorize/?{query}")
    expect(page).to_have_url(re.compile("/account/inloggen/"))
    page.get_by_label("E-mailadres").fill(patient.user.email)
    page.get_by_label("Wachtwoord").fill(TEST_PASSWORD)
    ui.submit(page.get_by_role("button", name="Inloggen"))
    ui.verify()  # back at the consent screen after the second factor
    expect(page.get_by_role("heading", level=1)).to_contain_text("Mijn Gezondheid")
    expect(page.get_by_text("uw hele dossier: inzien, zoeken")).to_be_visible()
    expect(page.get_by_label(re.compile("Mijzelf"))).to_be_checked()
    both_widths(ui, "fhir-consent")
    ui.submit(page.get_by_role("button", name="Toestaan"))
    answer = parse_qs(urlsplit(page.url).query)
    assert answer["state"] == ["s1"] and answer["code"]
    assert Connection.objects.filter(patient=patient, revoked_at__isnull=True).count() == 1

    # Under Apps: the connection, and disconnecting it.
    ui.goto("/mijn-apps/")
    expect(page.get_by_role("heading", name="Mijn Gezondheid", level=3)).to_be_visible()
    both_widths(ui, "fhir-connections")
    ui.submit(page.get_by_role("button", name=re.compile("Ontkoppelen")))
    expect(page.get_by_text("Mijn Gezondheid is ontkoppeld")).to_be_visible()
    expect(page.get_by_role("heading", name="Eerder gekoppeld")).to_be_visible()
    assert Connection.objects.get(patient=patient).revoked_at is not None
    both_widths(ui, "fhir-connections-ended")
