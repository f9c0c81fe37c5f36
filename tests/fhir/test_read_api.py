"""The FHIR R4 read API: its CapabilityStatement and SMART configuration, a read and a
search of every resource type (each resource, each Bundle validated with fhir.resources),
the search parameters and paging, and the OperationOutcome of every refusal."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from fhir.resources.R4B.capabilitystatement import CapabilityStatement

from spreekuur.accounts.models import Membership
from spreekuur.core.fhir import BSN_SYSTEM, ICPC_SYSTEM, LOINC_SYSTEM, NHG_TABLE_45_SYSTEM
from spreekuur.dossier.models import SYSTOLIC
from tests.conftest import Cast
from tests.fhir.conftest import (
    FHIR,
    Charts,
    api,
    entries,
    fhir_json,
    ids,
    patient_app,
    patient_token,
    system_app,
    system_token,
)

pytestmark = pytest.mark.django_db

TYPES = (
    "Patient",
    "Practitioner",
    "Organization",
    "Condition",
    "EpisodeOfCare",
    "Observation",
    "MedicationStatement",
    "AllergyIntolerance",
)
SMART_OAUTH_URIS = "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris"


def search(token: str, resource_type: str, **params: Any) -> dict[str, Any]:
    return fhir_json(api(token, resource_type, **params))


def search_ids(token: str, resource_type: str, **params: Any) -> set[str]:
    return ids(search(token, resource_type, **params))


def public_ids(*rows: Any) -> set[str]:
    return {str(row.public_id) for row in rows}


def outcome(response: Any, status: int) -> dict[str, Any]:
    """A refusal: an OperationOutcome with this status, valid FHIR."""
    body = fhir_json(response, status)
    assert body["resourceType"] == "OperationOutcome"
    assert body["issue"][0]["severity"] == "error"
    return body


def system_token_for(cast: Cast, scopes: str = "system/*.rs") -> str:
    system = system_app(cast.practice_a, scopes=scopes)
    return str(system_token(system, scopes)["access_token"])


def expected_ids(cast: Cast, charts: Charts, resource_type: str) -> set[str]:
    """What patient A's token finds of each type: their own online rows, their practice
    and its practitioners, nothing else."""
    a = charts.a
    return {
        "Patient": public_ids(cast.patient_a),
        "Practitioner": public_ids(
            *Membership.objects.filter(practice=cast.practice_a, active=True).exclude(role="")
        ),
        "Organization": public_ids(cast.practice_a),
        "Condition": public_ids(a.episode, a.closed_episode),
        "EpisodeOfCare": public_ids(a.episode, a.closed_episode),
        "Observation": public_ids(*a.observations),
        "MedicationStatement": public_ids(a.medication),
        "AllergyIntolerance": public_ids(a.allergy),
    }[resource_type]


# --- What the server says about itself ---------------------------------------------------------


def test_metadata_is_a_valid_capability_statement_listing_every_type_and_its_parameters(
    db: None,
) -> None:
    response = Client().get("/fhir/R4/metadata", HTTP_ACCEPT=FHIR)
    body = fhir_json(response)
    CapabilityStatement.model_validate(body)

    (rest,) = body["rest"]
    resources = {entry["type"]: entry for entry in rest["resource"]}
    assert set(TYPES) <= set(resources)
    for entry in resources.values():
        assert {"read", "search-type"} <= {i["code"] for i in entry["interaction"]}
        assert entry["searchParam"], entry["type"]
    params = {name: {p["name"] for p in entry["searchParam"]} for name, entry in resources.items()}
    assert {"patient", "category", "code", "date"} <= params["Observation"]
    assert {"patient", "code", "clinical-status"} <= params["Condition"]
    assert {"identifier", "name", "birthdate"} <= params["Patient"]
    assert "Observation:patient" in resources["Observation"]["searchInclude"]


def test_metadata_carries_the_smart_oauth_uris(db: None) -> None:
    body = fhir_json(Client().get("/fhir/R4/metadata"))
    (extension,) = [
        e for e in body["rest"][0]["security"]["extension"] if e["url"] == SMART_OAUTH_URIS
    ]
    uris = {e["url"]: e["valueUri"] for e in extension["extension"]}
    assert uris["authorize"] == f"{settings.SITE_URL}/oauth/authorize/"
    assert uris["token"] == f"{settings.SITE_URL}/oauth/token/"
    assert uris["revoke"] == f"{settings.SITE_URL}/oauth/revoke/"


def test_smart_configuration_has_the_fields_smart_app_launch_2_requires(db: None) -> None:
    response = Client().get("/fhir/R4/.well-known/smart-configuration")
    assert response.status_code == 200
    config = response.json()
    assert config["token_endpoint"] == f"{settings.SITE_URL}/oauth/token/"
    assert config["authorization_endpoint"] == f"{settings.SITE_URL}/oauth/authorize/"
    assert {"authorization_code", "client_credentials"} <= set(config["grant_types_supported"])
    assert config["code_challenge_methods_supported"] == ["S256"]
    assert {"launch-standalone", "context-standalone-patient", "permission-v2"} <= set(
        config["capabilities"]
    )
    assert config["jwks_uri"].endswith("/oauth/.well-known/jwks.json")
    assert config["issuer"] == settings.OAUTH2_PROVIDER["OIDC_ISS_ENDPOINT"]


# --- A read and a search of every type ---------------------------------------------------------


@pytest.mark.parametrize("resource_type", TYPES)
def test_every_type_searches_and_reads_as_valid_fhir(
    cast: Cast, charts: Charts, token_a: str, resource_type: str
) -> None:
    bundle = search(token_a, resource_type)
    assert bundle["type"] == "searchset"
    assert ids(bundle) == expected_ids(cast, charts, resource_type)
    assert bundle["total"] == len(ids(bundle))
    for entry in bundle["entry"]:
        resource = entry["resource"]
        assert entry["fullUrl"] == f"{settings.FHIR_BASE_URL}/{resource_type}/{resource['id']}"
        read = fhir_json(api(token_a, f"{resource_type}/{resource['id']}"))
        assert read == resource


@pytest.mark.parametrize("resource_type", ["Condition", "Observation", "MedicationStatement"])
def test_a_system_reads_and_searches_one_patient_as_valid_fhir(
    cast: Cast, charts: Charts, resource_type: str
) -> None:
    token = system_token_for(cast)
    patient = f"Patient/{cast.other_patient_a.public_id}"
    bundle = search(token, resource_type, patient=patient)
    own = {
        "Condition": public_ids(charts.other_a.episode, charts.other_a.closed_episode),
        "Observation": public_ids(*charts.other_a.observations),
        "MedicationStatement": public_ids(charts.other_a.medication),
    }[resource_type]
    assert ids(bundle) == own
    for resource in entries(bundle):
        assert fhir_json(api(token, f"{resource_type}/{resource['id']}")) == resource


# --- Search parameters ---------------------------------------------------------------------------


def test_observation_by_category(charts: Charts, token_a: str) -> None:
    a = charts.a
    assert search_ids(token_a, "Observation", category="laboratory") == public_ids(*a.labs)
    assert search_ids(token_a, "Observation", category="vital-signs") == public_ids(
        a.blood_pressure[0], a.weight
    )
    assert search_ids(token_a, "Observation", category="laboratory,vital-signs") == public_ids(
        *a.observations
    )
    assert search_ids(token_a, "Observation", category="imaging") == set()


def test_observation_by_code_with_and_without_system(charts: Charts, token_a: str) -> None:
    a = charts.a
    hba1c = {row for row in a.labs if row.test.nhg_code == "2816"}
    systolic = {row for row in a.blood_pressure if row.test.nhg_code == SYSTOLIC}
    assert search_ids(token_a, "Observation", code="2816") == public_ids(*hba1c)
    assert search_ids(token_a, "Observation", code=f"{NHG_TABLE_45_SYSTEM}|2816") == public_ids(
        *hba1c
    )
    assert search_ids(token_a, "Observation", code=f"{LOINC_SYSTEM}|59261-8") == public_ids(*hba1c)
    assert search_ids(token_a, "Observation", code=f"{NHG_TABLE_45_SYSTEM}|{SYSTOLIC}") == (
        public_ids(*systolic)
    )
    assert search_ids(token_a, "Observation", code="http://other.example|2816") == set()


def test_observation_by_date_with_ge_and_le(charts: Charts, token_a: str) -> None:
    a = charts.a
    sixty_days_ago = (timezone.localdate() - timedelta(days=60)).isoformat()
    year_and_half = (timezone.localdate() - timedelta(days=550)).isoformat()
    recent = search_ids(token_a, "Observation", date=f"ge{sixty_days_ago}")
    assert recent == public_ids(*a.labs, a.blood_pressure[0])
    older = search_ids(token_a, "Observation", date=f"le{sixty_days_ago}")
    assert older == public_ids(a.weight)
    window = api(token_a, f"Observation?date=ge{year_and_half}&date=le{sixty_days_ago}")
    assert ids(fhir_json(window)) == public_ids(a.weight)
    day = a.weight.measured_on.isoformat()
    assert search_ids(token_a, "Observation", date=day) == public_ids(a.weight)


def test_condition_by_code_and_clinical_status(charts: Charts, token_a: str) -> None:
    a = charts.a
    assert search_ids(token_a, "Condition", code="K86") == public_ids(a.episode)
    assert search_ids(token_a, "Condition", code=f"{ICPC_SYSTEM}|R74") == public_ids(
        a.closed_episode
    )
    assert search_ids(token_a, "Condition", code="K86,R74") == public_ids(
        a.episode, a.closed_episode
    )
    assert search_ids(token_a, "Condition", **{"clinical-status": "active"}) == public_ids(
        a.episode
    )
    assert search_ids(token_a, "Condition", **{"clinical-status": "resolved"}) == public_ids(
        a.closed_episode
    )


def test_a_system_finds_a_patient_by_bsn(cast: Cast) -> None:
    token = system_token_for(cast)
    found = search_ids(token, "Patient", identifier=f"{BSN_SYSTEM}|{cast.other_patient_a.bsn}")
    assert found == public_ids(cast.other_patient_a)
    assert search_ids(
        token, "Patient", identifier=f"http://other.example|{cast.patient_a.bsn}"
    ) == (set())


def test_a_system_finds_patients_by_name_and_birthdate(cast: Cast) -> None:
    cast.other_patient_a.date_of_birth = date(1990, 1, 2)
    cast.other_patient_a.save(update_fields=["date_of_birth"])
    token = system_token_for(cast)
    assert search_ids(token, "Patient", name=cast.patient_a.family_name) == public_ids(
        cast.patient_a
    )
    assert search_ids(token, "Patient", birthdate="1990-01-02") == public_ids(cast.other_patient_a)
    assert search_ids(token, "Patient", birthdate="ge1985-01-01") == public_ids(
        cast.other_patient_a
    )
    assert search_ids(token, "Patient", birthdate="le1985-01-01") == public_ids(cast.patient_a)
    assert search_ids(token, "Patient") == public_ids(cast.patient_a, cast.other_patient_a)


def test_paging_follows_the_next_links_to_the_end(charts: Charts, token_a: str) -> None:
    seen: list[str] = []
    page = search(token_a, "Observation", _count="2")
    pages = 1
    while True:
        assert page["total"] == len(charts.a.observations)
        assert len(page.get("entry", [])) <= 2
        seen += [resource["id"] for resource in entries(page)]
        links = {link["relation"]: link["url"] for link in page["link"]}
        if "next" not in links:
            break
        url = urlsplit(links["next"])
        assert links["next"].startswith(settings.FHIR_BASE_URL + "/Observation?")
        page = fhir_json(
            Client().get(
                f"{url.path}?{url.query}", HTTP_ACCEPT=FHIR, HTTP_AUTHORIZATION=f"Bearer {token_a}"
            )
        )
        pages += 1
    assert pages == 2
    assert len(seen) == len(set(seen)) == 4
    assert set(seen) == public_ids(*charts.a.observations)


# --- Refusals, each an OperationOutcome ----------------------------------------------------------


@pytest.mark.parametrize("value", ["2024-13-45", "gisteren", "xx2024-01-01", "2024-1-1"])
def test_a_bad_date_is_a_400_naming_the_parameter(charts: Charts, token_a: str, value: str) -> None:
    body = outcome(api(token_a, "Observation", date=value), 400)
    issue = body["issue"][0]
    assert issue["expression"] == ["date"]
    assert "date" in issue["diagnostics"]
    assert value not in issue["diagnostics"]  # never echoes the input


def test_an_unknown_parameter_is_ignored_unless_strict_handling_is_asked(
    charts: Charts, token_a: str
) -> None:
    lenient = search(token_a, "Observation", kleur="blauw")
    assert lenient["total"] == len(charts.a.observations)
    assert "kleur" not in lenient["link"][0]["url"]

    strict = Client().get(
        "/fhir/R4/Observation",
        {"kleur": "blauw"},
        HTTP_ACCEPT=FHIR,
        HTTP_AUTHORIZATION=f"Bearer {token_a}",
        HTTP_PREFER="handling=strict",
    )
    body = outcome(strict, 400)
    assert body["issue"][0]["expression"] == ["kleur"]


def test_xml_is_not_served(token_a: str) -> None:
    response = Client().get(
        "/fhir/R4/Patient",
        HTTP_ACCEPT="application/fhir+xml",
        HTTP_AUTHORIZATION=f"Bearer {token_a}",
    )
    outcome(response, 406)
    assert outcome(Client().get("/fhir/R4/metadata?_format=xml"), 406)


def test_posting_to_a_read_only_type_is_a_405(cast: Cast, token_a: str) -> None:
    response = Client().post(
        "/fhir/R4/Condition",
        data='{"resourceType": "Condition"}',
        content_type=FHIR,
        HTTP_ACCEPT=FHIR,
        HTTP_AUTHORIZATION=f"Bearer {token_a}",
    )
    outcome(response, 405)
    assert response["Allow"] == "GET"


def test_an_unknown_type_is_a_404(token_a: str) -> None:
    outcome(api(token_a, "ImagingStudy"), 404)
    outcome(api(token_a, "ImagingStudy/123"), 404)
    outcome(api(token_a, "Observation/1/_history"), 404)


def test_no_token_is_a_401_with_a_challenge(db: None) -> None:
    response = api(None, "Patient")
    outcome(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header",
    ["Bearer not-a-token", "Bearer " + "x" * 600, "Basic dXNlcjpwYXNz", "Bearer"],
)
def test_a_garbage_token_is_a_401(db: None, header: str) -> None:
    response = Client().get("/fhir/R4/Patient", HTTP_ACCEPT=FHIR, HTTP_AUTHORIZATION=header)
    outcome(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_token_in_the_query_string_opens_nothing(token_a: str) -> None:
    response = Client().get("/fhir/R4/Patient", {"access_token": token_a}, HTTP_ACCEPT=FHIR)
    outcome(response, 401)


def test_an_expired_token_is_a_401(token_a: str) -> None:
    from oauth2_provider.models import AccessToken

    assert api(token_a, "Patient").status_code == 200
    AccessToken.objects.update(expires=timezone.now() - timedelta(seconds=1))
    outcome(api(token_a, "Patient"), 401)


def test_a_logged_in_browser_session_opens_nothing(cast: Cast, charts: Charts) -> None:
    from tests.conftest import verified_client

    response = verified_client(cast.patient_user_a).get("/fhir/R4/Patient", HTTP_ACCEPT=FHIR)
    outcome(response, 401)


def test_a_token_without_a_scope_for_the_type_is_a_403(cast: Cast, charts: Charts) -> None:
    results_only = patient_app(
        cast.practice_a, name="Alleen uitslagen", scopes="launch/patient patient/Observation.rs"
    )
    token = patient_token(
        results_only,
        cast.patient_user_a,
        cast.patient_a,
        scope="launch/patient patient/Observation.rs",
    )["access_token"]
    assert search_ids(token, "Observation") == public_ids(*charts.a.observations)
    outcome(api(token, "Condition"), 403)
    response = api(token, f"Condition/{charts.a.episode.public_id}")
    outcome(response, 403)
    assert "insufficient_scope" in response["WWW-Authenticate"]
    outcome(api(token, f"Patient/{cast.patient_a.public_id}"), 403)


def test_a_read_only_scope_does_not_allow_search(cast: Cast, charts: Charts) -> None:
    read_only = patient_app(
        cast.practice_a, name="Alleen lezen", scopes="launch/patient patient/Observation.r"
    )
    token = patient_token(
        read_only, cast.patient_user_a, cast.patient_a, scope="launch/patient patient/Observation.r"
    )["access_token"]
    outcome(api(token, "Observation"), 403)
    lab = charts.a.labs[0]
    assert fhir_json(api(token, f"Observation/{lab.public_id}"))["id"] == str(lab.public_id)
