"""Claiming outbox rows in batches: what every outbox (the pharmacy's, and the e-mail and
SMS one) needs from the database before it sends.

A claim takes up to `limit` due rows in one short transaction: SKIP LOCKED on PostgreSQL,
so two workers never take the same row, and one UPDATE that counts the attempt and leases
the rows (`next_attempt_at` moves to the end of the lease). A worker that dies mid-batch
simply never finishes: when the lease ends its rows are due again and the next worker
sends them (at least once; each outbox makes a repeat harmless with its own key).

With a `claim_field`, the claim also writes a fresh token into the rows, and only a
worker holding that token may write the outcome: one whose lease ran out while it was
still sending (and whose rows another worker claimed meanwhile) finds its token gone and
marks nothing. The UPDATE repeats the due condition, so that also without row locks
(SQLite) a row claimed by someone else in between is not claimed again."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, models, transaction
from django.db.models import F, Q


@dataclass(frozen=True)
class Claim:
    """The rows one worker holds until `lease_until`, and the token that proves it."""

    ids: list[int]
    token: uuid.UUID | None
    lease_until: datetime


def claim_due(
    model: type[models.Model],
    *,
    pending: Q,
    now: datetime,
    lease: timedelta,
    limit: int,
    claim_field: str | None = None,
    order_by: Sequence[str] = ("next_attempt_at", "id"),
) -> Claim:
    """Lease up to `limit` rows that match `pending` and are due at `now` (oldest first),
    counting an attempt on each. Three statements whatever the batch size."""
    token = uuid.uuid4() if claim_field else None
    lease_until = now + lease
    manager: Any = model._default_manager
    with transaction.atomic():
        due = manager.filter(pending, next_attempt_at__lte=now).order_by(*order_by)
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True, of=("self",))
        ids = list(due.values_list("pk", flat=True)[:limit])
        if not ids:
            return Claim([], token, lease_until)
        changes: dict[str, Any] = {"attempts": F("attempts") + 1, "next_attempt_at": lease_until}
        if claim_field:
            changes[claim_field] = token
        claimed = manager.filter(pending, pk__in=ids, next_attempt_at__lte=now).update(**changes)
        if claim_field and claimed != len(ids):  # only without row locks, and rarely
            ids = list(manager.filter(**{claim_field: token}).values_list("pk", flat=True))
    return Claim(ids, token, lease_until)
