"""Delivering the outbox: due messages are claimed (SKIP LOCKED, so several workers never
send one twice at once), sent, and marked; a failure waits longer each time and, after
the last attempt, is flagged for staff. Nothing is dropped."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from spreekuur.accounts.models import User
from spreekuur.accounts.selectors import practice_of
from spreekuur.core.audit import record_access
from spreekuur.core.exceptions import BusinessRuleError, PermissionDenied
from spreekuur.core.models import AuditAction
from spreekuur.prescriptions import capabilities
from spreekuur.prescriptions.models import (
    DeliveryStatus,
    ItemStatus,
    OutboxMessage,
    RepeatRequestItem,
    Transport,
)
from spreekuur.prescriptions.safe_http import ClientsByHost
from spreekuur.prescriptions.services.requests import transition
from spreekuur.prescriptions.transports import (
    TIMEOUT_SECONDS,
    TRANSPORTS,
    DeliveryFailed,
    deliver_http,
)

logger = logging.getLogger(__name__)

# Minutes to wait after the 1st, 2nd, ... failure; after the last, staff are asked to act.
BACKOFF_MINUTES = (1, 5, 15, 60, 180, 720)


def _claim(now: datetime) -> OutboxMessage | None:
    """Take the next due message in a short transaction (nothing is held while sending:
    on SQLite a transaction would block every write of the app for that long)."""
    with transaction.atomic():
        due = OutboxMessage.objects.filter(
            status=DeliveryStatus.PENDING, next_attempt_at__lte=now
        ).order_by("next_attempt_at", "id")
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True, of=("self",))
        message = due.select_related("item__request__patient__practice", "pharmacy").first()
        if message is None:
            return None
        message.attempts += 1
        # While a worker sends a message it is leased (OUTBOX_LEASE_SECONDS): no other
        # worker takes it before then. One that dies mid-send leaves the lease to expire,
        # and the message is sent again under the same Idempotency-Key.
        message.next_attempt_at = now + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
        message.save(update_fields=["attempts", "next_attempt_at"])
        return message


def deliver_due(
    *,
    now: datetime | None = None,
    batch: int = 200,
    transports: dict[str, Callable[[OutboxMessage], None]] | None = None,
) -> int:
    """Send what is due; returns how many were delivered. A crash loses nothing: the
    message in hand is leased, and sent again (same key) when the lease ends."""
    now = now or timezone.now()
    with ClientsByHost(timeout=TIMEOUT_SECONDS) as clients:
        # One client per pharmacy host for the whole run: TLS setup and connections are
        # reused, and never across two names.
        send: dict[str, Callable[[OutboxMessage], None]] = dict(
            transports or {**TRANSPORTS, Transport.HTTP: partial(deliver_http, clients=clients)}
        )
        return _deliver(now, batch, send)


def _deliver(now: datetime, batch: int, send: dict[str, Callable[[OutboxMessage], None]]) -> int:
    delivered = 0
    for _round in range(batch):
        message = _claim(now)
        if message is None:
            break
        try:
            send[message.pharmacy.transport](message)
        except DeliveryFailed as failure:
            _failed(message, failure.kind, now)
            continue
        except Exception as error:  # a bug in a transport must not stop the queue
            logger.error("Outbox transport error: %s", type(error).__name__)
            _failed(message, type(error).__name__, now)
            continue
        try:
            with transaction.atomic():
                _delivered(message, now, by=None)
        except Exception as error:  # e.g. the item was changed by hand meanwhile
            logger.error("Outbox record error: %s", type(error).__name__)
            _failed(message, type(error).__name__, now, final=True)
            continue
        delivered += 1
    return delivered


@transaction.atomic
def _failed(message: OutboxMessage, kind: str, now: datetime, *, final: bool = False) -> None:
    message.last_error = kind[:200]
    if final or message.attempts > len(BACKOFF_MINUTES):
        message.status = DeliveryStatus.FAILED
    else:
        message.next_attempt_at = now + timedelta(minutes=BACKOFF_MINUTES[message.attempts - 1])
    message.save(update_fields=["last_error", "status", "next_attempt_at"])


def _delivered(message: OutboxMessage, now: datetime, *, by: User | None) -> None:
    message.status = DeliveryStatus.DELIVERED
    message.delivered_at = now
    message.save(update_fields=["status", "delivered_at"])
    item = RepeatRequestItem.objects.select_for_update(no_key=True, of=("self",)).get(
        pk=message.item_id
    )
    transition(item, ItemStatus.SENT)
    item.sent_at = now
    item.save(update_fields=["status", "sent_at", "updated_at"])
    patient = message.item.request.patient
    record_access(
        actor=by,
        action=AuditAction.EXPORT,
        object_kind="repeatrequest",
        practice=patient.practice,
        patient=patient,
        object_ids=[item.public_id],
        detail=f"naar {message.pharmacy.name}" + (" (afgedrukt)" if by else ""),
    )


def _staff_message(message: OutboxMessage, by: User) -> OutboxMessage:
    if not capabilities.can_follow_deliveries(by) or practice_of(by) != message.practice:
        raise PermissionDenied
    return (
        OutboxMessage.objects.select_for_update(no_key=True, of=("self",))
        .select_related("item__request__patient__practice", "pharmacy")
        .get(pk=message.pk)
    )


@transaction.atomic
def retry_delivery(*, message: OutboxMessage, by: User) -> OutboxMessage:
    """Staff send a flagged message again (after the pharmacy fixed its link)."""
    message = _staff_message(message, by)
    if message.status != DeliveryStatus.FAILED:
        raise BusinessRuleError(_("Alleen een mislukte verzending kan opnieuw."))
    message.status = DeliveryStatus.PENDING
    message.attempts = 0
    message.next_attempt_at = timezone.now()
    message.save(update_fields=["status", "attempts", "next_attempt_at"])
    patient = message.item.request.patient
    record_access(
        actor=by,
        action=AuditAction.CHANGE,
        object_kind="repeatrequest",
        practice=patient.practice,
        patient=patient,
        object_ids=[message.item.public_id],
        detail="opnieuw versturen",
    )
    return message


@transaction.atomic
def mark_printed(*, message: OutboxMessage, by: User) -> OutboxMessage:
    """A pharmacy without a link: the prescription was printed and given or faxed."""
    message = _staff_message(message, by)
    if message.status not in (DeliveryStatus.TO_PRINT, DeliveryStatus.FAILED):
        raise BusinessRuleError(_("Dit recept is al verzonden."))
    _delivered(message, timezone.now(), by=by)
    return message
