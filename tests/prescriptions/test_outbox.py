"""The outbox to the pharmacy: against a real local HTTP server standing in for a
pharmacy, with failures, lost answers and retries; the file and print transports; and the
pharmacy's "ready" through its own door."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from spreekuur.prescriptions.models import DeliveryStatus, ItemStatus, OutboxMessage, Pharmacy
from spreekuur.prescriptions.services import (
    approve_items,
    deliver_due,
    mark_printed,
    retry_delivery,
)
from spreekuur.prescriptions.services.outbox import BACKOFF_MINUTES
from tests.prescriptions.conftest import Repeats

pytestmark = pytest.mark.django_db


class StubPharmacy:
    """Keeps each prescription once per Idempotency-Key, as a pharmacy system should."""

    def __init__(self) -> None:
        self.mode = "ok"  # ok | fail | drop
        self.received: dict[str, dict] = {}
        self.calls = 0
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                stub.calls += 1
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                key = self.headers["Idempotency-Key"]
                if stub.mode == "fail":
                    self.send_response(500)
                    self.end_headers()
                    return
                known = key in stub.received
                stub.received.setdefault(key, body)
                if stub.mode == "drop":  # stored, but the answer is lost on the way back
                    self.close_connection = True
                    self.connection.close()
                    return
                self.send_response(409 if known else 201)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/MedicationRequest"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def stub(settings) -> Iterator[StubPharmacy]:
    settings.PHARMACY_ALLOW_LOOPBACK = True  # the stand-in pharmacy is on this machine
    pharmacy = StubPharmacy()
    yield pharmacy
    pharmacy.server.shutdown()


def _approved(repeats: Repeats, stub: StubPharmacy) -> OutboxMessage:
    Pharmacy.objects.filter(pk=repeats.pharmacy.pk).update(endpoint=stub.url)
    items = repeats.request(repeats.metformin)
    approve_items(items=items, by=repeats.cast.gp_a)
    return OutboxMessage.objects.get()


def test_an_approved_prescription_reaches_the_pharmacy_once(repeats: Repeats, stub) -> None:
    message = _approved(repeats, stub)
    assert deliver_due() == 1
    message.refresh_from_db()
    assert message.status == DeliveryStatus.DELIVERED and message.item.status == ItemStatus.SENT
    [(key, body)] = stub.received.items()
    assert key == str(message.item.public_id) and body["resourceType"] == "MedicationRequest"
    assert deliver_due() == 0 and stub.calls == 1  # nothing is sent twice


def test_a_failing_pharmacy_loses_nothing_and_is_flagged_after_the_last_try(
    repeats: Repeats, stub
) -> None:
    message = _approved(repeats, stub)
    stub.mode = "fail"
    now = timezone.now()
    for attempt, minutes in enumerate(BACKOFF_MINUTES, start=1):
        deliver_due(now=now)
        message.refresh_from_db()
        assert message.status == DeliveryStatus.PENDING and message.attempts == attempt
        assert message.next_attempt_at == now + timedelta(minutes=minutes)
        assert deliver_due(now=now) == 0  # not due yet: no hammering
        now = message.next_attempt_at
    deliver_due(now=now)
    message.refresh_from_db()
    assert message.status == DeliveryStatus.FAILED and message.last_error == "HTTP 500"
    assert message.item.status == ItemStatus.APPROVED  # still there, for staff to act on
    retry_delivery(message=message, by=repeats.cast.assistant_a)
    stub.mode = "ok"
    assert deliver_due() == 1
    assert len(stub.received) == 1


def test_a_lost_answer_never_makes_a_second_prescription(repeats: Repeats, stub) -> None:
    message = _approved(repeats, stub)
    stub.mode = "drop"
    deliver_due()
    message.refresh_from_db()
    assert message.status == DeliveryStatus.PENDING and message.attempts == 1
    stub.mode = "ok"
    assert deliver_due(now=message.next_attempt_at) == 1
    assert stub.calls == 2 and len(stub.received) == 1  # the pharmacy kept it once


def test_a_worker_killed_mid_send_leaves_the_message_to_the_next_after_the_lease(
    repeats: Repeats, stub, settings
) -> None:
    from spreekuur.prescriptions.services.outbox import _claim

    settings.OUTBOX_LEASE_SECONDS = 30
    message = _approved(repeats, stub)
    now = timezone.now()
    assert _claim(now).ids == [message.pk]  # claimed; then the worker dies before it sends
    assert deliver_due(now=now + timedelta(seconds=29)) == 0  # still leased: nobody sends
    assert deliver_due(now=now + timedelta(seconds=30)) == 1
    message.refresh_from_db()
    assert message.status == DeliveryStatus.DELIVERED and message.attempts == 2
    assert len(stub.received) == 1


def test_the_file_transport_writes_one_file_per_prescription(
    repeats: Repeats, tmp_path: Path
) -> None:
    Pharmacy.objects.filter(pk=repeats.pharmacy.pk).update(
        transport="bestand", endpoint="", drop_folder=str(tmp_path)
    )
    items = repeats.request(repeats.metformin)
    approve_items(items=items, by=repeats.cast.gp_a)
    message = OutboxMessage.objects.get()
    deliver_due()
    # A retry (after a crash before the mark) writes the same name again.
    from spreekuur.prescriptions.transports import deliver_file

    deliver_file(message)
    files = list(tmp_path.iterdir())
    assert [f.name for f in files] == [f"{message.item.public_id}.json"]
    assert json.loads(files[0].read_text())["resourceType"] == "MedicationRequest"


def test_a_print_prescription_is_marked_when_printed(repeats: Repeats, client_for) -> None:
    items = repeats.request(repeats.metformin, pharmacy=repeats.printing)
    approve_items(items=items, by=repeats.cast.gp_a)
    message = OutboxMessage.objects.get()
    assert deliver_due() == 0  # nothing to send
    page = client_for(repeats.cast.assistant_a).get(
        reverse("prescriptions:print_prescription", args=[message.public_id])
    )
    assert page.status_code == 200 and repeats.cast.patient_a.bsn in page.content.decode()
    mark_printed(message=message, by=repeats.cast.assistant_a)
    message.refresh_from_db()
    assert message.item.status == ItemStatus.SENT


def test_the_worker_delivers(repeats: Repeats, stub) -> None:
    _approved(repeats, stub)
    call_command("worker", once=True, stdout=StringIO())
    assert len(stub.received) == 1


# --- The pharmacy's door --------------------------------------------------------------------


def _dispense(item_id: str, status: str = "completed") -> bytes:
    return json.dumps(
        {
            "resourceType": "MedicationDispense",
            "status": status,
            "medicationCodeableConcept": {"text": "Metformine 500 mg"},
            "authorizingPrescription": [{"identifier": {"value": f"urn:uuid:{item_id}"}}],
        }
    ).encode()


def _token(pharmacy: Pharmacy) -> str:
    token = Pharmacy.new_token()
    pharmacy.token_hash = Pharmacy.hash_token(token)
    pharmacy.save()
    return token


def test_the_pharmacy_reports_ready(repeats: Repeats, stub, client) -> None:
    message = _approved(repeats, stub)
    deliver_due()
    token = _token(repeats.pharmacy)
    url = reverse("prescriptions:dispense")
    headers = {"Authorization": f"Bearer {token}"}
    body = _dispense(str(message.item.public_id))
    response = client.post(url, body, content_type="application/fhir+json", headers=headers)
    assert response.status_code == 200
    message.item.refresh_from_db()
    assert message.item.status == ItemStatus.READY
    again = client.post(url, body, content_type="application/fhir+json", headers=headers)
    assert again.status_code == 200  # idempotent


def test_the_pharmacy_door_refuses_strangers_and_other_pharmacies_items(
    repeats: Repeats, stub, client
) -> None:
    message = _approved(repeats, stub)
    deliver_due()
    url = reverse("prescriptions:dispense")
    body = _dispense(str(message.item.public_id))
    assert client.post(url, body, content_type="application/fhir+json").status_code == 401
    other = _token(repeats.printing)
    response = client.post(
        url,
        body,
        content_type="application/fhir+json",
        headers={"Authorization": f"Bearer {other}"},
    )
    assert response.status_code == 404
    bad = client.post(
        url,
        b"{}",
        content_type="application/fhir+json",
        headers={"Authorization": f"Bearer {other}"},
    )
    assert bad.status_code == 400
    not_an_id = client.post(
        url,
        _dispense("../../etc"),
        content_type="application/fhir+json",
        headers={"Authorization": f"Bearer {other}"},
    )
    assert not_an_id.status_code == 400
    message.item.refresh_from_db()
    assert message.item.status == ItemStatus.SENT
