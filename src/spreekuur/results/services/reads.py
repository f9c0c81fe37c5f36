"""Reading results is logged (NEN 7513): one entry per page and kind of object."""

from __future__ import annotations

from collections.abc import Sequence

from spreekuur.accounts.models import User
from spreekuur.accounts.selectors import practice_of
from spreekuur.core.audit import record_access
from spreekuur.core.exceptions import PermissionDenied
from spreekuur.core.models import AuditAction
from spreekuur.patients.models import Patient


def record_results_read(
    *,
    by: User,
    object_kind: str,
    object_ids: Sequence[object],
    patient: Patient | None = None,
    actor_role: str | None = None,
    detail: str = "",
) -> None:
    """A page of results or lab messages was shown: about one patient, or (a list) about
    several, in the reader's own practice's chain."""
    practice = patient.practice if patient is not None else practice_of(by)
    if practice is None:
        raise PermissionDenied
    record_access(
        actor=by,
        action=AuditAction.READ,
        object_kind=object_kind,
        practice=practice,
        patient=patient,
        object_ids=object_ids,
        actor_role=actor_role,
        detail=detail,
    )
