"""The three lab doors read into one shape: reports (one patient each) of results.

Each parser either returns what it read or raises `Unreadable` with a reason in Dutch;
any other exception would be a bug (the fuzz tests hold them to that). A single result
that cannot be used (an unknown status, a value that is not a number) does not sink the
report: it travels with its `problem`, and the importer lists it in the message's reason.
In a FHIR bundle each entry stands on its own in the same way: a result whose patient
cannot be found safely goes to the work list as its own part, a grouping entry without a
value of its own is passed over and said so (`Parsed.notes`).

Values are kept as what they are (`ValueKind`): a number with its comparator, a text, a
code with its code system, a ratio. Reference ranges are read into bounds where they have
numbers and kept as the lab wrote them. Flags are read by their code system: HL7 table
0078 and FHIR's ObservationInterpretation, and the SNOMED CT codes of the Dutch profiles.
"""

from __future__ import annotations

from collections.abc import Callable

from spreekuur.results.parsers.common import (
    AMSTERDAM,
    BSN_SYSTEM,
    FINALIZE,
    LOCAL,
    LOINC,
    LOINC_SYSTEMS,
    MAX_MESSAGE_BYTES,
    MAX_PATIENTS,
    MAX_RESULTS,
    NHG,
    NHG_SYSTEMS,
    WITHDRAW,
    Parsed,
    Report,
    ReportedPatient,
    ReportedResult,
    Unreadable,
    decode,
    parse_number,
    parse_range,
)
from spreekuur.results.parsers.csvfile import parse_csv
from spreekuur.results.parsers.fhir import parse_fhir
from spreekuur.results.parsers.flags import flag_of
from spreekuur.results.parsers.hl7v2 import (
    HL7Batch,
    hl7_control_id,
    is_hl7_batch,
    parse_hl7v2,
    split_hl7_batch,
)

PARSERS: dict[str, Callable[[bytes], Parsed]] = {
    "hl7v2": parse_hl7v2,
    "fhir": parse_fhir,
    "csv": parse_csv,
}

__all__ = [
    "AMSTERDAM",
    "BSN_SYSTEM",
    "FINALIZE",
    "LOCAL",
    "LOINC",
    "LOINC_SYSTEMS",
    "MAX_MESSAGE_BYTES",
    "MAX_PATIENTS",
    "MAX_RESULTS",
    "NHG",
    "NHG_SYSTEMS",
    "PARSERS",
    "WITHDRAW",
    "HL7Batch",
    "Parsed",
    "Report",
    "ReportedPatient",
    "ReportedResult",
    "Unreadable",
    "decode",
    "flag_of",
    "hl7_control_id",
    "is_hl7_batch",
    "parse_csv",
    "parse_fhir",
    "parse_hl7v2",
    "parse_number",
    "parse_range",
    "split_hl7_batch",
]
