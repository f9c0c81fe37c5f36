"""The GP's review: a comment on a result, or one on a whole lab order, and the release to
the portal."""

from __future__ import annotations

from collections.abc import Sequence

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


def review_result(*, result: LabResult, comment: str, release: bool, by: User) -> LabResult:
    """Write the GP's comment on one result (see `review_results`)."""
    return review_results(results=[result], comment=comment, release=release, by=by)[0]


@transaction.atomic
def review_results(
    *, results: Sequence[LabResult], comment: str, release: bool, by: User
) -> list[LabResult]:
    """The GP's one comment on results of one patient (a whole lab order, or part of it);
    with `release`, the results and the comment go online together and the patient gets
    one content-free notice. Without it they are handled but stay off the portal (e.g. to
    discuss in person first). All or nothing: if one was reviewed meanwhile, the lab sent
    a newer version of one or withdrew it, none is written. A preliminary result can be
    commented on but never released."""
    membership = active_membership(by)
    if (
        not results
        or not capabilities.can_review_results(by)
        or membership is None
        or any(result.practice_id != membership.practice_id for result in results)
    ):
        raise PermissionDenied
    if len({result.patient_id for result in results}) != 1:
        raise BusinessRuleError(_("Beoordeel samen alleen uitslagen van één patiënt."))
    comment = comment.strip()
    if not comment:
        raise BusinessRuleError(_("Schrijf een commentaar bij de uitslag."))
    if len(comment) > MAX_COMMENT:
        raise BusinessRuleError(_("Het commentaar is langer dan 1000 tekens."))
    locked = list(
        LabResult.objects.select_for_update(no_key=True, of=("self",))
        .filter(pk__in=[result.pk for result in results])
        .select_related("patient__practice")
        .order_by("pk")
    )
    if any(row.reviewed_at is not None for row in locked):
        raise BusinessRuleError(
            _("Deze uitslag is al beoordeeld.")
            if len(locked) == 1
            else _("Een of meer van deze uitslagen zijn intussen al beoordeeld.")
        )
    if LabResult.objects.filter(replaces__in=locked).exists():
        raise BusinessRuleError(
            _("Het laboratorium heeft een nieuwere versie gestuurd; beoordeel die.")
        )
    if any(row.is_withdrawn for row in locked):
        raise BusinessRuleError(_("Het laboratorium heeft deze uitslag ingetrokken."))
    if release and any(row.preliminary for row in locked):
        # Domain rule: only the lab's final word goes online (the database holds it too).
        raise BusinessRuleError(
            _("Een voorlopige uitslag kan niet online; wacht op de definitieve uitslag.")
        )
    now = timezone.now()
    for row in locked:
        row.comment, row.reviewed_by, row.reviewed_at, row.released = comment, by, now, release
    LabResult.objects.bulk_update(locked, ["comment", "reviewed_by", "reviewed_at", "released"])
    patient = locked[0].patient
    record_access(
        actor=by,
        action=AuditAction.CHANGE,
        object_kind="labresult",
        practice=patient.practice,
        patient=patient,
        object_ids=[row.public_id for row in locked],
        detail="beoordeeld en vrijgegeven" if release else "beoordeeld, niet online",
    )
    if release:
        transaction.on_commit(lambda: notify_new_in_portal(patient))
    return locked
