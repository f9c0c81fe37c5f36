"""An app passes on home measurements and asks for repeat prescriptions, through the
same services as the portal: marked as the patient's own, validated, all or nothing."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from spreekuur.core.models import AuditEntry
from spreekuur.dossier.models import DIASTOLIC, SYSTOLIC, Measurement, MeasurementSource
from spreekuur.dossier.selectors import measurement_lines, measurements_online
from spreekuur.prescriptions.models import RepeatRequestItem
from tests.conftest import Cast
from tests.fhir.conftest import FHIR, api, fhir_json, ids, open_records, patient_app, patient_token
from tests.prescriptions.conftest import Repeats, make_repeats

SCOPES = "launch/patient patient/Observation.crs patient/MedicationRequest.crs patient/MedicationStatement.rs patient/Organization.rs"


@pytest.fixture
def repeats(cast: Cast) -> Repeats:
    return make_repeats(cast)


@pytest.fixture
def token(cast: Cast) -> str:
    open_records(cast.practice_a)
    app = patient_app(cast.practice_a, name="Meet-app", scopes=SCOPES)
    return str(
        patient_token(app, cast.patient_user_a, cast.patient_a, scope=SCOPES)["access_token"]
    )


def post(token: str, body: Any, path: str) -> Any:
    return Client().post(
        f"/fhir/R4/{path}",
        json.dumps(body),
        content_type=FHIR,
        HTTP_ACCEPT=FHIR,
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def blood_pressure(upper: float, lower: float, **extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "status": "final",
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                        "code": "vital-signs",
                    }
                ]
            }
        ],
        "code": {"coding": [{"system": "http://loinc.org", "code": "85354-9"}]},
        "effectiveDateTime": timezone.localtime().replace(microsecond=0).isoformat(),
        "component": [
            {
                "code": {"coding": [{"system": "http://loinc.org", "code": "8480-6"}]},
                "valueQuantity": {
                    "value": upper,
                    "unit": "mmHg",
                    "system": "http://unitsofmeasure.org",
                    "code": "mm[Hg]",
                },
            },
            {
                "code": {"coding": [{"system": "http://loinc.org", "code": "8462-4"}]},
                "valueQuantity": {
                    "value": lower,
                    "unit": "mmHg",
                    "system": "http://unitsofmeasure.org",
                    "code": "mm[Hg]",
                },
            },
        ],
        **extra,
    }


def test_a_home_blood_pressure_is_stored_as_the_patients_own(cast: Cast, token: str) -> None:
    created = fhir_json(post(token, blood_pressure(138, 86), "Observation"), 201)
    assert created["code"]["coding"][0]["code"] == "85354-9"
    assert created["performer"] == [
        {"reference": f"Patient/{cast.patient_a.public_id}", "display": cast.patient_a.display_name}
    ]
    assert created["meta"]["profile"] == [
        "http://nictiz.nl/fhir/StructureDefinition/nl-core-BloodPressure"
    ]
    rows = Measurement.objects.filter(patient=cast.patient_a).order_by("id")
    assert [row.test.nhg_code for row in rows] == [SYSTOLIC, DIASTOLIC]
    assert {row.source for row in rows} == {MeasurementSource.PATIENT}
    assert rows[1].pair == rows[0]
    # The practice and the portal show it as one reading, marked as a home measurement.
    [line] = measurement_lines(measurements_online(cast.patient_a))
    assert line.is_blood_pressure and line.patient_reported
    entry = AuditEntry.objects.get(object_kind="measurement", action="create")
    assert entry.channel == "api" and "app: Meet-app" in entry.detail
    # Read back as one Observation (the diastolic travels with it).
    found = fhir_json(api(token, "Observation", category="vital-signs"))
    assert ids(found) == {created["id"]}


def test_the_practice_sees_a_home_measurement_marked(cast: Cast, token: str) -> None:
    from tests.conftest import verified_client

    fhir_json(post(token, blood_pressure(138, 86), "Observation"), 201)
    page = verified_client(cast.gp_a).get(f"/patienten/{cast.patient_a.public_id}/dossier/")
    assert "thuismeting van de patiënt" in page.content.decode()


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (blood_pressure(86, 138), 422),  # the upper below the lower
        (blood_pressure(380, 86), 422),  # no body has this
        ({**blood_pressure(138, 86), "component": []}, 422),  # a panel without values
        ({**blood_pressure(138, 86), "effectiveDateTime": "2001-01-01"}, 422),  # too old
        ({**blood_pressure(138, 86), "status": "bezig"}, 400),  # not FHIR
        (
            {
                **blood_pressure(138, 86),
                "code": {"coding": [{"system": "http://loinc.org", "code": "2339-0"}]},
            },
            422,
        ),
    ],
)
def test_a_wrong_measurement_is_refused_and_nothing_stored(
    cast: Cast, token: str, body: Any, status: int
) -> None:
    fhir_json(post(token, body, "Observation"), status)
    assert not Measurement.objects.exists()


def test_a_measurement_of_another_patient_is_refused(cast: Cast, token: str) -> None:
    body = blood_pressure(
        138, 86, subject={"reference": f"Patient/{cast.other_patient_a.public_id}"}
    )
    fhir_json(post(token, body, "Observation"), 422)
    assert not Measurement.objects.exists()


def test_a_weight_in_grams_is_refused_in_kilograms_taken(cast: Cast, token: str) -> None:
    weight = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "29463-7"}]},
        "effectiveDateTime": (timezone.localdate() - timedelta(days=1)).isoformat(),
        "valueQuantity": {
            "value": 81.4,
            "unit": "kg",
            "system": "http://unitsofmeasure.org",
            "code": "kg",
        },
    }
    created = fhir_json(post(token, weight, "Observation"), 201)
    assert created["valueQuantity"]["value"] == 81.4
    grams = {**weight, "valueQuantity": {"value": 81400, "unit": "g", "code": "g"}}
    fhir_json(post(token, grams, "Observation"), 422)
    assert Measurement.objects.count() == 1


def single(loinc: str, value: float, unit: str) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": loinc}]},
        "effectiveDateTime": timezone.localtime().replace(microsecond=0).isoformat(),
        "valueQuantity": {
            "value": value,
            "unit": unit,
            "system": "http://unitsofmeasure.org",
            "code": unit,
        },
    }


@pytest.mark.parametrize(
    ("loinc", "value", "unit", "nhg", "profile"),
    [
        ("14770-2", 6.4, "mmol/L", "382", None),  # glucose nuchter, draagbare meter
        ("14743-9", 9.1, "mmol/L", "381", None),  # glucose niet nuchter, draagbare meter
        ("8867-4", 64, "/min", "3963", "nl-core-HeartRate"),  # hartfrequentie (thuismeting)
    ],
)
def test_glucose_from_a_meter_and_heart_rate_come_in_with_their_nhg_numbers(
    cast: Cast, token: str, loinc: str, value: float, unit: str, nhg: str, profile: str | None
) -> None:
    created = fhir_json(post(token, single(loinc, value, unit), "Observation"), 201)
    row = Measurement.objects.get(patient=cast.patient_a)
    assert row.test.nhg_code == nhg and row.source == MeasurementSource.PATIENT
    assert float(row.value) == value
    codes = {(c["system"], c["code"]) for c in created["code"]["coding"]}
    assert ("http://loinc.org", loinc) in codes
    assert created["valueQuantity"]["value"] == value
    claimed = created.get("meta", {}).get("profile", [])
    assert claimed == ([f"http://nictiz.nl/fhir/StructureDefinition/{profile}"] if profile else [])
    # What no meter reads is refused, nothing stored.
    fhir_json(post(token, single(loinc, 400, unit), "Observation"), 422)
    assert Measurement.objects.count() == 1


def test_the_nhg_numbers_of_a_home_blood_pressure_are_read_too(cast: Cast, token: str) -> None:
    body = blood_pressure(131, 79)
    nhg = "https://referentiemodel.nhg.org/tabellen/nhg-tabel-45-diagnostische-bepalingen"
    body["component"][0]["code"] = {"coding": [{"system": nhg, "code": "2055"}]}
    body["component"][1]["code"] = {"coding": [{"system": nhg, "code": "2056"}]}
    fhir_json(post(token, body, "Observation"), 201)
    values = {
        row.test.nhg_code: float(row.value)
        for row in Measurement.objects.filter(patient=cast.patient_a)
    }
    assert values == {SYSTOLIC: 131, DIASTOLIC: 79}


def test_a_repeat_is_requested_through_the_portals_service(
    cast: Cast, token: str, repeats: Repeats
) -> None:
    statements = fhir_json(api(token, "MedicationStatement"))
    repeatable_ids = {
        resource["id"]
        for resource in (entry["resource"] for entry in statements["entry"])
        if resource["extension"][0]["valueBoolean"]
    }
    assert str(repeats.metformin.public_id) in repeatable_ids
    body = {
        "resourceType": "MedicationRequest",
        "status": "active",
        "intent": "proposal",
        "subject": {"reference": f"Patient/{cast.patient_a.public_id}"},
        "medicationCodeableConcept": {"text": "Metformine 500 mg"},
        "supportingInformation": [
            {"reference": f"MedicationStatement/{repeats.metformin.public_id}"}
        ],
        "dispenseRequest": {
            "performer": {"reference": f"Organization/{repeats.pharmacy.public_id}"}
        },
        "note": [{"text": "Graag voor vrijdag"}],
    }
    created = fhir_json(post(token, body, "MedicationRequest"), 201)
    assert created["intent"] == "proposal" and created["status"] == "active"
    item = RepeatRequestItem.objects.get()
    assert item.medication == repeats.metformin
    assert item.request.pharmacy == repeats.pharmacy
    assert item.request.note == "Graag voor vrijdag"
    assert created["id"] in ids(fhir_json(api(token, "MedicationRequest")))
    # Asked again while the first is open: the portal's rule refuses it.
    fhir_json(post(token, body, "MedicationRequest"), 422)
    assert RepeatRequestItem.objects.count() == 1


def test_another_patients_medicine_cannot_be_requested(
    cast: Cast, token: str, repeats: Repeats
) -> None:
    body = {
        "resourceType": "MedicationRequest",
        "status": "active",
        "intent": "proposal",
        "subject": {"reference": f"Patient/{cast.patient_a.public_id}"},
        "medicationCodeableConcept": {"text": "Amlodipine"},
        "supportingInformation": [
            {"reference": f"MedicationStatement/{repeats.other_patients.public_id}"}
        ],
        "dispenseRequest": {
            "performer": {"reference": f"Organization/{repeats.pharmacy.public_id}"}
        },
    }
    answer = post(token, body, "MedicationRequest")
    assert answer.status_code in (403, 422)
    assert not RepeatRequestItem.objects.exists()


def test_the_pharmacies_are_organizations(cast: Cast, token: str, repeats: Repeats) -> None:
    found = ids(fhir_json(api(token, "Organization")))
    assert {str(cast.practice_a.public_id), str(repeats.pharmacy.public_id)} <= found
