from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from spreekuur.core.registry import Audience, Contributions, NavEntry, Tile, for_user


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
        from spreekuur.accounts.capabilities import can_manage_staff

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
            urls=[
                ("account/", "spreekuur.accounts.urls"),
                ("account/passkey/", "spreekuur.accounts.passkey_urls"),
            ],
        )
