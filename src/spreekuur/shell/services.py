"""The shell's writes: reading and searching the audit log are themselves logged."""

from __future__ import annotations

from spreekuur.accounts import capabilities
from spreekuur.accounts.models import User
from spreekuur.accounts.selectors import practice_of
from spreekuur.core.audit import record_access
from spreekuur.core.exceptions import PermissionDenied
from spreekuur.core.models import AuditAction, Practice
from spreekuur.patients.models import Patient


def record_audit_log_read(
    *, patient: Patient, by: User, actor_role: str | None = None, detail: str = ""
) -> None:
    """Reading "wie heeft mijn dossier bekeken" is itself an access to the record."""
    record_access(
        actor=by,
        action=AuditAction.READ,
        object_kind="audit_log",
        practice=patient.practice,
        patient=patient,
        object_ids=[patient.public_id],
        actor_role=actor_role,
        detail=detail,
    )


def record_audit_log_search(*, practice: Practice, patient: Patient | None, by: User) -> None:
    if not capabilities.can_search_audit_log(by) or practice_of(by) != practice:
        raise PermissionDenied
    record_access(
        actor=by,
        action=AuditAction.SEARCH,
        object_kind="audit_log",
        practice=practice,
        patient=patient,
    )
