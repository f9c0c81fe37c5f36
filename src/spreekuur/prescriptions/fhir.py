"""An approved item as a FHIR R4 MedicationRequest (nl-core style), validated with
fhir.resources before it goes into the outbox; the pharmacy's MedicationDispense read back."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from fhir.resources.R4B.medicationdispense import MedicationDispense
from fhir.resources.R4B.medicationrequest import MedicationRequest

from spreekuur.prescriptions.models import RepeatRequestItem

BSN_SYSTEM = "http://fhir.nl/fhir/NamingSystem/bsn"
AGB_SYSTEM = "http://fhir.nl/fhir/NamingSystem/agb-z"
GENDER = {"F": "female", "M": "male"}


def item_identifier(item: RepeatRequestItem) -> str:
    return f"urn:uuid:{item.public_id}"


def medication_request(item: RepeatRequestItem) -> dict[str, Any]:
    """The MedicationRequest that goes into the outbox, validated as R4."""
    resource = medication_request_json(item)
    # Refuses anything that is not a valid R4 MedicationRequest before it leaves us.
    return MedicationRequest.model_validate(resource).model_dump(mode="json", exclude_none=True)


def medication_request_json(item: RepeatRequestItem) -> dict[str, Any]:
    """The same resource, unvalidated, already in the form validation writes it (UTC times
    with Z, no empty lists): for bulk writers such as the demo region, which make the
    same messages by the thousand. tests/prescriptions prove the two agree."""
    request = item.request
    patient = request.patient
    medication = item.medication
    prescriber = item.decided_by
    agb = getattr(getattr(prescriber, "membership", None), "agb_code", "") if prescriber else ""
    quantity = re.match(r"^\s*(\d+)\s*(.*)$", medication.quantity)
    resource: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "identifier": [{"system": "urn:ietf:rfc:3986", "value": item_identifier(item)}],
        "status": "active",
        "intent": "order",
        "medicationCodeableConcept": {"text": medication.name},
        "contained": [
            {
                "resourceType": "Patient",
                "id": "patient",
                "identifier": [{"system": BSN_SYSTEM, "value": patient.bsn}],
                "name": [
                    {
                        "family": " ".join(
                            p for p in (patient.name_prefix, patient.family_name) if p
                        ),
                        "given": [patient.given_name],
                    }
                ],
                "birthDate": patient.date_of_birth.isoformat(),
                "gender": GENDER.get(patient.sex, "unknown"),
            },
            {
                "resourceType": "Practitioner",
                "id": "prescriber",
                **({"identifier": [{"system": AGB_SYSTEM, "value": agb}]} if agb else {}),
                "name": [{"text": prescriber.full_name if prescriber else ""}],
            },
        ],
        "subject": {"reference": "#patient"},
        "requester": {"reference": "#prescriber"},
        "authoredOn": _utc(item.decided_at) if item.decided_at else None,
        "dosageInstruction": [{"text": medication.dosage}],
        "dispenseRequest": {
            "quantity": (
                {"value": int(quantity.group(1)), "unit": quantity.group(2) or "stuk"}
                if quantity
                else {"unit": medication.quantity}
            )
        },
    }
    return {key: value for key, value in resource.items() if value not in (None, [])}


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def dispensed_item_id(raw: bytes) -> tuple[str, str]:
    """(the item id the pharmacy refers to, the dispense status) from a MedicationDispense;
    ValueError when it is not one."""
    dispense = MedicationDispense.model_validate_json(raw)
    for reference in dispense.authorizingPrescription or []:
        identifier = reference.identifier
        if identifier is not None and str(identifier.value or "").startswith("urn:uuid:"):
            item_id = str(UUID(str(identifier.value).removeprefix("urn:uuid:")))
            return item_id, str(dispense.status)
    raise ValueError("no authorizing prescription")
