"""What every lab door reads into: reports of results, and the values, ranges and
problems of a result, read the same way whatever the door."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from spreekuur.core.fhir import BSN_SYSTEM as BSN_SYSTEM
from spreekuur.patients.bsn import is_valid_bsn
from spreekuur.results.models import ResultStatus, ValueKind

MAX_MESSAGE_BYTES = 2 * 1024 * 1024
MAX_HL7_BYTES = 512 * 1024  # a real ORU^R01 is a few kB; python-hl7 is slow on huge ones
MAX_RESULTS = 2_000
MAX_PATIENTS = 100  # per message: more is a batch file, which `import_lab` splits
MAX_VALUE = Decimal("9999999999")  # what the value and range columns hold (14 digits, 4 after)
MAX_TEXT = 200  # a value or range in words (a remark of a few lines)
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
UTF8_BOM = b"\xef\xbb\xbf"

NHG = "nhg"
LOINC = "loinc"
LOCAL = "local"
# How NHG-Tabel 45 is named in HL7 v2 (OBX-3 coding system) and FHIR (Coding.system).
NHG_SYSTEMS = {
    "NHG45",
    "NHG-45",
    "99NHG45",
    "NHG",
    "2.16.840.1.113883.2.4.4.30.45",
    "urn:oid:2.16.840.1.113883.2.4.4.30.45",
    "https://referentiemodel.nhg.org/tabellen/nhg-tabel-45-diagnostische-bepalingen",
}
LOINC_SYSTEMS = {"LN", "LOINC", "http://loinc.org", "urn:oid:2.16.840.1.113883.6.1"}
SNOMED = "http://snomed.info/sct"
SNOMED_SYSTEMS = {
    SNOMED,
    "urn:oid:2.16.840.1.113883.6.96",
    "2.16.840.1.113883.6.96",
    "SCT",
    "SNM",
    "SNOMED",
    "SNOMEDCT",
    "SNOMED-CT",
    "SNOMED CT",
}

# A withdrawal (HL7 OBX-11 D or W, FHIR entered-in-error): not a value to store, but an
# earlier one to take off the portal.
WITHDRAW = "intrekken"
# HL7 OBX-11 U without a value (table 0085): the earlier preliminary result of the same
# order and test is now final, its value unchanged and not sent again.
FINALIZE = "definitief-maken"


class Unreadable(Exception):
    """The message as a whole cannot be used; `reason` says why, in Dutch."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ReportedPatient:
    bsn: str
    birth_date: date | None
    family_name: str = ""
    given_name: str = ""
    sex: str = ""

    def as_identity(self) -> dict[str, str]:
        return {
            "bsn": self.bsn,
            "geboortedatum": self.birth_date.isoformat() if self.birth_date else "",
            "naam": " ".join(part for part in (self.given_name, self.family_name) if part),
            "geslacht": self.sex,
        }


NO_PATIENT = ReportedPatient(bsn="", birth_date=None)


@dataclass
class ReportedResult:
    code: str
    system: str
    name: str
    value_text: str
    observed_at: datetime | None
    order_key: str
    value: Decimal | None = None
    comparator: str = ""
    value_kind: str = ValueKind.TEXT
    value_code: str = ""
    value_system: str = ""
    ratio: tuple[Decimal, Decimal] | None = None
    unit: str = ""
    reference_low: Decimal | None = None
    reference_high: Decimal | None = None
    reference_text: str = ""  # as the lab wrote it
    flag: str | None = None  # None: the lab gave none, so we compare with the range
    status: str = ResultStatus.FINAL  # or WITHDRAW, FINALIZE
    problem: str = ""
    # Other codes the lab gave for the same test (OBX-3.4-6, more codings), as (system, code).
    other_codes: list[tuple[str, str]] = field(default_factory=list)

    @property
    def preliminary(self) -> bool:
        return self.status in (ResultStatus.PRELIMINARY, ResultStatus.PENDING)

    @property
    def withdraws(self) -> bool:
        return self.status == WITHDRAW

    @property
    def finalizes(self) -> bool:
        return self.status == FINALIZE

    def codes(self) -> list[tuple[str, str]]:
        """Every (system, code) the test may be found by, the lab's first one first."""
        return [(self.system, self.code), *self.other_codes]


@dataclass
class Report:
    patient: ReportedPatient
    results: list[ReportedResult] = field(default_factory=list)
    ordered_by_agb: str = ""
    # This patient's own part of the message (kept as received, never another patient's).
    raw: str = ""
    # Why the patient could not be found safely (a FHIR reference outside the bundle ...):
    # the part goes to the work list with this reason.
    unresolved: str = ""


@dataclass
class Parsed:
    sender: str
    message_id: str
    reports: list[Report]
    # What was passed over and why (grouping entries without a value of their own).
    notes: list[str] = field(default_factory=list)


def decode(raw: bytes) -> str:
    """UTF-8, or ISO 8859-1 as many Dutch lab systems still send (never fails); without
    a byte order mark."""
    raw = raw.removeprefix(UTF8_BOM)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def valid_bsn(text: str) -> str:
    """Nine ASCII digits that pass the elfproef, or nothing (no match on a near-BSN)."""
    text = text.strip()
    return text if text.isascii() and is_valid_bsn(text) else ""


def check_size(raw: bytes) -> None:
    if not raw.strip():
        raise Unreadable(_("Het bericht is leeg."))
    if len(raw) > MAX_MESSAGE_BYTES:
        raise Unreadable(_("Het bericht is groter dan 2 MB."))


# --- Values ---------------------------------------------------------------------------------

_NUMBER = r"[-+]?\d+(?:[.,]\d+)?"
_UNSIGNED = r"\d+(?:[.,]\d+)?"
NUMBER = re.compile(rf"^\s*(<=|>=|<|>)?\s*({_NUMBER})\s*$")
RATIO = re.compile(rf"^\s*(<=|>=|<|>)?\s*({_UNSIGNED})\s*:\s*({_UNSIGNED})\s*$")
COMPARATORS = {"<", ">", "<=", ">="}


def fitting_decimal(text: str) -> Decimal | None:
    """A number that fits the columns it goes into, or None."""
    try:
        number = Decimal(text.replace(",", "."))
    except InvalidOperation:  # pragma: no cover - the patterns admit only plain numbers
        return None
    return number if number.is_finite() and abs(number) <= MAX_VALUE else None


def parse_number(text: str) -> tuple[str, Decimal] | None:
    """'7,2' → ('', 7.2); '<0.5' → ('<', 0.5); anything else → None."""
    match = NUMBER.match(text)
    if match is None or len(text) > 40:
        return None
    number = fitting_decimal(match.group(2))
    return None if number is None else (match.group(1) or "", number)


def set_text(result: ReportedResult, text: str) -> bool:
    """The value as people read it; False (with the problem) when there is none to keep."""
    text = " ".join(text.split())
    result.value_text = text[:MAX_TEXT]
    if not text:
        result.problem = _("uitslag zonder waarde")
    elif len(text) > MAX_TEXT:
        result.problem = _("uitslag langer dan %(max)s tekens") % {"max": MAX_TEXT}
    return bool(text) and len(text) <= MAX_TEXT


def set_number(result: ReportedResult, text: str) -> None:
    if not set_text(result, text):
        return
    number = parse_number(text)
    if number is None:
        result.problem = _("de waarde is geen getal")
    else:
        result.value_kind = ValueKind.QUANTITY
        result.comparator, result.value = number


def set_ratio(result: ReportedResult, comparator: str, first: str, second: str) -> None:
    numerator, denominator = fitting_decimal(first), fitting_decimal(second)
    text = f"{comparator}{first}:{second}"
    if not set_text(result, text):
        return
    if numerator is None or denominator is None or comparator not in COMPARATORS | {""}:
        result.problem = _("de verhouding is niet te lezen")
        return
    result.value_kind = ValueKind.RATIO
    result.comparator, result.ratio = comparator, (numerator, denominator)


def set_words(result: ReportedResult, text: str) -> None:
    """A value sent as text: a number (with a comparator) or a titer is read as one, as
    labs write "<0.5" and "1:128" in text fields; words stay words."""
    if not set_text(result, text):
        return
    text = result.value_text
    if (number := parse_number(text)) is not None:
        result.value_kind = ValueKind.QUANTITY
        result.comparator, result.value = number
    elif (ratio := RATIO.match(text)) is not None:
        set_ratio(result, ratio.group(1) or "", ratio.group(2), ratio.group(3))
    else:
        result.value_kind = ValueKind.TEXT


def set_code(result: ReportedResult, code: str, system: str, display: str) -> None:
    """A coded value: the code and its system kept, the words for people to read."""
    code = code.strip()
    text = " ".join((display or code).split())
    result.value_text = text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"
    if not code:
        set_words(result, display)
        return
    result.value_kind = ValueKind.CODED
    result.value_code = code[:40]
    result.value_system = code_system(system)


def code_system(system: str) -> str:
    system = system.strip()
    if system.upper() in SNOMED_SYSTEMS or system in SNOMED_SYSTEMS:
        return SNOMED
    if system.upper() in LOINC_SYSTEMS or system in LOINC_SYSTEMS:
        return "http://loinc.org"
    return system[:120]


# --- Reference ranges -----------------------------------------------------------------------

# A unit or words after the numbers ("3.5-5.0 x10^9/l", "<10 = negatief"); not a second
# bound ("<1 = gevoelig, >= 1 = resistent" is words only).
_AFTER = r"(?:\s*[^\d\s.,<>≤≥][^<>≤≥]*)?"
RANGE_BETWEEN = re.compile(
    rf"^\(?\s*({_NUMBER})\s*(?:-|\u2013|\u2014|_|\.\.|to|tot|t/m)\s*({_NUMBER})\s*\)?{_AFTER}$",
    re.IGNORECASE,
)
RANGE_BOUND = re.compile(rf"^(<=|>=|<|>|≤|≥)\s*({_NUMBER}){_AFTER}$")


def parse_range(text: str) -> tuple[Decimal | None, Decimal | None]:
    """'3.5-5.0', '3,5 - 5,0', '70_105', '13 to 18', '3.5-5.0 mmol/l', '<5', '>=60' →
    (low, high); a range without numbers ('negatief') → (None, None)."""
    text = text.strip()
    if len(text) > MAX_TEXT:
        return None, None
    if between := RANGE_BETWEEN.match(text):
        low, high = fitting_decimal(between.group(1)), fitting_decimal(between.group(2))
        if low is None or high is None or low > high:
            return None, None
        return low, high
    if bound := RANGE_BOUND.match(text):
        number = fitting_decimal(bound.group(2))
        return (None, number) if bound.group(1) in ("<", "<=", "≤") else (number, None)
    return None, None


def set_reference(result: ReportedResult, text: str) -> None:
    text = " ".join(text.split())
    result.reference_text = text[:MAX_TEXT]
    result.reference_low, result.reference_high = parse_range(text)


def system_kind(name: str) -> str:
    if name in NHG_SYSTEMS or name.upper() in NHG_SYSTEMS:
        return NHG
    return LOINC if name in LOINC_SYSTEMS or name.upper() in LOINC_SYSTEMS else LOCAL


def finish(result: ReportedResult, *, known_status: bool, status_code: str) -> None:
    """The problems that keep a result out, in order of what matters most."""
    if (
        result.withdraws
        or result.finalizes
        or (result.status == ResultStatus.PENDING and not result.value_text)
    ):
        # A withdrawal or a "now final" needs no value; a pending result may not have one.
        result.problem = ""
    if not result.code:
        result.problem = _("uitslag zonder bepalingscode")
    elif not known_status:
        result.problem = _("status '%(status)s' (niet uitgevoerd of vervallen)") % {
            "status": status_code[:20]
        }
    elif result.observed_at is None:
        result.problem = _("geen afnamedatum")
