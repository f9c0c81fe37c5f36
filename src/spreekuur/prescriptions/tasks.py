"""Background work: the outbox to the pharmacies, every minute (idempotent, SKIP LOCKED)."""

from __future__ import annotations

import time

from spreekuur.prescriptions.services import deliver_due

ROUND = 200  # messages per deliver_due call
# The job runs every minute; a backlog (the GP signed the morning's list at once) is
# worked off in rounds within one run instead of 200 a minute, leaving the next run room.
RUN_SECONDS = 45.0


def deliver_prescriptions() -> int:
    started = time.monotonic()
    delivered = 0
    while True:
        sent = deliver_due(batch=ROUND)
        delivered += sent
        if sent < ROUND or time.monotonic() - started > RUN_SECONDS:
            return delivered
