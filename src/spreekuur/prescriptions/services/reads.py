"""Reading repeat requests is logged (NEN 7513): one entry per page and kind of object."""

from __future__ import annotations

from collections.abc import Sequence

from spreekuur.accounts.models import User
from spreekuur.accounts.selectors import practice_of
from spreekuur.core.audit import record_access
from spreekuur.core.exceptions import PermissionDenied
from spreekuur.core.models import AuditAction
from spreekuur.dossier.models import Medication
from spreekuur.patients.models import Patient
from spreekuur.prescriptions.models import OutboxMessage, RepeatRequestItem


def record_own_repeats_read(
    *,
    by: User,
    patient: Patient,
    medications: Sequence[Medication],
    items: Sequence[RepeatRequestItem],
    actor_role: str | None = None,
    detail: str = "",
) -> None:
    """The portal page: the patient's repeat list and their requests (or of whom one acts for)."""
    record_access(
        actor=by,
        action=AuditAction.READ,
        object_kind="repeatrequest",
        practice=patient.practice,
        patient=patient,
        object_ids=[m.public_id for m in medications] + [i.public_id for i in items],
        actor_role=actor_role,
        detail=detail,
    )


def record_repeat_list_read(*, by: User, items: Sequence[RepeatRequestItem]) -> None:
    """A work list of the practice (no single patient: the items and the patients named)."""
    practice = practice_of(by)
    if practice is None:
        raise PermissionDenied
    record_access(
        actor=by,
        action=AuditAction.READ,
        object_kind="repeatrequest",
        practice=practice,
        object_ids=[i.public_id for i in items]
        + list({i.request.patient.public_id for i in items}),
    )


def record_prescription_printed(*, by: User, message: OutboxMessage) -> None:
    """A prescription printed for a pharmacy without a link: an export in the log."""
    patient = message.item.request.patient
    record_access(
        actor=by,
        action=AuditAction.EXPORT,
        object_kind="repeatrequest",
        practice=patient.practice,
        patient=patient,
        object_ids=[message.item.public_id],
        detail="recept afgedrukt",
    )
