"""The practice's choices: the route of a request, and its pharmacies."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from spreekuur.accounts.models import User
from spreekuur.accounts.selectors import practice_of
from spreekuur.core.audit import record_access
from spreekuur.core.exceptions import BusinessRuleError, PermissionDenied
from spreekuur.core.models import AuditAction, Practice
from spreekuur.prescriptions import capabilities
from spreekuur.prescriptions.models import Pharmacy, RepeatSettings, Route, Transport
from spreekuur.prescriptions.safe_http import Refusal, RefusedDestination, check_destination
from spreekuur.prescriptions.transports import loopback_allowed


def _check_endpoint(endpoint: str) -> None:
    """HTTPS to a public address: the name is resolved now and every address it gives must
    be public (patient data would go there). Checked again at every send, since the
    pharmacy's DNS can change after this."""
    try:
        check_destination(endpoint, allow_loopback=loopback_allowed())
    except RefusedDestination as refused:
        raise BusinessRuleError(_refusal_text(refused.refusal)) from None


def _refusal_text(refusal: Refusal) -> str:
    if refusal == Refusal.NOT_HTTPS:
        return _("Een koppeling gaat over HTTPS: het adres begint met https://.")
    if refusal == Refusal.NOT_FOUND:
        return _("De naam in dit adres is niet te vinden. Controleer het adres van de koppeling.")
    if refusal == Refusal.BAD_URL:
        return _("Dit is geen geldig adres voor een koppeling.")
    return _(
        "Dit adres wijst naar een intern netwerk of naar deze server. Een koppeling gaat "
        "alleen naar een openbaar internetadres van de apotheek."
    )


def _inside_drop_root(folder: str) -> str:
    """A folder name under PHARMACY_DROP_ROOT (never a path elsewhere on the server)."""
    name = folder.strip()
    root = Path(settings.PHARMACY_DROP_ROOT).resolve()
    target = (root / name).resolve()
    if not name or target == root or root not in target.parents:
        raise BusinessRuleError(
            _("Vul een mapnaam in (zonder / of ..); de map komt onder de map voor apotheken.")
        )
    return str(target)


def _manager_of(by: User, practice: Practice) -> None:
    if not capabilities.can_manage_repeat_settings(by) or practice_of(by) != practice:
        raise PermissionDenied


@transaction.atomic
def set_route(*, practice: Practice, route: str, by: User) -> RepeatSettings:
    _manager_of(by, practice)
    if route not in Route.values:
        raise BusinessRuleError(_("Kies een route."))
    settings, _created = RepeatSettings.objects.update_or_create(
        practice=practice, defaults={"route": route}
    )
    record_access(
        actor=by,
        action=AuditAction.CHANGE,
        object_kind="repeat_settings",
        practice=practice,
        detail=f"route: {route}",
    )
    return settings


@transaction.atomic
def add_pharmacy(
    *,
    practice: Practice,
    name: str,
    transport: str,
    agb_code: str = "",
    city: str = "",
    phone: str = "",
    endpoint: str = "",
    drop_folder: str = "",
    by: User,
) -> Pharmacy:
    _manager_of(by, practice)
    name = name.strip()
    if not name:
        raise BusinessRuleError(_("Vul de naam van de apotheek in."))
    if transport not in Transport.values:
        raise BusinessRuleError(_("Kies hoe recepten de apotheek bereiken."))
    if transport == Transport.HTTP:
        _check_endpoint(endpoint)
    if transport == Transport.FILE:
        drop_folder = _inside_drop_root(drop_folder)
    pharmacy = Pharmacy.objects.create(
        practice=practice,
        name=name,
        transport=transport,
        agb_code=agb_code.strip(),
        city=city.strip(),
        phone=phone.strip(),
        endpoint=endpoint.strip() if transport == Transport.HTTP else "",
        drop_folder=drop_folder.strip() if transport == Transport.FILE else "",
    )
    record_access(
        actor=by,
        action=AuditAction.CREATE,
        object_kind="pharmacy",
        practice=practice,
        object_ids=[pharmacy.public_id],
        detail=name,
    )
    return pharmacy
