"""Writes for repeat prescriptions: requesting, the assistant's filter, the GP's approval
with its outbox message, delivery to the pharmacy, the pharmacy's confirmation, and the
access log of reading them."""

from spreekuur.prescriptions.services.outbox import deliver_due, mark_printed, retry_delivery
from spreekuur.prescriptions.services.reads import (
    record_own_repeats_read,
    record_prescription_printed,
    record_repeat_list_read,
)
from spreekuur.prescriptions.services.requests import (
    DispenseMismatch,
    IllegalTransition,
    approve_items,
    confirm_ready,
    forward_to_gp,
    reject_items,
    request_repeat,
    transition,
)
from spreekuur.prescriptions.services.settings import add_pharmacy, set_route

__all__ = [
    "DispenseMismatch",
    "IllegalTransition",
    "add_pharmacy",
    "approve_items",
    "confirm_ready",
    "deliver_due",
    "forward_to_gp",
    "mark_printed",
    "record_own_repeats_read",
    "record_prescription_printed",
    "record_repeat_list_read",
    "reject_items",
    "request_repeat",
    "retry_delivery",
    "set_route",
    "transition",
]
