"""Writes for the practice itself: news and opening-hour exceptions (the public page)."""

from __future__ import annotations

from datetime import date, time
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from spreekuur.accounts import capabilities
from spreekuur.accounts.models import User
from spreekuur.accounts.selectors import practice_of
from spreekuur.core.audit import record_access
from spreekuur.core.exceptions import BusinessRuleError, PermissionDenied
from spreekuur.core.models import (
    AuditAction,
    NewsItem,
    OpeningException,
    OpeningHours,
    Practice,
)
from spreekuur.core.signals import opening_hours_changed
from spreekuur.core.validators import validate_brand_colour, validate_phone

# What the manager may change about the practice (the public page's facts and look).
EDITABLE_PRACTICE_FIELDS = (
    "phone_main",
    "phone_urgent",
    "hap_name",
    "hap_phone",
    "hap_address",
    "website_intro",
    "brand_colour",
    "records_online_from",
)


def _require_page_manager(by: User, practice: Practice) -> None:
    if not capabilities.can_manage_practice_page(by) or practice_of(by) != practice:
        raise PermissionDenied


@transaction.atomic
def publish_news_item(
    *, practice: Practice, title: str, body: str, published_on: date, by: User
) -> NewsItem:
    _require_page_manager(by, practice)
    item = NewsItem.objects.create(
        practice=practice,
        title=title.strip(),
        body=body.strip(),
        published_on=published_on,
        created_by=by,
    )
    record_access(
        actor=by,
        action=AuditAction.CREATE,
        object_kind="news_item",
        practice=practice,
        object_ids=[item.public_id],
    )
    return item


@transaction.atomic
def remove_news_item(*, item: NewsItem, by: User) -> None:
    _require_page_manager(by, item.practice)
    record_access(
        actor=by,
        action=AuditAction.DELETE,
        object_kind="news_item",
        practice=item.practice,
        object_ids=[item.public_id],
    )
    item.delete()


@transaction.atomic
def set_opening_exception(
    *,
    practice: Practice,
    day: date,
    closed: bool,
    opens: time | None,
    closes: time | None,
    reason: str,
    by: User,
) -> OpeningException:
    _require_page_manager(by, practice)
    if not closed and (opens is None or closes is None):
        raise BusinessRuleError(_("Vul de openingstijd en sluitingstijd in, of kies 'gesloten'."))
    if not closed and opens is not None and closes is not None and closes <= opens:
        raise BusinessRuleError(_("De sluitingstijd moet na de openingstijd liggen."))
    try:
        with transaction.atomic():
            exception, _created = OpeningException.objects.update_or_create(
                practice=practice,
                date=day,
                defaults={
                    "closed": closed,
                    "opens": None if closed else opens,
                    "closes": None if closed else closes,
                    "reason": reason.strip(),
                },
            )
    except IntegrityError as error:
        raise BusinessRuleError(_("Deze afwijking kon niet worden opgeslagen.")) from error
    opening_hours_changed.send(sender=OpeningException, practice=practice, days=[day])
    record_access(
        actor=by,
        action=AuditAction.CHANGE,
        object_kind="opening_exception",
        practice=practice,
        object_ids=[exception.pk],
    )
    return exception


@transaction.atomic
def update_practice_details(
    *,
    practice: Practice,
    details: dict[str, Any],
    weekly: dict[int, list[tuple[time, time]]],
    by: User,
) -> Practice:
    """Contact details, out-of-hours service, look, and the weekly hours, all or nothing."""
    _require_page_manager(by, practice)
    if set(details) - set(EDITABLE_PRACTICE_FIELDS):
        raise BusinessRuleError(_("Onbekend veld."))
    if "brand_colour" in details:
        validate_brand_colour(details["brand_colour"])
    for phone_field in ("phone_main", "phone_urgent", "hap_phone"):
        if phone_field in details:
            validate_phone(details[phone_field])
    online_from = details.get("records_online_from", practice.records_online_from)
    if online_from is not None and online_from > timezone.localdate():
        raise BusinessRuleError(_("Het dossier kan niet online vanaf een datum in de toekomst."))
    opened_from = practice.records_online_from
    for field, value in details.items():
        setattr(practice, field, value.strip() if isinstance(value, str) else value)
    practice.save(update_fields=sorted(details))
    practice.opening_hours.all().delete()
    OpeningHours.objects.bulk_create(
        OpeningHours(practice=practice, weekday=weekday, opens=opens, closes=closes)
        for weekday, intervals in weekly.items()
        for opens, closes in intervals
    )
    opening_hours_changed.send(sender=OpeningHours, practice=practice, days=[])
    record_access(
        actor=by,
        action=AuditAction.CHANGE,
        object_kind="practice_details",
        practice=practice,
        object_ids=[practice.public_id],
    )
    if practice.records_online_from != opened_from:
        # Who opened the records online, and from when, is a decision worth its own line.
        record_access(
            actor=by,
            action=AuditAction.CHANGE,
            object_kind="records_online_from",
            practice=practice,
            object_ids=[practice.public_id],
            detail=f"{opened_from or '-'} -> {practice.records_online_from or '-'}",
        )
    return practice
