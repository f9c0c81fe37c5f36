"""Reading the exchange's call report: what came in, when, how long the caller waited and
how it ended. Two forms are read:

* **CSV** with a header row (`;` or `,`), the columns documented in docs/telephony.md:
  `begin` (or `datum` + `tijd`), `wachttijd`, `gespreksduur`, `status`, and optionally
  `keuze`, `richting` and `id`. Common English names (start, wait, talk, result,
  direction, call_id …) are understood too. A caller's number column is never read.
* **Asterisk queue_log** (`epoch|callid|queue|agent|EVENT|data…`), which most VoIP
  exchanges built on Asterisk keep: ENTERQUEUE, CONNECT (hold time), COMPLETECALLER /
  COMPLETEAGENT (talk time), ABANDON / EXITWITHTIMEOUT / EXITEMPTY (wait time) and
  EXITWITHKEY (the caller pressed a key: the callback offer).

The result is a list of calls, each with a key that is the same when the same report is
read again, so a second import of overlapping months adds nothing twice."""

from __future__ import annotations

import csv
import hashlib
import io
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from spreekuur.telephony.models import CallOutcome

# A year of a large practice (10,000 patients, some 300 calls a working day) fits; the
# import runs inside the request, so a bound keeps it to seconds, not minutes.
MAX_REPORT_BYTES = 10 * 1024 * 1024
MAX_CALLS = 100_000
MAX_PROBLEMS = 10

ALIASES = {
    "begin": {"begin", "start", "starttijd", "start_time", "datum_tijd", "tijdstip", "calldate"},
    "datum": {"datum", "date"},
    "tijd": {"tijd", "time"},
    "wachttijd": {"wachttijd", "wait", "wait_time", "waittime", "holdtime", "wachttijd_s"},
    "gespreksduur": {"gespreksduur", "duur", "talk", "talk_time", "billsec", "talktime"},
    "status": {"status", "resultaat", "result", "disposition", "uitkomst"},
    "keuze": {"keuze", "menukeuze", "menu", "menu_choice", "toets"},
    "richting": {"richting", "direction"},
    "id": {"id", "call_id", "callid", "uniqueid", "gesprek", "gespreks_id"},
}

STATUS_WORDS = {
    CallOutcome.ANSWERED: {
        "beantwoord",
        "aangenomen",
        "answered",
        "connect",
        "connected",
        "opgenomen",
    },
    CallOutcome.ABANDONED: {
        "opgehangen",
        "verlaten",
        "abandoned",
        "no answer",
        "noanswer",
        "gemist",
        "missed",
        "niet beantwoord",
        "busy",
        "bezet",
    },
    CallOutcome.CALLBACK: {"teruggebeld", "terugbelverzoek", "terugbellen", "callback"},
    CallOutcome.MENU: {"keuzemenu", "menu", "ivr", "voicemail", "doorverwezen"},
}
INBOUND = {"in", "inkomend", "inbound", "binnenkomend", "incoming"}

_DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%d-%m-%Y %H:%M:%S",
    "%d-%m-%Y %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
)
_QUEUE_LOG_LINE = re.compile(r"^\d{9,11}(\.\d+)?\|")


def too_many() -> str:
    return _("Meer dan 100.000 gesprekken in één bestand: lees het in delen in.")


class ReportUnreadable(Exception):
    """The whole report was refused: the problems say where (line numbers, no content)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass
class ReportCall:
    key: str
    started_at: datetime
    outcome: str
    wait_seconds: int | None
    talk_seconds: int | None
    menu_choice: int | None = None


@dataclass
class Report:
    calls: list[ReportCall] = field(default_factory=list)
    rows: int = 0
    skipped: int = 0  # outgoing or internal calls, queue_log lines about agents


def read_report(raw: bytes) -> Report:
    if len(raw) > MAX_REPORT_BYTES:
        raise ReportUnreadable([_("Het bestand is groter dan 10 MB.")])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")  # Excel's Dutch CSV
    if "\x00" in text:
        raise ReportUnreadable([_("Dit is geen tekstbestand.")])
    lines = text.splitlines()
    first = next((line for line in lines if line.strip()), "")
    if not first:
        raise ReportUnreadable([_("Het bestand is leeg.")])
    if _QUEUE_LOG_LINE.match(first):
        return _read_queue_log(lines)
    return _read_csv(text)


# ---- plain CSV ----------------------------------------------------------------------


def _column(name: str) -> str:
    return re.sub(r"[^a-z_ ]", "", name.strip().lower()).replace(" ", "_").strip("_")


DAY_SECONDS = 24 * 3600
# A report covers recent months: a date outside these years is a wrong column or format.
YEARS_BACK = 3


def parse_duration(value: str) -> int | None:
    """Seconds from '75', '75,0', '1:15' or '0:01:15'; None when empty; ValueError for
    anything else, and for a day or more (no caller waits or talks that long)."""
    value = value.strip()
    if not value:
        return None
    if ":" in value:
        texts = value.split(":")
        if len(texts) > 3 or not all(t.isascii() and t.isdigit() and len(t) <= 5 for t in texts):
            raise ValueError(value)
        parts = [int(part) for part in texts]
        if any(part >= 60 for part in parts[1:]):
            raise ValueError(value)
        seconds = 0
        for part in parts:
            seconds = seconds * 60 + part
    else:
        number = float(value.replace(",", "."))
        if not math.isfinite(number) or number < 0:
            raise ValueError(value)
        seconds = round(number)
    if seconds >= DAY_SECONDS:
        raise ValueError(value)
    return seconds


def plausible(moment: datetime) -> bool:
    """Within the last few years and not after tomorrow."""
    today = timezone.localdate()
    return (
        today.replace(year=today.year - YEARS_BACK, day=min(today.day, 28))
        <= timezone.localdate(moment)
        <= today + timedelta(days=1)
    )


def parse_moment(value: str) -> datetime:
    value = value.strip()
    for form in _DATE_FORMATS:
        try:
            moment = datetime.strptime(value, form)  # noqa: DTZ007 - local time, made aware below
        except ValueError:
            continue
        aware = timezone.make_aware(moment)
        if not plausible(aware):
            raise ValueError(value)
        return aware
    raise ValueError(value)


def _outcome(word: str) -> str | None:
    word = word.strip().lower()
    for outcome, words in STATUS_WORDS.items():
        if word in words:
            return outcome
    return None


def _read_csv(text: str) -> Report:
    sample = text[:4096]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        raise ReportUnreadable([_("Het bestand heeft geen kopregel.")]) from None
    columns: dict[str, int] = {}
    for index, name in enumerate(header):
        cleaned = _column(name)
        for canonical, names in ALIASES.items():
            if cleaned in names and canonical not in columns:
                columns[canonical] = index
    has_moment = "begin" in columns or {"datum", "tijd"} <= columns.keys()
    missing = [
        name
        for name, present in (
            ("begin", has_moment),
            ("wachttijd", "wachttijd" in columns),
            ("status", "status" in columns),
        )
        if not present
    ]
    if missing:
        raise ReportUnreadable(
            [_("Deze kolommen ontbreken: %(names)s.") % {"names": ", ".join(missing)}]
        )
    report = Report()
    problems: list[str] = []
    seen: Counter[tuple[object, ...]] = Counter()
    try:
        for line_number, row in enumerate(reader, start=2):
            if not any(cell.strip() for cell in row):
                continue
            report.rows += 1
            if report.rows > MAX_CALLS:
                raise ReportUnreadable([too_many()])
            call = _csv_call(row, columns, line_number, problems, seen)
            if call is None:
                continue
            if isinstance(call, str):  # "skip"
                report.skipped += 1
                continue
            report.calls.append(call)
    except csv.Error:
        problems.append(_("regel %(n)d: de regel is geen geldige CSV") % {"n": reader.line_num})
    if problems:
        raise ReportUnreadable(problems[:MAX_PROBLEMS])
    return report


def _cell(row: list[str], columns: dict[str, int], name: str) -> str:
    index = columns.get(name)
    return row[index] if index is not None and index < len(row) else ""


def _csv_call(
    row: list[str],
    columns: dict[str, int],
    line: int,
    problems: list[str],
    seen: Counter[tuple[object, ...]],
) -> ReportCall | str | None:
    direction = _cell(row, columns, "richting").strip().lower()
    if direction and direction not in INBOUND:
        return "skip"

    def problem(what: str) -> None:
        problems.append(_("regel %(n)d: %(what)s") % {"n": line, "what": what})

    try:
        if "begin" in columns:
            started = parse_moment(_cell(row, columns, "begin"))
        else:
            started = parse_moment(f"{_cell(row, columns, 'datum')} {_cell(row, columns, 'tijd')}")
    except ValueError:
        problem(_("begin ontbreekt, is geen datum en tijd of ligt niet in de laatste drie jaar"))
        return None
    try:
        wait = parse_duration(_cell(row, columns, "wachttijd"))
        talk = parse_duration(_cell(row, columns, "gespreksduur"))
    except ValueError:
        problem(_("wachttijd of gespreksduur is geen duur van minder dan een dag"))
        return None
    outcome = _outcome(_cell(row, columns, "status"))
    if outcome is None:
        problem(_("de status is onbekend"))
        return None
    choice_text = _cell(row, columns, "keuze").strip()
    if choice_text and not (choice_text.isdigit() and len(choice_text) == 1):
        problem(_("de keuze is geen cijfer"))
        return None
    own_id = _cell(row, columns, "id").strip()[:100]
    content = (started.isoformat(), wait, talk, outcome, choice_text)
    if own_id:
        key = "import:" + own_id
    else:
        seen[content] += 1  # two identical calls in one second stay two calls
        digest = hashlib.sha256(repr((*content, seen[content])).encode()).hexdigest()[:32]
        key = "import:" + digest
    return ReportCall(
        key=key,
        started_at=started,
        outcome=outcome,
        wait_seconds=wait if outcome != CallOutcome.MENU else None,
        talk_seconds=talk if outcome == CallOutcome.ANSWERED else None,
        menu_choice=int(choice_text) if choice_text else None,
    )


# ---- Asterisk queue_log ----------------------------------------------------------------


def _read_queue_log(lines: list[str]) -> Report:
    events: dict[str, list[tuple[float, str, list[str]]]] = defaultdict(list)
    report = Report()
    problems: list[str] = []
    for line_number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        parts = line.rstrip("\r").split("|")
        if len(parts) < 5:
            problems.append(_("regel %(n)d: te weinig velden") % {"n": line_number})
            continue
        try:
            moment = float(parts[0])
            plausible_moment = math.isfinite(moment) and plausible(
                datetime.fromtimestamp(moment, tz=UTC)
            )
        except (ValueError, OverflowError, OSError):
            plausible_moment = False
        if not plausible_moment:
            problems.append(
                _("regel %(n)d: geen tijdstempel uit de laatste drie jaar") % {"n": line_number}
            )
            continue
        call_id, event = parts[1], parts[4].strip().upper()
        if call_id in {"NONE", "CLI", ""} or event not in QUEUE_EVENTS:
            report.skipped += 1  # about agents or the queue itself, not a caller
            continue
        events[call_id].append((moment, event, parts[5:]))
    if problems:
        raise ReportUnreadable(problems[:MAX_PROBLEMS])
    if len(events) > MAX_CALLS:
        raise ReportUnreadable([too_many()])
    for call_id, found in events.items():
        report.rows += 1
        call = _queue_call(call_id[:100], sorted(found, key=lambda item: item[0]))
        if call is None:
            report.skipped += 1
        else:
            report.calls.append(call)
    return report


QUEUE_EVENTS = {
    "ENTERQUEUE",
    "CONNECT",
    "COMPLETECALLER",
    "COMPLETEAGENT",
    "ABANDON",
    "EXITWITHTIMEOUT",
    "EXITEMPTY",
    "EXITWITHKEY",
}


def _int(parts: list[str], index: int) -> int | None:
    """A number of seconds from a queue_log field; None when absent or implausible."""
    try:
        number = float(parts[index])
    except (IndexError, ValueError):
        return None
    if not math.isfinite(number) or not 0 <= number < DAY_SECONDS:
        return None
    return int(number)


def _queue_call(call_id: str, found: list[tuple[float, str, list[str]]]) -> ReportCall | None:
    started = datetime.fromtimestamp(found[0][0], tz=UTC)
    by_event = {event: data for _moment, event, data in found}
    if "CONNECT" in by_event:
        complete = by_event.get("COMPLETECALLER") or by_event.get("COMPLETEAGENT")
        return ReportCall(
            key="import:" + call_id,
            started_at=started,
            outcome=CallOutcome.ANSWERED,
            wait_seconds=_int(by_event["CONNECT"], 0),
            talk_seconds=_int(complete, 1) if complete else None,
        )
    if "EXITWITHKEY" in by_event:
        data = by_event["EXITWITHKEY"]
        return ReportCall(
            key="import:" + call_id,
            started_at=started,
            outcome=CallOutcome.CALLBACK,
            wait_seconds=_int(data, 3),
            talk_seconds=None,
        )
    for event in ("ABANDON", "EXITWITHTIMEOUT", "EXITEMPTY"):
        if event in by_event:
            return ReportCall(
                key="import:" + call_id,
                started_at=started,
                outcome=CallOutcome.ABANDONED,
                wait_seconds=_int(by_event[event], 2),
                talk_seconds=None,
            )
    return None  # still in the queue when the log was cut
