from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from spreekuur.core.registry import Audience, Contributions, NavEntry, for_user


class RosterConfig(AppConfig):
    name = "spreekuur.roster"
    label = "roster"
    verbose_name = "Rooster"

    def shell_contributions(self) -> Contributions:
        from spreekuur.roster.capabilities import can_view_roster

        return Contributions(
            navigation=[
                NavEntry(
                    _("Rooster"), "roster:week", Audience.STAFF, 74, for_user(can_view_roster)
                ),
            ],
            urls=[("", "spreekuur.roster.urls")],
        )
