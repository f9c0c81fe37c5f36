"""Lab messages as labs write them, for the demo, the benchmarks and the tests: an HL7 v2
ORU^R01, a FHIR R4 bundle and a CSV file for one patient's results."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

AMSTERDAM = ZoneInfo("Europe/Amsterdam")

NHG_URI = "https://referentiemodel.nhg.org/tabellen/nhg-tabel-45-diagnostische-bepalingen"


@dataclass(frozen=True)
class SampleResult:
    nhg_code: str
    value: str
    unit: str = ""
    reference: str = ""
    flag: str = ""
    status: str = "F"


@dataclass(frozen=True)
class SamplePatient:
    bsn: str
    born: date
    family_name: str = "Jansen"
    given_name: str = "Anna"
    sex: str = "F"


def hl7_oru(
    patient: SamplePatient,
    results: Sequence[SampleResult],
    *,
    control_id: str,
    order: str,
    taken: datetime,
    lab: str = "SALTRO",
    ordered_by_agb: str = "",
) -> bytes:
    # HL7 v2 times carry no zone here: the lab writes Dutch local time.
    stamp = (taken.astimezone(AMSTERDAM) if taken.tzinfo else taken).strftime("%Y%m%d%H%M")
    doctor = f"{ordered_by_agb}^Huisarts^^^^^^^VEKTIS" if ordered_by_agb else ""
    segments = [
        f"MSH|^~\\&|LIS|{lab}|HIS|PRAKTIJK|{stamp}||ORU^R01^ORU_R01|{control_id}|P|2.5"
        "|||||NLD|UNICODE UTF-8",
        f"PID|1||{patient.bsn}^^^NLMINBIZA^NNNLD||{patient.family_name}^{patient.given_name}||"
        f"{patient.born:%Y%m%d}|{patient.sex}",
        f"ORC|RE|{order}|{order}||CM||||{stamp}|||{doctor}",
        f"OBR|1|{order}|{order}|LAB^Laboratoriumonderzoek^L|||{stamp}|||||||||{doctor}",
    ]
    for number, result in enumerate(results, start=1):
        kind = "NM" if _numeric(result.value) else "ST"
        segments.append(
            f"OBX|{number}|{kind}|{result.nhg_code}^^NHG45||{result.value}|{result.unit}|"
            f"{result.reference}|{result.flag}|||{result.status}|||{stamp}"
        )
    return ("\r".join(segments) + "\r").encode()


def _numeric(text: str) -> bool:
    try:
        Decimal(text.replace(",", "."))
    except ArithmeticError:
        return False
    return True


def fhir_bundle(
    patient: SamplePatient,
    results: Sequence[SampleResult],
    *,
    bundle_id: str,
    taken: datetime,
    lab: str = "SALTRO",
) -> bytes:
    entries: list[dict[str, object]] = [
        {
            "fullUrl": "urn:uuid:patient-1",
            "resource": {
                "resourceType": "Patient",
                "identifier": [
                    {"system": "http://fhir.nl/fhir/NamingSystem/bsn", "value": patient.bsn}
                ],
                "name": [{"family": patient.family_name, "given": [patient.given_name]}],
                "birthDate": patient.born.isoformat(),
                "gender": {"F": "female", "M": "male"}.get(patient.sex, "unknown"),
            },
        }
    ]
    for number, result in enumerate(results, start=1):
        observation: dict[str, object] = {
            "resourceType": "Observation",
            "identifier": [{"system": f"urn:lab:{lab}", "value": f"{bundle_id}-{number}"}],
            "status": "final" if result.status == "F" else "preliminary",
            "code": {
                "coding": [
                    {
                        "system": NHG_URI,
                        "code": result.nhg_code,
                    }
                ]
            },
            "subject": {"reference": "urn:uuid:patient-1"},
            "effectiveDateTime": taken.isoformat(),
        }
        if _numeric(result.value):
            observation["valueQuantity"] = {"value": float(result.value), "unit": result.unit}
        else:
            observation["valueString"] = result.value
        if result.flag:
            observation["interpretation"] = [{"coding": [{"code": result.flag}]}]
        entries.append({"fullUrl": f"urn:uuid:obs-{number}", "resource": observation})
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "identifier": {"value": bundle_id},
        "meta": {"source": lab},
        "entry": entries,
    }
    return json.dumps(bundle).encode()


def csv_file(rows: Sequence[tuple[SamplePatient, SampleResult, datetime, str]]) -> bytes:
    """Rows of (patient, result, taken, order number), semicolon-separated."""
    lines = ["bsn;geboortedatum;bepaling;waarde;eenheid;referentie;vlag;afnamedatum;aanvraagnummer"]
    for patient, result, taken, order in rows:
        lines.append(
            ";".join(
                [
                    patient.bsn,
                    patient.born.strftime("%d-%m-%Y"),
                    result.nhg_code,
                    result.value,
                    result.unit,
                    result.reference,
                    result.flag,
                    taken.strftime("%Y-%m-%d %H:%M"),
                    order,
                ]
            )
        )
    return ("\n".join(lines) + "\n").encode()


def sample_patient(patient: object) -> SamplePatient:
    """A `Patient` as a lab knows them."""
    return SamplePatient(
        bsn=patient.bsn,  # type: ignore[attr-defined]
        born=patient.date_of_birth,  # type: ignore[attr-defined]
        family_name=patient.family_name,  # type: ignore[attr-defined]
        given_name=patient.given_name,  # type: ignore[attr-defined]
        sex=patient.sex,  # type: ignore[attr-defined]
    )
