"""The FHIR API's test kit: apps registered as a practice manager would, and access
tokens got the way an app gets them (authorization code with PKCE through the consent
screen, or client credentials), never minted around the OAuth2 server."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.http import HttpResponse
from django.test import Client
from django.utils import timezone
from fhir.resources.R4B import get_fhir_model_class

from spreekuur.accounts.models import User
from spreekuur.core.models import Practice
from spreekuur.dossier import services as dossier
from spreekuur.dossier.models import (
    DIASTOLIC,
    SYSTOLIC,
    WEIGHT,
    Allergy,
    AllergyKind,
    Episode,
    Measurement,
    Medication,
)
from spreekuur.fhir.models import AppKind, FhirApp
from spreekuur.fhir.services import register_app
from spreekuur.patients.models import Patient
from spreekuur.results.models import LabResult
from spreekuur.results.samples import SampleResult, hl7_oru, sample_patient
from spreekuur.results.services import receive_lab_message, review_result
from tests.conftest import Cast, verified_client

REDIRECT = "https://pgo.example/callback"
PATIENT_SCOPES = "launch/patient openid fhirUser offline_access patient/*.rs"
FHIR = "application/fhir+json"


@dataclass
class Registered:
    app: FhirApp
    client_id: str
    secret: str | None


def patient_app(
    practice: Practice,
    *,
    name: str = "Mijn PGO",
    scopes: str = PATIENT_SCOPES,
    confidential: bool = False,
) -> Registered:
    app, secret = register_app(
        practice=practice,
        kind=AppKind.PATIENT_APP,
        name=name,
        vendor="PGO BV",
        allowed_scopes=scopes.split(),
        redirect_uris=[REDIRECT],
        confidential=confidential,
        by=None,
    )
    return Registered(app, app.application.client_id, secret)


def system_app(practice: Practice, *, scopes: str, name: str = "Praktijksysteem") -> Registered:
    app, secret = register_app(
        practice=practice, kind=AppKind.SYSTEM, name=name, allowed_scopes=scopes.split(), by=None
    )
    return Registered(app, app.application.client_id, secret)


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).decode().rstrip("=")


def authorize_params(
    registered: Registered, scope: str, challenge: str, **extra: str
) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": registered.client_id,
        "redirect_uri": REDIRECT,
        "scope": scope,
        "state": "st8",
        "aud": "http://127.0.0.1:8000/fhir/R4",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **extra,
    }


def consent(
    browser: Client, registered: Registered, *, scope: str, patient: Patient, challenge: str
) -> str:
    """The patient's yes on the consent screen; returns the authorization code."""
    params = authorize_params(registered, scope, challenge)
    page = browser.get("/oauth/authorize/", params)
    assert page.status_code == 200, page.content[:500]
    form = page.context["form"]
    data = {name: form[name].value() or "" for name in form.fields if name != "patient"}
    data.update({"allow": "on", "patient": str(patient.public_id)})
    answer = browser.post("/oauth/authorize/", data)
    assert answer.status_code == 302, answer.content[:500]
    query = parse_qs(urlsplit(answer["Location"]).query)
    assert query["state"] == ["st8"]
    return query["code"][0]


def exchange(registered: Registered, code: str, verifier: str) -> dict[str, Any]:
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "client_id": registered.client_id,
        "code_verifier": verifier,
    }
    if registered.secret:
        data["client_secret"] = registered.secret
    answer = Client().post("/oauth/token/", data)
    assert answer.status_code == 200, answer.content
    return answer.json()


def patient_token(
    registered: Registered, user: Any, patient: Patient, scope: str = PATIENT_SCOPES
) -> dict[str, Any]:
    verifier, challenge = pkce()
    code = consent(
        verified_client(user), registered, scope=scope, patient=patient, challenge=challenge
    )
    return exchange(registered, code, verifier)


def system_token(registered: Registered, scope: str) -> dict[str, Any]:
    answer = Client().post(
        "/oauth/token/",
        {"grant_type": "client_credentials", "scope": scope},
        HTTP_AUTHORIZATION="Basic "
        + base64.b64encode(f"{registered.client_id}:{registered.secret}".encode()).decode(),
    )
    assert answer.status_code == 200, answer.content
    return answer.json()


def api(token: str | None, path: str, **params: Any) -> Any:
    headers = {"HTTP_ACCEPT": FHIR}
    if token is not None:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return Client().get(f"/fhir/R4/{path}", params, **headers)


@pytest.fixture
def pgo(cast: Any) -> Registered:
    return patient_app(cast.practice_a)


# --- The records the API tests read -----------------------------------------------------------

OPEN_FROM = date(2020, 7, 1)  # the day the practices opened their records online
BEFORE_OPEN = date(2019, 3, 1)
HBA1C = SampleResult("2816", "58", "mmol/mol", "20-42", "H")
CREATININE = SampleResult("523", "80", "umol/l")
LDL = SampleResult("542", "2.6", "mmol/l", "<3.0")


def assert_valid(resource: dict[str, Any]) -> None:
    """The resource validates against its FHIR R4(B) model (fhir.resources), and so does
    every resource a Bundle carries."""
    model = get_fhir_model_class(resource["resourceType"])
    model.model_validate(resource)
    for entry in resource.get("entry", []):
        if "resource" in entry:
            assert_valid(entry["resource"])


def fhir_json(response: HttpResponse, status: int = 200) -> dict[str, Any]:
    """The body of an API answer: FHIR JSON with this status, validated throughout."""
    assert response.status_code == status, response.content[:600]
    assert response["Content-Type"].startswith(FHIR), response["Content-Type"]
    body: dict[str, Any] = response.json()
    assert_valid(body)
    return body


def entries(bundle: dict[str, Any], mode: str = "match") -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle.get("entry", []) if e["search"]["mode"] == mode]


def ids(bundle: dict[str, Any], mode: str = "match") -> set[str]:
    return {resource["id"] for resource in entries(bundle, mode)}


def open_records(practice: Practice, on: date = OPEN_FROM) -> None:
    practice.records_online_from = on
    practice.save(update_fields=["records_online_from"])


def lab_results(
    patient: Patient, *results: SampleResult, observed: date | None = None, order: str
) -> list[LabResult]:
    """Lab results for the patient as the lab sends them (HL7 v2), not yet reviewed."""
    taken = timezone.now().replace(microsecond=0, second=0) - timedelta(days=2)
    if observed is not None:
        taken = taken.replace(year=observed.year, month=observed.month, day=observed.day)
    outcome = receive_lab_message(
        practice=patient.practice,
        door="hl7v2",
        raw=hl7_oru(
            sample_patient(patient),
            results or (HBA1C, CREATININE),
            control_id=f"MSG-{order}",
            order=order,
            taken=taken,
        ),
        source="test",
    )
    rows = list(LabResult.objects.filter(message__in=outcome.messages).order_by("id"))
    assert rows and all(row.patient_id == patient.pk for row in rows)
    return rows


def release(rows: list[LabResult], gp: User) -> list[LabResult]:
    """The GP's comment and release: from now on in the portal and the API."""
    return [
        review_result(result=row, comment="Normaal, geen actie nodig.", release=True, by=gp)
        for row in rows
    ]


@dataclass
class Chart:
    """One patient's record rows, those online and those that must never show."""

    patient: Patient
    episode: Episode  # K86, active
    closed_episode: Episode  # R74, resolved
    medication: Medication
    allergy: Allergy
    blood_pressure: list[Measurement]  # systolic, diastolic: a month ago
    weight: Measurement  # over a year ago
    labs: list[LabResult]  # released: HbA1c, creatinine
    hidden: dict[str, Any]  # resource type -> rows that must never show (may be empty)

    @property
    def observations(self) -> list[Any]:
        # A blood pressure is one Observation (a panel), named by its systolic row.
        return [*self.labs, self.blood_pressure[0], self.weight]


def chart(patient: Patient, gp: User, *, order: str, with_hidden: bool = False) -> Chart:
    """A record for the patient, written by the practice's GP; `with_hidden`: also rows
    that are shielded, unreleased or from before the records went online."""
    today = timezone.localdate()
    episode = dossier.record_episode(
        patient=patient, icpc_code="K86", title="Hoge bloeddruk", started_on=date(2024, 1, 5), by=gp
    )
    closed = dossier.record_episode(
        patient=patient, icpc_code="R74", title="Verkoudheid", started_on=date(2023, 2, 1), by=gp
    )
    dossier.close_episode(episode=closed, ended_on=date(2023, 3, 1), by=gp)
    medication = dossier.record_medication(
        patient=patient,
        name="Amlodipine 5 mg",
        dosage="1x per dag 1 tablet",
        started_on=date(2024, 1, 5),
        chronic=True,
        by=gp,
    )
    allergy = dossier.record_allergy(
        patient=patient, substance="Penicilline", kind=AllergyKind.ALLERGY, by=gp
    )
    pressure = dossier.record_measurements(
        patient=patient,
        measured_on=today - timedelta(days=30),
        values={SYSTOLIC: Decimal("134"), DIASTOLIC: Decimal("82")},
        by=gp,
    )
    (weight,) = dossier.record_measurements(
        patient=patient,
        measured_on=today - timedelta(days=400),
        values={WEIGHT: Decimal("81.5")},
        by=gp,
    )
    labs = release(lab_results(patient, order=order), gp)
    hidden: dict[str, Any] = {}
    if with_hidden:
        hidden = _hidden_rows(patient, gp, order=order)
    return Chart(patient, episode, closed, medication, allergy, pressure, weight, labs, hidden)


def _hidden_rows(patient: Patient, gp: User, *, order: str) -> dict[str, Any]:
    shielded_episode = dossier.record_episode(
        patient=patient, icpc_code="P76", title="Somberheid", started_on=date(2024, 3, 1), by=gp
    )
    old_episode = dossier.record_episode(
        patient=patient, icpc_code="L03", title="Lage rugpijn", started_on=date(2018, 1, 1), by=gp
    )
    dossier.close_episode(episode=old_episode, ended_on=BEFORE_OPEN, by=gp)
    shielded_medication = dossier.record_medication(
        patient=patient,
        name="Sertraline 50 mg",
        dosage="1x per dag",
        started_on=date(2024, 3, 1),
        by=gp,
    )
    old_medication = dossier.record_medication(
        patient=patient,
        name="Ibuprofen 400 mg",
        dosage="zo nodig",
        started_on=date(2018, 1, 1),
        by=gp,
    )
    dossier.stop_medication(medication=old_medication, ended_on=BEFORE_OPEN, by=gp)
    shielded_allergy = dossier.record_allergy(
        patient=patient, substance="Latex", kind=AllergyKind.INTOLERANCE, by=gp
    )
    (shielded_weight,) = dossier.record_measurements(
        patient=patient,
        measured_on=timezone.localdate() - timedelta(days=10),
        values={WEIGHT: Decimal("90")},
        by=gp,
    )
    (old_weight,) = dossier.record_measurements(
        patient=patient, measured_on=BEFORE_OPEN, values={WEIGHT: Decimal("79")}, by=gp
    )
    for row in (shielded_episode, shielded_medication, shielded_allergy, shielded_weight):
        dossier.set_shielded(item=row, shielded=True, by=gp)
    unreleased = lab_results(patient, LDL, order=f"{order}-U")  # no comment, not released
    held_back = lab_results(patient, SampleResult("372", "7.1", "mmol/l"), order=f"{order}-H")
    review_result(result=held_back[0], comment="Bespreek ik", release=False, by=gp)
    before_open = release(lab_results(patient, LDL, observed=BEFORE_OPEN, order=f"{order}-O"), gp)
    return {
        "Condition": [shielded_episode, old_episode],
        "EpisodeOfCare": [shielded_episode, old_episode],
        "MedicationStatement": [shielded_medication, old_medication],
        "AllergyIntolerance": [shielded_allergy],
        "Observation": [shielded_weight, old_weight, *unreleased, *held_back, *before_open],
    }


@dataclass
class Charts:
    a: Chart  # patient A (portal login), with hidden rows
    other_a: Chart  # another patient of practice A
    b: Chart  # patient B, practice B


def ensure_lab_test_table() -> None:
    """The NHG test table (results migration 0002/0003) as reference data. A transactional
    test's flush empties it; results.apps reloads it after every flush, and this is a
    second guard for tests run against a database kept from before that fix."""
    from spreekuur.results.models import LabTest
    from spreekuur.results.table import load_test_table

    if not LabTest.objects.exists():
        load_test_table()


@pytest.fixture
def charts(cast: Cast) -> Charts:
    """Both practices' records online since OPEN_FROM, and a record for three patients."""
    ensure_lab_test_table()
    open_records(cast.practice_a)
    open_records(cast.practice_b)
    return Charts(
        a=chart(cast.patient_a, cast.gp_a, order="A1", with_hidden=True),
        other_a=chart(cast.other_patient_a, cast.gp_a, order="A2"),
        b=chart(cast.patient_b, cast.gp_b, order="B1"),
    )


@pytest.fixture
def token_a(cast: Cast, pgo: Registered) -> str:
    """Patient A's access token for the practice's PGO (patient/*.rs)."""
    return str(patient_token(pgo, cast.patient_user_a, cast.patient_a)["access_token"])
