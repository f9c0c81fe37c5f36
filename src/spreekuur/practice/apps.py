from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from spreekuur.core.registry import Audience, Contributions, NavEntry, Tile, for_user


class PracticeConfig(AppConfig):
    """The practice's public page and the manager's settings for it."""

    name = "spreekuur.practice"
    label = "practice"
    verbose_name = "Praktijk"

    def shell_contributions(self) -> Contributions:
        from spreekuur.accounts.capabilities import can_manage_practice_page

        manager = for_user(can_manage_practice_page)
        return Contributions(
            navigation=[
                NavEntry(_("Praktijkpagina"), "practice:manage_page", Audience.STAFF, 80, manager)
            ],
            tiles=[
                Tile(
                    _("Praktijkpagina"),
                    _("Nieuws en afwijkende openingstijden."),
                    "practice:manage_page",
                    Audience.STAFF,
                    30,
                    manager,
                ),
                Tile(
                    _("Praktijkgegevens"),
                    _("Telefoonnummers, huisartsenpost, huiskleur en vaste openingstijden."),
                    "practice:practice_details",
                    Audience.STAFF,
                    40,
                    manager,
                ),
            ],
            urls=[("", "spreekuur.practice.urls")],
        )
