"""The OAuth2 / SMART App Launch server: the authorization code flow with PKCE through the
consent screen, what a token response says, refresh-token rotation, client credentials
for practice systems, and every way access ends (revoke, disconnect, app switched off).
Each attempt that must fail is tried as an app or a visitor would try it."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from spreekuur.fhir import services
from spreekuur.fhir.models import Connection
from spreekuur.patients.models import Representation
from tests.conftest import Cast, verified_client
from tests.factories import PatientFactory
from tests.fhir.conftest import (
    PATIENT_SCOPES,
    REDIRECT,
    Registered,
    api,
    authorize_params,
    consent,
    exchange,
    patient_app,
    patient_token,
    pkce,
    system_app,
)

pytestmark = pytest.mark.django_db

AUTHORIZE = "/oauth/authorize/"
TOKEN = "/oauth/token/"


def authorize(browser: Client, registered: Registered, scope: str = PATIENT_SCOPES, **extra: str):
    """The app sends the patient's browser to the authorization endpoint."""
    _verifier, challenge = pkce()
    params = authorize_params(registered, scope, challenge)
    params.update(extra)
    return browser.get(AUTHORIZE, {k: v for k, v in params.items() if v is not None})


def redirect_query(response: Any) -> dict[str, list[str]]:
    """The query of a redirect back to the app's registered redirect URI."""
    assert response.status_code == 302, response.content[:500]
    location = response["Location"]
    assert location.startswith(REDIRECT + "?"), location
    return parse_qs(urlsplit(location).query)


def token_request(**data: str) -> Any:
    return Client().post(TOKEN, data)


def refresh(registered: Registered, refresh_token: str) -> Any:
    return token_request(
        grant_type="refresh_token", refresh_token=refresh_token, client_id=registered.client_id
    )


def basic(registered: Registered) -> str:
    pair = f"{registered.client_id}:{registered.secret}".encode()
    return "Basic " + base64.b64encode(pair).decode()


def id_token_claims(id_token: str, audience: str) -> dict[str, Any]:
    """The ID token's claims, its RS256 signature checked against the published JWKS."""
    jwks = Client().get("/oauth/.well-known/jwks.json")
    assert jwks.status_code == 200
    header = jwt.get_unverified_header(id_token)
    assert header["alg"] == "RS256"
    keys = jwks.json()["keys"]
    key = next(k for k in keys if k.get("kid") == header.get("kid")) if "kid" in header else keys[0]
    return jwt.decode(
        id_token,
        jwt.PyJWK(key).key,
        algorithms=["RS256"],
        audience=audience,
        issuer=settings.OAUTH2_PROVIDER["OIDC_ISS_ENDPOINT"],
    )


def reads_own_patient(token: str, patient: Any) -> bool:
    answer = api(token, f"Patient/{patient.public_id}")
    return answer.status_code == 200 and answer.json()["id"] == str(patient.public_id)


# --- The authorization code flow with PKCE --------------------------------------------------


def test_the_full_flow_gives_a_smart_token_response_with_a_signed_id_token(
    cast: Cast, pgo: Registered
) -> None:
    answer = patient_token(pgo, cast.patient_user_a, cast.patient_a)

    assert answer["token_type"] == "Bearer"
    assert answer["patient"] == str(cast.patient_a.public_id)
    assert set(answer["scope"].split()) == set(PATIENT_SCOPES.split())
    assert int(answer["expires_in"]) > 0
    assert answer["refresh_token"]  # offline_access
    claims = id_token_claims(answer["id_token"], audience=pgo.client_id)
    assert claims["fhirUser"] == f"{settings.FHIR_BASE_URL}/Patient/{cast.patient_a.public_id}"
    assert claims["sub"] == str(cast.patient_user_a.public_id)
    assert reads_own_patient(answer["access_token"], cast.patient_a)


def test_an_id_token_signed_with_another_key_does_not_verify(cast: Cast, pgo: Registered) -> None:
    from cryptography.hazmat.primitives.asymmetric import rsa

    answer = patient_token(pgo, cast.patient_user_a, cast.patient_a)
    claims = id_token_claims(answer["id_token"], audience=pgo.client_id)
    forged = jwt.encode(
        claims,
        rsa.generate_private_key(public_exponent=65537, key_size=2048),
        algorithm="RS256",
        headers={"kid": jwt.get_unverified_header(answer["id_token"]).get("kid")},
    )
    with pytest.raises(jwt.InvalidSignatureError):
        id_token_claims(forged, audience=pgo.client_id)


def test_a_wrong_code_verifier_is_refused(cast: Cast, pgo: Registered) -> None:
    _verifier, challenge = pkce()
    code = consent(
        verified_client(cast.patient_user_a),
        pgo,
        scope=PATIENT_SCOPES,
        patient=cast.patient_a,
        challenge=challenge,
    )
    wrong, _ = pkce()
    answer = token_request(
        grant_type="authorization_code",
        code=code,
        redirect_uri=REDIRECT,
        client_id=pgo.client_id,
        code_verifier=wrong,
    )
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"
    assert "access_token" not in answer.json()


def test_a_code_without_any_code_verifier_is_refused(cast: Cast, pgo: Registered) -> None:
    _verifier, challenge = pkce()
    code = consent(
        verified_client(cast.patient_user_a),
        pgo,
        scope=PATIENT_SCOPES,
        patient=cast.patient_a,
        challenge=challenge,
    )
    answer = token_request(
        grant_type="authorization_code", code=code, redirect_uri=REDIRECT, client_id=pgo.client_id
    )
    assert answer.status_code == 400
    assert "access_token" not in answer.json()


def test_a_code_is_good_for_one_exchange_only(cast: Cast, pgo: Registered) -> None:
    verifier, challenge = pkce()
    code = consent(
        verified_client(cast.patient_user_a),
        pgo,
        scope=PATIENT_SCOPES,
        patient=cast.patient_a,
        challenge=challenge,
    )
    exchange(pgo, code, verifier)
    again = token_request(
        grant_type="authorization_code",
        code=code,
        redirect_uri=REDIRECT,
        client_id=pgo.client_id,
        code_verifier=verifier,
    )
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"


def test_an_authorization_request_without_pkce_is_refused(cast: Cast, pgo: Registered) -> None:
    browser = verified_client(cast.patient_user_a)
    answer = authorize(browser, pgo, code_challenge=None, code_challenge_method=None)
    query = redirect_query(answer)
    assert query["error"] == ["invalid_request"]
    assert "code" not in query
    assert not Connection.objects.exists()


def test_plain_pkce_is_refused(cast: Cast, pgo: Registered) -> None:
    """DOT refuses a `plain` challenge when it would issue the code: the patient's yes
    ends in an error for the app, and no code and no connection are made."""
    browser = verified_client(cast.patient_user_a)
    page = authorize(
        browser, pgo, code_challenge="plain-verifier-" + "x" * 40, code_challenge_method="plain"
    )
    if page.status_code == 200:  # the question is asked; the yes must still not work
        form = page.context["form"]
        data = {name: form[name].value() or "" for name in form.fields if name != "patient"}
        data.update({"allow": "on", "patient": str(cast.patient_a.public_id)})
        page = browser.post(AUTHORIZE, data)
    query = redirect_query(page)
    assert query["error"] == ["invalid_request"]
    assert "code" not in query
    assert not Connection.objects.exists()


def test_an_unknown_redirect_uri_is_refused_without_going_there(
    cast: Cast, pgo: Registered
) -> None:
    browser = verified_client(cast.patient_user_a)
    elsewhere = "https://evil.example/steal"
    answer = authorize(browser, pgo, redirect_uri=elsewhere)
    assert answer.status_code == 400
    assert elsewhere not in answer.get("Location", "")
    assert b'href="https://evil.example' not in answer.content
    assert not Connection.objects.exists()


def test_a_scope_the_practice_did_not_allow_the_app_is_refused(cast: Cast) -> None:
    results_only = patient_app(
        cast.practice_a, name="Alleen uitslagen", scopes="launch/patient patient/Observation.rs"
    )
    browser = verified_client(cast.patient_user_a)
    answer = authorize(browser, results_only, scope="launch/patient patient/Condition.rs")
    assert redirect_query(answer)["error"] == ["invalid_scope"]


def test_user_scopes_are_not_offered(cast: Cast, pgo: Registered) -> None:
    browser = verified_client(cast.patient_user_a)
    answer = authorize(browser, pgo, scope="launch/patient user/*.rs")
    assert redirect_query(answer)["error"] == ["invalid_scope"]


def test_an_audience_of_another_fhir_server_is_refused(cast: Cast, pgo: Registered) -> None:
    browser = verified_client(cast.patient_user_a)
    answer = authorize(browser, pgo, aud="https://other-server.example/fhir/R4")
    query = redirect_query(answer)
    assert query["error"] == ["invalid_request"]
    assert "code" not in query


# --- Refresh tokens ---------------------------------------------------------------------------


def test_a_refresh_token_works_once_and_rotates(cast: Cast, pgo: Registered) -> None:
    first = patient_token(pgo, cast.patient_user_a, cast.patient_a)
    renewed = refresh(pgo, first["refresh_token"])
    assert renewed.status_code == 200, renewed.content
    second = renewed.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["patient"] == str(cast.patient_a.public_id)
    assert reads_own_patient(second["access_token"], cast.patient_a)

    replay = refresh(pgo, first["refresh_token"])
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"


def test_replaying_a_rotated_refresh_token_ends_the_whole_family(
    cast: Cast, pgo: Registered
) -> None:
    first = patient_token(pgo, cast.patient_user_a, cast.patient_a)
    second = refresh(pgo, first["refresh_token"]).json()
    assert refresh(pgo, first["refresh_token"]).status_code == 400  # the replay

    assert api(second["access_token"], "Patient").status_code == 401
    assert refresh(pgo, second["refresh_token"]).status_code == 400


# --- The consent screen -----------------------------------------------------------------------


def test_staff_cannot_use_the_consent_screen(cast: Cast, pgo: Registered) -> None:
    answer = authorize(verified_client(cast.gp_a), pgo)
    assert answer.status_code == 403
    assert "Location" not in answer
    assert not Connection.objects.exists()


def test_a_visitor_who_is_not_logged_in_is_sent_to_the_login(pgo: Registered) -> None:
    answer = authorize(Client(), pgo)
    assert answer.status_code == 302
    location = urlsplit(answer["Location"])
    assert location.path == reverse("accounts:login")
    assert parse_qs(location.query)["next"][0].startswith(AUTHORIZE)


def test_a_user_without_the_second_factor_is_sent_to_the_second_factor(
    cast: Cast, pgo: Registered
) -> None:
    half = Client()
    half.force_login(
        cast.patient_user_a, backend="spreekuur.accounts.backends.PracticeAwareBackend"
    )
    answer = authorize(half, pgo)
    assert answer.status_code == 302
    assert urlsplit(answer["Location"]).path == reverse("accounts:verify")
    assert not Connection.objects.exists()


def test_saying_no_sends_access_denied_and_connects_nothing(cast: Cast, pgo: Registered) -> None:
    browser = verified_client(cast.patient_user_a)
    page = authorize(browser, pgo)
    assert page.status_code == 200
    form = page.context["form"]
    data = {name: form[name].value() or "" for name in form.fields if name != "patient"}
    data.update({"weigeren": "1", "patient": str(cast.patient_a.public_id)})
    answer = browser.post(AUTHORIZE, data)
    query = redirect_query(answer)
    assert query["error"] == ["access_denied"]
    assert query["state"] == ["st8"]
    assert "code" not in query
    assert not Connection.objects.exists()


def test_a_parent_connects_an_app_for_their_child(cast: Cast, pgo: Registered) -> None:
    today = timezone.localdate()
    child = PatientFactory(
        practice=cast.practice_a, date_of_birth=today.replace(year=today.year - 8, day=1)
    )
    Representation.objects.create(
        practice=cast.practice_a,
        patient=child,
        representative=cast.patient_user_a,
        kind="ouder",
        valid_from=today - timedelta(days=1),
        recorded_by=cast.assistant_a,
    )
    answer = patient_token(pgo, cast.patient_user_a, child)

    assert answer["patient"] == str(child.public_id)
    assert reads_own_patient(answer["access_token"], child)
    assert api(answer["access_token"], f"Patient/{cast.patient_a.public_id}").status_code == 404
    claims = id_token_claims(answer["id_token"], audience=pgo.client_id)
    assert claims["sub"] == str(cast.patient_user_a.public_id)
    assert "fhirUser" not in claims  # the parent is not the child
    connection = Connection.objects.get()
    assert (connection.patient, connection.user) == (child, cast.patient_user_a)


def test_no_one_connects_an_app_for_a_patient_they_do_not_act_for(
    cast: Cast, pgo: Registered
) -> None:
    _verifier, challenge = pkce()
    browser = verified_client(cast.patient_user_a)
    page = browser.get(AUTHORIZE, authorize_params(pgo, PATIENT_SCOPES, challenge))
    form = page.context["form"]
    data = {name: form[name].value() or "" for name in form.fields if name != "patient"}
    data.update({"allow": "on", "patient": str(cast.other_patient_a.public_id)})
    answer = browser.post(AUTHORIZE, data)
    assert answer.status_code in (400, 403)
    assert "code=" not in answer.get("Location", "")
    assert not Connection.objects.exists()


def consent_form(browser: Client, registered: Registered) -> dict[str, str]:
    """The consent screen's form as the browser would post it."""
    page = authorize(browser, registered)
    assert page.status_code == 200, page.content[:300]
    form = page.context["form"]
    return {name: form[name].value() or "" for name in form.fields if name != "patient"}


@pytest.mark.parametrize(
    "tampered",
    [
        {"redirect_uri": "https://evil.example/steal"},
        {"scope": "launch/patient patient/*.cruds"},
        {"client_id": "someone-elses-app"},
    ],
)
def test_a_consent_form_changed_after_the_question_is_refused(
    cast: Cast, pgo: Registered, tampered: dict[str, str]
) -> None:
    browser = verified_client(cast.patient_user_a)
    data = consent_form(browser, pgo)
    data.update({"allow": "on", "patient": str(cast.patient_a.public_id), **tampered})
    answer = browser.post(AUTHORIZE, data)
    assert answer.status_code in (400, 403)
    assert "Location" not in answer
    assert not Connection.objects.exists()


def test_a_patient_of_another_practice_cannot_connect_the_app(cast: Cast, pgo: Registered) -> None:
    browser = verified_client(cast.patient_user_b)
    page = authorize(browser, pgo)
    assert page.status_code == 200
    assert page.context["no_patients"] is True
    data = consent_form(browser, pgo)
    data.update({"allow": "on", "patient": str(cast.patient_b.public_id)})
    answer = browser.post(AUTHORIZE, data)
    assert answer.status_code in (400, 403)
    assert "code=" not in answer.get("Location", "")
    assert not Connection.objects.exists()


def test_a_parents_token_stops_when_the_representation_ends(cast: Cast, pgo: Registered) -> None:
    today = timezone.localdate()
    child = PatientFactory(
        practice=cast.practice_a, date_of_birth=today.replace(year=today.year - 8, day=1)
    )
    representation = Representation.objects.create(
        practice=cast.practice_a,
        patient=child,
        representative=cast.patient_user_a,
        kind="ouder",
        valid_from=today - timedelta(days=1),
        recorded_by=cast.assistant_a,
    )
    token = patient_token(pgo, cast.patient_user_a, child)
    assert reads_own_patient(token["access_token"], child)

    representation.revoked_at = timezone.now()
    representation.save(update_fields=["revoked_at"])

    assert api(token["access_token"], "Patient").status_code == 401


# --- Client credentials (practice systems) -----------------------------------------------------


def test_a_system_gets_a_token_with_only_its_allowed_system_scopes(cast: Cast) -> None:
    system = system_app(cast.practice_a, scopes="system/Patient.rs system/Observation.rs")
    answer = Client().post(
        TOKEN,
        {"grant_type": "client_credentials", "scope": "system/Patient.rs"},
        HTTP_AUTHORIZATION=basic(system),
    )
    assert answer.status_code == 200, answer.content
    token = answer.json()
    assert token["scope"] == "system/Patient.rs"
    assert "refresh_token" not in token
    assert "patient" not in token
    assert api(token["access_token"], "Patient").status_code == 200
    assert api(token["access_token"], "Observation").status_code == 403  # not asked for


def test_a_system_cannot_get_a_scope_it_was_not_allowed(cast: Cast) -> None:
    system = system_app(cast.practice_a, scopes="system/Patient.rs")
    for scope in ("system/Condition.rs", "system/*.rs", "patient/*.rs", "system/Patient.cruds"):
        answer = Client().post(
            TOKEN,
            {"grant_type": "client_credentials", "scope": scope},
            HTTP_AUTHORIZATION=basic(system),
        )
        assert answer.status_code == 400, scope
        assert answer.json()["error"] == "invalid_scope", scope


def test_a_system_with_a_wrong_secret_gets_no_token(cast: Cast) -> None:
    system = system_app(cast.practice_a, scopes="system/Patient.rs")
    wrong = Registered(system.app, system.client_id, "not-the-secret")
    answer = Client().post(
        TOKEN,
        {"grant_type": "client_credentials", "scope": "system/Patient.rs"},
        HTTP_AUTHORIZATION=basic(wrong),
    )
    assert answer.status_code == 401
    assert answer.json()["error"] == "invalid_client"


def test_a_patient_app_cannot_use_client_credentials(cast: Cast) -> None:
    confidential = patient_app(cast.practice_a, name="Server-PGO", confidential=True)
    answer = Client().post(
        TOKEN,
        {"grant_type": "client_credentials", "scope": "patient/*.rs"},
        HTTP_AUTHORIZATION=basic(confidential),
    )
    assert answer.status_code == 400
    assert answer.json() == {"error": "unauthorized_client"}


# --- How access ends ----------------------------------------------------------------------------


def test_revoking_the_access_token_ends_it(cast: Cast, pgo: Registered) -> None:
    token = patient_token(pgo, cast.patient_user_a, cast.patient_a)
    assert reads_own_patient(token["access_token"], cast.patient_a)
    answer = Client().post(
        "/oauth/revoke/",
        {"token": token["access_token"], "client_id": pgo.client_id},
    )
    assert answer.status_code == 200
    assert api(token["access_token"], "Patient").status_code == 401


def test_revoking_the_refresh_token_ends_it(cast: Cast, pgo: Registered) -> None:
    token = patient_token(pgo, cast.patient_user_a, cast.patient_a)
    answer = Client().post(
        "/oauth/revoke/",
        {
            "token": token["refresh_token"],
            "token_type_hint": "refresh_token",
            "client_id": pgo.client_id,
        },
    )
    assert answer.status_code == 200
    assert refresh(pgo, token["refresh_token"]).status_code == 400


def test_disconnecting_in_the_portal_ends_access_and_refresh_token_at_once(
    cast: Cast, pgo: Registered
) -> None:
    first = patient_token(pgo, cast.patient_user_a, cast.patient_a)
    token = refresh(pgo, first["refresh_token"]).json()  # a refreshed pair is tied as well
    connection = Connection.objects.get()
    browser = verified_client(cast.patient_user_a)
    assert reads_own_patient(token["access_token"], cast.patient_a)

    answer = browser.post(f"/mijn-apps/{connection.public_id}/ontkoppelen/")

    assert answer.status_code == 302
    assert api(token["access_token"], "Patient").status_code == 401
    assert api(first["access_token"], "Patient").status_code == 401
    assert refresh(pgo, token["refresh_token"]).status_code == 400
    connection.refresh_from_db()
    assert connection.revoked_at is not None


def test_someone_else_cannot_disconnect_a_patients_app(cast: Cast, pgo: Registered) -> None:
    token = patient_token(pgo, cast.patient_user_a, cast.patient_a)
    connection = Connection.objects.get()
    answer = verified_client(cast.patient_user_b).post(
        f"/mijn-apps/{connection.public_id}/ontkoppelen/"
    )
    assert answer.status_code == 404
    assert reads_own_patient(token["access_token"], cast.patient_a)


def test_switching_the_app_off_makes_its_tokens_fail_at_once(cast: Cast, pgo: Registered) -> None:
    token = patient_token(pgo, cast.patient_user_a, cast.patient_a)
    assert reads_own_patient(token["access_token"], cast.patient_a)

    services.set_app_active(app=pgo.app, active=False, by=cast.manager_a)

    assert api(token["access_token"], "Patient").status_code == 401
    assert refresh(pgo, token["refresh_token"]).status_code in (400, 401)
    assert authorize(verified_client(cast.patient_user_a), pgo).status_code == 400


def test_switching_a_system_off_makes_its_token_fail_at_once(cast: Cast) -> None:
    system = system_app(cast.practice_a, scopes="system/Patient.rs")
    answer = Client().post(
        TOKEN,
        {"grant_type": "client_credentials", "scope": "system/Patient.rs"},
        HTTP_AUTHORIZATION=basic(system),
    )
    token = answer.json()["access_token"]
    assert api(token, "Patient").status_code == 200
    services.set_app_active(app=system.app, active=False, by=cast.manager_a)
    assert api(token, "Patient").status_code == 401
