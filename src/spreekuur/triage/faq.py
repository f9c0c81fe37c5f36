"""The FAQ assistant of one practice: the shipped default answers with the practice's own
on top, its facts (phone numbers, address, opening hours) filled in, and one built
assistant per practice kept in the process until any of that changes."""

from __future__ import annotations

from collections import OrderedDict
from threading import Lock

from django.db.models import Count, Max
from django.utils.translation import gettext as _

from spreekuur.core.current_hours import current_schedule
from spreekuur.core.models import WEEKDAYS, Practice
from spreekuur.triage.assistant import DEFAULT_FAQ, Assistant, FaqEntry, PracticeFacts
from spreekuur.triage.models import FaqAnswer

_KEPT = 256  # practices whose assistant stays built (a region's worth)
_BUILT: OrderedDict[tuple[int, str], Assistant] = OrderedDict()
_LOCK = Lock()


def opening_hours_text(practice: Practice) -> str:
    """The usual week in words: "maandag 08:00-12:00 en 13:00-17:00; ...; zondag gesloten"
    (with en dashes)."""
    schedule = current_schedule(practice)
    days = []
    for weekday, name in WEEKDAYS:
        spans = schedule.weekly.get(weekday, ())
        hours = " en ".join(f"{start:%H:%M}\N{EN DASH}{end:%H:%M}" for start, end in spans)
        days.append(f"{name} {hours or _('gesloten')}")
    return "; ".join(days)


def practice_facts(practice: Practice) -> PracticeFacts:
    return PracticeFacts(
        practice_name=practice.name,
        phone_main=practice.phone_main,
        phone_urgent=practice.phone_urgent,
        hap_name=practice.hap_name,
        hap_phone=practice.hap_phone,
        address=f"{practice.street}, {practice.postal_code} {practice.city}",
        opening_hours=opening_hours_text(practice),
    )


def faq_entries(practice: Practice) -> list[FaqEntry]:
    """The default answers, each replaced by the practice's own of the same key (or left
    out when the practice switched it off), then the practice's own extra questions."""
    own = {row.key: row for row in FaqAnswer.objects.filter(practice=practice)}
    entries = []
    for default in DEFAULT_FAQ:
        row = own.pop(default.key, None)
        if row is None:
            entries.append(default)
        elif row.active:
            entries.append(_entry(row))
    entries += [_entry(row) for row in own.values() if row.active]
    return entries


def _entry(row: FaqAnswer) -> FaqEntry:
    keywords = tuple(word.strip() for word in row.keywords.split(",") if word.strip())
    return FaqEntry(key=row.key, question=row.question, answer=row.answer, keywords=keywords)


def assistant_for(practice: Practice) -> Assistant:
    """The practice's assistant, built again only when its answers or facts changed (one
    small query to know that)."""
    stamp = FaqAnswer.objects.filter(practice=practice).aggregate(
        changed=Max("updated_at"), rows=Count("id")
    )
    facts = practice_facts(practice)
    key = (practice.pk, f"{stamp['changed']}|{stamp['rows']}|{hash(facts)}")
    with _LOCK:
        built = _BUILT.get(key)
        if built is not None:
            _BUILT.move_to_end(key)
            return built
    built = Assistant(faq_entries(practice), facts)
    with _LOCK:
        for old in [k for k in _BUILT if k[0] == practice.pk]:
            del _BUILT[old]
        _BUILT[key] = built
        while len(_BUILT) > _KEPT:
            _BUILT.popitem(last=False)
    return built
