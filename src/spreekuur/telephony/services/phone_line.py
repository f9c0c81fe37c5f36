"""The phone menu and callback settings, their export for the platform, and the import of
the exchange's call report."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from spreekuur.accounts.models import User
from spreekuur.core.audit import record_access
from spreekuur.core.exceptions import PermissionDenied
from spreekuur.core.models import AuditAction, OpeningHours, Practice
from spreekuur.telephony.call_report import read_report
from spreekuur.telephony.capabilities import can_manage_telephony
from spreekuur.telephony.models import (
    Call,
    CallReportImport,
    CallSource,
    HerhaalAction,
    PhoneSettings,
    TelephonyLink,
)
from spreekuur.telephony.selectors import settings_for
from spreekuur.telephony.services.events import refresh_call_hours

CONFIG_VERSION = 1


@transaction.atomic
def save_phone_settings(*, settings: PhoneSettings, by: User) -> None:
    if not can_manage_telephony(by):
        raise PermissionDenied
    settings.full_clean()
    settings.save()
    record_access(
        actor=by,
        action=AuditAction.CHANGE,
        object_kind="phone_settings",
        practice=settings.practice,
    )


def platform_config(practice: Practice, *, base_url: str) -> dict[str, Any]:
    """What the telephony platform needs to route calls as the practice wants it: the
    menu in order of priority, the callback offer, the opening hours, the numbers and
    where to send the events. JSON, no patient data."""
    phone = settings_for(practice)
    options: list[dict[str, Any]] = [
        {
            "key": phone.spoed_key,
            "purpose": "spoed",
            "label": "Spoed",
            "action": "queue",
            "priority": 1,
            "callback_offered": False,
        }
    ]
    if phone.intercollegiaal_enabled:
        options.append(
            {
                "key": phone.intercollegiaal_key,
                "purpose": "intercollegiaal",
                "label": "Zorgverleners",
                "action": "queue",
                "priority": 2,
                "callback_offered": False,
            }
        )
    if phone.herhaal_enabled:
        portal = phone.herhaal_action == HerhaalAction.PORTAL
        options.append(
            {
                "key": phone.herhaal_key,
                "purpose": "herhaalrecepten",
                "label": "Herhaalrecepten",
                "action": "announcement" if portal else "recording",
                "announcement": (
                    "Herhaalrecepten vraagt u aan via het patiëntenportaal."
                    if portal
                    else "Spreek na de toon uw naam, geboortedatum en medicijnen in."
                ),
                "priority": None,
                "callback_offered": False,
            }
        )
    options.append(
        {
            "key": phone.assistent_key,
            "purpose": "assistent",
            "label": "Assistente",
            "action": "queue",
            "priority": 3,
            "callback_offered": phone.callback_enabled,
        }
    )
    hours = [
        {"weekday": row.weekday, "opens": f"{row.opens:%H:%M}", "closes": f"{row.closes:%H:%M}"}
        for row in OpeningHours.objects.filter(practice=practice).order_by("weekday", "opens")
    ]
    links = TelephonyLink.objects.filter(practice=practice, active=True).order_by("name")
    return {
        "spreekuur_telephony_config": CONFIG_VERSION,
        "practice": {"name": practice.name, "agb": practice.agb_code},
        "numbers": {
            "main": practice.phone_main,
            "urgent": practice.phone_urgent,
            "huisartsenpost": practice.hap_phone,
        },
        "emergency_advice": "Bij levensgevaar: bel 112.",
        "welcome": phone.welcome_text,
        "online_booking_hint": (
            "Wist u dat u ook online een afspraak kunt maken?" if phone.online_hint else None
        ),
        "menu": sorted(options, key=lambda option: option["key"]),
        "callback": {
            "enabled": phone.callback_enabled,
            "offer_after_seconds": phone.callback_after_seconds,
            "key": phone.callback_key,
            "offer_until": f"{phone.callback_until:%H:%M}",
            "queues": ["assistent"],
        },
        "opening_hours": hours,
        "timezone": "Europe/Amsterdam",
        "outside_opening_hours": {"forward_to": practice.hap_phone},
        "events_webhook": {
            "signing": "Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature)",
            "links": [
                {
                    "name": link.name,
                    "url": base_url + reverse("telephony:events", args=[link.public_id]),
                }
                for link in links
            ],
            "event_types": [
                "incoming",
                "queued",
                "answered",
                "abandoned",
                "callback_requested",
                "ended",
            ],
        },
    }


@transaction.atomic
def import_call_report(
    *, practice: Practice, file_name: str, raw: bytes, by: User
) -> CallReportImport:
    """Read the report (ReportUnreadable if it cannot be read; then nothing is stored) and
    add its calls: those already imported are recognised by their key and left alone."""
    if not can_manage_telephony(by):
        raise PermissionDenied
    report = read_report(raw)
    keys = [call.key for call in report.calls]
    # A call is known by its import key, or, when the report names the exchange's own id,
    # by that id as the link stored it: a month the link already reported is not
    # counted twice.
    own_ids = [key.removeprefix("import:") for key in keys]
    known: set[str] = set()
    for start in range(0, len(keys), 5000):
        chunk = keys[start : start + 5000] + own_ids[start : start + 5000]
        for key in Call.objects.filter(practice=practice, call_key__in=chunk).values_list(
            "call_key", flat=True
        ):
            known.update({key, f"import:{key}"})
    fresh = [call for call in report.calls if call.key not in known]
    Call.objects.bulk_create(
        [
            Call(
                practice=practice,
                call_key=call.key,
                source=CallSource.IMPORT,
                started_at=call.started_at,
                menu_choice=call.menu_choice,
                queued=call.outcome != "menu",
                outcome=call.outcome,
                wait_seconds=call.wait_seconds,
                talk_seconds=call.talk_seconds,
            )
            for call in fresh
        ],
        batch_size=2000,
        ignore_conflicts=True,
    )
    days: set[date] = {_local_day(call.started_at) for call in fresh}
    refresh_call_hours(practice_ids=[practice.pk], days=days)
    every_day = sorted(_local_day(call.started_at) for call in report.calls)
    done = CallReportImport.objects.create(
        practice=practice,
        file_name=file_name[:120],
        imported_by=by,
        rows=report.rows,
        calls_added=len(fresh),
        skipped=report.skipped,
        first_day=every_day[0] if every_day else None,
        last_day=every_day[-1] if every_day else None,
    )
    record_access(
        actor=by,
        action=AuditAction.CREATE,
        object_kind="call_report",
        practice=practice,
        object_ids=[done.public_id],
    )
    return done


def _local_day(moment: datetime) -> date:
    return timezone.localdate(moment)
