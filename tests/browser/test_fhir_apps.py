"""Apps in a real browser: the practice manager registers a personal health app and sees
its client id once; the patient, sent by the app to the consent screen, logs in, sees
what the app wants and for whom, says yes, and later finds and disconnects it under
Apps. A parent and a gemachtigde connect an app for the one they act for, and the token
names that patient; saying no sends the app access_denied and connects nothing; the
manager changes a system's scopes, renews its secret and switches it off and on; staff
are refused the consent screen. Every page is checked with axe-core, at 360 px and at
1280 px. The walks found four bugs, now fixed, each kept as the rule its test names: the
consent screen's security policy blocked the way back to an app on its own origin, a
parent could not say no without choosing a person, a reload renewed a secret again, and
a list lost the space after its bullets."""

from __future__ import annotations

import base64
import contextlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from spreekuur.accounts.models import User
from spreekuur.core.models import Practice
from spreekuur.core.roles import StaffRole
from spreekuur.fhir.models import AppKind, Connection, FhirApp
from spreekuur.fhir.services import register_app
from spreekuur.patients.models import Patient, Representation, RepresentationKind
from tests.browser.conftest import TEST_PASSWORD, UI
from tests.browser.people import (
    FORBIDDEN,
    PHONE,
    both_widths,
    expect_forbidden,
    log_in,
    nav,
    portal_patient,
    staff,
)
from tests.factories import PatientFactory, PracticeFactory, UserFactory
from tests.fhir.conftest import (
    PATIENT_SCOPES,
    REDIRECT,
    Registered,
    api,
    authorize_params,
    patient_app,
    patient_token,
    pkce,
    system_app,
    system_token,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def practice(transactional_db: None) -> Practice:
    return PracticeFactory(slug="de-linde", name="Huisartsenpraktijk De Linde")


BAD_REQUEST = "Failed to load resource: the server responded with a status of 400 (Bad Request)"


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


# --- The app's side of the redirect, and the token endpoint ------------------------------------

# Where the app gets the browser back: a public page of the test server on the same
# origin, so the landing page is a real one (axe checks it) and its address carries the
# answer. Playwright's page.route does not see a redirect's target, so a made-up host
# (pgo.example) could not be answered. The test at the end goes back to another origin.
CALLBACK_PATH = "/p/de-linde/"


def _callback(ui: UI) -> str:
    return ui.base_url + CALLBACK_PATH


def _elsewhere(ui: UI) -> str:
    """The same page on another origin (127.0.0.1 for localhost): an app's own site, as
    the documented loopback app http://127.0.0.1:8765/callback or any https PGO is."""
    parts = urlsplit(ui.base_url)
    assert parts.hostname == "localhost", parts  # pytest-django's live server
    return f"{parts.scheme}://127.0.0.1:{parts.port}{CALLBACK_PATH}"


def _answer(ui: UI, redirect: str) -> dict[str, list[str]]:
    """What the app was told: the query of the page the browser came back to."""
    assert ui.page.url.startswith(f"{redirect}?"), ui.page.url
    return parse_qs(urlsplit(ui.page.url).query)


def _pgo(practice: Practice, redirect: str) -> Registered:
    """A public patient app, registered as the manager's form or the console would."""
    app, secret = register_app(
        practice=practice,
        kind=AppKind.PATIENT_APP,
        name="Mijn PGO",
        vendor="PGO BV",
        allowed_scopes=PATIENT_SCOPES.split(),
        redirect_uris=[redirect],
        by=None,
    )
    return Registered(app, app.application.client_id, secret)


def _authorize_url(registered: Registered, challenge: str, redirect: str) -> str:
    params = authorize_params(
        registered, PATIENT_SCOPES, challenge, aud=settings.FHIR_BASE_URL, redirect_uri=redirect
    )
    return f"/oauth/authorize/?{urlencode(params)}"


def _exchange(registered: Registered, code: str, verifier: str, redirect: str) -> Any:
    """The app's token request for the code (the test client's answer, with .json())."""
    return Client().post(
        "/oauth/token/",
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect,
            "client_id": registered.client_id,
            "code_verifier": verifier,
        },
    )


def _log_in_here(ui: UI, user: User | None) -> None:
    """The login page the browser was sent to (its `next` kept): password, then the code."""
    assert user is not None
    page = ui.page
    expect(page).to_have_url(re.compile("/account/inloggen/"))
    page.get_by_label("E-mailadres").fill(user.email)
    page.get_by_label("Wachtwoord").fill(TEST_PASSWORD)
    ui.submit(page.get_by_role("button", name="Inloggen"))
    ui.verify()


def _walk_both_widths(ui: UI, name: str) -> None:
    """axe at 360 px and 1280 px with screenshots, and nothing wider than the phone."""
    both_widths(ui, name)  # ends at the phone width
    assert ui.page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]


def _basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def _client_credentials(client_id: str, secret: str, scope: str) -> Any:
    """A system's token request with its secret (the test client's answer, with .json())."""
    return Client().post(
        "/oauth/token/",
        {"grant_type": "client_credentials", "scope": scope},
        HTTP_AUTHORIZATION=_basic(client_id, secret),
    )


def _born_years_ago(years: int) -> date:
    today = timezone.localdate()
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


@dataclass
class Family:
    """Someone who connects an app for another: who logs in, for whom, and whether they
    have a record of their own at the practice (then the consent screen offers both)."""

    user: User
    patient: Patient  # the one the app is connected for
    own_record: bool


def _patient_herself(practice: Practice) -> Family:
    patient = portal_patient(practice, "Sanne", "Visser")
    assert patient.user is not None
    return Family(patient.user, patient, own_record=True)


def _parent_of_a_child(practice: Practice) -> Family:
    parent = portal_patient(practice, "Marieke", "Visser")
    child = PatientFactory(
        practice=practice, given_name="Sem", family_name="Visser", date_of_birth=_born_years_ago(9)
    )
    assert parent.user is not None
    Representation.objects.create(
        practice=practice,
        patient=child,
        representative=parent.user,
        kind=RepresentationKind.PARENT,
        valid_from=timezone.localdate() - timedelta(days=30),
        recorded_by=staff(practice, StaffRole.ASSISTENT, "Assistent Smit"),
    )
    return Family(parent.user, child, own_record=True)


def _gemachtigde_of_an_elder(practice: Practice) -> Family:
    elder = PatientFactory(
        practice=practice, given_name="Truus", family_name="Bakker", date_of_birth=date(1941, 3, 9)
    )
    daughter = UserFactory(full_name="Anja Bakker")  # no record of her own here
    Representation.objects.create(
        practice=practice,
        patient=elder,
        representative=daughter,
        kind=RepresentationKind.GEMACHTIGDE,
        valid_from=timezone.localdate() - timedelta(days=30),
        valid_until=timezone.localdate() + timedelta(days=300),
        recorded_by=staff(practice, StaffRole.ASSISTENT, "Assistent Smit"),
    )
    return Family(daughter, elder, own_record=False)


# --- 1. A parent or gemachtigde connects an app for the one they act for ----------------------


@pytest.mark.parametrize(
    "family_of", [_parent_of_a_child, _gemachtigde_of_an_elder], ids=["parent", "gemachtigde"]
)
def test_a_representative_connects_an_app_for_the_one_they_act_for(
    ui: UI, practice: Practice, family_of: Callable[[Practice], Family]
) -> None:
    family = family_of(practice)
    redirect = _callback(ui)
    pgo = _pgo(practice, redirect)
    page = ui.page
    verifier, challenge = pkce()
    whom = family.patient.display_name

    ui.goto(_authorize_url(pgo, challenge, redirect))
    _log_in_here(ui, family.user)
    expect(page.get_by_role("heading", level=1)).to_have_text("Mijn PGO wil uw gegevens ophalen")
    choice = page.get_by_role("group", name="Voor wie koppelt u deze app?")
    expect(choice.get_by_role("radio")).to_have_count(2 if family.own_record else 1)
    if family.own_record:
        expect(choice.get_by_role("radio", name=re.compile("^Mijzelf"))).not_to_be_checked()
        choice.get_by_role("radio", name=whom, exact=True).check()
    else:  # the only one offered is chosen already
        expect(choice.get_by_role("radio", name=whom, exact=True)).to_be_checked()
    _walk_both_widths(ui, f"fhir-consent-{family.patient.given_name.lower()}")
    ui.submit(page.get_by_role("button", name="Toestaan"))

    answer = _answer(ui, redirect)
    assert answer["state"] == ["st8"]
    connection = Connection.objects.get(revoked_at__isnull=True)
    assert (connection.patient, connection.user) == (family.patient, family.user)

    exchanged = _exchange(pgo, answer["code"][0], verifier, redirect)
    assert exchanged.status_code == 200, exchanged.content
    token = exchanged.json()
    assert token["patient"] == str(family.patient.public_id)
    assert api(token["access_token"], f"Patient/{family.patient.public_id}").status_code == 200

    ui.goto("/mijn-apps/")
    expect(
        page.get_by_role("heading", name=re.compile(rf"^Mijn PGO\s+— voor {whom}$"), level=3)
    ).to_be_visible()
    expect(page.get_by_role("button", name=re.compile(r"^Ontkoppelen Mijn PGO$"))).to_be_visible()
    _walk_both_widths(ui, f"fhir-connections-{family.patient.given_name.lower()}")


BULLETS_WITHOUT_SPACE = (
    "On /mijn-apps/ the list of what an app may do keeps the space between its bullets and "
    "the text: the plain list's padding (.spreekuur-plainlist > li) must not reach the "
    "nested li.utrecht-unordered-list__item."
)


def test_the_connected_apps_list_keeps_the_space_after_its_bullets(
    ui: UI, practice: Practice
) -> None:
    sanne = _patient_herself(practice)
    patient_token(patient_app(practice, name="Mijn PGO"), sanne.user, sanne.patient)

    log_in(ui, sanne.user)
    ui.goto("/mijn-apps/")
    items = ui.page.locator(".spreekuur-connection li.utrecht-unordered-list__item")
    expect(items.first).to_be_visible()
    gaps = items.evaluate_all(
        "(items) => items.map((item) => parseFloat(getComputedStyle(item).paddingInlineStart))"
    )
    ui.screenshot("fhir-connections-bullets-phone")
    assert gaps and min(gaps) > 0, f"{BULLETS_WITHOUT_SPACE} ({gaps})"


# --- 2. Saying no ------------------------------------------------------------------------------


NO_NEEDS_A_CHOICE = (
    "'Weigeren' needs no choice of patient: with more than one person offered (a parent: "
    "themself and the child) and none chosen, saying no still sends access_denied."
)


@pytest.mark.parametrize(
    "family_of",
    [
        pytest.param(_patient_herself, id="patient"),
        pytest.param(_parent_of_a_child, id="parent"),
    ],
)
def test_saying_no_sends_access_denied_to_the_app_and_connects_nothing(
    ui: UI, practice: Practice, family_of: Callable[[Practice], Family]
) -> None:
    family = family_of(practice)
    redirect = _callback(ui)
    pgo = _pgo(practice, redirect)
    page = ui.page
    _verifier, challenge = pkce()

    ui.goto(_authorize_url(pgo, challenge, redirect))
    _log_in_here(ui, family.user)
    expect(page.get_by_role("heading", level=1)).to_have_text("Mijn PGO wil uw gegevens ophalen")
    with page.expect_response(lambda response: response.request.method == "POST") as posted:
        ui.submit(page.get_by_role("button", name="Weigeren"))
    assert posted.value.status == 302, NO_NEEDS_A_CHOICE

    answer = _answer(ui, redirect)
    assert answer["error"] == ["access_denied"] and answer["state"] == ["st8"]
    assert "code" not in answer
    assert not Connection.objects.exists()


# --- 3. The manager's page of one app --------------------------------------------------------


def test_the_manager_changes_scopes_renews_the_secret_and_switches_a_system_off_and_on(
    ui: UI, practice: Practice
) -> None:
    manager = staff(practice, StaffRole.PRAKTIJKMANAGER, "Ruud Hendriks")
    system = system_app(practice, scopes="system/Patient.rs", name="Agendakoppeling")
    assert system.secret is not None
    client_id = system.client_id
    token = system_token(system, "system/Patient.rs")["access_token"]
    refused = _client_credentials(client_id, system.secret, "system/Appointment.rs")
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_scope"
    page = ui.page

    log_in(ui, manager)
    ui.submit(nav(page, "Apps en koppelingen"))
    ui.submit(page.get_by_role("link", name="Agendakoppeling"))
    assert page.url.endswith(f"/beheer/apps/{system.app.public_id}/")
    expect(page.get_by_role("heading", name="Agendakoppeling", level=1)).to_be_visible()
    expect(page.get_by_text(client_id)).to_be_visible()
    expect(page.get_by_text("actief", exact=True)).to_be_visible()
    expect(page.get_by_label(re.compile("^Terugkeeradressen"))).to_have_count(0)  # a system
    _walk_both_widths(ui, "fhir-app-detail")

    # Scopes: one the server does not know is refused with the reason, then a good one.
    scopes = page.get_by_label("Toegestane scopes")
    scopes.fill("system/Patient.rs system/Onzin.rs")
    ui.submit(page.get_by_role("button", name="Opslaan"))
    expect(page.get_by_text(re.compile("Deze scopes kent de server niet"))).to_contain_text(
        "system/Onzin.rs"
    )
    assert ui.console_errors == [BAD_REQUEST]  # Chromium logs the 400 of the page itself
    ui.console_errors.clear()
    _walk_both_widths(ui, "fhir-app-detail-error")
    scopes.fill("system/Patient.rs system/Appointment.rs")
    ui.submit(page.get_by_role("button", name="Opslaan"))
    expect(page.get_by_text("De app is bijgewerkt.")).to_be_visible()
    expect(scopes).to_have_value("system/Patient.rs system/Appointment.rs")
    system.app.refresh_from_db()
    assert system.app.allowed_scopes == "system/Patient.rs system/Appointment.rs"
    assert _client_credentials(client_id, system.secret, "system/Appointment.rs").status_code == 200

    # A new secret: shown once, on an answer no one may keep; the old one stops at once.
    # The POST redirects (a reload cannot renew it again); the page it lands on shows it.
    with page.expect_response(
        lambda response: response.request.method == "GET" and "/beheer/apps/" in response.url
    ) as shown:
        ui.submit(page.get_by_role("button", name="Nieuw geheim"))
    assert shown.value.status == 200
    assert "no-store" in shown.value.headers["cache-control"]
    expect(page.get_by_role("heading", name="Gegevens voor de app", level=1)).to_be_visible()
    expect(page.get_by_text("Het geheim ziet u maar één keer.")).to_be_visible()
    secret = page.locator("dt:has-text('Geheim (client secret)') + dd code").inner_text().strip()
    assert secret and secret != system.secret
    _walk_both_widths(ui, "fhir-app-new-secret")
    old = _client_credentials(client_id, system.secret, "system/Patient.rs")
    assert old.status_code == 401 and old.json()["error"] == "invalid_client"
    assert _client_credentials(client_id, secret, "system/Patient.rs").status_code == 200
    ui.submit(page.get_by_role("link", name="Naar de app"))
    expect(page.get_by_role("heading", name="Agendakoppeling", level=1)).to_be_visible()
    assert page.get_by_text("Geheim (client secret)").count() == 0
    assert secret not in page.content()

    # Off: no sign-in with the secret, and the token it holds opens nothing; on again.
    ui.submit(page.get_by_role("button", name="Uitschakelen"))
    expect(page.get_by_text("De app is bijgewerkt.")).to_be_visible()
    expect(page.get_by_text("uit: de app kan niets ophalen")).to_be_visible()
    _walk_both_widths(ui, "fhir-app-off")
    switched_off = _client_credentials(client_id, secret, "system/Patient.rs")
    assert switched_off.status_code == 401 and switched_off.json()["error"] == "invalid_client"
    assert api(token, "Patient").status_code == 401
    ui.submit(page.get_by_role("button", name="Inschakelen"))
    expect(page.get_by_text("actief", exact=True)).to_be_visible()
    assert _client_credentials(client_id, secret, "system/Patient.rs").status_code == 200
    assert api(token, "Patient").status_code == 200


SECRET_RENEWED_ON_RELOAD = (
    "A reload of the page showing a new secret must not renew it again: the POST "
    "'Nieuw geheim' redirects, and the secret is shown once."
)


def test_reloading_the_new_secret_shows_no_secret_and_keeps_it_working(
    ui: UI, practice: Practice
) -> None:
    manager = staff(practice, StaffRole.PRAKTIJKMANAGER, "Ruud Hendriks")
    system = system_app(practice, scopes="system/Patient.rs", name="Agendakoppeling")
    page = ui.page

    log_in(ui, manager)
    ui.goto(f"/beheer/apps/{system.app.public_id}/")
    ui.submit(page.get_by_role("button", name="Nieuw geheim"))
    secret = page.locator("dt:has-text('Geheim (client secret)') + dd code").inner_text().strip()
    assert _client_credentials(system.client_id, secret, "system/Patient.rs").status_code == 200

    page.reload()
    ui.check_page()
    ui.screenshot("fhir-app-secret-reloaded-phone")
    shown = page.locator("dt:has-text('Geheim (client secret)') + dd code").all_inner_texts()
    still = _client_credentials(system.client_id, secret, "system/Patient.rs").status_code
    assert (still, shown) == (200, []), f"{SECRET_RENEWED_ON_RELOAD} ({still}, {shown})"


# --- 4. Staff cannot connect an app --------------------------------------------------------------


@pytest.mark.parametrize("role", StaffRole.values)
def test_staff_opening_an_authorize_url_get_a_dutch_refusal(
    ui: UI, practice: Practice, role: str
) -> None:
    member = staff(practice, role, "Kim de Boer")
    pgo = _pgo(practice, REDIRECT)
    page = ui.page
    _verifier, challenge = pkce()

    ui.goto(_authorize_url(pgo, challenge, REDIRECT))
    with page.expect_response(
        lambda response: urlsplit(response.url).path == "/oauth/authorize/"
    ) as refusal:
        _log_in_here(ui, member)
    assert refusal.value.status == 403
    assert page.evaluate("() => document.documentElement.lang") == "nl"
    expect(page).to_have_title(re.compile("^Alleen voor patiënten"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Alleen voor patiënten")
    expect(page.get_by_text(re.compile("Log in met uw patiëntaccount"))).to_be_visible()
    assert ui.console_errors == [FORBIDDEN]  # Chromium logs the 403 of the page itself
    ui.console_errors.clear()
    _walk_both_widths(ui, f"fhir-authorize-refused-{role}")
    assert not Connection.objects.exists()
    if role != StaffRole.PRAKTIJKMANAGER:  # nor may they see or change the app
        ui.goto(f"/beheer/apps/{pgo.app.public_id}/")
        expect_forbidden(ui)


# --- The app on its own site ----------------------------------------------------------------------

WATCH_CSP = """() => {
    window.refusedBy = new Promise((resolve) => document.addEventListener(
        "securitypolicyviolation", (event) => resolve(event.effectiveDirective)));
}"""
CSP_BLOCKS_THE_REDIRECT = (
    "The consent screen's CSP lets the form's answer redirect to the app's own registered "
    "origin (Chromium applies form-action to that redirect): the way back to every https "
    "PGO and the documented http://127.0.0.1:8765 loopback."
)


@pytest.mark.parametrize("button", ["Toestaan", "Weigeren"])
def test_the_answer_reaches_an_app_on_another_origin(
    ui: UI, practice: Practice, button: str
) -> None:
    sanne = _patient_herself(practice)
    redirect = _elsewhere(ui)
    pgo = _pgo(practice, redirect)
    page = ui.page
    _verifier, challenge = pkce()

    ui.goto(_authorize_url(pgo, challenge, redirect))
    _log_in_here(ui, sanne.user)
    # The page's own report of a refusal by its CSP: a promise the test can wait on
    # without a timeout, and after which Chromium's console message has arrived too.
    page.evaluate(WATCH_CSP)
    with contextlib.suppress(PlaywrightError):  # a blocked navigation may end the wait
        ui.submit(page.get_by_role("button", name=button))
    if not page.url.startswith(f"{redirect}?"):
        directive = page.evaluate("() => window.refusedBy")
        ui.settle()
        blocked = [error for error in ui.console_errors if "form-action" in error]
        for error in blocked:  # reported here, not by the harness at teardown
            ui.console_errors.remove(error)
        ui.screenshot(f"fhir-consent-blocked-{button.lower()}-phone")
        left = Connection.objects.filter(revoked_at__isnull=True).count()
        pytest.fail(
            f"{CSP_BLOCKS_THE_REDIRECT} The browser stayed on the consent screen "
            f"({directive}), {left} connection(s) "
            f"made all the same: {blocked}"
        )
    assert _answer(ui, redirect)["state"] == ["st8"]
