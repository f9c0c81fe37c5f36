"""Receiving lab messages: idempotent, all-or-nothing per message, nothing lost.

The same bytes twice are stored once (a digest per practice); the same result twice is
stored once (a source key per practice), also when it comes through another door. What
cannot be used waits as a `LabMessage` with its reason: unreadable (quarantine), no
matching patient (the assistant's work list), or some results not usable (partial); the
same report waits there once, whatever door or bytes it came in (a report key). A result
the lab withdraws leaves the portal at once; a correction replaces the earlier version."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from spreekuur.accounts.models import Membership, User
from spreekuur.core.audit import BatchAccess, record_access, record_batch_access
from spreekuur.core.models import AuditAction, Practice
from spreekuur.core.roles import Channel, StaffRole
from spreekuur.patients.models import Patient
from spreekuur.results.keys import content_key
from spreekuur.results.models import (
    OPEN_STATUSES,
    Flag,
    LabMessage,
    LabResult,
    LabTest,
    MessageStatus,
    ResultStatus,
    ValueKind,
    age_on,
)
from spreekuur.results.parsers import (
    PARSERS,
    Parsed,
    Report,
    ReportedResult,
    Unreadable,
    decode,
    split_hl7_batch,
)
from spreekuur.results.table import TestTable
from spreekuur.results.units import FitOutcome, fit_to_test

logger = logging.getLogger(__name__)


@dataclass
class ImportOutcome:
    messages: list[LabMessage] = field(default_factory=list)
    duplicate: bool = False
    stored: int = 0
    # What was passed over without being a problem (grouping entries of a FHIR bundle).
    notes: list[str] = field(default_factory=list)
    # The message as a whole could not be used (kept in quarantine, or already there).
    refused: bool = False

    @property
    def quarantined(self) -> bool:
        return self.refused or any(m.status == MessageStatus.QUARANTINED for m in self.messages)

    @property
    def reason(self) -> str:
        return " ".join(m.reason for m in self.messages if m.reason)

    @property
    def set_aside(self) -> list[str]:
        """Why parts or results of a message that was read were not stored: each waits on
        the work list (or already did, through another door)."""
        return [
            m.reason
            for m in self.messages
            if m.status != MessageStatus.IMPORTED
            and m.status != MessageStatus.QUARANTINED
            and m.reason
        ]


def _storable(raw: bytes) -> str:
    # The raw text is for people, the digest keeps the bytes.
    return _without_nul(decode(raw))


def _without_nul(text: str) -> str:
    # PostgreSQL text holds no NUL (a DataError, not an IntegrityError).
    return text.replace("\x00", "\ufffd")


def receive_lab_message(
    *,
    practice: Practice,
    door: str,
    raw: bytes,
    source: str,
    by: User | None = None,
    channel: str = Channel.TASK,
    table: TestTable | None = None,
) -> ImportOutcome:
    """Take one message through one door (`hl7v2`, `fhir`, `csv`) into the practice.

    The same bytes received before are refused by the message table's unique key when
    this one's first row is inserted, not looked up first: a resent message is rare, and
    the lookup cost every message a round trip (issue 18)."""
    digest = LabMessage.digest_of(raw)
    try:
        parsed = PARSERS[door](raw)
    except Unreadable as unreadable:
        return _quarantine(practice, door, raw, digest, source, unreadable.reason)
    table = table or TestTable.load()
    try:
        for attempt in (1, 2):
            try:
                return _store_parsed(
                    practice, door, digest, source, parsed, table=table, by=by, channel=channel
                )
            except IntegrityError:
                if LabMessage.objects.filter(practice=practice, digest=digest).exists():
                    return ImportOutcome(duplicate=True)  # the same bytes, at once, twice
                if attempt == 2:
                    raise
                # Another delivery stored a version of the same result at the same moment;
                # now that it has, this one is read again as a newer (or the same) version.
        raise AssertionError("unreachable")  # pragma: no cover
    except Exception as error:
        # Nothing of it was written (the transaction rolled back); keep the message itself.
        # Only the kind of failure is logged: messages carry patient data.
        logger.error("Lab message not processed: %s", type(error).__name__)
        return _quarantine(
            practice,
            door,
            raw,
            digest,
            source,
            _("Onverwachte fout bij het verwerken (%(kind)s).") % {"kind": type(error).__name__},
        )


def _store_parsed(
    practice: Practice,
    door: str,
    digest: str,
    source: str,
    parsed: Parsed,
    *,
    table: TestTable,
    by: User | None,
    channel: str,
) -> ImportOutcome:
    with transaction.atomic():
        outcome = ImportOutcome()
        for part, report in enumerate(parsed.reports):
            message = LabMessage(
                practice=practice,
                door=door,
                digest=digest,
                part=part,
                source=source[:120],
                sender=parsed.sender,
                message_id=parsed.message_id,
                # Only this patient's part: the work list never shows another patient.
                raw=_storable(report.raw.encode("utf-8")),
                identity=report.patient.as_identity(),
            )
            outcome.stored += store_report(
                message, report, parsed=parsed, table=table, by=by, channel=channel
            )
            outcome.messages.append(message)
        outcome.notes = list(parsed.notes)
        return outcome


def _quarantine(
    practice: Practice, door: str, raw: bytes, digest: str, source: str, reason: str
) -> ImportOutcome:
    message = LabMessage(
        practice=practice,
        door=door,
        digest=digest,
        source=source[:120],
        raw=_storable(raw),
        status=MessageStatus.QUARANTINED,
        reason=_without_nul(reason),  # it may quote the message (its type)
    )
    for _attempt in (1, 2):
        try:
            with transaction.atomic():
                _save_waiting(message, _text_key(raw))
            return ImportOutcome(messages=[message], refused=True)
        except IntegrityError:
            if LabMessage.objects.filter(practice=practice, digest=digest).exists():
                return ImportOutcome(duplicate=True)
            # The same text through another door at the same moment: now it is there.
            message.pk, message.status = None, MessageStatus.QUARANTINED
    raise AssertionError("unreachable")  # pragma: no cover


def _text_key(raw: bytes) -> str:
    """The same unreadable message, whatever its line ends or byte order mark."""
    text = decode(raw).strip().replace("\r\n", "\r").replace("\n", "\r")
    return hashlib.sha256(b"q|" + text.encode("utf-8", errors="replace")).hexdigest()


def _report_key(report: Report, table: TestTable) -> str:
    """What a report says, the same through every door: who, and per result the test,
    the value, the sample time and the status (not the lab's order number, which differs
    between an HL7 message and a FHIR bundle of the same report)."""

    def value_of(result: ReportedResult) -> str:
        if result.value_kind == ValueKind.QUANTITY and result.value is not None:
            return result.comparator + format(result.value.normalize(), "f")
        if result.value_kind == ValueKind.RATIO and result.ratio is not None:
            numerator, denominator = (format(part.normalize(), "f") for part in result.ratio)
            return f"{result.comparator}{numerator}:{denominator}"
        if result.value_kind == ValueKind.CODED:
            return f"{result.value_system}|{result.value_code}"
        return " ".join(result.value_text.lower().split())

    def line(result: ReportedResult) -> list[str]:
        test = table.find_first(result.codes())
        moment = result.observed_at.astimezone(UTC).isoformat() if result.observed_at else ""
        code = test.nhg_code if test is not None else f"{result.system}:{result.code}"
        return [code, value_of(result), moment, str(result.status)]

    patient = report.patient
    who = [patient.bsn, patient.birth_date.isoformat() if patient.birth_date else ""]
    content = json.dumps([who, sorted(line(result) for result in report.results)])
    return hashlib.sha256(b"r|" + content.encode()).hexdigest()


def _save_waiting(message: LabMessage, report_key: str) -> None:
    """Save a message; a report goes on the work list once: the same report received
    before (through another door, or as other bytes), waiting or already dealt with
    there, makes this one a duplicate, kept but not listed. A unique index on open
    reports holds it when both arrive at the same moment."""
    message.report_key = report_key
    if (
        message.status in OPEN_STATUSES
        and LabMessage.objects.filter(practice_id=message.practice_id, report_key=report_key)
        .exclude(pk=message.pk)
        .exclude(status=MessageStatus.DUPLICATE)
        .exists()
    ):
        message.status = MessageStatus.DUPLICATE
        message.reason = f"{_('Al eerder ontvangen.')} {message.reason}".strip()[:2000]
    message.save()


def _match_patient(practice: Practice, report: Report) -> Patient | None:
    patient = report.patient
    if report.unresolved or not patient.bsn or patient.birth_date is None:
        return None
    # BSN is unique per practice: no ordering needed, and the practice is known already.
    found = Patient.objects.filter(
        practice=practice, bsn=patient.bsn, date_of_birth=patient.birth_date
    ).order_by()[:1]
    match = next(iter(found), None)
    if match is not None:
        match.practice = practice
    return match


def _reviewer(practice: Practice, patient: Patient, agb: str) -> int | None:
    """The GP who ordered the test, else the patient's own GP, else the whole practice."""
    if agb:
        user_id = (
            Membership.objects.filter(
                practice=practice, agb_code=agb, role=StaffRole.HUISARTS, active=True
            )
            .values_list("user_id", flat=True)
            .first()
        )
        if user_id is not None:
            return user_id
    return patient.gp_id


def store_report(
    message: LabMessage,
    report: Report,
    *,
    parsed: Parsed,
    table: TestTable,
    by: User | None,
    channel: str,
    patient: Patient | None = None,
) -> int:
    """Store one patient's report (its message row is saved here); returns results stored."""
    practice = message.practice
    patient = patient or _match_patient(practice, report)
    if patient is None:
        message.status = MessageStatus.UNMATCHED
        message.reason = _unmatched_reason(report)
        _save_waiting(message, _report_key(report, table))
        return 0
    message.patient = patient
    problems: list[str] = []
    usable: list[tuple[ReportedResult, LabTest]] = []
    withdrawals: list[ReportedResult] = []
    finals: list[ReportedResult] = []
    for result in report.results:
        checked = _usable(result, table)
        if isinstance(checked, str):
            problems.append(f"{result.code or '?'}: {checked}")
        elif result.withdraws:
            withdrawals.append(result)
        elif result.finalizes:
            finals.append(result)
        else:
            usable.append(checked)
    problems += _withdraw(message, patient, withdrawals, by=by, channel=channel)
    reviewer = _reviewer(practice, patient, report.ordered_by_agb)
    finalized, not_found = _finalize(message, patient, finals, reviewer=reviewer)
    problems += not_found
    message.status = MessageStatus.PARTIAL if problems else MessageStatus.IMPORTED
    message.reason = "; ".join(problems)[:2000]
    rows = _new_rows(message, patient, usable, reviewer=reviewer) + finalized
    message.result_count += len(rows)
    if message.status == MessageStatus.IMPORTED:
        message.save()  # nothing waits: no report key needed (and no query for it)
    else:
        _save_waiting(message, _report_key(report, table))
    for row in rows:
        row.message = message
    insert_results(rows)
    if rows:
        record_access(
            actor=by,
            action=AuditAction.CREATE,
            object_kind="labresult",
            practice=practice,
            patient=patient,
            object_ids=[row.public_id for row in rows],
            channel=channel,
            detail=f"{message.door} {parsed.sender}".strip(),
            actor_role=None if by else "laboratorium",
            system_name=_lab_name(by, message.source),
        )
    return len(rows)


def _unmatched_reason(report: Report) -> str:
    if report.unresolved:
        return _("Niet aan een patiënt te koppelen: %(why)s.") % {"why": report.unresolved}
    if report.patient.bsn and report.patient.birth_date is None:
        return _(
            "Het lab gaf een BSN maar geen geboortedatum: koppel de uitslag na controle "
            "aan de patiënt."
        )
    return _("Geen patiënt van de praktijk met dit BSN en deze geboortedatum.")


def _usable(result: ReportedResult, table: TestTable) -> tuple[ReportedResult, LabTest] | str:
    """The result and its test, or why it cannot be stored (said in the message's reason)."""
    if result.problem:
        return result.problem
    test = table.find_first(result.codes())
    if test is None:
        return _("bepaling staat niet in de bepalingentabel")
    return _fit_unit(result, test)


def _fit_unit(result: ReportedResult, test: LabTest) -> tuple[ReportedResult, LabTest] | str:
    """The one place where a number's unit is checked against its test's (results/units.py):
    the result as sent (the same unit, however spelt), converted to the test's unit (when
    the lab gave no range of its own), or the reason it goes to the work list instead, so
    that a value never stands beside a range in another unit. Words, codes and ratios
    have no unit to check."""
    if result.value_kind != ValueKind.QUANTITY:
        return result, test
    fit = fit_to_test(
        value=result.value,
        unit=result.unit,
        test=test,
        comparator=result.comparator,
        value_text=result.value_text,
        lab_range=(result.reference_low, result.reference_high),
        lab_range_text=result.reference_text,
    )
    if fit.to_work_list:
        return fit.reason
    if fit.outcome == FitOutcome.CONVERTED:
        converted = replace(result, value=fit.value, value_text=fit.value_text, unit=fit.unit)
        return converted, test
    return result, test


def _withdraw(
    message: LabMessage,
    patient: Patient,
    withdrawals: list[ReportedResult],
    *,
    by: User | None,
    channel: str,
) -> list[str]:
    """Take the results the lab withdrew (HL7 D/W, FHIR entered-in-error) off the portal
    at once and out of the GP's list; returns what someone must still act on: a
    withdrawal of something not received (yet), or of a result the patient could see."""
    if not withdrawals:
        return []
    keys = {_base_key(patient, result): result for result in withdrawals}
    current = list(
        LabResult.objects.select_for_update(no_key=True, of=("self",))
        .filter(
            practice=message.practice,
            patient=patient,
            base_key__in=keys,
            replaced_by__isnull=True,
        )
        .select_related("test")
    )
    found = {row.base_key for row in current}
    never_received = _("ingetrokken door het lab, maar niet ontvangen")
    problems = [
        f"{result.code}: {never_received}" for key, result in keys.items() if key not in found
    ]
    now = timezone.now()
    withdrawn = [row for row in current if row.withdrawn_at is None]
    for row in withdrawn:
        if row.released:
            problems.append(
                f"{row.test.nhg_code}: "
                + _("ingetrokken door het lab; stond online: licht de patiënt in")
            )
        row.withdrawn_at, row.released = now, False
    if withdrawn:
        LabResult.objects.bulk_update(withdrawn, ["withdrawn_at", "released"])
        record_access(
            actor=by,
            action=AuditAction.CHANGE,
            object_kind="labresult",
            practice=message.practice,
            patient=patient,
            object_ids=[row.public_id for row in withdrawn],
            channel=channel,
            detail="ingetrokken door het laboratorium",
            actor_role=None if by else "laboratorium",
            system_name=_lab_name(by, message.source),
        )
    return problems


def _finalize(
    message: LabMessage,
    patient: Patient,
    finals: list[ReportedResult],
    *,
    reviewer: int | None,
) -> tuple[list[LabResult], list[str]]:
    """HL7 OBX-11 U without a value: the preliminary result stored before for the same
    order and test becomes final, its value unchanged. Like a correction it is a new row
    that replaces the old one (stored and audit-logged with the message's other rows) and
    needs the GP's review before it can be released: never released here. Returns the new
    rows, and the results with no preliminary one to make final (for the work list)."""
    if not finals:
        return [], []
    keys = {_base_key(patient, result): result for result in finals}
    current = {
        row.base_key: row
        for row in LabResult.objects.select_for_update(no_key=True, of=("self",))
        .filter(
            practice=message.practice,
            patient=patient,
            base_key__in=keys,
            replaced_by__isnull=True,
            withdrawn_at__isnull=True,
        )
        .select_related("test")
    }
    rows: list[LabResult] = []
    problems: list[str] = []
    for key, result in keys.items():
        earlier = current.get(key)
        if earlier is None or earlier.status == ResultStatus.PENDING:
            problems.append(
                f"{result.code}: "
                + _(
                    "het lab meldt de uitslag als definitief zonder de waarde opnieuw te "
                    "sturen, maar er is geen voorlopige uitslag van ontvangen"
                )
            )
        elif earlier.status == ResultStatus.PRELIMINARY:
            rows.append(_final_version(earlier, reviewer=reviewer))
        # Already final or corrected: said before, nothing changes.
    return rows, problems


def _final_version(earlier: LabResult, *, reviewer: int | None) -> LabResult:
    """The preliminary row as the lab's final word: the same value, a new version."""
    extra = []
    if earlier.value_kind == ValueKind.CODED:
        extra += [earlier.value_system, earlier.value_code]
    no_bounds = earlier.reference_low is None and earlier.reference_high is None
    if no_bounds and earlier.reference_as_sent:
        extra.append(earlier.reference_as_sent)  # a range in words only
    key = content_key(
        nhg_code=earlier.test.nhg_code,
        value_text=earlier.value_text,
        unit=earlier.unit,
        reference_low=earlier.reference_low,
        reference_high=earlier.reference_high,
        flag=earlier.flag,
        preliminary=False,
        observed_at=earlier.observed_at.isoformat(),
        extra="|".join(extra),
    )
    copied = {
        name: getattr(earlier, name)
        for name in (
            "practice_id",
            "patient_id",
            "test_id",
            "base_key",
            "observed_at",
            "value_kind",
            "value",
            "comparator",
            "value_text",
            "value_code",
            "value_system",
            "ratio_numerator",
            "ratio_denominator",
            "unit",
            "reference_low",
            "reference_high",
            "reference_as_sent",
            "flag",
        )
    }
    return LabResult(
        **copied,
        source_key=f"{earlier.base_key}|{key}",
        status=ResultStatus.FINAL,
        replaces=earlier,
        reviewer_id=reviewer if reviewer is not None else earlier.reviewer_id,
    )


def _lab_name(by: User | None, source: str) -> str:
    """Without a user (the lab's own door with its token, a file read by a task) the log
    names the lab link or file the results came through, in the role "laboratorium"."""
    return "" if by is not None else source


def _base_key(patient: Patient, result: ReportedResult) -> str:
    """The same result of the same patient: a newer version (a correction, the final
    value after a preliminary one) has this key, another patient's never does, nor a
    second sample of the same day curve (the sample time is part of it)."""
    moment = result.observed_at.isoformat() if result.observed_at else ""
    return f"{patient.pk}|{result.order_key}|{moment}"[:200]


def insert_results(rows: Sequence[LabResult]) -> None:
    """Store new results; the versions they replace are marked replaced in the same
    transaction (the caller's), which the portal's online index relies on."""
    LabResult.objects.bulk_create(rows)
    replaced = [row.replaces_id for row in rows if row.replaces_id is not None]
    if replaced:
        LabResult.objects.filter(pk__in=replaced).update(replaced=True)


def _content_key(result: ReportedResult, test: LabTest) -> str:
    extra = []
    if result.value_kind == ValueKind.CODED:
        extra += [result.value_system, result.value_code]
    if result.reference_low is None and result.reference_high is None and result.reference_text:
        extra.append(result.reference_text)  # a range in words only
    if result.status == ResultStatus.PENDING:
        extra.append(str(result.status))
    return content_key(
        nhg_code=test.nhg_code,
        value_text=result.value_text,
        unit=result.unit,
        reference_low=result.reference_low,
        reference_high=result.reference_high,
        flag=result.flag,
        preliminary=result.preliminary,
        observed_at=result.observed_at.isoformat() if result.observed_at else "",
        extra="|".join(extra),
    )


def _new_rows(
    message: LabMessage,
    patient: Patient,
    usable: list[tuple[ReportedResult, LabTest]],
    *,
    reviewer: int | None,
    known: Sequence[LabResult] | None = None,
) -> list[LabResult]:
    """Rows not stored before; a new version of a stored result replaces the latest one.
    `known=()` says nothing with these keys is stored (the batch checked it already)."""
    keyed = [(_base_key(patient, result), result, test) for result, test in usable]
    base_keys = {key for key, _result, _test in keyed}
    stored = (
        list(
            LabResult.objects.filter(
                practice=message.practice, patient=patient, base_key__in=base_keys
            ).only("id", "base_key", "source_key", "replaced")
        )
        if known is None
        else list(known)
    )
    seen = {row.source_key for row in stored}
    # Stored rows a newer version may replace (each at most once).
    current = {row.base_key: row for row in stored if not row.replaced}
    rows: list[LabResult] = []
    for base_key, result, test in keyed:
        if result.observed_at is None:  # pragma: no cover - the parsers flag it as a problem
            continue
        source_key = f"{base_key}|{_content_key(result, test)}"
        if source_key in seen:
            continue
        seen.add(source_key)
        low, high = result.reference_low, result.reference_high
        quantity = result.value_kind == ValueKind.QUANTITY
        if quantity and low is None and high is None and not result.reference_text:
            # No range from the lab at all (a range in words is the lab's, kept as sent);
            # the number is in the test's unit by now (_fit_unit), so the table's fits.
            reference = test.range_for(
                sex=patient.sex, age=age_on(patient.date_of_birth, result.observed_at.date())
            )
            if reference is not None:
                low, high = reference.low, reference.high
        row = LabResult(
            practice=message.practice,
            patient=patient,
            test=test,
            base_key=base_key,
            source_key=source_key,
            observed_at=result.observed_at,
            value_kind=result.value_kind,
            value=result.value,
            comparator=result.comparator,
            value_text=result.value_text,
            value_code=result.value_code,
            value_system=result.value_system,
            ratio_numerator=result.ratio[0] if result.ratio else None,
            ratio_denominator=result.ratio[1] if result.ratio else None,
            unit=result.unit or (test.unit if quantity else ""),
            reference_low=low,
            reference_high=high,
            reference_as_sent=result.reference_text,
            flag=result.flag if result.flag is not None else compare(result, low, high),
            status=result.status,
            replaces=current.pop(base_key, None),
            reviewer_id=reviewer,
        )
        rows.append(row)
    return rows


def compare(result: ReportedResult, low: object, high: object) -> str:
    """The flag the lab did not give: below, above or within the range (a number only;
    a text, code or ratio without the lab's flag is not judged here)."""
    value = result.value
    if value is None or result.comparator or result.value_kind != ValueKind.QUANTITY:
        return Flag.NORMAL
    if low is not None and value < low:  # type: ignore[operator]
        return Flag.LOW
    if high is not None and value > high:  # type: ignore[operator]
        return Flag.HIGH
    return Flag.NORMAL


# --- Many messages at once (a lab file) --------------------------------------------------------

BATCH = 200


def receive_lab_messages(
    *,
    practice: Practice,
    door: str,
    raws: Sequence[bytes],
    source: str,
    by: User | None = None,
    channel: str = Channel.TASK,
    table: TestTable | None = None,
) -> list[ImportOutcome]:
    """A file of messages: the plain ones (readable, new, every patient found, every test
    known, nothing stored before) are stored a batch at a time, with one query per kind
    and one lock of the audit chain; every other message takes the one-at-a-time path, so
    the outcome is the same as receiving each message alone."""
    table = table or TestTable.load()
    outcomes: list[ImportOutcome] = []
    for start in range(0, len(raws), BATCH):
        outcomes += _receive_batch(
            practice, door, list(raws[start : start + BATCH]), source, by, channel, table
        )
    return outcomes


def _receive_batch(
    practice: Practice,
    door: str,
    raws: list[bytes],
    source: str,
    by: User | None,
    channel: str,
    table: TestTable,
) -> list[ImportOutcome]:
    def one(raw: bytes) -> ImportOutcome:
        return receive_lab_message(
            practice=practice,
            door=door,
            raw=raw,
            source=source,
            by=by,
            channel=channel,
            table=table,
        )

    digests = [LabMessage.digest_of(raw) for raw in raws]
    known = set(
        LabMessage.objects.filter(practice=practice, digest__in=digests).values_list(
            "digest", flat=True
        )
    )
    plain: dict[int, Parsed] = {}
    seen: set[str] = set()
    for index, (raw, digest) in enumerate(zip(raws, digests, strict=True)):
        if digest in known or digest in seen:
            continue
        seen.add(digest)
        try:
            parsed = PARSERS[door](raw)
        except Unreadable:
            continue
        if all(
            not report.unresolved
            and not result.withdraws
            and not result.finalizes
            and not isinstance(_usable(result, table), str)
            for report in parsed.reports
            for result in report.results
        ):
            plain[index] = parsed
    try:
        stored = _store_plain_batch(
            practice, door, raws, digests, plain, source, by, channel, table
        )
    except IntegrityError:
        stored = {}  # a delivery of the same at the same moment: each on its own below
    return [stored[i] if i in stored else one(raw) for i, raw in enumerate(raws)]


def _store_plain_batch(
    practice: Practice,
    door: str,
    raws: list[bytes],
    digests: list[str],
    plain: dict[int, Parsed],
    source: str,
    by: User | None,
    channel: str,
    table: TestTable,
) -> dict[int, ImportOutcome]:
    """Store the plain messages of a batch in one transaction; returns their outcomes
    (a message that turns out not to be plain is left out, for the one-at-a-time path)."""
    if not plain:
        return {}
    identities = {
        (report.patient.bsn, report.patient.birth_date)
        for parsed in plain.values()
        for report in parsed.reports
    }
    patients: dict[tuple[str, date | None], Patient] = {
        (patient.bsn, patient.date_of_birth): patient
        for patient in Patient.objects.filter(
            practice=practice, bsn__in={bsn for bsn, _born in identities if bsn}
        ).select_related("practice")
    }
    reviewers = dict(
        Membership.objects.filter(practice=practice, role=StaffRole.HUISARTS, active=True)
        .exclude(agb_code="")
        .values_list("agb_code", "user_id")
    )
    keyed: dict[int, list[tuple[Report, Patient, list[tuple[str, ReportedResult, LabTest]]]]] = {}
    for index, parsed in plain.items():
        reports = []
        for report in parsed.reports:
            patient = patients.get((report.patient.bsn, report.patient.birth_date))
            if patient is None:
                break
            found: list[tuple[str, ReportedResult, LabTest]] = []
            for result in report.results:
                checked = _usable(result, table)
                if not isinstance(checked, str):  # plain messages know every test (above)
                    fitted, test = checked
                    found.append((_base_key(patient, fitted), fitted, test))
            reports.append((report, patient, found))
        else:
            keyed[index] = reports
    all_keys = {key for reports in keyed.values() for _r, _p, rows in reports for key, _, _ in rows}
    stored_before = set(
        LabResult.objects.filter(practice=practice, base_key__in=all_keys).values_list(
            "base_key", flat=True
        )
    )
    batch_keys: set[str] = set()
    outcomes: dict[int, ImportOutcome] = {}
    messages: list[LabMessage] = []
    rows: list[tuple[LabMessage, LabResult]] = []
    for index, reports in keyed.items():
        keys = [key for _r, _p, results in reports for key, _, _ in results]
        if stored_before & set(keys) or batch_keys & set(keys) or len(set(keys)) != len(keys):
            continue  # a newer version or a repeat: the one-at-a-time path decides
        batch_keys |= set(keys)
        parsed = plain[index]
        outcome = ImportOutcome()
        for part, (report, patient, results) in enumerate(reports):
            message = LabMessage(
                practice=practice,
                door=door,
                digest=digests[index],
                part=part,
                source=source[:120],
                sender=parsed.sender,
                message_id=parsed.message_id,
                raw=_storable(report.raw.encode("utf-8")),
                identity=report.patient.as_identity(),
                patient=patient,
                status=MessageStatus.IMPORTED,
                result_count=len(results),
            )
            reviewer = reviewers.get(report.ordered_by_agb) or patient.gp_id
            messages.append(message)
            for row in _new_rows(
                message, patient, [(r, t) for _k, r, t in results], reviewer=reviewer, known=()
            ):
                rows.append((message, row))
            outcome.messages.append(message)
            outcome.stored += len(results)
        outcome.notes = list(parsed.notes)
        outcomes[index] = outcome
    with transaction.atomic():
        LabMessage.objects.bulk_create(messages)
        for message, row in rows:
            row.message = message
        insert_results([row for _message, row in rows])
        by_message: dict[int, list[LabResult]] = {}
        for message, row in rows:
            by_message.setdefault(id(message), []).append(row)
        record_batch_access(
            actor=by,
            practice=practice,
            channel=channel,
            actor_role=None if by else "laboratorium",
            system_name=_lab_name(by, source),
            accesses=[
                BatchAccess(
                    action=AuditAction.CREATE,
                    object_kind="labresult",
                    patient=message.patient,
                    object_ids=[row.public_id for row in by_message.get(id(message), [])],
                    detail=f"{door} {message.sender}".strip(),
                )
                for message in messages
                if message.patient is not None and by_message.get(id(message))
            ],
        )
    return outcomes


# --- An HL7 file or body of many messages (FHS/BHS batches) -----------------------------------


@dataclass
class FileOutcome:
    raws: list[bytes]  # the messages as read from the file
    outcomes: list[ImportOutcome]
    # What the batch trailers said that does not agree with what was read.
    problems: list[str] = field(default_factory=list)


def receive_hl7_file(
    *,
    practice: Practice,
    raw: bytes,
    source: str,
    by: User | None = None,
    channel: str = Channel.TASK,
    table: TestTable | None = None,
) -> FileOutcome:
    """Many HL7 messages at once, with or without FHS/BHS batch lines: the same through
    every door (the lab's HTTP door and `import_lab`). When a trailer's count (BTS-1,
    FTS-1) differs from what was read, a message may be missing: what was read is stored,
    and the envelope waits on the work list with the difference, once per file."""
    batch = split_hl7_batch(raw)
    outcomes = receive_lab_messages(
        practice=practice,
        door="hl7v2",
        raws=batch.messages,
        source=source,
        by=by,
        channel=channel,
        table=table,
    )
    if batch.problems:
        digest = LabMessage.digest_of(raw)
        if not LabMessage.objects.filter(practice=practice, digest=digest).exists():
            _quarantine(
                practice,
                "hl7v2",
                "\r".join(batch.envelope).encode(),
                digest,
                source,
                " ".join(batch.problems)
                + " "
                + _("Vraag het lab de ontbrekende berichten opnieuw te sturen."),
            )
    return FileOutcome(batch.messages, outcomes, batch.problems)
