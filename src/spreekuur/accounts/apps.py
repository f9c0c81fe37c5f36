from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from spreekuur.core.registry import Audience, Contributions, Counter, NavEntry, Tile, for_user


def _role_requests_label(count: int) -> str:
    return ngettext(
        "%(count)d zorgrol wacht op uw bevestiging",
        "%(count)d zorgrollen wachten op uw bevestiging",
        count,
    ) % {"count": count}


def _role_requests_count(user: Any) -> int:
    from spreekuur.accounts.selectors import practice_of, role_requests_of

    practice = practice_of(user)
    return role_requests_of(practice).count() if practice is not None else 0


class AccountsConfig(AppConfig):
    name = "spreekuur.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from spreekuur.accounts import selectors
        from spreekuur.core.actors import register_actor_directory

        # The audit log (core) records each actor's role and practice without importing us.
        register_actor_directory(selectors)

    def shell_contributions(self) -> Contributions:
        from spreekuur.accounts.capabilities import can_confirm_clinical_roles, can_manage_staff

        security = _("Beveiliging")
        return Contributions(
            navigation=[
                *(NavEntry(security, "accounts:security", audience, 1000) for audience in Audience),
                NavEntry(
                    _("Medewerkers"),
                    "accounts:staff_list",
                    Audience.STAFF,
                    70,
                    for_user(can_manage_staff),
                ),
            ],
            tiles=[
                Tile(
                    security,
                    _("Nieuwe herstelcodes en uw wachtwoord."),
                    "accounts:security",
                    Audience.PATIENT,
                    80,
                ),
                Tile(
                    _("Medewerkers"),
                    _("Accounts en rollen van het team."),
                    "accounts:staff_list",
                    Audience.STAFF,
                    20,
                    for_user(can_manage_staff),
                ),
            ],
            counters=[
                # Urgent: until a GP decides, a new colleague cannot work.
                Counter(
                    _role_requests_label,
                    _role_requests_count,
                    "accounts:role_requests",
                    5,
                    can_confirm_clinical_roles,
                    urgent=True,
                )
            ],
            urls=[
                ("account/", "spreekuur.accounts.urls"),
                ("account/passkey/", "spreekuur.accounts.passkey_urls"),
            ],
        )
