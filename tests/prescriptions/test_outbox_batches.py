"""The outbox in batches: claimed a batch at a time (never one message by two workers),
sent over one kept-alive connection per pharmacy, the link checked again at every claim,
outcomes written only by the worker that still holds the claim, and what a dead worker
held sent again once its lease is over, under the same key."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import connection
from django.utils import timezone

from spreekuur.core.models import AuditEntry
from spreekuur.prescriptions.models import DeliveryStatus, ItemStatus, OutboxMessage, Pharmacy
from spreekuur.prescriptions.services import approve_items, deliver_due, request_repeat
from spreekuur.prescriptions.services import outbox as outbox_service
from tests.prescriptions.conftest import FakeDNS, Repeats, repeatable

NAME = "apotheek.example.nl"
MEDICINES = [
    "Lisinopril 10 mg",
    "Omeprazol 20 mg",
    "Losartan 50 mg",
    "Atorvastatine 20 mg",
    "Metoprolol 50 mg",
    "Levothyroxine 50 microgram",
]


class Pharmacy11:
    """A pharmacy on 127.0.0.1 speaking HTTP/1.1 with keep-alive, as real ones do: it
    keeps each prescription once per Idempotency-Key and counts the TCP connections that
    reach it. `redirect_to` answers every POST with a 302 there instead."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.connections = 0
        self.posts: Counter[str] = Counter()
        self.stored: dict[str, dict] = {}
        self.redirect_to = ""
        self.trap_hits = 0
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                with stub.lock:
                    stub.connections += 1

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                key = self.headers["Idempotency-Key"]
                with stub.lock:
                    if self.path == "/trap":
                        stub.trap_hits += 1
                    stub.posts[key] += 1
                    known = key in stub.stored
                    stub.stored.setdefault(key, body)
                if stub.redirect_to:
                    self.send_response(302)
                    self.send_header("Location", stub.redirect_to)
                else:
                    self.send_response(409 if known else 201)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.http.daemon_threads = True
        self.port = self.http.server_port
        threading.Thread(target=self.http.serve_forever, daemon=True).start()


@pytest.fixture
def pharmacy11(settings) -> Iterator[Pharmacy11]:
    settings.PHARMACY_ALLOW_LOOPBACK = True  # the stand-in pharmacy is on this machine
    running = Pharmacy11()
    yield running
    running.http.shutdown()
    running.http.server_close()


def _approve_many(repeats: Repeats, endpoint: str, count: int) -> list[OutboxMessage]:
    """`count` approved prescriptions (up to 8) of patient A for the bench pharmacy."""
    Pharmacy.objects.filter(pk=repeats.pharmacy.pk).update(endpoint=endpoint)
    cast = repeats.cast
    medications = [repeats.metformin, repeats.simvastatin]
    medications += [repeatable(cast, cast.patient_a, name) for name in MEDICINES]
    request = request_repeat(
        patient=cast.patient_a,
        medication_ids=[m.public_id for m in medications[:count]],
        pharmacy=repeats.pharmacy,
        by=cast.patient_user_a,
    )
    approve_items(items=list(request.items.all()), by=cast.gp_a)
    return list(OutboxMessage.objects.order_by("id"))


def _keys(messages: list[OutboxMessage]) -> set[str]:
    return {str(m.item.public_id) for m in messages}


# --- One connection for a batch -----------------------------------------------------------


@pytest.mark.django_db
def test_a_batch_to_one_pharmacy_uses_one_connection_and_asks_dns_once_per_claim(
    repeats: Repeats, pharmacy11: Pharmacy11, fake_dns: FakeDNS, monkeypatch
) -> None:
    monkeypatch.setattr(outbox_service, "CLAIM_SIZE", 3)
    fake_dns.point(NAME, ("127.0.0.1",))
    messages = _approve_many(repeats, f"http://{NAME}:{pharmacy11.port}/fhir", 8)
    assert deliver_due() == 8
    assert pharmacy11.connections == 1  # not 8: the connection is kept over the claims
    assert fake_dns.lookups[NAME] == 3  # claims of 3, 3 and 2: checked again at each
    assert set(pharmacy11.stored) == _keys(messages)
    assert set(pharmacy11.posts.values()) == {1}
    assert OutboxMessage.objects.filter(status=DeliveryStatus.DELIVERED, claim=None).count() == 8
    assert AuditEntry.objects.filter(object_kind="repeatrequest", action="export").count() == 8


@pytest.mark.django_db
def test_a_name_that_turns_private_between_claims_is_refused_despite_the_open_connection(
    repeats: Repeats, pharmacy11: Pharmacy11, fake_dns: FakeDNS, monkeypatch
) -> None:
    """The kept-alive connection to the checked address is no way around the check: the
    next claim resolves the name again, finds a private address and sends nothing."""
    monkeypatch.setattr(outbox_service, "CLAIM_SIZE", 2)
    fake_dns.point(NAME, ("127.0.0.1",), ("10.0.0.5",))
    _approve_many(repeats, f"http://{NAME}:{pharmacy11.port}/fhir", 4)
    assert deliver_due() == 2
    assert sum(pharmacy11.posts.values()) == 2 and pharmacy11.connections == 1
    refused = OutboxMessage.objects.filter(status=DeliveryStatus.PENDING)
    assert refused.count() == 2
    assert {m.last_error for m in refused} == {"Refused: address not public"}
    assert all(m.attempts == 1 and m.claim is None for m in refused)  # retried later


@pytest.mark.django_db
def test_a_redirect_to_a_private_address_is_never_followed_by_the_pooled_client(
    repeats: Repeats, pharmacy11: Pharmacy11
) -> None:
    pharmacy11.redirect_to = "http://10.0.0.5/trap"
    messages = _approve_many(repeats, f"http://127.0.0.1:{pharmacy11.port}/fhir", 3)
    assert deliver_due() == 0
    assert pharmacy11.trap_hits == 0 and sum(pharmacy11.posts.values()) == 3
    for message in messages:
        message.refresh_from_db()
        assert message.status == DeliveryStatus.PENDING and message.last_error == "HTTP 302"
        assert message.item.status == ItemStatus.APPROVED


# --- Leases and claims ----------------------------------------------------------------------


@pytest.mark.django_db
def test_a_batch_claimed_by_a_worker_that_died_is_sent_once_the_lease_is_over(
    repeats: Repeats, pharmacy11: Pharmacy11, settings
) -> None:
    settings.OUTBOX_LEASE_SECONDS = 30
    messages = _approve_many(repeats, f"http://127.0.0.1:{pharmacy11.port}/fhir", 3)
    now = timezone.now()
    dead = outbox_service._claim(now)  # claimed; then the worker is killed before sending
    assert sorted(dead.ids) == [m.pk for m in messages]
    assert deliver_due(now=now + timedelta(seconds=29)) == 0  # still leased: nobody sends
    assert pharmacy11.posts == Counter()
    assert deliver_due(now=now + timedelta(seconds=30)) == 3
    for message in messages:
        message.refresh_from_db()
        assert message.status == DeliveryStatus.DELIVERED and message.attempts == 2
    assert set(pharmacy11.stored) == _keys(messages)


@pytest.mark.django_db
def test_a_worker_whose_lease_ran_out_marks_nothing(
    repeats: Repeats, pharmacy11: Pharmacy11, settings
) -> None:
    """Worker A is slow: its lease ends, B claims and delivers the same messages. When A
    finally reports (sent, or failed) it no longer holds them: nothing changes, and the
    access log has one entry per prescription, not two."""
    settings.OUTBOX_LEASE_SECONDS = 30
    messages = _approve_many(repeats, f"http://127.0.0.1:{pharmacy11.port}/fhir", 2)
    now = timezone.now()
    slow = outbox_service._claim(now)
    claimed = list(OutboxMessage.objects.filter(pk__in=slow.ids).order_by("id"))
    assert deliver_due(now=now + timedelta(seconds=31)) == 2  # worker B
    assert outbox_service._record_delivered(claimed[:1], slow, now) == 0
    outbox_service._failed(claimed[1], "ReadTimeout", now, claim=slow, final=True)
    for message in messages:
        message.refresh_from_db()
        assert message.status == DeliveryStatus.DELIVERED and message.last_error == ""
    assert AuditEntry.objects.filter(object_kind="repeatrequest", action="export").count() == 2


@pytest.mark.django_db
def test_a_slow_pharmacy_gives_back_what_it_could_not_send_within_the_lease(
    repeats: Repeats, pharmacy11: Pharmacy11, monkeypatch
) -> None:
    """Past its share of the lease a worker stops and gives the rest back, due at once and
    without an attempt counted; the next round sends them."""

    class Clock:
        now = 0.0

        def monotonic(self) -> float:
            self.now += 10_000.0  # every look at the clock: far past the lease
            return self.now

    monkeypatch.setattr(outbox_service, "time", Clock())
    messages = _approve_many(repeats, f"http://127.0.0.1:{pharmacy11.port}/fhir", 3)
    now = timezone.now()
    assert deliver_due(now=now, batch=3) == 1  # the first of a claim is always sent
    states = {m.pk: (m.status, m.attempts, m.claim) for m in OutboxMessage.objects.order_by("id")}
    assert states[messages[0].pk] == (DeliveryStatus.DELIVERED, 1, None)
    assert states[messages[1].pk] == states[messages[2].pk] == (DeliveryStatus.PENDING, 0, None)
    assert deliver_due(now=now) == 2
    assert sum(pharmacy11.posts.values()) == 3


@pytest.mark.django_db
def test_an_item_changed_meanwhile_fails_only_its_own_message(
    repeats: Repeats, pharmacy11: Pharmacy11
) -> None:
    """Outcomes are written together; one that cannot be (its item is no longer approved)
    is flagged for staff, and the others of the batch are marked delivered as usual."""
    messages = _approve_many(repeats, f"http://127.0.0.1:{pharmacy11.port}/fhir", 3)
    from spreekuur.prescriptions.models import RepeatRequestItem

    RepeatRequestItem.objects.filter(pk=messages[1].item_id).update(status=ItemStatus.SENT)
    assert deliver_due() == 2
    states = dict(OutboxMessage.objects.values_list("pk", "status"))
    assert states[messages[1].pk] == DeliveryStatus.FAILED
    assert states[messages[0].pk] == states[messages[2].pk] == DeliveryStatus.DELIVERED
    assert AuditEntry.objects.filter(object_kind="repeatrequest", action="export").count() == 2


# --- Two workers at once (PostgreSQL) -----------------------------------------------------


def _in_threads(count: int, work) -> list[str]:
    """Run `work(number)` in `count` threads started together, each on its own database
    connection; returns the errors."""
    barrier = threading.Barrier(count)
    errors: list[str] = []

    def run(number: int) -> None:
        try:
            barrier.wait()
            work(number)
        except BaseException as error:  # pragma: no cover - reported by the assert
            errors.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_claiming_batches_never_take_the_same_message(
    repeats: Repeats, pharmacy11: Pharmacy11
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("real parallel transactions need PostgreSQL")
    messages = _approve_many(repeats, f"http://127.0.0.1:{pharmacy11.port}/fhir", 8)
    now = timezone.now()
    taken: list[list[int]] = [[], [], []]

    def claim_until_empty(number: int) -> None:
        while ids := outbox_service._claim(now, limit=2).ids:
            taken[number].extend(ids)

    assert _in_threads(3, claim_until_empty) == []
    every = [pk for ids in taken for pk in ids]
    assert sorted(every) == sorted(m.pk for m in messages)  # each exactly once
    assert set(OutboxMessage.objects.values_list("attempts", flat=True)) == {1}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_delivering_at_once_send_each_prescription_once(
    repeats: Repeats, pharmacy11: Pharmacy11, monkeypatch
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("real parallel transactions need PostgreSQL")
    monkeypatch.setattr(outbox_service, "CLAIM_SIZE", 2)
    messages = _approve_many(repeats, f"http://127.0.0.1:{pharmacy11.port}/fhir", 8)
    delivered = [0, 0]

    def worker(number: int) -> None:
        delivered[number] = deliver_due()

    assert _in_threads(2, worker) == []
    assert sum(delivered) == 8
    assert set(pharmacy11.stored) == _keys(messages)
    assert set(pharmacy11.posts.values()) == {1}  # nobody sent one twice
    statuses = OutboxMessage.objects.values_list("status", "attempts")
    assert set(statuses) == {(DeliveryStatus.DELIVERED, 1)}
    assert AuditEntry.objects.filter(object_kind="repeatrequest", action="export").count() == 8


@pytest.mark.django_db
def test_the_periodic_job_works_off_a_backlog_in_rounds(
    repeats: Repeats, pharmacy11: Pharmacy11, fake_dns: FakeDNS, monkeypatch
) -> None:
    """More due than one round: the minute's job goes on until the outbox is empty."""
    from spreekuur.prescriptions import tasks

    monkeypatch.setattr(tasks, "ROUND", 3)
    fake_dns.point(NAME, ("127.0.0.1",))
    messages = _approve_many(repeats, f"http://{NAME}:{pharmacy11.port}/fhir", 8)
    assert tasks.deliver_prescriptions() == 8
    assert set(pharmacy11.stored) == _keys(messages)
    assert not OutboxMessage.objects.exclude(status=DeliveryStatus.DELIVERED).exists()
