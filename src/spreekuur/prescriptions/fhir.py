"""An approved item as a FHIR R4 MedicationRequest, validated with fhir.resources before
it goes into the outbox; the pharmacy's MedicationDispense read back and held against it.

Shaped after the Nictiz medication process (zib MedicationAgreement / InstructionsForUse /
PharmaceuticalProduct, R4): the item's own id and identifier, the medicine with its
G-Standaard code where the repeat list has one, and a structured dosage next to its text
(prescriptions.dosage). It claims no profile in meta.profile: nl-core-MedicationAgreement
asks for a medication category (SNOMED 16076005), the medicine as a reference to a
Medication and the prescriber as a PractitionerRole, and keeps the dispense request apart;
this one message carries both, as base R4 allows. Only a claim we can validate would be
honest, and the Nictiz StructureDefinitions cannot be validated here."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.conf import settings

from spreekuur.core.fhir import AGB_SYSTEM, BSN_SYSTEM, GSTANDAARD
from spreekuur.dossier.models import Medication
from spreekuur.prescriptions.dosage import dosage_instruction
from spreekuur.prescriptions.models import ItemStatus, RepeatRequestItem

if TYPE_CHECKING:
    from fhir.resources.R4B.medicationdispense import MedicationDispense

RFC_3986 = "urn:ietf:rfc:3986"
GENDER = {"F": "female", "M": "male"}
_GSTANDAARD_CODE = re.compile(r"\d{1,8}")


def prescription_system() -> str:
    """Our naming system for prescriptions: a URL of this deployment, which the
    pharmacy may echo back next to the value (the item's public id)."""
    return f"{settings.SITE_URL}/fhir/NamingSystem/medicationrequest"


def item_identifier(item: RepeatRequestItem) -> str:
    return f"urn:uuid:{item.public_id}"


def medication_request(item: RepeatRequestItem) -> dict[str, Any]:
    """The MedicationRequest that goes into the outbox, validated as R4."""
    resource = medication_request_json(item)
    # Imported here, not at the top: fhir.resources is big, and every web worker would
    # hold it while only the outbox and the pharmacy's door need it.
    from fhir.resources.R4B.medicationrequest import MedicationRequest

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
        # Its own id, so that a MedicationDispense can refer to "MedicationRequest/<id>".
        "id": str(item.public_id),
        # The urn:uuid form first, as before (and as Nictiz's examples write it), for
        # systems that read the first; then ours, with the bare id.
        "identifier": [
            {"system": RFC_3986, "value": item_identifier(item)},
            {"system": prescription_system(), "value": str(item.public_id)},
        ],
        "status": "active",
        "intent": "order",
        "medicationCodeableConcept": medicine_concept(medication),
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
        "dosageInstruction": (
            [dosage_instruction(medication.dosage)] if medication.dosage.strip() else []
        ),
        "dispenseRequest": {
            "quantity": (
                {"value": int(quantity.group(1)), "unit": quantity.group(2) or "stuk"}
                if quantity
                else {"unit": medication.quantity}
            )
        },
    }
    return {key: value for key, value in resource.items() if value not in (None, [])}


def medicine_concept(medication: Medication) -> dict[str, Any]:
    """The medicine's name, with its G-Standaard coding when the dossier has one."""
    concept: dict[str, Any] = {"text": medication.name}
    level = medication.gstandaard_level
    code = medication.gstandaard_code.strip()
    if level in GSTANDAARD and _GSTANDAARD_CODE.fullmatch(code):
        concept["coding"] = [{"system": GSTANDAARD[level], "code": code}]
    return concept


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


# --- The pharmacy's MedicationDispense ----------------------------------------------------


@dataclass(frozen=True)
class Medicine:
    """A medicine as a message names it: its codings (system, code) and its name."""

    codes: frozenset[tuple[str, str]]
    text: str


@dataclass(frozen=True)
class DispenseReport:
    """What the pharmacy's MedicationDispense says: which of our prescriptions, its
    status, and whom and what it was for (to hold against the prescription)."""

    item_id: str
    status: str
    patient_bsns: frozenset[str]
    medicine: Medicine


def read_dispense(raw: bytes) -> DispenseReport:
    """The report in a MedicationDispense; ValueError when it is not one, or does not
    name exactly one prescription of ours (by reference `MedicationRequest/<id>`, as the
    FHIR specification writes it, or by one of the identifiers we sent)."""
    from fhir.resources.R4B.medicationdispense import MedicationDispense  # see medication_request

    dispense = MedicationDispense.model_validate_json(raw)
    item_ids = _prescription_ids(dispense)
    if len(item_ids) != 1:
        raise ValueError("not exactly one authorizing prescription of ours")
    return DispenseReport(
        item_id=item_ids.pop(),
        status=str(dispense.status),
        patient_bsns=_patient_bsns(dispense),
        medicine=_dispensed_medicine(dispense),
    )


def _prescription_ids(dispense: MedicationDispense) -> set[str]:
    ours = prescription_system()
    found: set[str] = set()
    for reference in dispense.authorizingPrescription or []:
        relative = re.fullmatch(
            r"MedicationRequest/([0-9A-Fa-f-]{32,36})", reference.reference or ""
        )
        if relative:
            found.add(str(UUID(relative.group(1))))
        identifier = reference.identifier
        value = str(identifier.value or "") if identifier is not None else ""
        if value.startswith("urn:uuid:"):
            found.add(str(UUID(value.removeprefix("urn:uuid:"))))
        elif identifier is not None and identifier.system == ours:
            found.add(str(UUID(value)))
    return found


def _contained(dispense: MedicationDispense, reference: str | None, kind: str) -> Any:
    """The contained resource that a "#id" reference points at, or None."""
    if not reference or not reference.startswith("#"):
        return None
    for resource in dispense.contained or []:
        if resource.get_resource_type() == kind and resource.id == reference[1:]:
            return resource
    return None


def _patient_bsns(dispense: MedicationDispense) -> frozenset[str]:
    """The BSNs the dispense names for its patient (none when it names the patient
    otherwise, e.g. by a reference to the pharmacy's own server)."""
    subject = dispense.subject
    if subject is None:
        return frozenset()
    identifiers = [subject.identifier] if subject.identifier is not None else []
    patient = _contained(dispense, subject.reference, "Patient")
    if patient is not None:
        identifiers.extend(patient.identifier or [])
    return frozenset(
        str(identifier.value).strip()
        for identifier in identifiers
        if identifier.system == BSN_SYSTEM and identifier.value
    )


def _dispensed_medicine(dispense: MedicationDispense) -> Medicine:
    concept = dispense.medicationCodeableConcept
    display = ""
    if concept is None and dispense.medicationReference is not None:
        reference = dispense.medicationReference
        medication = _contained(dispense, reference.reference, "Medication")
        concept = medication.code if medication is not None else None
        display = reference.display or ""
    codings = (concept.coding or []) if concept is not None else []
    text = (concept.text if concept is not None else None) or ""
    names = [text, *(coding.display or "" for coding in codings), display]
    return Medicine(
        codes=frozenset((str(c.system), str(c.code)) for c in codings if c.system and c.code),
        text=next((name for name in names if name.strip()), ""),
    )


def prescribed_medicine(payload: dict[str, Any]) -> Medicine:
    """The medicine of a MedicationRequest we sent (as stored in the outbox)."""
    concept = payload.get("medicationCodeableConcept") or {}
    return Medicine(
        codes=frozenset(
            (str(coding.get("system")), str(coding.get("code")))
            for coding in concept.get("coding") or []
            if coding.get("system") and coding.get("code")
        ),
        text=str(concept.get("text") or ""),
    )


def prescribed_bsn(payload: dict[str, Any]) -> str:
    """The patient's BSN in a MedicationRequest we sent."""
    for resource in payload.get("contained") or []:
        if resource.get("resourceType") == "Patient":
            for identifier in resource.get("identifier") or []:
                if identifier.get("system") == BSN_SYSTEM:
                    return str(identifier.get("value") or "")
    return ""


def dispense_mismatch(payload: dict[str, Any], report: DispenseReport) -> str | None:
    """What in the dispense does not fit the prescription we sent: "patient" (a BSN of
    someone else), "medicine" (another medicine, or none we can compare), or None."""
    if any(bsn != prescribed_bsn(payload) for bsn in report.patient_bsns):
        return "patient"
    if not same_medicine(prescribed_medicine(payload), report.medicine):
        return "medicine"
    return None


def same_medicine(prescribed: Medicine, dispensed: Medicine) -> bool:
    """Codes decide where both use the same G-Standaard level; otherwise the names must
    name the same substance and, where both give one, the same strength. A pharmacy that
    names a brand for a generic prescription, without our code, is refused: a false
    refusal is asked about, a false acceptance would tell the patient the wrong thing."""
    shared = {system for system, _code in prescribed.codes} & {
        system for system, _code in dispensed.codes
    }
    if shared:
        return any(code in dispensed.codes for code in prescribed.codes if code[0] in shared)
    prescribed_name, prescribed_strengths = _name_parts(prescribed.text)
    dispensed_name, dispensed_strengths = _name_parts(dispensed.text)
    if not prescribed_name or prescribed_name != dispensed_name:
        return False
    if prescribed_strengths and dispensed_strengths:
        return prescribed_strengths == dispensed_strengths
    return True


def _name_parts(text: str) -> tuple[str, frozenset[Decimal]]:
    """The substance (the first word) and the strengths (the numbers) of a name:
    "METFORMINE HCL TABLET 500MG" and "Metformine 500 mg" give the same."""
    plain = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    plain = re.sub(r"(\d),(\d)", r"\1.\2", plain)
    words = re.findall(r"[a-z]+", plain)
    numbers = frozenset(Decimal(n) for n in re.findall(r"\d{1,9}(?:\.\d{1,9})?", plain))
    return (words[0] if words else "", numbers)


# --- The FHIR API: a patient's repeat requests, and the practice's pharmacies ---------------

REQUEST_STATUS = {
    ItemStatus.REQUESTED: "active",
    ItemStatus.IN_REVIEW: "active",
    ItemStatus.APPROVED: "active",
    ItemStatus.SENT: "completed",
    ItemStatus.READY: "completed",
    ItemStatus.REJECTED: "cancelled",
}
DECIDED = (ItemStatus.APPROVED, ItemStatus.SENT, ItemStatus.READY)


def repeat_request_resource(item: RepeatRequestItem) -> dict[str, Any]:
    """A repeat request as the patient sees it: a proposal for a medicine on their repeat
    list (`supportingInformation` names it as MedicationStatement), its progress in
    words (statusReason), the practice's decision (an order once a GP approved), and
    the pharmacy."""
    request = item.request
    patient = request.patient
    status = ItemStatus(item.status)
    resource: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "id": str(item.public_id),
        "status": REQUEST_STATUS[status],
        "statusReason": {"text": str(status.label)},
        "intent": "order" if status in DECIDED else "proposal",
        "medicationCodeableConcept": medicine_concept(item.medication),
        "subject": {
            "reference": f"Patient/{patient.public_id}",
            "display": patient.display_name,
        },
        "authoredOn": _utc(request.created_at),
        "supportingInformation": [
            {"reference": f"MedicationStatement/{item.medication.public_id}"}
        ],
        "dispenseRequest": {
            "performer": {
                "reference": f"Organization/{request.pharmacy.public_id}",
                "display": request.pharmacy.name,
            }
        },
    }
    if item.medication.dosage.strip():
        resource["dosageInstruction"] = [{"text": item.medication.dosage}]
    if status == ItemStatus.REJECTED and item.explanation:
        resource["statusReason"] = {"text": item.explanation}
    if request.note:
        resource["note"] = [{"text": request.note}]
    return resource


def pharmacy_resource(pharmacy: Any) -> dict[str, Any]:
    """A pharmacy the practice sends prescriptions to, as an Organization."""
    resource: dict[str, Any] = {
        "resourceType": "Organization",
        "id": str(pharmacy.public_id),
        "active": pharmacy.active,
        "type": [{"text": "apotheek"}],
        "name": pharmacy.name,
    }
    if pharmacy.agb_code:
        resource["identifier"] = [{"system": AGB_SYSTEM, "value": pharmacy.agb_code}]
    if pharmacy.phone:
        resource["telecom"] = [{"system": "phone", "value": pharmacy.phone, "use": "work"}]
    if pharmacy.city:
        resource["address"] = [{"city": pharmacy.city, "country": "NL"}]
    return resource
