"""How an outbox message reaches a pharmacy. Each transport either delivers or raises
`DeliveryFailed`; every one is idempotent for the same message (the item's id is the
key), so a retry after a lost answer never makes a second prescription."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings

from spreekuur.prescriptions import safe_http
from spreekuur.prescriptions.models import OutboxMessage, Transport

if TYPE_CHECKING:
    import httpx

TIMEOUT_SECONDS = 10


class DeliveryFailed(Exception):
    """Not delivered this time; `kind` is safe to store and log (no patient data)."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


def _key(message: OutboxMessage) -> str:
    return str(message.item.public_id)


def loopback_allowed() -> bool:
    """A pharmacy link to this machine (a local stand-in pharmacy): while developing, or
    where a test or benchmark switches it on. Never a private or link-local address."""
    return settings.DEBUG or settings.PHARMACY_ALLOW_LOOPBACK


def deliver_http(
    message: OutboxMessage,
    client: httpx.Client | None = None,
    *,
    clients: safe_http.ClientsByHost | None = None,
    checked: dict[str, safe_http.Destination] | None = None,
) -> None:
    """POST the MedicationRequest with an Idempotency-Key; 409 means the pharmacy has it.

    The link's name is resolved and checked again before sending (its DNS may have
    changed since the practice saved it), and the request goes to an address just
    checked. `checked` keeps what was checked for the messages of one claimed batch (the
    caller empties it at every claim), so a batch to one pharmacy asks DNS once; without
    it, every send checks. A redirect is a failure, never followed. `clients` gives one
    client per host name (the worker's run); a `client` given is used for this message's
    host as it is."""
    # Imported here, not at the top: every web worker loads this module (through the
    # outbox services), while only the background worker sends.
    import httpx

    endpoint = message.pharmacy.endpoint
    destination = checked.get(endpoint) if checked is not None else None
    if destination is None:
        try:
            destination = safe_http.check_destination(endpoint, allow_loopback=loopback_allowed())
        except safe_http.RefusedDestination as refused:
            raise DeliveryFailed(f"Refused: {refused.refusal}") from refused
        if checked is not None:
            checked[endpoint] = destination
    own_client = None
    if client is None:
        if clients is not None:
            client = clients.for_host(destination.host)
        else:
            client = own_client = safe_http.new_client(timeout=TIMEOUT_SECONDS)
    try:
        response = safe_http.post(
            destination,
            content=json.dumps(message.payload).encode(),
            headers={
                "Content-Type": "application/fhir+json",
                "Idempotency-Key": _key(message),
            },
            client=client,
        )
    except httpx.HTTPError as error:
        raise DeliveryFailed(type(error).__name__) from error
    finally:
        if own_client is not None:
            own_client.close()
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
