"""Every URL of the project, walked: nothing behind the login opens without a session, and
nothing but the login's own steps opens before the second factor. A new URL is covered
automatically."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.conftest import Cast
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
        "core:landing",
        "core:healthz",
        "core:set_language",
        "core:practice_page",
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
    }
    assert login_steps == {
        "accounts:verify",
        "accounts:setup_totp",
        "accounts:logout",
        "otp_webauthn:credential-authentication-begin",
        "otp_webauthn:credential-authentication-complete",
        "otp_webauthn:js-i18n-catalog",
    }
