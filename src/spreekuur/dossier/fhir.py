"""The record's rows as FHIR R4 resources, modelled on nl-core (zib2020): an episode as
EpisodeOfCare with its diagnosis as Condition (ICPC-1 NL), medication as
MedicationStatement, an allergy as AllergyIntolerance, a measurement at the practice as
a vital-signs Observation. Only what the portal shows reaches these functions (the
selectors for online access choose the rows); they map, they do not filter."""

from __future__ import annotations

import html
from typing import Any

from spreekuur.core.fhir import (
    GSTANDAARD,
    ICPC_SYSTEM,
    LOINC_SYSTEM,
    NHG_TABLE_45_SYSTEM,
    SNOMED_SYSTEM,
    base_url,
    day,
    instant,
    number,
    profile,
    reference,
)
from spreekuur.dossier.models import (
    HEART_RATE_HOME,
    SYSTOLIC,
    WEIGHT,
    Allergy,
    AllergyKind,
    Episode,
    JournalEntry,
    Measurement,
    Medication,
)
from spreekuur.results.fhir import ucum_quantity

CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
# MedicationUse2's fixed category (SNOMED "medicatiegebruik").
MEDICATION_USE = {"system": SNOMED_SYSTEM, "code": "422979000", "display": "medicatiegebruik"}
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
ALLERGY_CLINICAL = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
ALLERGY_VERIFICATION = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"


def _patient(row: Any) -> dict[str, str]:
    return reference("Patient", row.patient.public_id, row.patient.display_name)


def problem_type(icpc_code: str) -> dict[str, str]:
    """The zib's ProbleemType (SNOMED) of an ICPC code: components 01-29 are complaints
    (klacht), 70-99 diagnoses; the process codes between are findings."""
    component = int(icpc_code[1:3])
    if component < 30:
        return {"system": SNOMED_SYSTEM, "code": "409586006", "display": "klacht"}
    if component >= 70:
        return {"system": SNOMED_SYSTEM, "code": "282291009", "display": "diagnose"}
    return {"system": SNOMED_SYSTEM, "code": "404684003", "display": "klinische bevinding"}


def repeatable_url() -> str:
    """Spreekuur's extension on MedicationStatement: the medicine is on the repeat list."""
    return f"{base_url()}/StructureDefinition/herhaalbaar"


def condition_id(episode: Episode) -> str:
    """The diagnosis of an episode has the episode's id: one row, two resources."""
    return str(episode.public_id)


def condition_resource(episode: Episode) -> dict[str, Any]:
    status = "active" if episode.active else "resolved"
    resource: dict[str, Any] = {
        "resourceType": "Condition",
        "id": condition_id(episode),
        "meta": profile("nl-core-Problem"),
        "clinicalStatus": {"coding": [{"system": CONDITION_CLINICAL, "code": status}]},
        "verificationStatus": {"coding": [{"system": CONDITION_VERIFICATION, "code": "confirmed"}]},
        "category": [{"coding": [problem_type(episode.icpc_code)]}],
        "code": {
            "coding": [{"system": ICPC_SYSTEM, "code": episode.icpc_code}],
            "text": episode.title,
        },
        "subject": _patient(episode),
        "onsetDateTime": day(episode.started_on),
        "recordedDate": instant(episode.created_at),
    }
    if episode.ended_on is not None:
        resource["abatementDateTime"] = day(episode.ended_on)
    return resource


def episode_of_care_resource(episode: Episode) -> dict[str, Any]:
    period = {"start": day(episode.started_on)}
    if episode.ended_on is not None:
        period["end"] = day(episode.ended_on)
    return {
        "resourceType": "EpisodeOfCare",
        "id": str(episode.public_id),
        "status": "active" if episode.active else "finished",
        "diagnosis": [{"condition": reference("Condition", condition_id(episode), episode.title)}],
        "patient": _patient(episode),
        "managingOrganization": reference("Organization", episode.patient.practice.public_id),
        "period": period,
    }


def medication_statement_resource(medication: Medication) -> dict[str, Any]:
    coding = []
    if medication.gstandaard_level and medication.gstandaard_code:
        coding.append(
            {
                "system": GSTANDAARD[medication.gstandaard_level],
                "code": medication.gstandaard_code,
                "display": medication.name,
            }
        )
    period = {"start": day(medication.started_on)}
    if medication.ended_on is not None:
        period["end"] = day(medication.ended_on)
    resource: dict[str, Any] = {
        "resourceType": "MedicationStatement",
        "id": str(medication.public_id),
        # On the repeat list: a repeat can be asked for (MedicationRequest).
        "extension": [{"url": repeatable_url(), "valueBoolean": medication.repeatable}],
        "status": "active" if medication.active else "completed",
        "category": {"coding": [MEDICATION_USE]},
        "medicationCodeableConcept": {
            "text": medication.name,
            **({"coding": coding} if coding else {}),
        },
        "subject": _patient(medication),
        "effectivePeriod": period,
        "dateAsserted": instant(medication.created_at),
        "dosage": [{"text": medication.dosage}],
    }
    if medication.prescriber_id is not None and medication.prescriber is not None:
        resource["informationSource"] = {"display": medication.prescriber.full_name}
    return resource


def allergy_intolerance_resource(allergy: Allergy) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "AllergyIntolerance",
        "id": str(allergy.public_id),
        "meta": profile("nl-core-AllergyIntolerance"),
        "clinicalStatus": {"coding": [{"system": ALLERGY_CLINICAL, "code": "active"}]},
        "verificationStatus": {"coding": [{"system": ALLERGY_VERIFICATION, "code": "confirmed"}]},
        "type": "allergy" if allergy.kind == AllergyKind.ALLERGY else "intolerance",
        "code": {"text": allergy.substance},
        "patient": _patient(allergy),
        "recordedDate": day(allergy.recorded_on),
    }
    if allergy.reaction:
        resource["reaction"] = [{"manifestation": [{"text": allergy.reaction}]}]
    return resource


BLOOD_PRESSURE_PANEL = "85354-9"


def _quantity(row: Measurement) -> dict[str, Any]:
    return ucum_quantity(number(row.value), row.test.unit)


def _test_coding(row: Measurement) -> list[dict[str, str]]:
    coding = [{"system": NHG_TABLE_45_SYSTEM, "code": row.test.nhg_code, "display": row.test.name}]
    if row.test.loinc:
        coding.insert(0, {"system": LOINC_SYSTEM, "code": row.test.loinc})
    return coding


def measurement_resource(
    measurement: Measurement, partner: Measurement | None = None
) -> dict[str, Any]:
    """A measurement as a vital-signs Observation: a blood pressure (the systolic row with
    its diastolic partner) as one nl-core-BloodPressure panel, a weight as
    nl-core-BodyWeight, a heart rate as nl-core-HeartRate (a glucose from the patient's
    meter claims no profile). A home measurement names the patient as its performer,
    one taken at the practice the practice."""
    test = measurement.test
    patient = measurement.patient
    performer = (
        reference("Patient", patient.public_id, patient.display_name)
        if measurement.patient_reported
        else reference("Organization", patient.practice.public_id, patient.practice.name)
    )
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": str(measurement.public_id),
        "status": "final",
        "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "vital-signs"}]}],
        "code": {"coding": _test_coding(measurement), "text": test.patient_name},
        "subject": _patient(measurement),
        "effectiveDateTime": day(measurement.measured_on),
        "issued": instant(measurement.created_at),
        "performer": [performer],
    }
    if test.nhg_code == SYSTOLIC and partner is not None:
        resource["meta"] = profile("nl-core-BloodPressure")
        resource["code"] = {
            "coding": [
                {
                    "system": LOINC_SYSTEM,
                    "code": BLOOD_PRESSURE_PANEL,
                    "display": "Blood pressure panel with all children optional",
                }
            ],
            "text": "Bloeddruk",
        }
        resource["component"] = [
            {"code": {"coding": _test_coding(row)}, "valueQuantity": _quantity(row)}
            for row in (measurement, partner)
        ]
        return resource
    if test.nhg_code == WEIGHT:
        resource["meta"] = profile("nl-core-BodyWeight")
    if test.nhg_code == HEART_RATE_HOME:
        resource["meta"] = profile("nl-core-HeartRate")

    resource["valueQuantity"] = _quantity(measurement)
    return resource


# zib SOAPReport (2020): the report's type, and the SOEPRegelNaam codes of the lines the
# portal shows (NHG guidance on online access: E and P; S and O are the GP's notes).
SOAP_REPORT_TYPE = {"system": SNOMED_SYSTEM, "code": "11591000146107", "display": "SOEP-verslag"}
SOAP_LINES = (
    ("evaluation", "E", {"system": SNOMED_SYSTEM, "code": "129265001", "display": "Evaluatie"}),
    ("plan", "P", {"system": SNOMED_SYSTEM, "code": "129271007", "display": "Plan"}),
)


def _narrative(text: str) -> dict[str, str]:
    lines = "<br/>".join(html.escape(line) for line in text.splitlines())
    return {
        "status": "generated",
        "div": f'<div xmlns="http://www.w3.org/1999/xhtml">{lines}</div>',
    }


def soap_report_resource(entry: JournalEntry) -> dict[str, Any]:
    """A journal entry as nl-core-SOAPReport (a Composition): its E and P lines as
    sections, each with its text and the SOAPLine it names (contained, so that one read
    gives the whole contact). The title is the episode's, as the zib suggests."""
    sections: list[dict[str, Any]] = []
    contained: list[dict[str, Any]] = []
    for field, letter, code in SOAP_LINES:
        text = getattr(entry, field)
        if not text:
            continue
        line_id = letter.lower()
        contained.append(
            {
                "resourceType": "Observation",
                "id": line_id,
                "meta": profile("nl-core-SOAPReport.SOAPLine"),
                "status": "final",
                "code": {"coding": [code]},
                "subject": _patient(entry),
                "effectiveDateTime": day(entry.contact_on),
                "valueString": text,
            }
        )
        sections.append(
            {
                "title": f"{letter}: {code['display']}",
                "code": {"coding": [code]},
                "text": _narrative(text),
                "entry": [{"reference": f"#{line_id}", "display": f"{letter}-regel"}],
            }
        )
    episode = entry.episode
    title = (
        f"{episode.icpc_code} {episode.title}"
        if episode is not None
        else f"{entry.get_kind_display()} {entry.contact_on:%d-%m-%Y}"
    )
    author = entry.created_by.full_name if entry.created_by_id is not None else "Huisartspraktijk"
    return {
        "resourceType": "Composition",
        "id": str(entry.public_id),
        "meta": profile("nl-core-SOAPReport"),
        "contained": contained,
        "status": "final",
        "type": {"coding": [SOAP_REPORT_TYPE]},
        "category": [{"text": entry.get_kind_display()}],
        "subject": _patient(entry),
        "date": day(entry.contact_on),
        "author": [{"display": author}],
        "title": title,
        "section": sections,
    }
