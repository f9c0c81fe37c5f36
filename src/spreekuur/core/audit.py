"""The NEN 7513 audit log: one service that every access to patient data goes through.

Each practice has its own hash chains: lane 0 for every change, and read lanes that
spread the reads by patient (lane_for). An entry's HMAC (keyed with AUDIT_CHAIN_KEY, which
is not in the database) covers its fields and the previous entry's, so a changed,
removed or inserted row breaks the chain, which `spreekuur audit_verify` finds. The
database refuses UPDATE and DELETE on entries and refuses winding a chain head back.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.db.models.sql import InsertQuery

from spreekuur.core import actors, request_context
from spreekuur.core.db import prepared_cursor
from spreekuur.core.middleware import normalise_ip
from spreekuur.core.models import (
    AuditAction,
    AuditChain,
    AuditEntry,
    AuditKey,
    AuditOutcome,
    Practice,
)
from spreekuur.core.roles import Channel

# The user and patient models live on the floors above (accounts, patients); the log
# takes their instances without importing them.
User = Any
Patient = Any

GENESIS_HASH = "0" * 64

# What a request puts in the log (a tampered id, a posted value) is bounded and cleaned
# before it is chained: the log is append-only, so a 2 MB "id" would stay forever, and a
# NUL byte cannot be stored in PostgreSQL at all.
MAX_OBJECT_IDS = 500  # a page of search results or a lab file's results fits
MAX_OBJECT_ID_LENGTH = 64  # a UUID is 36
MAX_TEXT = {"actor_name": 200, "actor_role": 30, "object_kind": 60, "detail": 200}
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def bounded_text(value: object, limit: int) -> str:
    """One line of printable text, at most `limit` characters (an ellipsis marks a cut)."""
    text = _CONTROL_CHARACTERS.sub(" ", str(value))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def bounded_ids(object_ids: Sequence[object]) -> list[str]:
    """The ids as given, each bounded; more than MAX_OBJECT_IDS end with a count."""
    ids = [bounded_text(object_id, MAX_OBJECT_ID_LENGTH) for object_id in object_ids]
    if len(ids) <= MAX_OBJECT_IDS:
        return ids
    return [*ids[: MAX_OBJECT_IDS - 1], f"… +{len(ids) - MAX_OBJECT_IDS + 1}"]


def _canonical(entry: AuditEntry) -> bytes:
    fields: dict[str, Any] = {
        "public_id": str(entry.public_id),
        "practice": entry.practice_id,
        "seq": entry.seq,
        "occurred_at": entry.occurred_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "action": entry.action,
        "outcome": entry.outcome,
        "actor": entry.actor_id,
        "actor_name": entry.actor_name,
        "actor_role": entry.actor_role,
        "acting_for": entry.acting_for_id,
        "patient": entry.patient_id,
        "object_kind": entry.object_kind,
        "object_ids": [str(object_id) for object_id in entry.object_ids],
        "ip_address": entry.ip_address,
        "channel": entry.channel,
        "detail": entry.detail,
        "prev_hash": entry.prev_hash,
    }
    if entry.lane:  # entries of lane 0 (all of them before lanes) keep their hashes
        fields["lane"] = entry.lane
    return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()


def compute_hash(entry: AuditEntry) -> str:
    key = settings.AUDIT_CHAIN_KEY.encode()
    return hmac.new(key, _canonical(entry), hashlib.sha256).hexdigest()


def _role_and_channel(actor: User | None) -> tuple[str, str]:
    role = actors.role_of(actor)
    channel = Channel.PORTAL if role in {"patient", "gemachtigde"} else Channel.STAFF
    if actor is None:
        channel = Channel.PUBLIC
    return role, channel


class WrongChainKey(ImproperlyConfigured):
    """This process's AUDIT_CHAIN_KEY is not the one the database's log was written with."""


_KEY_FINGERPRINT_LABEL = b"spreekuur: audit chain key fingerprint"
_checked_key: str | None = None  # the key this process has found right (checked once)


def chain_key_fingerprint(label: bytes = _KEY_FINGERPRINT_LABEL) -> str:
    """Names the key without revealing it (an HMAC of a fixed label). A backup names it
    under a label of its own, so its archives compare only with each other."""
    key = settings.AUDIT_CHAIN_KEY.encode()
    return hmac.new(key, label, hashlib.sha256).hexdigest()


def _written_with_this_key() -> bool:
    """For a log from before fingerprints: the newest entry verifies with this key."""
    newest = AuditEntry.objects.order_by("-id").first()
    return newest is None or hmac.compare_digest(compute_hash(newest), newest.entry_hash)


def check_chain_key() -> None:
    """Refuse to go on with a key that is not the log's: every entry it wrote would fail
    verification later, silently. The first process records the fingerprint; one started
    on an older log records it only when the newest entry verifies with its key. Run at
    start (wsgi, the worker) and before the first entry each process writes."""
    global _checked_key
    key = settings.AUDIT_CHAIN_KEY
    if _checked_key == key:
        return
    fingerprint = chain_key_fingerprint()
    stored = AuditKey.objects.filter(pk=1).first()
    if stored is None:
        if not _written_with_this_key():
            raise WrongChainKey(_WRONG_KEY)
        try:
            with transaction.atomic():
                stored = AuditKey.objects.create(pk=1, fingerprint=fingerprint)
        except IntegrityError:  # another process recorded it first: compare with theirs
            stored = AuditKey.objects.get(pk=1)
    if not hmac.compare_digest(stored.fingerprint, fingerprint):
        raise WrongChainKey(_WRONG_KEY)
    _checked_key = key


_WRONG_KEY = (
    "AUDIT_CHAIN_KEY is not the key this database's audit log was written with: "
    "refusing to serve (entries written now would never verify). Start with the right key."
)


def lane_for(
    *,
    practice: Practice | None,
    action: str,
    patient: Patient | None,
    actor: User | None,
    standalone: bool = True,
) -> int:
    """Which of the practice's chains an entry joins: every change, and everything outside
    a practice, in lane 0, whose order is the order of the changes' commits; a read in
    one of the read lanes, by patient (else by who read), so that the reads of different
    patients hardly ever wait for the same lock and one patient's reads stay in order.

    Only a read written in a transaction of its own (a page view) takes a read lane: a
    read inside a larger transaction, which may also change something, stays in lane 0,
    so that no transaction ever holds one chain's lock while it waits for another's."""
    lanes = settings.AUDIT_READ_LANES
    if practice is None or action != AuditAction.READ or lanes < 1 or not standalone:
        return 0
    key = patient.pk if patient is not None else (actor.pk if actor is not None else 0)
    return 1 + key % lanes


def _standalone() -> bool:
    """True outside any caller's atomic block (a test case's own block does not count)."""
    blocks = transaction.get_connection().atomic_blocks
    return all(getattr(block, "_from_testcase", False) for block in blocks)


def _locked_chain(practice: Practice | None, lane: int = 0) -> AuditChain:
    """The chain head, locked. Its callers have checked the key (check_chain_key) before
    they opened their transaction."""
    scope = AuditChain.scope_for(practice.pk if practice is not None else None, lane)
    chain = _lock_head(scope)
    if chain is None:
        try:
            with transaction.atomic():
                AuditChain.objects.create(scope=scope, practice=practice, lane=lane)
        except IntegrityError:
            pass  # another request created it first
        chain = _lock_head(scope)
    if chain is None:  # pragma: no cover - created above, and never deleted
        raise IntegrityError("audit chain head missing")
    return chain


def _lock_head(scope: str) -> AuditChain | None:
    # One plain statement, not a QuerySet: it runs on every audited request, and
    # compiling the ORM's query cost more than the round trip (issue 18). Nor
    # Manager.raw(): it took 0.26 ms a call against this 0.15 ms (PostgreSQL, same run).
    connection = transaction.get_connection()
    # SQLite has no row locks (its writers take turns on the whole database).
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with prepared_cursor(connection) as cursor:
        cursor.execute(
            "SELECT id, practice_id, lane, last_seq, last_hash FROM core_auditchain"  # noqa: S608
            f" WHERE scope = %s{lock}",
            [scope],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    chain = AuditChain(
        id=row[0], scope=scope, practice_id=row[1], lane=row[2], last_seq=row[3], last_hash=row[4]
    )
    chain._state.adding = False
    chain._state.db = connection.alias
    return chain


def _new_entry(
    *,
    practice: Practice | None,
    action: str,
    outcome: str,
    actor: User | None,
    actor_role: str,
    system_name: str,
    acting_for: User | None,
    patient: Patient | None,
    object_kind: str,
    object_ids: Sequence[object],
    ip_address: str | None,
    channel: str,
    detail: str,
    standalone: bool,
) -> AuditEntry:
    """One entry as every writer makes it, checked, not yet in its chain (`_link`)."""
    if action not in _ACTIONS:
        raise ValueError(f"Unknown audit action {action!r}")
    if patient is not None and (practice is None or patient.practice_id != practice.pk):
        raise ValueError("A patient is logged in their own practice's chain")
    return AuditEntry(
        lane=lane_for(
            practice=practice,
            action=action,
            patient=patient,
            actor=actor,
            standalone=standalone,
        ),
        practice=practice,
        action=action,
        outcome=outcome,
        actor=actor,
        actor_name=bounded_text(
            actor.full_name if actor is not None else system_name, MAX_TEXT["actor_name"]
        ),
        actor_role=bounded_text(actor_role, MAX_TEXT["actor_role"]),
        acting_for=acting_for,
        patient=patient,
        object_kind=bounded_text(object_kind, MAX_TEXT["object_kind"]),
        object_ids=bounded_ids(object_ids),
        ip_address=ip_address,
        channel=channel,
        detail=bounded_text(detail, MAX_TEXT["detail"]),
    )


# AuditAction.values builds its list anew on every use; this runs for every entry.
_ACTIONS = frozenset(AuditAction.values)


def _link(entry: AuditEntry, seq: int, prev_hash: str) -> str:
    """Put the entry at `seq` after `prev_hash` (the chain is locked): its time and hash."""
    entry.seq = seq
    entry.occurred_at = datetime.now(UTC)
    entry.prev_hash = prev_hash
    entry.entry_hash = compute_hash(entry)
    return entry.entry_hash


# No savepoint of their own (savepoint=False): the entry is the caller's last write before
# the commit, and a failure while writing it fails the caller's transaction anyway. Two
# fewer round trips while the practice's chain is locked. The key is checked before,
# so a refusal leaves the caller's transaction usable.
def record_access(
    *,
    actor: User | None,
    action: str,
    object_kind: str,
    practice: Practice | None,
    patient: Patient | None = None,
    object_ids: Sequence[object] = (),
    outcome: str = AuditOutcome.ALLOWED,
    acting_for: User | None = None,
    channel: str | None = None,
    detail: str = "",
    actor_role: str | None = None,
    system_name: str = "",
) -> AuditEntry:
    """Append one entry to the practice's chain (one per request and object kind).
    `actor_role` names the capacity when it is not the actor's own role: a parent or
    gemachtigde acting for a patient, or a system that authenticated with its own token
    (a lab, a pharmacy), whose name is then `system_name`."""
    check_chain_key()
    # The actor's role costs queries; a caller that names the role and channel (the FHIR
    # API, which knows who holds the token) is taken at its word.
    role, default_channel = (
        (actor_role, channel) if actor_role and channel else _role_and_channel(actor)
    )
    context = request_context.current()
    detail = _with_app(detail, context)
    entry = _new_entry(
        practice=practice,
        action=action,
        outcome=outcome,
        actor=actor,
        actor_role=actor_role or role,
        system_name=system_name,
        acting_for=acting_for,
        patient=patient,
        object_kind=object_kind,
        object_ids=object_ids,
        ip_address=normalise_ip(context.ip_address) if context else None,
        channel=channel or _context_channel(context, default_channel),
        detail=detail,
        standalone=_standalone(),
    )
    with transaction.atomic(savepoint=False):
        chain = _locked_chain(practice, entry.lane)
        chain.last_hash = _link(entry, chain.last_seq + 1, chain.last_hash)
        chain.last_seq = entry.seq
        _append(chain, [entry])
    return entry


def _context_channel(context: request_context.RequestContext | None, default: str) -> str:
    if context is None:
        return Channel.TASK
    return context.channel or default


def _with_app(detail: str, context: request_context.RequestContext | None) -> str:
    """An entry written while a request acts through an app names the app."""
    if context is None or not context.via:
        return detail
    return f"{detail} (app: {context.via})" if detail else f"app: {context.via}"


def _append(chain: AuditChain, entries: list[AuditEntry]) -> None:
    """Insert the linked entries and move the chain head to the last, in one statement on
    PostgreSQL (one round trip fewer while the chain is locked), else in two."""
    connection = transaction.get_connection()
    if connection.vendor != "postgresql":
        AuditEntry.objects.bulk_create(entries)
        chain.save(update_fields=["last_seq", "last_hash"])
        return
    fields = [f for f in AuditEntry._meta.concrete_fields if f is not AuditEntry._meta.auto_field]
    per_statement = _MAX_PARAMETERS // len(fields)
    for start in range(0, len(entries), per_statement):
        part = entries[start : start + per_statement]
        insert = InsertQuery(AuditEntry)
        insert.insert_values(fields, cast("list[Model]", part))
        [(insert_sql, insert_params)] = insert.get_compiler(connection=connection).as_sql()
        with prepared_cursor(connection) as cursor:
            cursor.execute(  # the INSERT is Django's own, with every value a parameter
                f"WITH added AS ({insert_sql} RETURNING id)"  # noqa: S608
                " UPDATE core_auditchain SET last_seq = %s, last_hash = %s WHERE id = %s"
                " RETURNING ARRAY(SELECT id FROM added ORDER BY id)",
                [*insert_params, part[-1].seq, part[-1].entry_hash, chain.pk],
            )
            row = cursor.fetchone()
        if row is None:  # the locked head row cannot vanish; if it did, nothing was written
            raise IntegrityError("audit chain head missing")
        for entry, pk in zip(part, row[0], strict=True):
            entry.pk = pk
            entry._state.adding = False
            entry._state.db = connection.alias


_MAX_PARAMETERS = 30_000  # PostgreSQL takes 65,535 parameters per statement


@dataclass(frozen=True)
class BatchAccess:
    """One entry of a batch (see record_batch_access)."""

    action: str
    object_kind: str
    patient: Patient
    object_ids: Sequence[object]
    detail: str = ""


def record_batch_access(
    *,
    actor: User | None,
    practice: Practice,
    accesses: Sequence[BatchAccess],
    channel: str,
    actor_role: str | None = None,
    system_name: str = "",
) -> int:
    """Many entries by one actor in one practice's chain at once (a file of lab results):
    the chain is locked once and the entries are chained and inserted together, exactly
    as one record_access each would have written them."""
    if not accesses:
        return 0
    check_chain_key()
    role = actor_role or _role_and_channel(actor)[0]
    standalone = _standalone()
    # From a request (a page of answers per patient, a lab's file through its door): the
    # access point of that request, as record_access writes it.
    context = request_context.current()
    address = normalise_ip(context.ip_address) if context else None
    entries = [
        _new_entry(
            practice=practice,
            action=access.action,
            outcome=AuditOutcome.ALLOWED,
            actor=actor,
            actor_role=actor_role or role,
            system_name=system_name,
            acting_for=None,
            patient=access.patient,
            object_kind=access.object_kind,
            object_ids=access.object_ids,
            ip_address=address,
            channel=channel,
            detail=_with_app(access.detail, context),
            standalone=standalone,
        )
        for access in accesses
    ]
    with transaction.atomic(savepoint=False):
        # Locks in one order (lane 0 first); only a batch in its own transaction has more.
        for lane in sorted({entry.lane for entry in entries}):
            chain = _locked_chain(practice, lane)
            in_lane = [entry for entry in entries if entry.lane == lane]
            for entry in in_lane:
                chain.last_hash = _link(entry, chain.last_seq + 1, chain.last_hash)
                chain.last_seq = entry.seq
            _append(chain, in_lane)
    return len(entries)


def record_denied(
    *,
    actor: User | None,
    object_kind: str,
    object_ids: Sequence[object] = (),
    action: str = AuditAction.READ,
    patient: Patient | None = None,
    detail: str = "",
) -> AuditEntry:
    """A refused attempt, in the chain of the actor's practice (or of the patient's).

    The object ids of a refused request are kept as given; no data of another practice
    is looked up or copied into this practice's log.
    """
    practice = patient.practice if patient is not None else actors.practice_of(actor)
    return record_access(
        actor=actor,
        action=action,
        object_kind=object_kind,
        practice=practice,
        patient=patient,
        object_ids=object_ids,
        outcome=AuditOutcome.DENIED,
        detail=detail,
    )


@dataclass(frozen=True)
class ChainBreak:
    practice_id: int | None
    seq: int
    public_id: str
    reason: str
    lane: int = 0


def _verify_chain(
    chain: AuditChain, entries: Iterable[AuditEntry]
) -> tuple[int, ChainBreak | None]:
    """Walk one chain in order; return the entries read and the first break, if any."""
    expected_prev = GENESIS_HASH
    expected_seq = 1
    for entry in entries:
        reason = None
        if entry.seq != expected_seq:
            reason = f"volgnummer {expected_seq} ontbreekt"
        elif entry.prev_hash != expected_prev:
            reason = "schakel naar vorige klopt niet"
        elif compute_hash(entry) != entry.entry_hash:
            reason = "inhoud is gewijzigd"
        if reason is not None:
            return expected_seq, ChainBreak(
                chain.practice_id, entry.seq, str(entry.public_id), reason, chain.lane
            )
        expected_prev = entry.entry_hash
        expected_seq += 1
    read = expected_seq - 1
    if chain.last_seq != read or chain.last_hash != expected_prev:
        return read, ChainBreak(
            chain.practice_id,
            chain.last_seq,
            "",
            "laatste regels van de keten ontbreken",
            chain.lane,
        )
    return read, None


def verify_chains(*, practice: Practice | None = None) -> tuple[int, list[ChainBreak]]:
    """Check every chain (or one practice's); return the entries checked and each first break."""
    chains = AuditChain.objects.all()
    if practice is not None:
        chains = chains.filter(practice=practice)
    checked = 0
    breaks: list[ChainBreak] = []
    for chain in chains.order_by("scope"):
        entries = (
            AuditEntry.objects.filter(practice__isnull=True)
            if chain.practice_id is None
            else AuditEntry.objects.filter(practice_id=chain.practice_id, lane=chain.lane)
        ).order_by("seq")
        read, found = _verify_chain(chain, entries.iterator(chunk_size=2000))
        checked += read
        if found is not None:
            breaks.append(found)
    # An entry of a lane without a chain head would be checked by no walk above.
    heads = set(chains.values_list("practice_id", "lane"))
    stray = AuditEntry.objects.all() if practice is None else practice.audit_entries.all()
    for practice_id, lane in stray.values_list("practice_id", "lane").distinct():
        if (practice_id, lane) not in heads:
            breaks.append(ChainBreak(practice_id, 0, "", "regels zonder keten", lane))
    return checked, breaks
