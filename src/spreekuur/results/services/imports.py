"""Receiving lab messages: idempotent, all-or-nothing per message, nothing lost.

The same bytes twice are stored once (a digest per practice); the same result twice is
stored once (a source key per practice), also when it comes through another door. What
cannot be used waits as a `LabMessage` with its reason: unreadable (quarantine), no
matching patient (the assistant's work list), or some results not usable (partial)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from spreekuur.accounts.models import Membership, User
from spreekuur.core.audit import BatchAccess, record_access, record_batch_access
from spreekuur.core.models import AuditAction, Practice
from spreekuur.core.roles import Channel, StaffRole
from spreekuur.patients.models import Patient
from spreekuur.results.keys import content_key
from spreekuur.results.models import (
    Flag,
    LabMessage,
    LabResult,
    LabTest,
    MessageStatus,
    age_on,
)
from spreekuur.results.parsers import PARSERS, Parsed, Report, ReportedResult, Unreadable, decode
from spreekuur.results.table import TestTable

logger = logging.getLogger(__name__)


@dataclass
class ImportOutcome:
    messages: list[LabMessage] = field(default_factory=list)
    duplicate: bool = False
    stored: int = 0

    @property
    def quarantined(self) -> bool:
        return any(m.status == MessageStatus.QUARANTINED for m in self.messages)

    @property
    def reason(self) -> str:
        return " ".join(m.reason for m in self.messages if m.reason)


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
    """Take one message through one door (`hl7v2`, `fhir`, `csv`) into the practice."""
    digest = LabMessage.digest_of(raw)
    if LabMessage.objects.filter(practice=practice, digest=digest).exists():
        return ImportOutcome(duplicate=True)
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
        return outcome


def _quarantine(
    practice: Practice, door: str, raw: bytes, digest: str, source: str, reason: str
) -> ImportOutcome:
    try:
        with transaction.atomic():
            message = LabMessage.objects.create(
                practice=practice,
                door=door,
                digest=digest,
                source=source[:120],
                raw=_storable(raw),
                status=MessageStatus.QUARANTINED,
                reason=_without_nul(reason),  # it may quote the message (its type)
            )
    except IntegrityError:
        return ImportOutcome(duplicate=True)
    return ImportOutcome(messages=[message])


def _match_patient(practice: Practice, report: Report) -> Patient | None:
    patient = report.patient
    if not patient.bsn or patient.birth_date is None:
        return None
    return (
        Patient.objects.filter(practice=practice, bsn=patient.bsn, date_of_birth=patient.birth_date)
        .select_related("practice")
        .first()
    )


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
        message.reason = _("Geen patiënt van de praktijk met dit BSN en deze geboortedatum.")
        message.save()
        return 0
    message.patient = patient
    problems: list[str] = []
    usable: list[tuple[ReportedResult, LabTest]] = []
    for result in report.results:
        test = table.find(result.system, result.code)
        if result.problem:
            problems.append(f"{result.code or '?'}: {result.problem}")
        elif test is None:
            problems.append(
                _("%(code)s: bepaling staat niet in de bepalingentabel") % {"code": result.code}
            )
        else:
            usable.append((result, test))
    message.status = MessageStatus.PARTIAL if problems else MessageStatus.IMPORTED
    message.reason = "; ".join(problems)[:2000]
    rows = _new_rows(
        message, patient, usable, reviewer=_reviewer(practice, patient, report.ordered_by_agb)
    )
    message.result_count += len(rows)
    message.save()
    for row in rows:
        row.message = message
    LabResult.objects.bulk_create(rows)
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


def _is_replaced(row: LabResult) -> bool:
    try:
        return row.replaced_by is not None
    except LabResult.DoesNotExist:
        return False


def _content_key(result: ReportedResult, test: LabTest) -> str:
    return content_key(
        nhg_code=test.nhg_code,
        value_text=result.value_text,
        unit=result.unit,
        reference_low=result.reference_low,
        reference_high=result.reference_high,
        flag=result.flag,
        preliminary=result.preliminary,
        observed_at=result.observed_at.isoformat() if result.observed_at else "",
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
            ).only("id", "base_key", "source_key", "replaced_by")
        )
        if known is None
        else list(known)
    )
    seen = {row.source_key for row in stored}
    # Stored rows a newer version may replace (each at most once).
    current = {row.base_key: row for row in stored if not _is_replaced(row)}
    rows: list[LabResult] = []
    for base_key, result, test in keyed:
        if result.observed_at is None:  # pragma: no cover - the parsers flag it as a problem
            continue
        source_key = f"{base_key}|{_content_key(result, test)}"
        if source_key in seen:
            continue
        seen.add(source_key)
        low, high = result.reference_low, result.reference_high
        if low is None and high is None:
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
            value=result.value,
            comparator=result.comparator,
            value_text=result.value_text,
            unit=result.unit or test.unit,
            reference_low=low,
            reference_high=high,
            flag=result.flag if result.flag is not None else compare(result, low, high),
            preliminary=result.preliminary,
            replaces=current.pop(base_key, None),
            reviewer_id=reviewer,
        )
        rows.append(row)
    return rows


def compare(result: ReportedResult, low: object, high: object) -> str:
    """The flag the lab did not give: below, above or within the range."""
    value = result.value
    if value is None or result.comparator:
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
            not result.problem and table.find(result.system, result.code) is not None
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
                test = table.find(result.system, result.code)
                if test is not None:  # plain messages know every test (checked above)
                    found.append((_base_key(patient, result), result, test))
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
        outcomes[index] = outcome
    with transaction.atomic():
        LabMessage.objects.bulk_create(messages)
        for message, row in rows:
            row.message = message
        LabResult.objects.bulk_create([row for _message, row in rows])
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
