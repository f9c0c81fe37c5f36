"""The practice's own FAQ answers (the assistant's knowledge; never medical advice)."""

from __future__ import annotations

from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from spreekuur.accounts.models import User
from spreekuur.accounts.selectors import practice_of
from spreekuur.core.exceptions import BusinessRuleError, PermissionDenied
from spreekuur.core.models import Practice
from spreekuur.triage.assistant import DEFAULT_FAQ
from spreekuur.triage.capabilities import can_edit_flows
from spreekuur.triage.models import FaqAnswer

DEFAULT_KEYS = {entry.key for entry in DEFAULT_FAQ}
PLACEHOLDERS = (
    "{practice_name}",
    "{phone_main}",
    "{phone_urgent}",
    "{hap_name}",
    "{hap_phone}",
    "{address}",
    "{opening_hours}",
)


def _require_editor(by: User, practice: Practice) -> None:
    own = practice_of(by)
    if not (can_edit_flows(by) and own is not None and own.pk == practice.pk):
        raise PermissionDenied


def _check_text(question: str, answer: str) -> None:
    if len(question.strip()) < 5 or len(answer.strip()) < 5:
        raise BusinessRuleError(_("Schrijf de vraag en het antwoord voluit."))
    leftover = answer
    for placeholder in PLACEHOLDERS:
        leftover = leftover.replace(placeholder, "")
    if "{" in leftover or "}" in leftover:
        raise BusinessRuleError(
            _(
                "Gebruik accolades alleen voor de praktijkgegevens, zoals {phone_main} of "
                "{opening_hours}."
            )
        )


@transaction.atomic
def save_faq_answer(
    *,
    practice: Practice,
    key: str,
    question: str,
    answer: str,
    keywords: str,
    active: bool,
    by: User,
) -> FaqAnswer:
    """The practice's answer for `key`: a default's key replaces (or, inactive, hides)
    that default; an existing own key is changed."""
    _require_editor(by, practice)
    if (
        key not in DEFAULT_KEYS
        and not FaqAnswer.objects.filter(practice=practice, key=key).exists()
    ):
        raise PermissionDenied  # a tampered key: neither a default nor the practice's own
    _check_text(question, answer)
    row, _created = FaqAnswer.objects.update_or_create(
        practice=practice,
        key=key,
        defaults={
            "question": question.strip(),
            "answer": answer.strip(),
            "keywords": keywords.strip(),
            "active": active,
            "updated_by": by,
        },
    )
    return row


@transaction.atomic
def add_faq_answer(
    *, practice: Practice, question: str, answer: str, keywords: str, by: User
) -> FaqAnswer:
    """A question of the practice's own (its key from the question, prefixed)."""
    _require_editor(by, practice)
    _check_text(question, answer)
    base = ("praktijk-" + slugify(question))[:50].rstrip("-")
    key, counter = base, 1
    while key in DEFAULT_KEYS or FaqAnswer.objects.filter(practice=practice, key=key).exists():
        counter += 1
        key = f"{base}-{counter}"
    return FaqAnswer.objects.create(
        practice=practice,
        key=key,
        question=question.strip(),
        answer=answer.strip(),
        keywords=keywords.strip(),
        updated_by=by,
    )
