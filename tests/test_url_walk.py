"""Every URL of the project, walked: nothing behind the login opens without a session,
nothing but the login's own steps opens before the second factor, and no POST passes
without a CSRF token but the declared machine doors. A new URL is covered automatically."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.views.csrf import csrf_failure

from tests.conftest import Cast, verified_client
from tests.factories import TEST_PASSWORD

SAMPLE_KWARGS = {"uuid": str(uuid.uuid4()), "slug": "praktijk-a", "str": "x", "int": "1"}


def _patterns(
    resolvers: list, prefix: str = "", namespace: str = ""
) -> Iterator[tuple[str, object, str]]:
    for entry in resolvers:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _patterns(entry.url_patterns, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.callback, f"{namespace}{entry.name}"


def _sample_path(route: str) -> str:
    path = route
    for converter, value in SAMPLE_KWARGS.items():
        while f"<{converter}:" in path:
            start = path.index(f"<{converter}:")
            path = path[:start] + value + path[path.index(">", start) + 1 :]
    while "<" in path:  # untyped <name> segments
        start = path.index("<")
        path = path[:start] + "x" + path[path.index(">", start) + 1 :]
    return "/" + path.lstrip("^").rstrip("$")


def _routes() -> list[tuple[str, object, str]]:
    return [
        (_sample_path(route), view, name)
        for route, view, name in _patterns(get_resolver().url_patterns)
        if not route.startswith("static/")
    ]


def _is_public(view: object) -> bool:
    return getattr(view, "login_required", True) is False


def _belongs_to_login(view: object) -> bool:
    return bool(getattr(view, "second_factor_not_required", False))


def test_there_are_routes_to_walk() -> None:
    assert len(_routes()) > 25


def test_anonymous_is_sent_to_login_on_every_private_url(db: None) -> None:
    login = reverse("accounts:login")
    for path, view, name in _routes():
        if _is_public(view):
            continue
        for method in ("get", "post"):
            response = getattr(Client(), method)(path)
            assert response.status_code == 302, (name, method, response.status_code)
            assert response["Location"].startswith(login), (name, method)


def test_password_alone_opens_nothing_but_the_login_steps(cast: Cast) -> None:
    verify = reverse("accounts:verify")
    client = Client()
    client.post(reverse("accounts:login"), {"username": cast.gp_a.email, "password": TEST_PASSWORD})
    checked = 0
    for path, view, name in _routes():
        if _is_public(view) or _belongs_to_login(view):
            continue
        for method in ("get", "post"):
            response = getattr(client, method)(path)
            assert response.status_code == 302, (name, method, response.status_code)
            assert response["Location"] == verify, (name, method)
            checked += 1
    assert checked > 20


def test_public_and_login_step_urls_are_exactly_the_declared_ones() -> None:
    """A new URL that skips the login or the second factor must be added here on purpose."""
    public = {name for _path, view, name in _routes() if _is_public(view)}
    login_steps = {name for _path, view, name in _routes() if _belongs_to_login(view)}
    assert public == {
        "shell:landing",
        "shell:healthz",
        "shell:set_language",
        "practice:practice_page",
        "accounts:login",
        "accounts:password_reset",
        "accounts:password_reset_done",
        "accounts:password_reset_confirm",
        "accounts:password_reset_complete",
        "accounts:confirm_email",
        "patients:activate",
        "patients:activate_account",
        # The waiting room: the kiosk needs a device switched on by staff; the screen and
        # its live calls show numbers and practitioners, never a patient.
        "agenda:kiosk",
        "agenda:waiting_room",
        "agenda:waiting_room_calls",
        # A lab's machine door: no session, its own bearer token per practice.
        "results:lab_inbox",
        # A pharmacy's machine door: its own bearer token, reports "ready to collect".
        "prescriptions:dispense",
        # The telephony platform's door: each request signed (Standard Webhooks).
        "telephony:events",
        # Self-triage for visitors of the practice's page and of its own website (the
        # widget and its embed script): anonymous, nothing stored about the person.
        "triage:public_index",
        "triage:public_step",
        "triage:public_outcome",
        "triage:widget_script",
        "triage:widget_index",
        "triage:widget_step",
        "triage:widget_outcome",
        # The FAQ assistant on the practice page: practical answers, nothing stored.
        "triage:public_assistant",
        # The FHIR API and its OAuth2 server (tests/fhir): every call carries a bearer
        # token (the API) or client credentials / a PKCE verifier (the token endpoint);
        # a session cookie opens nothing there. Discovery documents hold no data.
        "oauth2_provider:token",
        "oauth2_provider:revoke-token",
        "oauth2_provider:user-info",
        "oauth2_provider:oidc-connect-discovery-info",
        "oauth2_provider:jwks-info",
        "fhir:metadata",
        "fhir:smart_configuration",
        "fhir:openapi",
        "fhir:type",
        "fhir:instance",
        "fhir:unknown",
    }
    assert login_steps == {
        "accounts:verify",
        "accounts:setup_totp",
        "accounts:logout",
        "otp_webauthn:credential-authentication-begin",
        "otp_webauthn:credential-authentication-complete",
        "otp_webauthn:js-i18n-catalog",
    }


# --- CSRF on every POST ---------------------------------------------------------------------

# The views that take a POST without Django's CSRF check, each with its reason. A new
# csrf_exempt view (ours or a library's) fails test_csrf_exempt_views_are_the_declared_ones.
CSRF_EXEMPT = {
    # Machine doors: a Bearer token per lab link or pharmacy, no session, no cookie; a
    # browser's ambient credentials open nothing there.
    "results:lab_inbox": "a lab's machine door (Bearer token, no session)",
    "prescriptions:dispense": "a pharmacy's machine door (Bearer token, no session)",
    "telephony:events": "the telephony platform's door (signed requests, no session)",
    # The FHIR API: bearer tokens only (a session cookie opens nothing); the OAuth2 token
    # and revocation endpoints authenticate the client (secret or PKCE verifier).
    "fhir:type": "the FHIR API (Bearer token, no session)",
    "fhir:instance": "the FHIR API (Bearer token, no session)",
    "fhir:unknown": "the FHIR API's 404 (no data)",
    "fhir:metadata": "the FHIR API's CapabilityStatement (no data)",
    "fhir:smart_configuration": "SMART discovery (no data)",
    "fhir:openapi": "the FHIR API's OpenAPI description (no data)",
    "oauth2_provider:token": "OAuth2 token endpoint (client authentication, no session)",
    "oauth2_provider:revoke-token": "OAuth2 revocation endpoint (client authentication, no session)",
    "oauth2_provider:user-info": "OpenID Connect userinfo (Bearer token, no session)",
    # Anonymous self-triage: framed on another site, the widget often gets no cookie at all
    # (third-party cookies are blocked), so it cannot carry a CSRF token. A forged post
    # can only add an anonymous session to the practice's counts: no person, no account.
    "triage:public_step": "anonymous self-triage (no session; stores nobody)",
    "triage:widget_step": "anonymous self-triage in an iframe (no cookie; stores nobody)",
}
# django-otp-webauthn's endpoints are plain Django views in the version we use, not
# csrf_exempt: its script sends the token in the X-CSRFToken header. None to declare.
LIBRARY_CSRF_EXEMPT: dict[str, str] = {}
# The forms someone fills in before logging in: refused without a token, with no session.
PUBLIC_FORMS = {
    "accounts:login",
    "accounts:password_reset",
    "accounts:password_reset_confirm",
    "patients:activate",
    "patients:activate_account",
}
REFUSED_HEADER = "X-Test-Csrf-Refused"


def csrf_refused(request: HttpRequest, reason: str = "") -> HttpResponse:
    """Django's own CSRF failure page, marked, so a 403 from the CSRF check is told apart
    from a 403 by the view's role check."""
    response = csrf_failure(request, reason=reason)
    response[REFUSED_HEADER] = reason or "refused"
    return response


def test_csrf_exempt_views_are_the_declared_ones() -> None:
    exempt = {name for _path, view, name in _routes() if getattr(view, "csrf_exempt", False)}
    assert exempt == set(CSRF_EXEMPT) | set(LIBRARY_CSRF_EXEMPT)


def test_every_post_without_a_csrf_token_is_refused(cast: Cast, settings: object) -> None:
    """Anonymous (no session), a GP and a patient (logged in, second factor done): a POST
    without a token is a 403 from the CSRF check on every URL, whatever the view or its
    arguments (the middleware runs before the view, so a random UUID is refused before it
    could be a 404). The machine doors are not CSRF-checked and refuse without a token."""
    settings.CSRF_FAILURE_VIEW = f"{__name__}.csrf_refused"  # type: ignore[attr-defined]
    clients = {
        "anonymous": Client(enforce_csrf_checks=True),
        "gp_a": verified_client(cast.gp_a),
        "patient_a": verified_client(cast.patient_user_a),
    }
    for client in clients.values():
        client.handler.enforce_csrf_checks = True
    wrong, refused = [], set()
    for path, _view, name in _routes():
        for role, client in clients.items():
            response = client.post(path)
            if name in CSRF_EXEMPT:
                if REFUSED_HEADER in response or response.status_code < 400:
                    wrong.append(f"{name} ({role}): {response.status_code}")
            elif response.status_code != 403 or REFUSED_HEADER not in response:
                wrong.append(f"{name} ({role}): {response.status_code}, not the CSRF check")
            else:
                refused.add((name, role))
    assert not wrong, wrong
    assert len(refused) == 3 * (len(_routes()) - len(CSRF_EXEMPT))
    assert {(name, "anonymous") for name in PUBLIC_FORMS} <= refused

    # The control: with the token the same client passes the check (so the marker above
    # really comes from the missing token, and the sessions were still logged in).
    gp = clients["gp_a"]
    assert gp.get(reverse("accounts:security")).status_code == 200
    token = gp.cookies["csrftoken"].value
    response = gp.post(
        reverse("shell:set_language"), {"csrfmiddlewaretoken": token, "language": "nl"}
    )
    assert response.status_code == 302 and REFUSED_HEADER not in response
