"""The FHIR API's lean path (issue 21): core.middleware.MachineDoorMiddleware calls the
API's views without the session, CSRF, login and second-factor middleware. What must not
change with it: the headers of every answer, no one logged in by a cookie, an
OperationOutcome for every failure, the size limit, the OAuth pages' full stack (CSRF),
and a read in few statements that sees a revocation at once."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import resolve
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY

from spreekuur.accounts.freshness import SESSION_SECOND_FACTOR_AT
from spreekuur.accounts.models import Membership
from spreekuur.core.middleware import FORM_REQUEST_BYTES
from spreekuur.fhir import services
from spreekuur.fhir.models import Connection
from tests.conftest import Cast, verified_client
from tests.fhir.conftest import (
    FHIR,
    PATIENT_SCOPES,
    Registered,
    api,
    authorize_params,
    fhir_json,
    patient_token,
    pkce,
    system_app,
    system_token,
)

pytestmark = pytest.mark.django_db

SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def _plain(queries: list[dict[str, Any]]) -> list[str]:
    """The statements of a request, without the test's savepoints."""
    return [
        q["sql"] for q in queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE", "ROLLBACK"))
    ]


def test_an_api_answer_carries_every_security_header(cast: Cast, token_a: str) -> None:
    answer = api(token_a, f"Patient/{cast.patient_a.public_id}")
    fhir_json(answer)
    for name, value in SECURITY_HEADERS.items():
        assert answer[name] == value, name
    assert "default-src 'self'" in answer["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in answer["Content-Security-Policy"]
    assert "camera=()" in answer["Permissions-Policy"]
    assert len(answer["X-Request-ID"]) == 32
    assert answer["Content-Language"] == "nl"
    assert answer["Content-Length"] == str(len(answer.content))
    assert answer["Cache-Control"] == "no-store"
    assert answer["Access-Control-Allow-Origin"] == "*"
    assert "Set-Cookie" not in answer.headers


def test_a_refusal_carries_the_same_headers(cast: Cast) -> None:
    answer = api(None, f"Patient/{cast.patient_a.public_id}")
    fhir_json(answer, 401)
    for name, value in SECURITY_HEADERS.items():
        assert answer[name] == value, name
    assert "Content-Security-Policy" in answer
    assert answer["WWW-Authenticate"].startswith("Bearer")


def test_a_logged_in_browser_session_opens_nothing_and_is_not_even_read(cast: Cast) -> None:
    """The API never took a session cookie for a login (only a bearer token); now the
    session is not read at all, nor kept alive by an API call."""
    browser = verified_client(cast.patient_user_a)
    with CaptureQueriesContext(connection) as queries:
        answer = browser.get(f"/fhir/R4/Patient/{cast.patient_a.public_id}", HTTP_ACCEPT=FHIR)
    body = fhir_json(answer, 401)
    assert body["issue"][0]["code"] == "login"
    assert not any("django_session" in sql for sql in _plain(queries.captured_queries))
    assert "Set-Cookie" not in answer.headers
    # The same session still works in the portal.
    assert browser.get("/mijn-apps/").status_code == 200


def test_a_session_cookie_next_to_a_token_changes_nothing(
    cast: Cast, pgo: Registered, token_a: str
) -> None:
    """Staff logged in at the same browser: the token alone says who calls."""
    browser = verified_client(cast.gp_a)
    answer = browser.get(
        f"/fhir/R4/Patient/{cast.other_patient_a.public_id}",
        HTTP_ACCEPT=FHIR,
        HTTP_AUTHORIZATION=f"Bearer {token_a}",
    )
    fhir_json(answer, 404)
    own = browser.get(
        f"/fhir/R4/Patient/{cast.patient_a.public_id}",
        HTTP_ACCEPT=FHIR,
        HTTP_AUTHORIZATION=f"Bearer {token_a}",
    )
    assert fhir_json(own)["id"] == str(cast.patient_a.public_id)


def test_a_failure_in_a_view_is_still_an_operation_outcome(
    cast: Cast, token_a: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from spreekuur.fhir.api import handlers

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(handlers, "read", broken)
    answer = api(token_a, f"Patient/{cast.patient_a.public_id}")
    body = fhir_json(answer, 500)
    assert body["issue"][0]["code"] == "exception"
    assert "boom" not in answer.content.decode()
    assert answer["X-Frame-Options"] == "DENY"


def test_a_body_over_the_api_views_limit_is_refused_before_the_view(token_a: str) -> None:
    answer = Client().post(
        "/fhir/R4/Observation",
        data=b"{}",
        content_type=FHIR,
        HTTP_AUTHORIZATION=f"Bearer {token_a}",
        CONTENT_LENGTH=str(FORM_REQUEST_BYTES + 1),
    )
    assert fhir_json(answer, 413)["issue"][0]["code"] == "too-costly"


def test_the_consent_screen_keeps_its_csrf_check(cast: Cast, pgo: Registered) -> None:
    """The OAuth pages go through the whole stack: a POST without the CSRF token fails."""
    browser = Client(enforce_csrf_checks=True)
    user = cast.patient_user_a
    browser.force_login(user, backend="spreekuur.accounts.backends.PracticeAwareBackend")
    session = browser.session
    session[DEVICE_ID_SESSION_KEY] = user.totpdevice_set.get(confirmed=True).persistent_id
    session[SESSION_SECOND_FACTOR_AT] = time.time()
    session.save()
    _verifier, challenge = pkce()
    params = authorize_params(pgo, PATIENT_SCOPES, challenge)
    assert browser.get("/oauth/authorize/", params).status_code == 200
    refused = browser.post(
        "/oauth/authorize/", {**params, "allow": "on", "patient": str(cast.patient_a.public_id)}
    )
    assert refused.status_code == 403
    assert not Connection.objects.filter(app=pgo.app).exists()


def test_the_smart_configuration_is_served_as_before(cast: Cast) -> None:
    answer = Client().get("/fhir/R4/.well-known/smart-configuration")
    assert answer.status_code == 200
    assert "authorization_endpoint" in answer.json()
    assert answer["X-Frame-Options"] == "DENY"


def test_the_doors_urlconf_resolves_as_the_sites(cast: Cast) -> None:
    """MachineDoorMiddleware resolves against the doors' own URLconf: the same views."""
    (urlconf,) = settings.MACHINE_DOORS.values()
    for path in (
        "/fhir/R4/metadata",
        "/fhir/R4/Patient",
        f"/fhir/R4/Patient/{cast.patient_a.public_id}",
        "/fhir/R4/Observation/",
        "/fhir/R4/.well-known/smart-configuration",
        "/fhir/R4/openapi.json",
        "/fhir/R4/no/such/thing",
        "/fhir/R4",
    ):
        assert resolve(path).func is resolve(path, urlconf).func, path


def test_a_patient_read_takes_four_statements_and_shows_the_gp(cast: Cast, pgo: Registered) -> None:
    """The token, the connection with the patient and GP, the chain head and the entry:
    nothing more, whoever the GP is."""
    cast.patient_a.gp = cast.gp_a
    cast.patient_a.save(update_fields=["gp"])
    token = str(patient_token(pgo, cast.patient_user_a, cast.patient_a)["access_token"])
    path = f"Patient/{cast.patient_a.public_id}"
    fhir_json(api(token, path))  # the first makes the read lane's chain head, notes the use
    with CaptureQueriesContext(connection) as queries:
        body = fhir_json(api(token, path))
    membership = Membership.objects.get(user=cast.gp_a)
    assert body["generalPractitioner"] == [
        {"reference": f"Practitioner/{membership.public_id}", "display": cast.gp_a.full_name}
    ]
    assert body["managingOrganization"]["display"] == cast.practice_a.name
    # SQLite appends to the access log in two statements (core.audit._append).
    most = 4 if connection.vendor == "postgresql" else 5
    assert len(_plain(queries.captured_queries)) <= most, _plain(queries.captured_queries)


def test_a_system_reads_a_patient_as_before(cast: Cast) -> None:
    system = system_app(cast.practice_a, scopes="system/Patient.rs")
    token = system_token(system, "system/Patient.rs")["access_token"]
    assert fhir_json(api(token, f"Patient/{cast.patient_a.public_id}"))["id"] == str(
        cast.patient_a.public_id
    )
    fhir_json(api(token, f"Patient/{cast.patient_b.public_id}"), 404)


def test_a_patient_app_cannot_read_another_patient(cast: Cast, token_a: str) -> None:
    fhir_json(api(token_a, f"Patient/{cast.other_patient_a.public_id}"), 404)
    fhir_json(api(token_a, f"Patient/{cast.patient_b.public_id}"), 404)


def test_disconnecting_stops_the_very_next_read(cast: Cast, pgo: Registered, token_a: str) -> None:
    path = f"Patient/{cast.patient_a.public_id}"
    fhir_json(api(token_a, path))
    link = Connection.objects.get(app=pgo.app, patient=cast.patient_a)
    services.disconnect_app(connection=link, by=cast.patient_user_a)
    fhir_json(api(token_a, path), 401)


def test_a_connection_ended_under_a_live_token_stops_the_very_next_read(
    cast: Cast, pgo: Registered, token_a: str
) -> None:
    """The connection is read with every call, not kept with the token."""
    path = f"Patient/{cast.patient_a.public_id}"
    fhir_json(api(token_a, path))
    Connection.objects.filter(app=pgo.app).update(revoked_at=timezone.now())
    body = fhir_json(api(token_a, path), 401)
    assert "disconnected" in body["issue"][0]["diagnostics"]


def test_the_oauth_views_carry_the_marks_of_the_views_they_stand_for() -> None:
    """oauth_urls imports django-oauth-toolkit's views on their first request; what the
    middleware reads off a view before that (csrf_exempt, login_required) is the real
    view's, but for the consent screen's login_required, which we set on purpose."""
    from django.utils.module_loading import import_string

    from spreekuur.fhir import oauth_urls

    ours = {"authorize": {"login_required": True}}
    for pattern in oauth_urls.urlpatterns:
        lazy = pattern.callback
        real = import_string(lazy.lazy_view).as_view()  # type: ignore[attr-defined]
        skip = {"view_class", "view_initkwargs", "__wrapped__", "lazy_view"}
        expected = {k: v for k, v in real.__dict__.items() if k not in skip}
        expected.update(ours.get(str(pattern.name), {}))
        marks = {k: v for k, v in lazy.__dict__.items() if k not in skip}
        assert marks == expected, pattern.name


def test_the_urls_load_without_the_oauth_views_or_the_fhir_write_models() -> None:
    """Every web worker loads the URLs; the OAuth views and the write path's
    fhir.resources models only the one that serves such a request (issue 21)."""
    import os
    import subprocess
    import sys

    code = (
        "import django, sys; django.setup(); from django.urls import resolve; "
        "resolve('/healthz'); "
        "print(sorted(m for m in ('oauth2_provider.views', 'oauth2_provider.oauth2_validators',"
        " 'spreekuur.fhir.api.writes', 'spreekuur.fhir.views.authorize') if m in sys.modules))"
    )
    done = subprocess.run(  # noqa: S603 - our own interpreter, fixed code
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"},
        cwd=settings.PROJECT_DIR,
        timeout=120,
        check=True,
    )
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stdout
