"""HL7 v2 ORU^R01 messages, and files or bodies of many of them (FHS/BHS batches)."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime

import hl7
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from spreekuur.results.models import ResultStatus, ValueKind
from spreekuur.results.parsers.common import (
    AMSTERDAM,
    COMPARATORS,
    FINALIZE,
    MAX_HL7_BYTES,
    MAX_PATIENTS,
    MAX_RESULTS,
    UTF8_BOM,
    WITHDRAW,
    Parsed,
    Report,
    ReportedPatient,
    ReportedResult,
    Unreadable,
    check_size,
    decode,
    finish,
    set_code,
    set_number,
    set_ratio,
    set_reference,
    set_text,
    set_words,
    system_kind,
    valid_bsn,
)
from spreekuur.results.parsers.flags import flag_of

# python-hl7 logs the raw field (patient data) when an escape sequence is broken, on
# loggers named after its own files. Those lines must never be written; our parser
# reports what it cannot read itself.
for _module in (hl7.util, hl7.containers):
    logging.getLogger(_module.__file__).setLevel(logging.CRITICAL + 1)


# --- HL7 v2 ORU^R01 -----------------------------------------------------------------------

# OBX-11 result status (HL7 table 0085, with A and B of v2.6+).
HL7_STATUSES = {
    "F": ResultStatus.FINAL,
    "U": ResultStatus.FINAL,  # a preliminary result now final, not sent again
    "B": ResultStatus.FINAL,  # appended report: the values unchanged
    "C": ResultStatus.CORRECTED,
    "A": ResultStatus.CORRECTED,  # amended after new patient details
    "P": ResultStatus.PRELIMINARY,
    "R": ResultStatus.PRELIMINARY,  # entered, not verified
    "S": ResultStatus.PRELIMINARY,  # partial
    "I": ResultStatus.PENDING,  # specimen in lab, result pending
    "D": WITHDRAW,  # delete the earlier result
    "W": WITHDRAW,  # the earlier result was wrong (e.g. for the wrong patient)
}
# Value types read as a code (OBX-2), and as words.
HL7_CODED = {"CE", "CWE", "CNE", "CF"}
HL7_WORDS = {"ST", "TX", "FT"}
HL7_MOMENTS = {"DT", "TM", "DTM", "TS"}  # a date is words, never a number
_CONTROL = re.compile(r"[\x00-\x1f\x7f\x80-\x9f]")


def _hl7_field(segment: hl7.Segment, number: int, repetition: int = 1, component: int = 1) -> str:
    try:
        raw = str(segment[number]) if len(segment) > number else ""
        separators = segment.separators
        if not any(char in raw for char in (separators[2], separators[4], segment.esc)):
            # No repetition, subcomponent or escape: the components as they stand (the
            # common case, and faster than python-hl7's general path).
            parts = raw.split(separators[3])
            if repetition != 1 or component > len(parts):
                return ""
            return parts[component - 1].strip()
        return str(segment.extract_field(1, number, repetition, component)).strip()
    except (IndexError, ValueError, TypeError):
        return ""


def _hl7_raw(segment: hl7.Segment, number: int) -> str:
    """A field as it stands in the message (separators and escapes included): cheap, to
    see whether it has repetitions or components before reading them one by one."""
    return str(segment[number]) if len(segment) > number else ""


def _hl7_whole(segment: hl7.Segment, number: int) -> str:
    """A text field as sent, also when a lab put components in it ("^^10.000000")."""
    raw = _hl7_raw(segment, number)
    if segment.separators[3] not in raw and segment.separators[2] not in raw:
        return _hl7_field(segment, number)
    return _CONTROL.sub(" ", raw).strip()


def _hl7_repetitions(segment: hl7.Segment, number: int, component: int = 1) -> list[str]:
    """A repeating field's values (OBX-5 of a text, OBX-8 flags); at most 20."""
    if segment.separators[2] not in _hl7_raw(segment, number):  # the usual case: one
        return [_hl7_field(segment, number, 1, component)]
    values = []
    for repetition in range(1, 21):
        try:
            values.append(str(segment.extract_field(1, number, repetition, component)).strip())
        except (IndexError, ValueError, TypeError):
            break
    return values


def _hl7_datetime(text: str) -> datetime | None:
    if not text:
        return None
    try:
        moment: datetime | None = hl7.parse_datetime(text)
    except (ValueError, TypeError, IndexError, OverflowError):
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
        bsn=valid_bsn(bsn),
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


def hl7_control_id(raw: bytes) -> str:
    """MSH-10 as sent, read leniently (also from a message we cannot use, for its ACK):
    after a byte order mark or blank lines, with the message's own field separator."""
    body = raw.removeprefix(UTF8_BOM).lstrip()
    header = decode(re.split(rb"[\r\n]", body, maxsplit=1)[0])
    if not header.startswith("MSH") or len(header) < 4:
        return ""
    fields = header.split(header[3])
    return fields[9] if len(fields) > 9 else ""


def parse_hl7v2(raw: bytes) -> Parsed:
    check_size(raw)
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
    if kind not in ("ORU^R01", "ORU^"):  # v2.2 and older may name no trigger event
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
            if report is None:
                raise Unreadable(_("Een OBX-regel staat niet onder een patiënt en aanvraag."))
            count += 1
            if count > MAX_RESULTS:
                raise Unreadable(
                    _("Meer dan %(max)s uitslagen in één bericht.") % {"max": MAX_RESULTS}
                )
            result = _hl7_result(segment, sender, order_key or message_id, order_time)
            if not order_key:  # the rest of the report stands; this one waits
                result.problem = _("uitslag staat niet onder een aanvraag (OBR)")
            report.results.append(result)
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
    system = system_kind(_hl7_field(obx, 3, 1, 3).upper())
    # OBX-3.4-6: the same test in another code system (a LOINC code beside the lab's own).
    alternate = (
        _hl7_field(obx, 3, 1, 4)[:20] if _hl7_raw(obx, 3).count(obx.separators[3]) > 2 else ""
    )
    other = [(system_kind(_hl7_field(obx, 3, 1, 6).upper()), alternate)] if alternate else []
    status_code = _hl7_field(obx, 11).upper()
    status = HL7_STATUSES.get(status_code)
    result = ReportedResult(
        code=code,
        system=system,
        name=_hl7_field(obx, 3, 1, 2)[:120],
        value_text="",
        observed_at=_hl7_datetime(_hl7_field(obx, 14)) or order_time,
        order_key=f"{sender}|{order_key}|{system}:{code}"[:200],
        unit=_hl7_field(obx, 6, 1, 1)[:20],
        status=status or ResultStatus.FINAL,
        other_codes=other,
    )
    _hl7_value(result, obx, _hl7_field(obx, 2).upper())
    if status_code == "U" and not result.value_text:
        result.status = FINALIZE  # the preliminary value stored before is now final
    set_reference(result, _hl7_whole(obx, 7))
    coded_flags = obx.separators[3] in _hl7_raw(obx, 8)  # OBX-8 as CWE: code^text^system
    flags = [
        (_hl7_field(obx, 8, repetition, 3).upper() if coded_flags else "", code)
        for repetition, code in enumerate(_hl7_repetitions(obx, 8), start=1)
    ]
    result.flag = flag_of(flags)
    finish(result, known_status=status is not None, status_code=status_code)
    return result


def _hl7_value(result: ReportedResult, obx: hl7.Segment, value_type: str) -> None:
    def part(component: int) -> str:
        return _hl7_field(obx, 5, 1, component)

    if value_type not in HL7_WORDS and len(_hl7_repetitions(obx, 5)) > 1:
        # "27~25" in a number field: neither is the value; never one of them silently.
        set_text(result, _CONTROL.sub(" ", str(obx[5]) if len(obx) > 5 else ""))
        result.problem = _("meer dan één waarde in één uitslag")
    elif value_type == "NM":
        set_number(result, part(1))
    elif value_type == "SN":  # structured numeric: comparator ^ number ^ separator ^ number
        comparator, first, separator, second = part(1), part(2), part(3), part(4)
        comparator = "" if comparator == "=" else comparator
        if separator in (":", "/") and second:
            set_ratio(result, comparator, first, second)
        elif not separator and not second and comparator in COMPARATORS | {""}:
            set_number(result, comparator + first)
        else:  # a range of values ("10-20") or a category ("2+"): words
            set_text(result, f"{comparator}{first}{separator}{second}")
            result.value_kind = ValueKind.TEXT
    elif value_type in HL7_CODED:
        code, display, system = part(1), part(2), part(3)
        if not code and part(4):  # only the alternate coding given
            code, display, system = part(4), part(5) or display, part(6)
        set_code(result, code, system, display)
    elif value_type in HL7_MOMENTS:
        set_text(result, _CONTROL.sub(" ", part(1)))
        result.value_kind = ValueKind.TEXT
    elif value_type in HL7_WORDS:
        # A text may repeat (lines of a remark); never a code or a number by accident.
        lines = [_CONTROL.sub(" ", line) for line in _hl7_repetitions(obx, 5)]
        set_words(result, " ".join(line for line in lines if line))
    elif value_type:  # ED, RP, ...: an attachment or a pointer is no lab value here
        result.problem = _("soort waarde %(type)s wordt niet verwerkt") % {"type": value_type[:5]}
    elif part(2) or part(3):  # no type given, but written as a code: never its number
        set_code(result, part(1), part(3), part(2))
    else:
        set_words(result, _CONTROL.sub(" ", part(1)))


# --- HL7 v2 batch files ------------------------------------------------------------------------

BATCH_SEGMENTS = ("FHS", "BHS", "BTS", "FTS")


@dataclass
class HL7Batch:
    """An HL7 file or body split into its messages, with what its trailers said."""

    messages: list[bytes]
    envelope: list[str]  # the FHS/BHS/BTS/FTS lines as sent (no patient data)
    problems: list[str]  # counts that do not agree with what was read


def is_hl7_batch(raw: bytes) -> bool:
    """A batch (FHS/BHS) or more than one message in one body."""
    start = raw.removeprefix(UTF8_BOM).lstrip()[:3]
    return start in (b"FHS", b"BHS") or len(re.findall(rb"(?:^|[\r\n])MSH", raw)) > 1


def _count(declared: str) -> int:
    # A trailer's count as the lab wrote it: a number picks the grammar, anything else reads
    # as plural.
    return int(declared) if declared.isdigit() and len(declared) < 10 else 2


def split_hl7_batch(content: bytes) -> HL7Batch:
    """Split at each MSH; the batch lines are kept apart, and the trailers' counts (BTS-1
    messages in the batch, FTS-1 batches in the file) are compared with what was read."""
    text = content.removeprefix(UTF8_BOM).replace(b"\r\n", b"\r").replace(b"\n", b"\r")
    messages: list[list[bytes]] = []
    envelope: list[str] = []
    problems: list[str] = []
    batches = in_batch = 0
    for segment in (s for s in text.split(b"\r") if s.strip()):
        name = segment[:3].decode("latin-1")
        if name in BATCH_SEGMENTS and segment[3:4] == b"|":
            line = _CONTROL.sub(" ", segment.decode("latin-1"))[:200]
            envelope.append(line)
            declared = line.split("|")[1].strip() if line.count("|") >= 1 else ""
            if name == "BHS":
                batches, in_batch = batches + 1, 0
            elif name == "BTS" and declared:
                if declared != str(in_batch):
                    problems.append(
                        ngettext(
                            "Batch %(batch)s: de trailer (BTS-1) noemt %(declared)s bericht, "
                            "er zijn er %(read)s gelezen.",
                            "Batch %(batch)s: de trailer (BTS-1) noemt %(declared)s berichten, "
                            "er zijn er %(read)s gelezen.",
                            _count(declared),
                        )
                        % {"batch": max(batches, 1), "declared": declared[:10], "read": in_batch}
                    )
            elif name == "FTS" and declared and declared != str(max(batches, 1)):
                problems.append(
                    ngettext(
                        "Het bestand: de trailer (FTS-1) noemt %(declared)s batch, "
                        "er zijn er %(read)s gelezen.",
                        "Het bestand: de trailer (FTS-1) noemt %(declared)s batches, "
                        "er zijn er %(read)s gelezen.",
                        _count(declared),
                    )
                    % {"declared": declared[:10], "read": max(batches, 1)}
                )
            continue
        if segment.startswith(b"MSH") or not messages:
            messages.append([])
            in_batch += segment.startswith(b"MSH")
        messages[-1].append(segment)
    return HL7Batch([b"\r".join(parts) + b"\r" for parts in messages], envelope, problems)
