"""A released lab result as a FHIR R4 Observation (nl-core-LaboratoryTestResult): the test
by NHG-Tabel 45 (and LOINC where the table has it), the value as the lab sent it (a number
with its comparator, a text, a code or a ratio), the reference range, the interpretation,
and the GP's comment as a note. Only released results reach this function."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from spreekuur.core.fhir import (
    LOINC_SYSTEM,
    NHG_TABLE_45_SYSTEM,
    UCUM_SYSTEM,
    instant,
    number,
    profile,
    reference,
)
from spreekuur.results.models import Flag, LabResult, ResultStatus, ValueKind
from spreekuur.results.units import UNKNOWN, normalise_unit

OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
STATUS = {ResultStatus.FINAL: "final", ResultStatus.CORRECTED: "corrected"}
FLAG_CODE = {
    Flag.LOW: "L",
    Flag.HIGH: "H",
    Flag.CRITICAL_LOW: "LL",
    Flag.CRITICAL_HIGH: "HH",
    Flag.ABNORMAL: "A",
    Flag.CRITICAL_ABNORMAL: "AA",
}
COMPARATORS = {"<", "<=", ">=", ">"}


def _quantity(value: Decimal, unit: str) -> dict[str, Any]:
    return ucum_quantity(number(value), unit)


def ucum_quantity(value: float | int, unit: str) -> dict[str, Any]:
    """A Quantity with the unit as written and, where it reads as UCUM, its UCUM code
    (`mmol/l` -> `mmol/L`, `mmHg` -> `mm[Hg]`)."""
    quantity: dict[str, Any] = {"value": value}
    if unit:
        quantity["unit"] = unit
        code = normalise_unit(unit)
        if code != UNKNOWN:
            quantity |= {"system": UCUM_SYSTEM, "code": code}
    return quantity


def lab_observation_resource(result: LabResult) -> dict[str, Any]:
    test = result.test
    coding = [{"system": NHG_TABLE_45_SYSTEM, "code": test.nhg_code, "display": test.name}]
    if test.loinc:
        coding.append({"system": LOINC_SYSTEM, "code": test.loinc})
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": str(result.public_id),
        "meta": profile("nl-core-LaboratoryTestResult"),
        "status": STATUS.get(ResultStatus(result.status), "final"),
        "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "laboratory"}]}],
        "code": {"coding": coding, "text": test.patient_name},
        "subject": reference("Patient", result.patient.public_id, result.patient.display_name),
        "effectiveDateTime": instant(result.observed_at),
    }
    if result.reviewed_at is not None:
        resource["issued"] = instant(result.reviewed_at)
    kind = result.value_kind
    if kind == ValueKind.QUANTITY and result.value is not None:
        quantity = _quantity(result.value, result.unit)
        if result.comparator in COMPARATORS:
            quantity["comparator"] = result.comparator
        resource["valueQuantity"] = quantity
    elif kind == ValueKind.CODED and result.value_code:
        coded: dict[str, Any] = {"code": result.value_code}
        if result.value_system:
            coded["system"] = result.value_system
        resource["valueCodeableConcept"] = {"coding": [coded], "text": result.value_text}
    elif (
        kind == ValueKind.RATIO
        and result.ratio_numerator is not None
        and result.ratio_denominator is not None
    ):
        resource["valueRatio"] = {
            "numerator": {"value": number(result.ratio_numerator)},
            "denominator": {"value": number(result.ratio_denominator)},
        }
    else:
        resource["valueString"] = result.value_text
    if result.flag in FLAG_CODE:
        resource["interpretation"] = [
            {"coding": [{"system": INTERPRETATION, "code": FLAG_CODE[Flag(result.flag)]}]}
        ]
    reference_range: dict[str, Any] = {}
    if result.reference_low is not None:
        reference_range["low"] = _quantity(result.reference_low, result.unit)
    if result.reference_high is not None:
        reference_range["high"] = _quantity(result.reference_high, result.unit)
    if result.reference_as_sent:
        reference_range["text"] = result.reference_as_sent
    if reference_range:
        resource["referenceRange"] = [reference_range]
    if result.comment:
        note: dict[str, Any] = {"text": result.comment}
        if result.reviewed_at is not None:
            note["time"] = instant(result.reviewed_at)
        if result.reviewed_by is not None:
            note["authorString"] = result.reviewed_by.full_name
        resource["note"] = [note]
    return resource
