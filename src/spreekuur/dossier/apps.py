from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from spreekuur.core.registry import Audience, Contributions, NavEntry, Tile


class DossierConfig(AppConfig):
    name = "spreekuur.dossier"
    label = "dossier"
    verbose_name = "Dossier"

    def shell_contributions(self) -> Contributions:
        results = _("Uitslagen")
        return Contributions(
            navigation=[
                NavEntry(_("Mijn dossier"), "dossier:my_record", Audience.PATIENT, 20),
                NavEntry(_("Dossier"), "dossier:my_record", Audience.REPRESENTATIVE, 20),
                NavEntry(results, "dossier:my_results", Audience.PATIENT, 30),
                NavEntry(results, "dossier:my_results", Audience.REPRESENTATIVE, 30),
            ],
            tiles=[
                Tile(
                    _("Mijn dossier"),
                    _("Uw klachten en ziekten, contacten, medicijnen en allergieën."),
                    "dossier:my_record",
                    Audience.PATIENT,
                    20,
                ),
                Tile(
                    results,
                    _("Uw bloed- en urine-uitslagen met de uitleg van uw huisarts."),
                    "dossier:my_results",
                    Audience.PATIENT,
                    50,
                ),
            ],
            urls=[("", "spreekuur.dossier.urls")],
        )
