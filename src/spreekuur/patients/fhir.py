"""A patient as a FHIR R4 Patient, shaped after nl-core-Patient: the BSN as identifier,
the name split as Dutch names are (voorvoegsel apart, the initials and the roepnaam each
in their own place), the address with street and house number apart."""

from __future__ import annotations

from typing import Any

from spreekuur.core.fhir import BSN_SYSTEM, profile
from spreekuur.patients.models import Patient, Sex

# nl-core's GeslachtCodelijst map: M male, F female, UN (anders) other.
GENDER = {Sex.FEMALE: "female", Sex.MALE: "male", Sex.OTHER: "other"}
OWN_PREFIX = "http://hl7.org/fhir/StructureDefinition/humanname-own-prefix"
OWN_NAME = "http://hl7.org/fhir/StructureDefinition/humanname-own-name"
NAME_QUALIFIER = "http://hl7.org/fhir/StructureDefinition/iso21090-EN-qualifier"
ASSEMBLY_ORDER = "http://hl7.org/fhir/StructureDefinition/humanname-assembly-order"
ASSEMBLY_ORDER_SYSTEM = "http://terminology.hl7.org/CodeSystem/name-assembly-order"
STREET = "http://hl7.org/fhir/StructureDefinition/iso21090-ADXP-streetName"
HOUSE_NUMBER = "http://hl7.org/fhir/StructureDefinition/iso21090-ADXP-houseNumber"


def _official_name(patient: Patient) -> dict[str, Any]:
    family = " ".join(part for part in (patient.name_prefix, patient.family_name) if part)
    family_parts: list[dict[str, Any]] = []
    if patient.name_prefix:
        family_parts.append({"url": OWN_PREFIX, "valueString": patient.name_prefix})
    family_parts.append({"url": OWN_NAME, "valueString": patient.family_name})
    name: dict[str, Any] = {
        # NL1: the own family name only (the record keeps no partner name).
        "extension": [
            {
                "url": ASSEMBLY_ORDER,
                "valueCodeableConcept": {
                    "coding": [{"system": ASSEMBLY_ORDER_SYSTEM, "code": "NL1"}]
                },
            }
        ],
        "use": "official",
        "text": patient.formal_name,
        "family": family,
        "_family": {"extension": family_parts},
    }
    if patient.initials:
        # Initials as given names qualified IN, as nl-core-NameInformation writes them.
        initials = [f"{letter}." for letter in patient.initials.replace(".", "").split()]
        initials = initials or [patient.initials]
        name["given"] = initials
        name["_given"] = [
            {"extension": [{"url": NAME_QUALIFIER, "valueCode": "IN"}]} for _ in initials
        ]
    return name


def patient_resource(patient: Patient) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": str(patient.public_id),
        "meta": profile("nl-core-Patient"),
        "identifier": [{"use": "official", "system": BSN_SYSTEM, "value": patient.bsn}],
        "active": True,
        "name": [
            _official_name(patient),
            {
                "use": "usual",
                "given": [patient.given_name],
                "_given": [{"extension": [{"url": NAME_QUALIFIER, "valueCode": "CL"}]}],
            },
        ],
        "gender": GENDER.get(Sex(patient.sex), "unknown"),
        "birthDate": patient.date_of_birth.isoformat(),
        "managingOrganization": {
            "reference": f"Organization/{patient.practice.public_id}",
            "display": patient.practice.name,
        },
    }
    if patient.phone:
        resource["telecom"] = [{"system": "phone", "value": patient.phone, "use": "home"}]
    if patient.street or patient.city:
        line = " ".join(part for part in (patient.street, patient.house_number) if part)
        address: dict[str, Any] = {"use": "home", "type": "physical", "country": "NL"}
        if line:
            address["line"] = [line]
            parts = []
            if patient.street:
                parts.append({"url": STREET, "valueString": patient.street})
            if patient.house_number:
                parts.append({"url": HOUSE_NUMBER, "valueString": patient.house_number})
            address["_line"] = [{"extension": parts}]
        if patient.city:
            address["city"] = patient.city
        if patient.postal_code:
            address["postalCode"] = patient.postal_code
        resource["address"] = [address]
    gp = patient.gp if patient.gp_id is not None else None
    membership = getattr(gp, "membership", None) if gp is not None else None
    if gp is not None and membership is not None:
        resource["generalPractitioner"] = [
            {"reference": f"Practitioner/{membership.public_id}", "display": gp.full_name}
        ]
    return resource
