"""How an outbox message reaches a pharmacy. Each transport either delivers or raises
`DeliveryFailed`; every one is idempotent for the same message (the item's id is the
key), so a retry after a lost answer never makes a second prescription."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import httpx

from spreekuur.prescriptions.models import OutboxMessage, Transport

TIMEOUT_SECONDS = 10


class DeliveryFailed(Exception):
    """Not delivered this time; `kind` is safe to store and log (no patient data)."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


def _key(message: OutboxMessage) -> str:
    return str(message.item.public_id)


def deliver_http(message: OutboxMessage, client: httpx.Client | None = None) -> None:
    """POST the MedicationRequest with an Idempotency-Key; 409 means the pharmacy has it."""
    own_client = client is None
    client = client or httpx.Client(timeout=TIMEOUT_SECONDS)
    try:
        response = client.post(
            message.pharmacy.endpoint,
            content=json.dumps(message.payload),
            headers={
                "Content-Type": "application/fhir+json",
                "Idempotency-Key": _key(message),
            },
        )
    except httpx.HTTPError as error:
        raise DeliveryFailed(type(error).__name__) from error
    finally:
        if own_client:
            client.close()
    if response.status_code == 409 or 200 <= response.status_code < 300:
        return
    raise DeliveryFailed(f"HTTP {response.status_code}")


def deliver_file(message: OutboxMessage) -> None:
    """Write <item id>.json into the pharmacy's folder, atomically (a rename): the same
    name on a retry replaces, never adds."""
    folder = Path(message.pharmacy.drop_folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=folder, suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(message.payload, stream)
        os.replace(temporary, folder / f"{_key(message)}.json")
    except OSError as error:
        raise DeliveryFailed(type(error).__name__) from error


TRANSPORTS: dict[str, Callable[[OutboxMessage], None]] = {
    Transport.HTTP: deliver_http,
    Transport.FILE: deliver_file,
}
