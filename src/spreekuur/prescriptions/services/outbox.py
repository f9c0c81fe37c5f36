"""Delivering the outbox: due messages are claimed (SKIP LOCKED, so several workers never
send one twice at once), sent, and marked; a failure waits longer each time and, after
the last attempt, is flagged for staff. Nothing is dropped."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from spreekuur.accounts.models import User
from spreekuur.accounts.selectors import practice_of
from spreekuur.core.audit import record_access
from spreekuur.core.exceptions import BusinessRuleError, PermissionDenied
from spreekuur.core.models import AuditAction
from spreekuur.prescriptions import capabilities
from spreekuur.prescriptions.models import DeliveryStatus, ItemStatus, OutboxMessage
from spreekuur.prescriptions.services.requests import transition
from spreekuur.prescriptions.transports import TRANSPORTS, DeliveryFailed

logger = logging.getLogger(__name__)

# Minutes to wait after the 1st, 2nd, ... failure; after the last, staff are asked to act.
BACKOFF_MINUTES = (1, 5, 15, 60, 180, 720)


def _claim(now: datetime) -> OutboxMessage | None:
    due = OutboxMessage.objects.filter(
        status=DeliveryStatus.PENDING, next_attempt_at__lte=now
    ).order_by("next_attempt_at", "id")
    if connection.features.has_select_for_update_skip_locked:
        due = due.select_for_update(skip_locked=True, of=("self",))
    return due.select_related("item__request__patient__practice", "pharmacy").first()


def deliver_due(
    *,
    now: datetime | None = None,
    batch: int = 200,
    transports: dict[str, Callable[[OutboxMessage], None]] | None = None,
) -> int:
    """Send what is due; returns how many were delivered. Each message in its own
    transaction, so a crash loses at most the one in hand, which is sent again (same key)."""
    now = now or timezone.now()
    send: dict[str, Callable[[OutboxMessage], None]] = dict(transports or TRANSPORTS)
    delivered = 0
    for _round in range(batch):
        with transaction.atomic():
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
            _delivered(message, now)
            delivered += 1
    return delivered


def _failed(message: OutboxMessage, kind: str, now: datetime) -> None:
    message.attempts += 1
    message.last_error = kind[:200]
    if message.attempts > len(BACKOFF_MINUTES):
        message.status = DeliveryStatus.FAILED
    else:
        message.next_attempt_at = now + timedelta(minutes=BACKOFF_MINUTES[message.attempts - 1])
    message.save(update_fields=["attempts", "last_error", "status", "next_attempt_at"])


def _delivered(message: OutboxMessage, now: datetime) -> None:
    message.attempts += 1
    message.status = DeliveryStatus.DELIVERED
    message.delivered_at = now
    message.save(update_fields=["attempts", "status", "delivered_at"])
    item = message.item
    transition(item, ItemStatus.SENT)
    item.sent_at = now
    item.save(update_fields=["status", "sent_at", "updated_at"])
    patient = item.request.patient
    record_access(
        actor=None,
        action=AuditAction.EXPORT,
        object_kind="repeatrequest",
        practice=patient.practice,
        patient=patient,
        object_ids=[item.public_id],
        detail=f"naar {message.pharmacy.name}",
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
    return message


@transaction.atomic
def mark_printed(*, message: OutboxMessage, by: User) -> OutboxMessage:
    """A pharmacy without a link: the prescription was printed and given or faxed."""
    message = _staff_message(message, by)
    if message.status not in (DeliveryStatus.TO_PRINT, DeliveryStatus.FAILED):
        raise BusinessRuleError(_("Dit recept is al verzonden."))
    _delivered(message, timezone.now())
    return message
