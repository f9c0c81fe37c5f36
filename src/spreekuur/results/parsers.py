"""The three lab doors read into one shape: reports (one patient each) of results.

Each parser either returns what it read or raises `Unreadable` with a reason in Dutch;
any other exception would be a bug (the fuzz tests hold them to that). A single result
that cannot be used (an unknown status, a value that is not a number) does not sink the
report: it travels with its `problem`, and the importer lists it in the message's reason.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

import hl7
from django.utils.translation import gettext as _
from fhir.resources.R4B.bundle import Bundle
from pydantic import ValidationError

from spreekuur.patients.bsn import is_valid_bsn

# python-hl7 logs the raw field (patient data) when an escape sequence is broken, on
# loggers named after its own files. Those lines must never be written; our parser
# reports what it cannot read itself.
for _module in (hl7.util, hl7.containers):
    logging.getLogger(_module.__file__).setLevel(logging.CRITICAL + 1)

MAX_MESSAGE_BYTES = 2 * 1024 * 1024
MAX_HL7_BYTES = 512 * 1024  # a real ORU^R01 is a few kB; python-hl7 is slow on huge ones
MAX_RESULTS = 2_000
MAX_PATIENTS = 100  # per message: more is a batch file, which `import_lab` splits
AMSTERDAM = ZoneInfo("Europe/Amsterdam")

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
BSN_SYSTEM = "http://fhir.nl/fhir/NamingSystem/bsn"

# HL7 v2 OBX-8 and FHIR v3 ObservationInterpretation codes, to our flags.
FLAGS = {"N": "", "L": "L", "H": "H", "LL": "LL", "HH": "HH", "A": "A", "AA": "A"}
FLAGS |= {"<": "L", ">": "H", "LU": "LL", "HU": "HH"}


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
    unit: str = ""
    reference_low: Decimal | None = None
    reference_high: Decimal | None = None
    flag: str | None = None  # None: the lab gave none, so we compare with the range
    preliminary: bool = False
    problem: str = ""


@dataclass
class Report:
    patient: ReportedPatient
    results: list[ReportedResult] = field(default_factory=list)
    ordered_by_agb: str = ""
    # This patient's own part of the message (kept as received, never another patient's).
    raw: str = ""


@dataclass
class Parsed:
    sender: str
    message_id: str
    reports: list[Report]


def decode(raw: bytes) -> str:
    """UTF-8, or ISO 8859-1 as many Dutch lab systems still send (never fails)."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _bsn(text: str) -> str:
    """Nine ASCII digits that pass the elfproef, or nothing (no match on a near-BSN)."""
    text = text.strip()
    return text if text.isascii() and is_valid_bsn(text) else ""


def _check_size(raw: bytes) -> None:
    if not raw.strip():
        raise Unreadable(_("Het bericht is leeg."))
    if len(raw) > MAX_MESSAGE_BYTES:
        raise Unreadable(_("Het bericht is groter dan 2 MB."))


NUMBER = re.compile(r"^\s*(<=|>=|<|>)?\s*([-+]?\d+(?:[.,]\d+)?)\s*$")


def parse_number(text: str) -> tuple[str, Decimal] | None:
    """'7,2' → ('', 7.2); '<0.5' → ('<', 0.5); anything else → None."""
    match = NUMBER.match(text)
    if match is None or len(text) > 40:
        return None
    try:
        return match.group(1) or "", Decimal(match.group(2).replace(",", "."))
    except InvalidOperation:  # pragma: no cover - the pattern admits only plain numbers
        return None


def parse_range(text: str) -> tuple[Decimal | None, Decimal | None]:
    """'3.5-5.0', '3,5 - 5,0', '<5', '>=60' → (low, high); unreadable → (None, None)."""
    text = text.strip()
    between = re.match(r"^([-+]?\d+(?:[.,]\d+)?)\s*-\s*([-+]?\d+(?:[.,]\d+)?)$", text)
    if between:
        low, high = (Decimal(part.replace(",", ".")) for part in between.groups())
        return (low, high) if low <= high else (None, None)
    bound = parse_number(text)
    if bound is None or not bound[0]:
        return None, None
    return (None, bound[1]) if bound[0].startswith("<") else (bound[1], None)


def _value(result: ReportedResult, text: str, numeric: bool) -> None:
    text = text.strip()
    result.value_text = text[:60]
    if not text:
        result.problem = _("uitslag zonder waarde")
    elif len(text) > 60:
        result.problem = _("uitslag langer dan 60 tekens")
    elif numeric or parse_number(text) is not None:
        number = parse_number(text)
        if number is None:
            result.problem = _("de waarde is geen getal")
        else:
            result.comparator, result.value = number


# --- HL7 v2 ORU^R01 -----------------------------------------------------------------------

# OBX-11 result status: which we import (and whether as preliminary).
HL7_STATUSES = {"F": False, "C": False, "U": False, "P": True, "R": True, "S": True, "A": True}


def _hl7_field(segment: hl7.Segment, number: int, repetition: int = 1, component: int = 1) -> str:
    try:
        return str(segment.extract_field(1, number, repetition, component)).strip()
    except (IndexError, ValueError, TypeError):
        return ""


def _hl7_datetime(text: str) -> datetime | None:
    if not text:
        return None
    try:
        moment: datetime | None = hl7.parse_datetime(text)
    except (ValueError, TypeError, IndexError):
        return None
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=AMSTERDAM)


def _hl7_patient(pid: hl7.Segment) -> ReportedPatient:
    bsn = ""
    for repetition in range(1, 11):  # PID-3 repeats: BSN, the lab's own number, ...
        if not _hl7_field(pid, 3, repetition, 1):
            break
        authority = _hl7_field(pid, 3, repetition, 4)
        kind = _hl7_field(pid, 3, repetition, 5)
        if kind == "NNNLD" or authority == "NLMINBIZA":
            bsn = _hl7_field(pid, 3, repetition, 1)
            break
    born = _hl7_datetime(_hl7_field(pid, 7))
    return ReportedPatient(
        bsn=_bsn(bsn),
        birth_date=born.date() if born else None,
        family_name=_hl7_field(pid, 5, 1, 1)[:150],
        given_name=_hl7_field(pid, 5, 1, 2)[:100],
        sex={"M": "M", "F": "F"}.get(_hl7_field(pid, 8).upper(), "X"),
    )


def _hl7_prechecks(text: str) -> None:
    """Refuse what would make python-hl7 slow or huge before it parses: too large, too
    many results or patients, and the formatting escapes that repeat whitespace N times
    (\\.in400000000\\ would become 1.6 GB)."""
    if len(text) > MAX_HL7_BYTES:
        raise Unreadable(_("Het HL7-bericht is groter dan 512 kB."))
    if text.count("\rOBX|") > MAX_RESULTS:
        raise Unreadable(_("Meer dan %(max)s uitslagen in één bericht.") % {"max": MAX_RESULTS})
    if text.count("\rPID|") > MAX_PATIENTS:
        raise Unreadable(_("Meer dan %(max)s patiënten in één bericht.") % {"max": MAX_PATIENTS})
    escape = re.escape(text[6]) if len(text) > 6 else re.escape("\\")
    counted = re.compile(escape + r"\.(?:sp|in|ti|sk)\s*[+-]?(\d+)")
    if any(int(count) > 100 for count in counted.findall(text)):
        raise Unreadable(_("Het bericht bevat een opmaakcode met een te grote herhaling."))


def parse_hl7v2(raw: bytes) -> Parsed:
    _check_size(raw)
    text = decode(raw).strip().replace("\r\n", "\r").replace("\n", "\r")
    if not text.startswith("MSH") or len(text) < 8:
        raise Unreadable(_("Geen HL7 v2-bericht: het begint niet met MSH."))
    _hl7_prechecks(text)
    try:
        message = hl7.parse(text)
        msh = message.segment("MSH")
    except Exception as error:  # the library raises many kinds on bad input
        raise Unreadable(_("Het HL7-bericht is niet te lezen.")) from error
    kind = f"{_hl7_field(msh, 9, 1, 1)}^{_hl7_field(msh, 9, 1, 2)}"
    if kind != "ORU^R01":
        raise Unreadable(
            _("Berichttype %(kind)s wordt niet verwerkt; alleen ORU^R01.") % {"kind": kind[:20]}
        )
    if not _hl7_field(msh, 12).startswith("2."):
        raise Unreadable(_("Alleen HL7 versie 2 wordt verwerkt."))
    message_id = _hl7_field(msh, 10)[:120]
    if not message_id:
        raise Unreadable(_("Het bericht heeft geen berichtnummer (MSH-10)."))
    sender = (_hl7_field(msh, 4) or _hl7_field(msh, 3))[:120]
    sent_at = _hl7_datetime(_hl7_field(msh, 7))
    reports: list[Report] = []
    parts: list[list[str]] = []
    report: Report | None = None
    order_key, order_time, count = "", sent_at, 0
    header = str(msh)
    for segment in message:
        name = str(segment[0]).strip()
        if name == "PID":
            report = Report(patient=_hl7_patient(segment))
            reports.append(report)
            parts.append([header])
            order_key = ""
        elif name in ("ORC", "OBR") and report is not None:
            if name == "OBR":
                order_key = _hl7_field(segment, 3) or _hl7_field(segment, 2) or message_id
                order_time = _hl7_datetime(_hl7_field(segment, 7)) or sent_at
            # Ordering provider (ORC-12, OBR-16): the AGB code of the GP who asked.
            agb = _hl7_field(segment, 12 if name == "ORC" else 16)
            if agb.isdigit() and len(agb) == 8:
                report.ordered_by_agb = agb
        elif name == "OBX":
            if report is None or not order_key:
                raise Unreadable(_("Een OBX-regel staat niet onder een patiënt en aanvraag."))
            count += 1
            if count > MAX_RESULTS:
                raise Unreadable(
                    _("Meer dan %(max)s uitslagen in één bericht.") % {"max": MAX_RESULTS}
                )
            report.results.append(_hl7_result(segment, sender, order_key, order_time))
        if parts and name != "MSH":
            parts[-1].append(str(segment))
    for report, part in zip(reports, parts, strict=True):
        report.raw = "\r".join(part) + "\r"
    # A patient segment without results is nothing to store (and no work-list entry).
    reports = [report for report in reports if report.results]
    if not reports:
        raise Unreadable(_("Het bericht bevat geen patiënt met uitslagen."))
    return Parsed(sender=sender, message_id=message_id, reports=reports)


def _hl7_result(
    obx: hl7.Segment, sender: str, order_key: str, order_time: datetime | None
) -> ReportedResult:
    code = _hl7_field(obx, 3, 1, 1)[:20]
    system_name = _hl7_field(obx, 3, 1, 3).upper()
    system = NHG if system_name in NHG_SYSTEMS else LOINC if system_name in LOINC_SYSTEMS else LOCAL
    status = _hl7_field(obx, 11).upper()
    result = ReportedResult(
        code=code,
        system=system,
        name=_hl7_field(obx, 3, 1, 2)[:120],
        value_text="",
        observed_at=_hl7_datetime(_hl7_field(obx, 14)) or order_time,
        order_key=f"{sender}|{order_key}|{system}:{code}"[:200],
        unit=_hl7_field(obx, 6, 1, 1)[:20],
        preliminary=HL7_STATUSES.get(status, False),
    )
    value_type = _hl7_field(obx, 2).upper()
    if value_type == "SN":  # structured numeric: comparator^number
        _value(result, _hl7_field(obx, 5, 1, 1) + _hl7_field(obx, 5, 1, 2), numeric=True)
    else:
        _value(result, _hl7_field(obx, 5), numeric=value_type == "NM")
    result.reference_low, result.reference_high = parse_range(_hl7_field(obx, 7))
    flag = _hl7_field(obx, 8).upper()
    result.flag = FLAGS.get(flag, "A") if flag else None
    if not code:
        result.problem = _("uitslag zonder bepalingscode")
    elif status not in HL7_STATUSES:
        result.problem = _("status '%(status)s' (niet uitgevoerd of vervallen)") % {
            "status": status[:3]
        }
    elif result.observed_at is None:
        result.problem = _("geen afnamedatum")
    return result


# --- FHIR R4 Observation bundles -------------------------------------------------------------

FHIR_STATUSES = {"final": False, "amended": False, "corrected": False, "preliminary": True}


def parse_fhir(raw: bytes) -> Parsed:
    _check_size(raw)
    try:
        bundle = Bundle.model_validate_json(raw)
    except ValidationError as error:
        # Where and what only: pydantic's "input" would copy patient data into the reason.
        details = error.errors()
        where = ".".join(str(part) for part in details[0]["loc"])[:80] if details else "-"
        what = str(details[0]["msg"])[:120] if details else ""
        raise Unreadable(
            _("Geen geldige FHIR R4-bundel (%(where)s: %(what)s).") % {"where": where, "what": what}
        ) from error
    except Exception as error:
        # fhir.resources raises other kinds on hostile input too (a KeyError for an unknown
        # resourceType inside an entry, found by the fuzz tests).
        raise Unreadable(_("Geen geldige FHIR R4-bundel.")) from error
    sender = str(bundle.meta.source)[:120] if bundle.meta and bundle.meta.source else ""
    message_id = str(bundle.identifier.value)[:120] if bundle.identifier else ""
    patients: dict[str, ReportedPatient] = {}
    patient_entry: dict[str, int] = {}
    observations = []
    for index, entry in enumerate(bundle.entry or []):
        resource = entry.resource
        if resource is None:
            continue
        kind = resource.get_resource_type()
        keys = [str(entry.fullUrl or "")]
        if getattr(resource, "id", None):
            keys.append(f"{kind}/{resource.id}")
        if kind == "Patient":
            for key in keys:
                patients[key] = _fhir_patient(resource)
                patient_entry[key] = index
        elif kind == "Observation":
            observations.append((index, resource))
    if not observations:
        raise Unreadable(_("De bundel bevat geen uitslagen (Observation)."))
    if len(observations) > MAX_RESULTS:
        raise Unreadable(_("Meer dan %(max)s uitslagen in één bericht.") % {"max": MAX_RESULTS})
    reports: dict[ReportedPatient, Report] = {}
    entries: dict[ReportedPatient, list[int]] = {}
    for index, observation in observations:
        subject = getattr(observation, "subject", None)
        reference = str(subject.reference or "") if subject is not None else ""
        patient = patients.get(reference)
        if patient is None:
            raise Unreadable(_("Een uitslag verwijst niet naar een patiënt in de bundel."))
        report = reports.setdefault(patient, Report(patient=patient))
        report.results.append(_fhir_result(observation, sender, message_id))
        entries.setdefault(patient, [patient_entry[reference]]).append(index)
    if len(reports) > MAX_PATIENTS:
        raise Unreadable(_("Meer dan %(max)s patiënten in één bericht.") % {"max": MAX_PATIENTS})
    # Each patient's part is a bundle of only their own entries.
    document = json.loads(raw)
    for patient, report in reports.items():
        own = [document["entry"][i] for i in entries[patient]]
        report.raw = json.dumps({**document, "entry": own}, ensure_ascii=False)
    return Parsed(sender=sender, message_id=message_id, reports=list(reports.values()))


def _fhir_patient(resource: object) -> ReportedPatient:
    bsn = next(
        (
            str(identifier.value)
            for identifier in getattr(resource, "identifier", None) or []
            if identifier.system == BSN_SYSTEM and identifier.value
        ),
        "",
    )
    names = getattr(resource, "name", None) or []
    birth = getattr(resource, "birthDate", None)
    return ReportedPatient(
        bsn=_bsn(bsn),
        birth_date=birth if isinstance(birth, date) else None,
        family_name=str(names[0].family or "")[:150] if names else "",
        given_name=str((names[0].given or [""])[0])[:100] if names else "",
        sex={"male": "M", "female": "F"}.get(str(getattr(resource, "gender", "")), "X"),
    )


def _fhir_result(observation: object, sender: str, message_id: str) -> ReportedResult:
    obs: object = observation
    codings = obs.code.coding or []  # type: ignore[attr-defined]
    coding = next((c for c in codings if str(c.system) in NHG_SYSTEMS), None)
    coding = coding or next((c for c in codings if str(c.system) in LOINC_SYSTEMS), None)
    coding = coding or (codings[0] if codings else None)
    system = LOCAL
    if coding is not None:
        system = NHG if str(coding.system) in NHG_SYSTEMS else system
        system = LOINC if str(coding.system) in LOINC_SYSTEMS else system
    code = str(coding.code or "")[:20] if coding else ""
    effective = getattr(obs, "effectiveDateTime", None)
    period = getattr(obs, "effectivePeriod", None)
    if effective is None and period is not None:
        effective = period.start
    if isinstance(effective, date) and not isinstance(effective, datetime):
        effective = datetime.combine(effective, time(0, 0))
    if isinstance(effective, datetime) and effective.tzinfo is None:
        effective = effective.replace(tzinfo=AMSTERDAM)
    identifiers = getattr(obs, "identifier", None) or []
    moment = effective.isoformat() if isinstance(effective, datetime) else ""
    # Without an identifier, the sample time tells one value from another (a trend).
    key = (
        f"{identifiers[0].system}|{identifiers[0].value}"
        if identifiers
        else f"{message_id}|{moment}"
    )
    status = str(getattr(obs, "status", ""))
    result = ReportedResult(
        code=code,
        system=system,
        name=str(coding.display or "")[:120] if coding else "",
        value_text="",
        observed_at=effective if isinstance(effective, datetime) else None,
        order_key=f"{sender}|{key}|{system}:{code}"[:200],
        preliminary=FHIR_STATUSES.get(status, False),
    )
    quantity = getattr(obs, "valueQuantity", None)
    if quantity is not None and quantity.value is not None:
        comparator = str(quantity.comparator or "")
        _value(result, f"{comparator}{quantity.value}", numeric=True)
        result.unit = str(quantity.unit or quantity.code or "")[:20]
    elif getattr(obs, "valueString", None):
        _value(result, str(obs.valueString), numeric=False)  # type: ignore[attr-defined]
    else:
        result.problem = _("uitslag zonder waarde")
    ranges = getattr(obs, "referenceRange", None) or []
    if ranges:
        low, high = ranges[0].low, ranges[0].high
        result.reference_low = low.value if low is not None else None
        result.reference_high = high.value if high is not None else None
    interpretations = getattr(obs, "interpretation", None) or []
    if interpretations and interpretations[0].coding:
        flag = str(interpretations[0].coding[0].code or "").upper()
        result.flag = FLAGS.get(flag, "A")
    if not code:
        result.problem = _("uitslag zonder bepalingscode")
    elif status not in FHIR_STATUSES:
        result.problem = _("status '%(status)s' (niet uitgevoerd of vervallen)") % {
            "status": status[:20]
        }
    elif result.observed_at is None:
        result.problem = _("geen afnamedatum")
    return result


# --- CSV ------------------------------------------------------------------------------------

CSV_REQUIRED = ("bsn", "geboortedatum", "bepaling", "waarde", "afnamedatum")
CSV_OPTIONAL = ("eenheid", "referentie", "vlag", "aanvraagnummer", "achternaam", "laboratorium")
MAX_CSV_ROWS = 10_000


def _csv_date(text: str) -> date | None:
    for pattern in ("%Y-%m-%d", "%d-%m-%Y"):
        try:
            return datetime.strptime(text.strip(), pattern).date()  # noqa: DTZ007 - a date
        except ValueError:
            continue
    return None


def _csv_moment(text: str) -> datetime | None:
    text = text.strip()
    for pattern in ("%Y-%m-%d %H:%M", "%d-%m-%Y %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d", "%d-%m-%Y"):
        try:
            return datetime.strptime(text, pattern).replace(tzinfo=AMSTERDAM)
        except ValueError:
            continue
    return None


def parse_csv(raw: bytes) -> Parsed:
    """One result per row, with a header row; semicolons (as Dutch spreadsheets save) or
    commas. A row whose patient cannot be read makes the whole file unusable: a file is
    one delivery, and half of it would be worse than none."""
    _check_size(raw)
    text = decode(raw)
    header = text.splitlines()[0] if text.splitlines() else ""
    delimiter = max(";,\t", key=header.count)
    try:
        rows = list(csv.DictReader(io.StringIO(text), delimiter=delimiter, strict=True))
    except csv.Error as error:
        raise Unreadable(_("Het CSV-bestand is niet te lezen.")) from error
    columns = {name.strip().lower() for name in (header.split(delimiter) if header else [])}
    missing = [name for name in CSV_REQUIRED if name not in columns]
    if missing:
        raise Unreadable(_("Kolommen ontbreken: %(columns)s.") % {"columns": ", ".join(missing)})
    if not rows:
        raise Unreadable(_("Het CSV-bestand heeft geen regels."))
    if len(rows) > MAX_CSV_ROWS:
        raise Unreadable(_("Meer dan %(max)s regels in één bestand.") % {"max": MAX_CSV_ROWS})
    reports: dict[ReportedPatient, Report] = {}
    lines: dict[ReportedPatient, list[str]] = {}
    source_lines = text.splitlines()
    errors: list[str] = []
    for number, row in enumerate(rows, start=2):
        cells = {
            str(key).strip().lower(): str(value or "").strip()
            for key, value in row.items()
            if key is not None and not isinstance(value, list)
        }
        born = _csv_date(cells.get("geboortedatum", ""))
        bsn = cells.get("bsn", "")
        if born is None or not _bsn(bsn):
            errors.append(_("regel %(row)s: BSN of geboortedatum onleesbaar") % {"row": number})
            continue
        patient = ReportedPatient(bsn=bsn, birth_date=born, family_name=cells.get("achternaam", ""))
        report = reports.setdefault(patient, Report(patient=patient))
        report.results.append(_csv_result(cells))
        if number - 1 < len(source_lines):
            lines.setdefault(patient, [header]).append(source_lines[number - 1])
    if len(reports) > MAX_PATIENTS:
        raise Unreadable(_("Meer dan %(max)s patiënten in één bestand.") % {"max": MAX_PATIENTS})
    for patient, report in reports.items():
        report.raw = "\n".join(lines.get(patient, [header])) + "\n"
    if errors:
        raise Unreadable("; ".join(errors[:10]) + ("; …" if len(errors) > 10 else ""))
    return Parsed(sender="", message_id="", reports=list(reports.values()))


def _csv_result(cells: dict[str, str]) -> ReportedResult:
    test = cells.get("bepaling", "")[:20]
    system = NHG if test.isdigit() else LOINC if re.fullmatch(r"\d+-\d", test) else LOCAL
    sender = cells.get("laboratorium", "")[:60]
    order = cells.get("aanvraagnummer", "") or cells.get("afnamedatum", "")
    result = ReportedResult(
        code=test,
        system=system,
        name="",
        value_text="",
        observed_at=_csv_moment(cells.get("afnamedatum", "")),
        order_key=f"{sender}|{order}|{cells.get('bsn')}|{system}:{test}"[:200],
        unit=cells.get("eenheid", "")[:20],
    )
    _value(result, cells.get("waarde", ""), numeric=False)
    result.reference_low, result.reference_high = parse_range(cells.get("referentie", ""))
    flag = cells.get("vlag", "").upper()
    result.flag = FLAGS.get(flag, "A") if flag else None
    if not test:
        result.problem = _("uitslag zonder bepalingscode")
    elif result.observed_at is None:
        result.problem = _("geen afnamedatum")
    return result


PARSERS: dict[str, Callable[[bytes], Parsed]] = {
    "hl7v2": parse_hl7v2,
    "fhir": parse_fhir,
    "csv": parse_csv,
}
