from django.apps import AppConfig
from django.conf import settings

from spreekuur.core.registry import Audience, Contributions, Counter, NavEntry, Tile, for_user


def _switched_on(user: object) -> bool:
    # Off unless a test switches it on, so the rest of the suite sees the product as is.
    return bool(getattr(settings, "SHELL_PLUGIN_ON", False)) and _is_staff(user)


def _is_staff(user: object) -> bool:
    from spreekuur.accounts.selectors import is_staff_member

    return is_staff_member(user)  # type: ignore[arg-type]


class ShellPluginConfig(AppConfig):
    name = "tests.shell_plugin"
    label = "shell_plugin"

    def shell_contributions(self) -> Contributions:
        return Contributions(
            navigation=[
                NavEntry(
                    "Inventaris", "shell_plugin:home", Audience.STAFF, 65, for_user(_switched_on)
                )
            ],
            tiles=[
                Tile(
                    "Inventaris",
                    "Voorraad per kast, met QR-codes.",
                    "shell_plugin:home",
                    Audience.STAFF,
                    5,
                    for_user(_switched_on),
                )
            ],
            counters=[
                Counter(
                    lambda n: f"{n} artikelen bijna op",
                    lambda user: 7,
                    "shell_plugin:home",
                    1,
                    _switched_on,
                    urgent=True,
                )
            ],
            urls=[("inventaris/", "tests.shell_plugin.urls")],
        )
