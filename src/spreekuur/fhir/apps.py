from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from spreekuur.core.registry import Audience, Contributions, NavEntry, Tile, for_user


class FhirConfig(AppConfig):
    name = "spreekuur.fhir"
    label = "fhir"
    verbose_name = "FHIR-API en apps"

    def shell_contributions(self) -> Contributions:
        from spreekuur.fhir.capabilities import can_connect_apps, can_manage_apps

        apps_label = _("Apps")
        return Contributions(
            navigation=[
                *(
                    NavEntry(
                        apps_label, "fhir:connections", audience, 900, for_user(can_connect_apps)
                    )
                    for audience in (Audience.PATIENT, Audience.REPRESENTATIVE)
                ),
                NavEntry(
                    _("Apps en koppelingen"),
                    "fhir:apps",
                    Audience.STAFF,
                    74,
                    for_user(can_manage_apps),
                ),
            ],
            tiles=[
                Tile(
                    _("Gekoppelde apps"),
                    _("Welke apps uw gegevens mogen ophalen, en ontkoppelen."),
                    "fhir:connections",
                    Audience.PATIENT,
                    85,
                    for_user(can_connect_apps),
                ),
            ],
            urls=[("", "spreekuur.fhir.urls"), ("oauth/", "spreekuur.fhir.oauth_urls")],
        )
