"""Interpretation flags, read by their code system: HL7 table 0078 and FHIR's
ObservationInterpretation, and the SNOMED CT codes of the Dutch profiles."""

from __future__ import annotations

from collections.abc import Iterable

from spreekuur.results.models import Flag
from spreekuur.results.parsers.common import SNOMED_SYSTEMS

# --- Flags: by code system -----------------------------------------------------------------

# HL7 v2 table 0078 (OBX-8) and FHIR's v3 ObservationInterpretation share their codes.
# Susceptibility (S/R/I) and presence (POS/NEG, DET/ND) have no direction: what needs a
# look is "afwijkend". Delta flags (U, D, B, W: better, worse, up, down) say nothing of the
# range and are passed over, so the value is compared with the range instead.
HL7_FLAGS: dict[str, str | None] = {
    "N": Flag.NORMAL,
    "L": Flag.LOW,
    "H": Flag.HIGH,
    "LL": Flag.CRITICAL_LOW,
    "HH": Flag.CRITICAL_HIGH,
    "<": Flag.LOW,  # below the instrument's scale
    ">": Flag.HIGH,
    "LU": Flag.CRITICAL_LOW,
    "HU": Flag.CRITICAL_HIGH,
    "LX": Flag.CRITICAL_LOW,
    "HX": Flag.CRITICAL_HIGH,
    "A": Flag.ABNORMAL,
    "AA": Flag.CRITICAL_ABNORMAL,
    "S": Flag.NORMAL,
    "MS": Flag.NORMAL,
    "VS": Flag.NORMAL,
    "SYN-S": Flag.NORMAL,
    "R": Flag.ABNORMAL,
    "I": Flag.ABNORMAL,
    "SDD": Flag.ABNORMAL,
    "NS": Flag.ABNORMAL,
    "SYN-R": Flag.ABNORMAL,
    "POS": Flag.ABNORMAL,
    "NEG": Flag.NORMAL,
    "DET": Flag.ABNORMAL,
    "ND": Flag.NORMAL,
    "IND": Flag.ABNORMAL,
    "E": Flag.ABNORMAL,
    "RR": Flag.ABNORMAL,
    "NR": Flag.NORMAL,
    "WR": Flag.ABNORMAL,
    "CAR": Flag.ABNORMAL,
    "EX": Flag.ABNORMAL,
    "EXP": Flag.NORMAL,
    "UNE": Flag.ABNORMAL,
    "IE": Flag.ABNORMAL,
    "U": None,
    "D": None,
    "B": None,
    "W": None,
}
HL7_FLAG_SYSTEMS = {
    "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation",
    "http://hl7.org/fhir/v3/ObservationInterpretation",
    "urn:oid:2.16.840.1.113883.5.83",
    "2.16.840.1.113883.5.83",
    "http://terminology.hl7.org/CodeSystem/v2-0078",
    "http://hl7.org/fhir/v2/0078",
    "urn:oid:2.16.840.1.113883.12.78",
    "HL70078",
    "HL7-0078",
}
# The Dutch profiles (zib LaboratoryTestResult, InterpretatieVlaggenCodelijst, and nl-core)
# code flags in SNOMED CT: above/below the reference range, the susceptibility of
# microbiology, and the general qualifier values normal, abnormal, high and low.
SNOMED_FLAGS: dict[str, str | None] = {
    "281302008": Flag.HIGH,  # Above reference range
    "281300000": Flag.LOW,  # Below reference range
    "75540009": Flag.HIGH,  # High
    "62482003": Flag.LOW,  # Low
    "17621005": Flag.NORMAL,  # Normal
    "263654008": Flag.ABNORMAL,  # Abnormal
    "131196009": Flag.NORMAL,  # Susceptible
    "11896004": Flag.ABNORMAL,  # Intermediate
    "30714006": Flag.ABNORMAL,  # Resistant
}
# The most telling flag wins when a lab sends several ("H~A").
_FLAG_WEIGHT = {
    Flag.CRITICAL_HIGH: 0,
    Flag.CRITICAL_LOW: 0,
    Flag.CRITICAL_ABNORMAL: 0,
    Flag.HIGH: 1,
    Flag.LOW: 1,
    Flag.ABNORMAL: 2,
    Flag.NORMAL: 3,
}


def flag_of(codings: Iterable[tuple[str, str]]) -> str | None:
    """Our flag for the lab's interpretation codes (system, code); None when the lab gave
    none that speaks of the range. A code from a list we do not know is "afwijkend": the
    lab flagged something, so the GP should look."""
    found: list[str] = []
    unknown = False
    for system, code in codings:
        code = code.strip()
        if not code:
            continue
        if system in SNOMED_SYSTEMS:
            table = SNOMED_FLAGS
        elif not system or system in HL7_FLAG_SYSTEMS:
            table, code = HL7_FLAGS, code.upper()
        else:
            unknown = True
            continue
        if code not in table:
            unknown = True
        elif (flag := table[code]) is not None:
            found.append(flag)
    if found:
        return min(found, key=lambda flag: _FLAG_WEIGHT[Flag(flag)])
    return Flag.ABNORMAL if unknown else None
