from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from spreekuur.core.audit import (
    GENESIS_HASH,
    WrongChainKey,
    chain_key_fingerprint,
    check_chain_key,
    compute_hash,
    record_access,
    verify_chains,
)
from spreekuur.core.models import AuditAction, AuditChain, AuditEntry, AuditKey, AuditOutcome
from tests.conftest import Cast, verified_client


def _read(cast: Cast, n: int = 1) -> list[AuditEntry]:
    return [
        record_access(
            actor=cast.gp_a,
            action=AuditAction.READ,
            object_kind="personal_data",
            practice=cast.practice_a,
            patient=cast.patient_a,
            object_ids=[cast.patient_a.public_id],
        )
        for _ in range(n)
    ]


def test_entry_records_every_nen7513_field(cast: Cast) -> None:
    (entry,) = _read(cast)
    entry.refresh_from_db()
    assert entry.action == "read"
    assert entry.outcome == AuditOutcome.ALLOWED
    assert entry.actor == cast.gp_a and entry.actor_name == "Dokter A"
    assert entry.actor_role == "huisarts"
    assert entry.patient == cast.patient_a
    assert entry.object_kind == "personal_data"
    assert entry.object_ids == [str(cast.patient_a.public_id)]
    assert entry.channel == "task"  # no request around: a background job
    assert entry.occurred_at is not None
    assert entry.seq == 1 and entry.prev_hash == GENESIS_HASH
    assert entry.entry_hash == compute_hash(entry)


def test_each_practice_keeps_its_own_chain(cast: Cast) -> None:
    _read(cast, 3)
    entry_b = record_access(
        actor=cast.gp_b, action=AuditAction.READ, object_kind="patient", practice=cast.practice_b
    )
    assert entry_b.seq == 1
    assert AuditChain.objects.get(practice=cast.practice_a).last_seq == 3
    checked, breaks = verify_chains()
    assert checked == 4 and breaks == []


def test_patient_of_other_practice_cannot_be_logged_in_wrong_chain(cast: Cast) -> None:
    with pytest.raises(ValueError):
        record_access(
            actor=cast.gp_a,
            action=AuditAction.READ,
            object_kind="personal_data",
            practice=cast.practice_a,
            patient=cast.patient_b,
        )


def test_unknown_action_is_refused(cast: Cast) -> None:
    with pytest.raises(ValueError):
        record_access(actor=cast.gp_a, action="peek", object_kind="x", practice=cast.practice_a)


def test_database_refuses_update_and_delete(cast: Cast) -> None:
    (entry,) = _read(cast)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(detail="weggepoetst")
    if connection.vendor == "postgresql":  # on SQLite audit_verify finds deletions
        with pytest.raises(DatabaseError), transaction.atomic():
            AuditEntry.objects.filter(pk=entry.pk).delete()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditentry SET actor_name = 'niemand'")
    entry.refresh_from_db()
    assert entry.detail == "" and entry.actor_name == "Dokter A"


def _without_append_only_triggers(sql: str, params: list[object]) -> None:
    """What an attacker with owner rights on the database could do."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE core_auditentry DISABLE TRIGGER USER")
            cursor.execute(sql, params)
            cursor.execute("ALTER TABLE core_auditentry ENABLE TRIGGER USER")
        else:
            cursor.execute("DROP TRIGGER IF EXISTS core_auditentry_no_update")
            cursor.execute(sql, params)


def test_audit_verify_names_the_first_changed_entry(cast: Cast) -> None:
    entries = _read(cast, 5)
    _without_append_only_triggers(
        "UPDATE core_auditentry SET actor_name = %s WHERE id = %s", ["Iemand anders", entries[2].pk]
    )
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("audit_verify", stdout=out)
    assert str(entries[2].public_id) in out.getvalue()
    assert "volgnummer 3" in out.getvalue()
    assert "inhoud is gewijzigd" in out.getvalue()


def test_audit_verify_finds_a_removed_entry_and_a_cut_tail(cast: Cast) -> None:
    entries = _read(cast, 4)
    _without_append_only_triggers("DELETE FROM core_auditentry WHERE id = %s", [entries[1].pk])
    _, breaks = verify_chains()
    assert len(breaks) == 1 and breaks[0].seq == 3 and "ontbreekt" in breaks[0].reason

    _without_append_only_triggers("DELETE FROM core_auditentry WHERE id >= %s", [entries[1].pk])
    _, breaks = verify_chains()
    assert breaks and "laatste regels" in breaks[0].reason


def test_audit_verify_passes_on_intact_chain(cast: Cast) -> None:
    _read(cast, 3)
    out = StringIO()
    call_command("audit_verify", stdout=out)
    assert "intact" in out.getvalue()


def _at_once(*work: Callable[[], object]) -> list[BaseException]:
    """Run each piece of work in a thread of its own (its own connection), all at once;
    return what any of them raised."""
    errors: list[BaseException] = []

    def run(one: Callable[[], object]) -> None:
        try:
            one()
        except BaseException as error:  # pragma: no cover - reported by the caller
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(one,)) for one in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_one_unbroken_chain() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    from tests.factories import MembershipFactory

    membership = MembershipFactory()

    def write() -> None:
        for _ in range(25):
            record_access(
                actor=membership.user,
                action=AuditAction.SEARCH,
                object_kind="patient",
                practice=membership.practice,
            )

    assert _at_once(*[write] * 8) == []
    seqs = list(
        AuditEntry.objects.filter(practice=membership.practice)
        .order_by("seq")
        .values_list("seq", flat=True)
    )
    assert seqs == list(range(1, 201))
    assert verify_chains(practice=membership.practice)[1] == []


def test_chain_head_cannot_be_wound_back(cast: Cast) -> None:
    _read(cast, 3)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditChain.objects.filter(practice=cast.practice_a).update(last_seq=1)
    assert AuditChain.objects.get(practice=cast.practice_a).last_seq == 3


def test_rewriting_an_entry_with_a_plain_hash_is_detected(cast: Cast) -> None:
    """Without AUDIT_CHAIN_KEY an attacker cannot produce a link that verifies."""
    import hashlib

    from spreekuur.core.audit import _canonical

    entries = _read(cast, 2)
    forged = AuditEntry.objects.get(pk=entries[1].pk)
    forged.actor_name = "Iemand anders"
    plain = hashlib.sha256(_canonical(forged)).hexdigest()
    _without_append_only_triggers(
        "UPDATE core_auditentry SET actor_name = %s, entry_hash = %s WHERE id = %s",
        ["Iemand anders", plain, forged.pk],
    )
    _, breaks = verify_chains()
    assert breaks and breaks[0].seq == 2


def test_ipv6_address_is_stored_as_hashed(cast: Cast) -> None:
    from spreekuur.core import request_context

    token = request_context.set_current(request_context.RequestContext("r", "2001:0DB8::0001"))
    try:
        (entry,) = _read(cast)
    finally:
        request_context.reset_current(token)
    entry.refresh_from_db()
    assert entry.ip_address == "2001:db8::1"
    assert verify_chains()[1] == []


# --- Bounded input -----------------------------------------------------------------------------


def test_what_a_request_puts_in_the_log_is_bounded_and_cleaned(cast: Cast) -> None:
    """A 2 MB "id", a NUL byte and a line break posted as an id are stored bounded, as
    one printable line, and the chain still verifies."""
    huge = "x" * 2_000_000
    entry = record_access(
        actor=cast.gp_a,
        action=AuditAction.READ,
        object_kind="personal\x00_data\n" + "k" * 500,
        practice=cast.practice_a,
        object_ids=[huge, "a\x00b\r\nc", *range(1000)],
        detail="regel\x00een\ntwee\u2028" + "d" * 5000,
        outcome=AuditOutcome.DENIED,
    )
    entry.refresh_from_db()
    assert len(entry.object_ids) == 500
    assert entry.object_ids[0] == "x" * 63 + "…"
    assert entry.object_ids[1] == "a b  c"
    assert entry.object_ids[-1] == "… +503"
    assert len(entry.object_kind) == 60 and "\x00" not in entry.object_kind
    assert len(entry.detail) == 200 and entry.detail.startswith("regel een twee ")
    assert verify_chains(practice=cast.practice_a)[1] == []


def test_a_nul_byte_or_a_huge_tampered_id_is_refused_before_the_log(cast: Cast) -> None:
    client = verified_client(cast.patient_user_a)
    before = AuditEntry.objects.count()
    response = client.post("/namens/", {"patient": "a\x00" + "b" * 2_000_000})
    assert response.status_code in (400, 413)
    response = client.post("/namens/", {"patient": "a\x00b"})
    assert response.status_code == 400
    assert AuditEntry.objects.count() == before


# --- The key ------------------------------------------------------------------------------------


@pytest.fixture
def unchecked_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """As in a process that has just started: the key not yet checked."""
    from spreekuur.core import audit

    monkeypatch.setattr(audit, "_checked_key", None)


def test_the_first_process_records_the_key_fingerprint(cast: Cast, unchecked_key: None) -> None:
    AuditKey.objects.all().delete()
    check_chain_key()
    assert AuditKey.objects.get().fingerprint == chain_key_fingerprint()
    assert settings.AUDIT_CHAIN_KEY not in AuditKey.objects.get().fingerprint


def test_a_process_with_another_key_refuses_to_write(
    cast: Cast, unchecked_key: None, settings: object
) -> None:
    _read(cast)
    count = AuditEntry.objects.count()
    settings.AUDIT_CHAIN_KEY = "another-key-that-is-long-enough-0123456789"  # type: ignore[attr-defined]
    with pytest.raises(WrongChainKey):
        check_chain_key()
    with pytest.raises(WrongChainKey):
        _read(cast)
    assert AuditEntry.objects.count() == count


def test_an_older_log_without_fingerprint_is_checked_against_its_newest_entry(
    cast: Cast, unchecked_key: None, settings: object
) -> None:
    _read(cast, 2)
    AuditKey.objects.all().delete()  # a database from before fingerprints
    settings.AUDIT_CHAIN_KEY = "another-key-that-is-long-enough-0123456789"  # type: ignore[attr-defined]
    with pytest.raises(WrongChainKey):
        check_chain_key()
    assert not AuditKey.objects.exists()


def test_the_worker_does_not_start_with_a_wrong_key(
    cast: Cast, unchecked_key: None, settings: object
) -> None:
    _read(cast)
    settings.AUDIT_CHAIN_KEY = "another-key-that-is-long-enough-0123456789"  # type: ignore[attr-defined]
    with pytest.raises(WrongChainKey):
        call_command("worker", "--once")


def test_the_web_server_does_not_start_with_a_wrong_key(
    cast: Cast, unchecked_key: None, settings: object
) -> None:
    import runpy

    _read(cast)
    runpy.run_module("spreekuur.wsgi")  # the right key: it starts
    settings.AUDIT_CHAIN_KEY = "another-key-that-is-long-enough-0123456789"  # type: ignore[attr-defined]
    from spreekuur.core import audit

    audit._checked_key = None
    with pytest.raises(WrongChainKey):
        runpy.run_module("spreekuur.wsgi")


def test_a_batch_larger_than_one_statement_is_chained_in_order(cast: Cast) -> None:
    """A lab file's entries are written in several statements (PostgreSQL's parameter
    limit); each moves the chain head, and the whole chain verifies in order."""
    from spreekuur.core.audit import BatchAccess, record_batch_access

    record_access(  # a change first: the batch goes on from a chain that has begun
        actor=cast.gp_a,
        action=AuditAction.CHANGE,
        object_kind="patient",
        practice=cast.practice_a,
        patient=cast.patient_a,
        object_ids=[cast.patient_a.public_id],
    )
    accesses = [
        BatchAccess(AuditAction.CREATE, "lab_result", cast.patient_a, [f"r{number}"])
        for number in range(2_500)
    ]
    assert (
        record_batch_access(
            actor=None,
            practice=cast.practice_a,
            accesses=accesses,
            channel="task",
            system_name="Lab",
        )
        == 2_500
    )
    entries = list(AuditEntry.objects.filter(practice=cast.practice_a, lane=0).order_by("seq"))
    assert [entry.seq for entry in entries] == list(range(1, len(entries) + 1))
    assert [entry.object_ids for entry in entries[-2_500:]] == [[f"r{n}"] for n in range(2_500)]
    chain = AuditChain.objects.get(practice=cast.practice_a, lane=0)
    assert (chain.last_seq, chain.last_hash) == (entries[-1].seq, entries[-1].entry_hash)
    assert verify_chains(practice=cast.practice_a)[1] == []


def _read_patient(cast: Cast, patient) -> AuditEntry:  # type: ignore[no-untyped-def]
    return record_access(
        actor=cast.gp_a,
        action=AuditAction.READ,
        object_kind="record",
        practice=patient.practice,
        patient=patient,
        object_ids=[patient.public_id],
    )


def test_reads_spread_over_lanes_by_patient_and_changes_keep_lane_zero(
    cast: Cast, settings
) -> None:
    """Two patients' reads take different chains (no shared lock); one patient's reads
    stay in one; every change stays in lane 0, in commit order; every lane verifies."""
    settings.AUDIT_READ_LANES = 8
    first, second = cast.patient_a, cast.other_patient_a
    reads_first = [_read_patient(cast, first) for _ in range(3)]
    reads_second = [_read_patient(cast, second) for _ in range(2)]
    change = record_access(
        actor=cast.gp_a,
        action=AuditAction.CHANGE,
        object_kind="record",
        practice=cast.practice_a,
        patient=first,
    )
    assert {entry.lane for entry in reads_first} == {1 + first.pk % 8}
    assert {entry.lane for entry in reads_second} == {1 + second.pk % 8}
    if first.pk % 8 != second.pk % 8:
        assert reads_first[0].lane != reads_second[0].lane
    assert [entry.seq for entry in reads_first] == [1, 2, 3]
    assert change.lane == 0
    lanes = set(AuditChain.objects.filter(practice=cast.practice_a).values_list("lane", flat=True))
    assert {0, reads_first[0].lane, reads_second[0].lane} <= lanes
    assert verify_chains(practice=cast.practice_a)[1] == []


def test_without_read_lanes_every_entry_is_in_one_chain(cast: Cast, settings) -> None:
    settings.AUDIT_READ_LANES = 0
    assert _read_patient(cast, cast.patient_a).lane == 0
    assert _read_patient(cast, cast.other_patient_a).lane == 0


def test_an_entry_moved_to_another_lane_is_detected(cast: Cast, settings) -> None:
    settings.AUDIT_READ_LANES = 8
    entries = [_read_patient(cast, cast.patient_a) for _ in range(3)]
    other_lane = 1 + (entries[1].lane % 8)
    _without_append_only_triggers(
        "UPDATE core_auditentry SET lane = %s WHERE id = %s", [other_lane, entries[1].pk]
    )
    _, breaks = verify_chains(practice=cast.practice_a)
    assert breaks  # a gap in its own lane, and a line of a lane that has no such chain


def test_entries_of_a_lane_without_a_chain_are_reported(cast: Cast) -> None:
    entry = _read_patient(cast, cast.patient_a)
    AuditEntry.objects.create(
        practice=cast.practice_a,
        lane=99,
        seq=1,
        occurred_at=entry.occurred_at,
        action=AuditAction.READ,
        outcome=AuditOutcome.ALLOWED,
        actor_name="Iemand",
        actor_role="huisarts",
        object_kind="record",
        channel="staff",
        prev_hash=GENESIS_HASH,
        entry_hash="0" * 64,
    )
    _, breaks = verify_chains(practice=cast.practice_a)
    assert [(b.lane, b.reason) for b in breaks] == [(99, "regels zonder keten")]
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("audit_verify", stdout=out)
    assert "baan=99" in out.getvalue()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_readers_of_many_patients_keep_every_lane_unbroken() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    from tests.factories import MembershipFactory, PatientFactory

    membership = MembershipFactory()
    patients = [PatientFactory(practice=membership.practice) for _ in range(8)]

    def read(patient) -> None:  # type: ignore[no-untyped-def]
        for _ in range(20):
            record_access(
                actor=membership.user,
                action=AuditAction.READ,
                object_kind="record",
                practice=membership.practice,
                patient=patient,
            )

    assert _at_once(*[partial(read, patient) for patient in patients]) == []
    checked, breaks = verify_chains(practice=membership.practice)
    assert checked == 160 and breaks == []
    for lane in AuditChain.objects.filter(practice=membership.practice).values_list(
        "lane", flat=True
    ):
        seqs = list(
            AuditEntry.objects.filter(practice=membership.practice, lane=lane)
            .order_by("seq")
            .values_list("seq", flat=True)
        )
        assert seqs == list(range(1, len(seqs) + 1))


def test_a_read_inside_a_larger_transaction_stays_in_lane_zero(cast: Cast, settings) -> None:
    """A transaction that reads and changes holds one chain lock only: no transaction
    ever waits for a second chain while it holds the first (no deadlock)."""
    settings.AUDIT_READ_LANES = 8
    with transaction.atomic():
        read = _read_patient(cast, cast.patient_a)
        change = record_access(
            actor=cast.gp_a,
            action=AuditAction.CHANGE,
            object_kind="record",
            practice=cast.practice_a,
            patient=cast.patient_a,
        )
    assert (read.lane, change.lane) == (0, 0)
    assert _read_patient(cast, cast.patient_a).lane == 1 + cast.patient_a.pk % 8


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_page_views_and_read_then_change_transactions_at_once_never_deadlock() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    from tests.factories import MembershipFactory, PatientFactory

    membership = MembershipFactory()
    practice = membership.practice
    patients = [PatientFactory(practice=practice) for _ in range(4)]

    def page_views(patient) -> None:  # type: ignore[no-untyped-def]
        for _ in range(15):
            record_access(
                actor=membership.user,
                action=AuditAction.READ,
                object_kind="record",
                practice=practice,
                patient=patient,
            )

    def in_one_transaction(patient, order) -> None:  # type: ignore[no-untyped-def]
        for _ in range(15):
            with transaction.atomic():
                for action in order:
                    record_access(
                        actor=membership.user,
                        action=action,
                        object_kind="record",
                        practice=practice,
                        patient=patient,
                    )

    read_then_change = (AuditAction.READ, AuditAction.CHANGE)
    change_then_read = (AuditAction.CHANGE, AuditAction.READ)
    work = [partial(page_views, p) for p in patients]
    work += [
        partial(in_one_transaction, p, order)
        for p in patients
        for order in (read_then_change, change_then_read)
    ]
    assert _at_once(*work) == []
    checked, breaks = verify_chains(practice=practice)
    assert checked == 4 * 15 + 8 * 30 and breaks == []
