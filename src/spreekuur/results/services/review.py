"""The GP's review: a comment on each result, and its release to the portal."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from spreekuur.accounts.models import User
from spreekuur.accounts.selectors import active_membership
from spreekuur.core.audit import record_access
from spreekuur.core.exceptions import BusinessRuleError, PermissionDenied
from spreekuur.core.models import AuditAction
from spreekuur.patients.notices import notify_new_in_portal
from spreekuur.results import capabilities
from spreekuur.results.models import LabResult

MAX_COMMENT = 1000

# Standard phrases; the GP may add to or replace them with free text.
STANDARD_PHRASES = [
    gettext_lazy("Normaal, geen actie nodig."),
    gettext_lazy("Licht afwijkend, geen actie nodig."),
    gettext_lazy("Graag een afspraak maken met de huisarts."),
    gettext_lazy("Graag een afspraak maken met de praktijkondersteuner."),
    gettext_lazy("Wordt besproken bij uw volgende controle."),
    gettext_lazy("Over 3 maanden opnieuw prikken."),
]


@transaction.atomic
def review_result(*, result: LabResult, comment: str, release: bool, by: User) -> LabResult:
    """Write the GP's comment; with `release`, the result and comment go online and the
    patient gets a content-free notice. Without it the result is handled but stays off
    the portal (e.g. to discuss in person first)."""
    membership = active_membership(by)
    if (
        not capabilities.can_review_results(by)
        or membership is None
        or membership.practice_id != result.practice_id
    ):
        raise PermissionDenied
    comment = comment.strip()
    if not comment:
        raise BusinessRuleError(_("Schrijf een commentaar bij de uitslag."))
    if len(comment) > MAX_COMMENT:
        raise BusinessRuleError(_("Het commentaar is langer dan 1000 tekens."))
    locked = LabResult.objects.select_for_update(no_key=True, of=("self",)).get(pk=result.pk)
    if locked.reviewed_at is not None:
        raise BusinessRuleError(_("Deze uitslag is al beoordeeld."))
    if LabResult.objects.filter(replaces=locked).exists():
        raise BusinessRuleError(
            _("Het laboratorium heeft een nieuwere versie gestuurd; beoordeel die.")
        )
    locked.comment = comment
    locked.reviewed_by = by
    locked.reviewed_at = timezone.now()
    locked.released = release
    locked.save(update_fields=["comment", "reviewed_by", "reviewed_at", "released"])
    record_access(
        actor=by,
        action=AuditAction.CHANGE,
        object_kind="labresult",
        practice=locked.patient.practice,
        patient=locked.patient,
        object_ids=[locked.public_id],
        detail="beoordeeld en vrijgegeven" if release else "beoordeeld, niet online",
    )
    if release:
        patient = locked.patient
        transaction.on_commit(lambda: notify_new_in_portal(patient))
    return locked
