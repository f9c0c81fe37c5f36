"""The red-flag gate before online booking and e-consult, and the practice's own flags."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from spreekuur.accounts.models import User
from spreekuur.accounts.selectors import practice_of
from spreekuur.core.exceptions import BusinessRuleError, PermissionDenied
from spreekuur.core.models import Practice
from spreekuur.triage.capabilities import can_manage_triage
from spreekuur.triage.models import RedFlag
from spreekuur.triage.red_flags import baseline_flags


class RedFlagRaised(BusinessRuleError):
    """A red-flag answer: this complaint must not be booked online or sent as e-consult."""

    def __init__(self, flag: RedFlag) -> None:
        self.flag = flag
        super().__init__(_("Bij deze klacht kunt u niet online een afspraak maken."))


class TriageIncomplete(BusinessRuleError):
    def __init__(self) -> None:
        super().__init__(_("Beantwoord eerst alle vragen over spoed."))


def check_triage(
    practice_flags: list[RedFlag], answers: Mapping[str, bool]
) -> list[dict[str, Any]]:
    """Every red-flag question answered, and each with "no"; returns what was asked.

    A "yes" raises RedFlagRaised with the first flag (in asking order) that was raised."""
    for flag in practice_flags:
        if flag.code not in answers or not isinstance(answers[flag.code], bool):
            raise TriageIncomplete
    for flag in practice_flags:
        if answers[flag.code]:
            raise RedFlagRaised(flag)
    return [
        {"code": flag.code, "question": flag.question, "answer": answers[flag.code]}
        for flag in practice_flags
    ]


def _require_manager(by: User, practice_id: int) -> None:
    practice = practice_of(by)
    if not (can_manage_triage(by) and practice is not None and practice.pk == practice_id):
        raise PermissionDenied


@transaction.atomic
def add_red_flag(*, practice: Practice, question: str, advice: str, by: User) -> RedFlag:
    """A practice's own red flag: it extends the national list, which it cannot weaken."""
    _require_manager(by, practice.pk)
    question = question.strip()
    if len(question) < 10:
        raise BusinessRuleError(_("Schrijf de vraag voluit, zodat een patiënt hem begrijpt."))
    # The "praktijk-" prefix keeps a practice's code apart from the national ones.
    base = "praktijk-" + (slugify(question)[:30] or "vraag")
    code, counter = base, 1
    while RedFlag.objects.filter(practice=practice, code=code).exists():
        counter += 1
        code = f"{base}-{counter}"
    return RedFlag.objects.create(
        practice=practice, code=code, question=question, advice=advice, sort_order=200
    )


@transaction.atomic
def switch_off_red_flag(*, flag: RedFlag, by: User) -> None:
    if flag.is_baseline:
        raise BusinessRuleError(
            _("Deze vraag hoort bij de landelijke lijst en kan niet worden uitgezet.")
        )
    _require_manager(by, flag.practice_id or 0)
    flag.active = False
    flag.save(update_fields=["active"])


def restore_red_flag_baseline(*, using: str = "default") -> int:
    """Put back any national red flag missing from the table (a wiped or hand-edited one):
    the list may be extended by a practice, never weakened by accident. Run after every
    migrate and flush (TriageConfig); in between, red_flags_for asks a missing one from
    the code. Returns how many were put back."""
    restored = 0
    with transaction.atomic(using=using):
        for flag in baseline_flags():
            _found, created = RedFlag.objects.using(using).get_or_create(
                practice=None,
                code=flag.code,
                defaults={
                    "question": flag.question,
                    "advice": flag.advice,
                    "extra_advice": flag.extra_advice,
                    "sort_order": flag.sort_order,
                },
            )
            restored += created
    return restored
