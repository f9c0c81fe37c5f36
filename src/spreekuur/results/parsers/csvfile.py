"""CSV files: one result per row, as a spreadsheet saves them."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime

from django.utils.translation import gettext as _

from spreekuur.results.parsers.common import (
    AMSTERDAM,
    LOCAL,
    LOINC,
    MAX_PATIENTS,
    NHG,
    Parsed,
    Report,
    ReportedPatient,
    ReportedResult,
    Unreadable,
    check_size,
    decode,
    finish,
    set_reference,
    set_words,
    valid_bsn,
)
from spreekuur.results.parsers.flags import flag_of

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
    check_size(raw)
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
        if born is None or not valid_bsn(bsn):
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
    set_words(result, cells.get("waarde", ""))
    set_reference(result, cells.get("referentie", ""))
    flag = cells.get("vlag", "")
    result.flag = flag_of([("", flag)]) if flag else None
    finish(result, known_status=True, status_code="")
    return result
