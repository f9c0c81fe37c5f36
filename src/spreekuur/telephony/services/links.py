"""The telephony platform's link: made, renewed and switched off by the practice manager.
Its secret is shown once, when made or renewed, and is never stored (link_secret)."""

from __future__ import annotations

import base64
import hashlib
import hmac

from django.conf import settings
from django.db import transaction

from spreekuur.accounts.models import User
from spreekuur.core.audit import record_access
from spreekuur.core.exceptions import PermissionDenied
from spreekuur.core.models import AuditAction, Practice
from spreekuur.telephony.capabilities import can_manage_telephony
from spreekuur.telephony.models import TelephonyLink, new_key_salt

SECRET_PREFIX = "whsec_"  # noqa: S105 - the Standard Webhooks form of a secret, not one


def link_key(link: TelephonyLink) -> bytes:
    """32 bytes, from the server's SECRET_KEY and the link's salt."""
    return hmac.new(
        settings.SECRET_KEY.encode(),
        f"spreekuur.telephony.link:{link.key_salt}".encode(),
        hashlib.sha256,
    ).digest()


def link_secret(link: TelephonyLink) -> str:
    """The secret the platform signs with, in the Standard Webhooks form (whsec_…)."""
    return SECRET_PREFIX + base64.b64encode(link_key(link)).decode()


def _check(by: User, practice: Practice) -> None:
    if not can_manage_telephony(by):
        raise PermissionDenied


@transaction.atomic
def create_link(*, practice: Practice, name: str, by: User) -> tuple[TelephonyLink, str]:
    _check(by, practice)
    link = TelephonyLink.objects.create(practice=practice, name=name.strip(), created_by=by)
    record_access(
        actor=by,
        action=AuditAction.CREATE,
        object_kind="telephony_link",
        practice=practice,
        object_ids=[link.public_id],
    )
    return link, link_secret(link)


@transaction.atomic
def renew_link_secret(*, link: TelephonyLink, by: User) -> str:
    """A new secret; the old one stops working at once."""
    _check(by, link.practice)
    link.key_salt = new_key_salt()
    link.save(update_fields=["key_salt"])
    record_access(
        actor=by,
        action=AuditAction.CHANGE,
        object_kind="telephony_link",
        practice=link.practice,
        object_ids=[link.public_id],
        detail="nieuw geheim",
    )
    return link_secret(link)


@transaction.atomic
def set_link_active(*, link: TelephonyLink, active: bool, by: User) -> None:
    _check(by, link.practice)
    link.active = active
    link.save(update_fields=["active"])
    record_access(
        actor=by,
        action=AuditAction.CHANGE,
        object_kind="telephony_link",
        practice=link.practice,
        object_ids=[link.public_id],
        detail="aan" if active else "uit",
    )
