"""The unvalidated MedicationRequest that bulk writers use (the demo region) is exactly
what validation writes, so the demo's pharmacy messages are the product's."""

from __future__ import annotations

import pytest

from spreekuur.prescriptions.fhir import medication_request, medication_request_json
from spreekuur.prescriptions.models import RepeatRequestItem
from spreekuur.prescriptions.services import approve_items
from tests.prescriptions.conftest import Repeats


@pytest.mark.parametrize("agb", ["01234567", ""])
@pytest.mark.parametrize("microseconds", [0, 123456])
def test_the_unvalidated_request_equals_the_validated_one(
    repeats: Repeats, agb: str, microseconds: int
) -> None:
    membership = repeats.cast.gp_a.membership
    membership.agb_code = agb
    membership.save(update_fields=["agb_code"])
    approve_items(items=repeats.request(repeats.metformin), by=repeats.cast.gp_a)
    item = RepeatRequestItem.objects.select_related(
        "request__patient", "medication", "decided_by__membership"
    ).get()
    assert item.decided_at is not None
    item.decided_at = item.decided_at.replace(microsecond=microseconds)
    assert medication_request_json(item) == medication_request(item)
    practitioner = medication_request_json(item)["contained"][1]
    assert ("identifier" in practitioner) == bool(agb)


# --- The shape: id, identifier, G-Standaard coding, structured dosage ----------------------


def _approved(repeats: Repeats) -> RepeatRequestItem:
    approve_items(items=repeats.request(repeats.metformin), by=repeats.cast.gp_a)
    return RepeatRequestItem.objects.select_related(
        "request__patient", "medication", "decided_by__membership"
    ).get()


def test_the_request_has_the_items_id_and_identifiers(repeats: Repeats, settings) -> None:
    settings.SITE_URL = "https://praktijk.example"
    item = _approved(repeats)
    resource = medication_request(item)
    assert resource["id"] == str(item.public_id)
    assert resource["identifier"] == [
        {"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{item.public_id}"},
        {
            "system": "https://praktijk.example/fhir/NamingSystem/medicationrequest",
            "value": str(item.public_id),
        },
    ]
    # It claims no Nictiz profile it has not been validated against.
    assert "meta" not in resource


def test_the_dosage_goes_structured_next_to_its_text(repeats: Repeats) -> None:
    item = _approved(repeats)
    assert medication_request(item)["dosageInstruction"] == [
        {
            "text": "1 keer per dag 1 tablet",
            "timing": {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d"}},
            "doseAndRate": [
                {
                    "doseQuantity": {
                        "value": 1,
                        "unit": "stuk",
                        "system": "http://unitsofmeasure.org",
                        "code": "{stuk}",
                    }
                }
            ],
        }
    ]


@pytest.mark.parametrize(
    ("dosage", "expected"),
    [
        ("volgens schema trombosedienst", [{"text": "volgens schema trombosedienst"}]),
        ("", None),  # nothing to say: no empty Dosage (FHIR allows no empty strings)
    ],
)
def test_a_dosage_not_understood_goes_as_text_only(
    repeats: Repeats, dosage: str, expected: list[dict[str, str]] | None
) -> None:
    item = _approved(repeats)
    item.medication.dosage = dosage
    assert medication_request(item).get("dosageInstruction") == expected
    assert medication_request_json(item) == medication_request(item)


@pytest.mark.parametrize(
    ("level", "system"),
    [
        ("prk", "urn:oid:2.16.840.1.113883.2.4.4.10"),
        ("hpk", "urn:oid:2.16.840.1.113883.2.4.4.7"),
        ("gpk", "urn:oid:2.16.840.1.113883.2.4.4.1"),
        ("zi", "urn:oid:2.16.840.1.113883.2.4.4.8"),
    ],
)
def test_a_gstandaard_code_goes_with_the_name(repeats: Repeats, level: str, system: str) -> None:
    item = _approved(repeats)
    item.medication.gstandaard_level = level
    item.medication.gstandaard_code = "29998"
    assert medication_request(item)["medicationCodeableConcept"] == {
        "text": "Metformine 500 mg",
        "coding": [{"system": system, "code": "29998"}],
    }
    assert medication_request_json(item) == medication_request(item)


@pytest.mark.parametrize(
    ("level", "code"),
    [("atc", "29998"), ("prk", "A10BA02"), ("prk", ""), ("prk", "123456789"), ("", "29998")],
)
def test_an_unknown_level_or_a_malformed_code_is_left_out(
    repeats: Repeats, level: str, code: str
) -> None:
    item = _approved(repeats)
    item.medication.gstandaard_level = level
    item.medication.gstandaard_code = code
    assert medication_request(item)["medicationCodeableConcept"] == {"text": "Metformine 500 mg"}


def test_a_real_r4_client_reads_the_whole_shape(repeats: Repeats) -> None:
    from fhirclient.models.medicationrequest import MedicationRequest

    item = _approved(repeats)
    item.medication.gstandaard_level = "prk"
    item.medication.gstandaard_code = "29998"
    parsed = MedicationRequest(medication_request(item))  # strict: unknown fields raise
    assert parsed.id == str(item.public_id)
    assert parsed.identifier[1].value == str(item.public_id)
    assert parsed.medicationCodeableConcept.coding[0].code == "29998"
    assert parsed.medicationCodeableConcept.text == "Metformine 500 mg"
    [dosage] = parsed.dosageInstruction
    assert dosage.text == "1 keer per dag 1 tablet"
    assert (dosage.timing.repeat.frequency, dosage.timing.repeat.periodUnit) == (1, "d")
    assert dosage.doseAndRate[0].doseQuantity.code == "{stuk}"
