"""Background work: the outbox to the pharmacies, every minute (idempotent, SKIP LOCKED)."""

from __future__ import annotations

from spreekuur.prescriptions.services import deliver_due


def deliver_prescriptions() -> int:
    return deliver_due()
