"""Delivering the outbox: due messages are claimed a batch at a time (SKIP LOCKED, so
several workers never send one twice at once; core.delivery), sent over one kept-alive
connection per pharmacy, and their outcomes written together; a failure waits longer
each time and, after the last attempt, is flagged for staff. Nothing is dropped."""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from spreekuur.accounts.models import User
from spreekuur.accounts.selectors import practice_of
from spreekuur.core.audit import BatchAccess, record_access, record_batch_access
from spreekuur.core.delivery import Claim, claim_due
from spreekuur.core.exceptions import BusinessRuleError, PermissionDenied
from spreekuur.core.models import AuditAction
from spreekuur.core.roles import Channel
from spreekuur.prescriptions import capabilities
from spreekuur.prescriptions.models import (
    TRANSITIONS,
    DeliveryStatus,
    ItemStatus,
    OutboxMessage,
    RepeatRequestItem,
    Transport,
)
from spreekuur.prescriptions.safe_http import ClientsByHost, Destination
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
# Messages claimed at once; their outcomes are written together after sending them. A
# worker killed mid-batch has sent at most these again (same key) when the lease ends.
CLAIM_SIZE = 50
# Of a claim's lease, the share spent sending before the rest is given back unsent: what
# is still sent then finishes well before another worker may take it.
SENDING_SHARE_OF_LEASE = 0.5

Send = Callable[[OutboxMessage], None]


def deliver_due(
    *,
    now: datetime | None = None,
    batch: int = 200,
    transports: dict[str, Send] | None = None,
) -> int:
    """Send up to `batch` due messages; returns how many were delivered. A crash loses
    nothing: what is claimed is leased, and sent again (same key) when the lease ends."""
    now = now or timezone.now()
    checked: dict[str, Destination] = {}
    with ClientsByHost(timeout=TIMEOUT_SECONDS) as clients:
        # One client per pharmacy host for the whole run: TLS setup and connections are
        # reused, and never across two names. Each link is checked once per claim.
        send: dict[str, Send] = dict(
            transports
            or {
                **TRANSPORTS,
                Transport.HTTP: partial(deliver_http, clients=clients, checked=checked),
            }
        )
        delivered = 0
        while batch > 0:
            claim = _claim(now, limit=min(batch, CLAIM_SIZE))
            if not claim.ids:
                break
            batch -= len(claim.ids)
            checked.clear()  # a name is resolved and checked again for every claim
            delivered += _send_claimed(claim, now, send)
    return delivered


def _claim(now: datetime, *, limit: int = CLAIM_SIZE) -> Claim:
    """Lease up to `limit` due messages (OUTBOX_LEASE_SECONDS): no other worker takes them
    before then. One that dies mid-send leaves the lease to expire, and the messages are
    sent again under the same Idempotency-Key."""
    return claim_due(
        OutboxMessage,
        pending=Q(status=DeliveryStatus.PENDING),
        now=now,
        lease=timedelta(seconds=settings.OUTBOX_LEASE_SECONDS),
        limit=limit,
        claim_field="claim",
    )


def _send_claimed(claim: Claim, now: datetime, send: dict[str, Send]) -> int:
    by_id = OutboxMessage.objects.select_related(
        "item__request__patient__practice", "pharmacy"
    ).in_bulk(claim.ids)
    messages = [by_id[pk] for pk in claim.ids if pk in by_id]
    stop_at = time.monotonic() + settings.OUTBOX_LEASE_SECONDS * SENDING_SHARE_OF_LEASE
    sent: list[OutboxMessage] = []
    failed: list[tuple[OutboxMessage, str]] = []
    for number, message in enumerate(messages):
        if number and time.monotonic() > stop_at:  # a slow pharmacy: give back the rest
            _give_back(messages[number:], claim, now)
            break
        try:
            send[message.pharmacy.transport](message)
        except DeliveryFailed as failure:
            failed.append((message, failure.kind))
        except Exception as error:  # a bug in a transport must not stop the queue
            logger.error("Outbox transport error: %s", type(error).__name__)
            failed.append((message, type(error).__name__))
        else:
            sent.append(message)
    delivered = _record_delivered(sent, claim, now)
    if failed:
        with transaction.atomic():
            for message, kind in failed:
                _failed(message, kind, now, claim=claim)
    return delivered


def _record_delivered(sent: list[OutboxMessage], claim: Claim, now: datetime) -> int:
    """Mark what the pharmacy took, all in one transaction; should that fail, one by one,
    so that one bad row (an item changed by hand meanwhile) holds back no other."""
    if not sent:
        return 0
    try:
        with transaction.atomic():
            return _delivered_batch(sent, claim, now)
    except Exception as error:
        logger.error("Outbox record error: %s", type(error).__name__)
    delivered = 0
    for message in sent:
        try:
            with transaction.atomic():
                delivered += _delivered_batch([message], claim, now)
        except Exception as error:
            logger.error("Outbox record error: %s", type(error).__name__)
            with transaction.atomic():
                _failed(message, type(error).__name__, now, claim=claim, final=True)
    return delivered


def _delivered_batch(messages: Sequence[OutboxMessage], claim: Claim, now: datetime) -> int:
    """Messages, items and the access log, in a few statements whatever the count. Only
    messages still held under this claim are marked: a worker whose lease ran out (and
    whose messages another worker took meanwhile) leaves them to that worker."""
    held = set(
        OutboxMessage.objects.select_for_update(of=("self",))
        .filter(pk__in=[m.pk for m in messages], claim=claim.token, status=DeliveryStatus.PENDING)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    mine = [m for m in messages if m.pk in held]
    status_of = dict(
        RepeatRequestItem.objects.select_for_update(no_key=True, of=("self",))
        .filter(pk__in=[m.item_id for m in mine])
        .order_by("pk")
        .values_list("pk", "status")
    )
    done = [m for m in mine if ItemStatus.SENT in TRANSITIONS.get(status_of[m.item_id], ())]
    for message in mine:
        if message not in done:  # e.g. the item was changed by hand meanwhile
            logger.error("Outbox record error: %s", "IllegalTransition")
            _failed(message, "IllegalTransition", now, claim=claim, final=True)
    if not done:
        return 0
    RepeatRequestItem.objects.filter(pk__in=[m.item_id for m in done]).update(
        status=ItemStatus.SENT, sent_at=now, updated_at=timezone.now()
    )
    OutboxMessage.objects.filter(pk__in=[m.pk for m in done]).update(
        status=DeliveryStatus.DELIVERED, delivered_at=now, claim=None
    )
    # One entry per prescription (its patient), chained a practice at a time; the chain
    # is taken last and in a fixed order, so two workers never wait on each other in turn.
    by_practice: dict[int, list[OutboxMessage]] = defaultdict(list)
    for message in done:
        by_practice[message.practice_id].append(message)
    for practice_id in sorted(by_practice):
        batch = by_practice[practice_id]
        record_batch_access(
            actor=None,
            practice=batch[0].item.request.patient.practice,
            accesses=[
                BatchAccess(
                    action=AuditAction.EXPORT,
                    object_kind="repeatrequest",
                    patient=m.item.request.patient,
                    object_ids=[m.item.public_id],
                    detail=f"naar {m.pharmacy.name}",
                )
                for m in batch
            ],
            channel=Channel.TASK,
        )
    return len(done)


def _give_back(messages: Sequence[OutboxMessage], claim: Claim, now: datetime) -> None:
    """Unsent messages of a claim, due again at once and without a counted attempt."""
    OutboxMessage.objects.filter(
        pk__in=[m.pk for m in messages], claim=claim.token, status=DeliveryStatus.PENDING
    ).update(attempts=F("attempts") - 1, next_attempt_at=now, claim=None)


def _failed(
    message: OutboxMessage, kind: str, now: datetime, *, claim: Claim, final: bool = False
) -> None:
    """Not delivered this time: the next attempt after the back-off, or flagged for staff
    after the last. Only while the claim is still this worker's."""
    changes: dict[str, object] = {"last_error": kind[:200], "claim": None}
    if final or message.attempts > len(BACKOFF_MINUTES):
        changes["status"] = DeliveryStatus.FAILED
    else:
        changes["next_attempt_at"] = now + timedelta(minutes=BACKOFF_MINUTES[message.attempts - 1])
    OutboxMessage.objects.filter(
        pk=message.pk, claim=claim.token, status=DeliveryStatus.PENDING
    ).update(**changes)


def _delivered(message: OutboxMessage, now: datetime, *, by: User) -> None:
    """Staff printed it (or faxed it): delivered by hand."""
    message.status = DeliveryStatus.DELIVERED
    message.delivered_at = now
    message.claim = None
    message.save(update_fields=["status", "delivered_at", "claim"])
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
        detail=f"naar {message.pharmacy.name} (afgedrukt)",
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
