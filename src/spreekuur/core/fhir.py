"""What every FHIR mapping of Spreekuur shares: the Dutch identifier and code systems
(as the Nictiz nl-core / zib2020 profiles name them) and the small shapes built from them.
The mapping of each kind of row lives with its app (`<app>/fhir.py`, DESIGN.md §2)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import timezone

BSN_SYSTEM = "http://fhir.nl/fhir/NamingSystem/bsn"
AGB_SYSTEM = "http://fhir.nl/fhir/NamingSystem/agb-z"
# ICPC-1 NL (NHG-Tabel 24), as nl-core-Problem codes an episode's diagnosis.
ICPC_SYSTEM = "http://hl7.org/fhir/sid/icpc-1-nl"
# NHG-Tabel 45 (diagnostische bepalingen): its canonical URL, as nl-core's
# TestCodeNHGCodelijst and the MedMij GP-data queries write it (its OID is
# 2.16.840.1.113883.2.4.4.30.45; results.parsers reads both).
NHG_TABLE_45_SYSTEM = (
    "https://referentiemodel.nhg.org/tabellen/nhg-tabel-45-diagnostische-bepalingen"
)
LOINC_SYSTEM = "http://loinc.org"
# The G-Standaard's product levels (Z-Index), as the zib PharmaceuticalProduct codes them.
GSTANDAARD = {
    "hpk": "urn:oid:2.16.840.1.113883.2.4.4.7",  # handelsproduct
    "prk": "urn:oid:2.16.840.1.113883.2.4.4.10",  # voorschrijfproduct
    "gpk": "urn:oid:2.16.840.1.113883.2.4.4.1",  # generiek product
    "zi": "urn:oid:2.16.840.1.113883.2.4.4.8",  # ZI-nummer (artikel)
}
SNOMED_SYSTEM = "http://snomed.info/sct"
UCUM_SYSTEM = "http://unitsofmeasure.org"
NICTIZ = "http://nictiz.nl/fhir/StructureDefinition/"


def profile(name: str) -> dict[str, list[str]]:
    """`meta` claiming one nl-core profile (only where our shape matches it)."""
    return {"profile": [NICTIZ + name]}


def reference(resource_type: str, public_id: object, display: str = "") -> dict[str, str]:
    ref = {"reference": f"{resource_type}/{public_id}"}
    if display:
        ref["display"] = display
    return ref


def instant(moment: datetime) -> str:
    """A FHIR dateTime/instant with its offset, in Dutch time."""
    return timezone.localtime(moment).isoformat(timespec="seconds")


def day(value: date) -> str:
    return value.isoformat()


def number(value: Decimal) -> int | float:
    """A decimal as JSON writes it best: 81.5, and 120 rather than 120.0000."""
    normal = value.normalize()
    return int(normal) if normal == normal.to_integral_value() else float(normal)


def base_url() -> str:
    return str(settings.FHIR_BASE_URL)


def narrative_free(resource: dict[str, Any]) -> dict[str, Any]:
    """Drops empty values, so that a missing field is absent rather than "" or [] (which
    FHIR forbids)."""
    return {key: value for key, value in resource.items() if value not in (None, "", [], {})}


def organization_resource(practice: Any) -> dict[str, Any]:
    """The practice as a FHIR R4 Organization (nl-core-HealthcareProvider-Organization):
    its AGB code, name, address and phone numbers, typed as a general practice."""
    return {
        "resourceType": "Organization",
        "id": str(practice.public_id),
        "meta": profile("nl-core-HealthcareProvider-Organization"),
        "identifier": [{"system": AGB_SYSTEM, "value": practice.agb_code}],
        "active": True,
        "type": [
            {
                "coding": [
                    {
                        # Vektis AGB-Z "zorgverlenersoort" 01: huisartsen.
                        "system": "http://nictiz.nl/fhir/NamingSystem/organization-type",
                        "code": "Z3",
                        "display": "Huisartspraktijk (zelfstandig of groepspraktijk)",
                    }
                ]
            }
        ],
        "name": practice.name,
        "telecom": [
            {"system": "phone", "value": practice.phone_main, "use": "work"},
        ],
        "address": [
            {
                "use": "work",
                "line": [practice.street],
                "postalCode": practice.postal_code,
                "city": practice.city,
                "country": "NL",
            }
        ],
    }


# AuditEvent codes (FHIR R4's own value sets): the event is an access to the record
# (DICOM 110110 "Patient Record"); the patient is the entity it was about.
AUDIT_ACTIONS = {"create": "C", "read": "R", "change": "U", "delete": "D", "export": "R"}
DICOM_SYSTEM = "http://dicom.nema.org/resources/ontology/DCM"


def audit_event_resource(entry: Any, *, patient_id: object) -> dict[str, Any]:
    """One entry of a patient's own access log as a FHIR R4 AuditEvent: who (a person
    with their role, or the system that did it), what (the portal's plain labels: an
    entry about something the patient may not see now reads as a look at their record,
    core.audit_labels.with_labels), when, through which channel, and whether it was
    refused. `entry` carries the labels with_labels(for_patient=True) gave it."""
    screened = bool(getattr(entry, "screened", False))
    what = f"{entry.action_label}: {entry.object_label}"
    if entry.detail_label:
        what += f" ({entry.detail_label})"
    who: dict[str, Any] = {
        "who": {"display": entry.actor_name or entry.system_label},
        "requestor": True,
    }
    if entry.actor_name:
        who["role"] = [{"text": entry.role_label}]
    agents = [who]
    if entry.acting_for_id is not None:
        agents.append(
            {
                "who": {"display": entry.acting_for.full_name},
                "requestor": False,
                "role": [{"text": "namens"}],
            }
        )
    denied = entry.outcome == "denied"
    return narrative_free(
        {
            "resourceType": "AuditEvent",
            "id": str(entry.public_id),
            "type": {"system": DICOM_SYSTEM, "code": "110110", "display": "Patient Record"},
            "action": "R" if screened else AUDIT_ACTIONS.get(entry.action, "E"),
            "recorded": instant(entry.occurred_at),
            # 0: success; 4: minor failure (the access was refused).
            "outcome": "4" if denied else "0",
            "outcomeDesc": "Geweigerd" if denied else None,
            "agent": agents,
            "source": {
                "site": entry.get_channel_display(),
                "observer": reference("Organization", entry.practice.public_id),
            },
            "entity": [
                {
                    "what": reference("Patient", patient_id),
                    "role": {
                        "system": "http://terminology.hl7.org/CodeSystem/object-role",
                        "code": "1",
                        "display": "Patient",
                    },
                    "description": what,
                }
            ],
        }
    )
