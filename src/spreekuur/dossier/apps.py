from django.apps import AppConfig


class DossierConfig(AppConfig):
    name = "spreekuur.dossier"
    label = "dossier"
    verbose_name = "Dossier"
